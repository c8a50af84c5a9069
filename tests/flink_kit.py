"""Helpers of the Flink job's tests: read a topic to its end, and compare the job's
aggregates with what the raw dashboard's own decoder and store make of the raw topic."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition

from rtd_tui.decode import decode_batch
from rtd_tui.records import AGE_RANGE, CITIES
from rtd_tui.store import RecordStore


def read_all(brokers: str, topic: str, timeout: float = 30.0) -> list[Message]:
    """Every committed message of ``topic``, partition by partition in offset order."""
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "rtd-tui-test-reader",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "enable.partition.eof": True})
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics[topic]
        parts = sorted(meta.partitions)
        consumer.assign([TopicPartition(topic, p, 0) for p in parts])
        done: set[int] = set()
        messages: list[Message] = []
        while len(done) < len(parts):
            for msg in consumer.consume(1000, 1.0):
                if msg.error():
                    if msg.error().code() == -191:  # _PARTITION_EOF
                        done.add(msg.partition())
                        continue
                    raise RuntimeError(str(msg.error()))
                messages.append(msg)
        return sorted(messages, key=lambda m: (m.partition(), m.offset()))
    finally:
        consumer.close()


@dataclass(frozen=True)
class Figures:
    """What the dashboard's cards, city table, histogram and rejection counts show."""

    by_city: dict[str, tuple[int, int, int]]  # city -> (records, cents, age sum)
    age_counts: dict[int, int]
    rejected: dict[str, int]
    messages: int


def from_raw(messages: list[Message]) -> Figures:
    """The raw dashboard's figures: the project's decoder and store over ``messages``."""
    store = RecordStore()
    store.ingest(decode_batch([m.value() for m in messages], [m.partition() for m in messages],
                              [m.offset() for m in messages], [m.key() for m in messages]))
    snap = store.snapshot()
    by_city = {row["cidade"]: (row["count"], round(row["total"] * 100),
                               round(row["mean_age"] * row["count"]))
               for row in snap.by_city.iter_rows(named=True)}
    ages = {AGE_RANGE[0] + i: n for i, n in enumerate(snap.age_counts) if n}
    return Figures(by_city, ages, dict(snap.rejected_by_reason), snap.consumed)


def latest_rows(messages: list[Message]) -> dict[tuple[str, str], dict[str, Any]]:
    """The upsert topic as a table: each key's newest value; a tombstone removes the key."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for m in messages:
        key = json.loads(m.key())
        k = (key["kind"], key["name"])
        if m.value() is None:
            table.pop(k, None)
        else:
            table[k] = json.loads(m.value())
    return table


def from_aggregates(table: dict[tuple[str, str], dict[str, Any]]) -> Figures:
    """The same figures from the job's aggregates topic."""
    by_city: dict[str, list[int]] = {}
    ages: Counter[int] = Counter()
    rejected: dict[str, int] = {}
    messages = 0
    for (kind, name), row in table.items():
        if kind == "cell":
            city, _, age = name.rpartition("|")
            figures = by_city.setdefault(city, [0, 0, 0])
            figures[0] += row["records"]
            figures[1] += row["cents"]
            figures[2] += int(age) * row["records"]
            ages[int(age)] += row["records"]
        elif kind == "rejected":
            rejected[name] = row["records"]
        elif kind == "partition":
            messages += row["records"]
    assert set(by_city) <= set(CITIES)
    return Figures({c: (n, cents, age) for c, (n, cents, age) in by_city.items() if n},
                   {a: n for a, n in ages.items() if n}, rejected, messages)
