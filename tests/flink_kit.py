"""Helpers of the Flink job's tests: read a topic to its end, and what the dashboard shows
from the raw topic (its decoder and ``RecordStore``) and from the job's aggregates topic
(the ``--source aggregates`` decoder and ``AggregateStore``), side by side."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from rtd_tui.aggregates.rows import decode_message
from rtd_tui.aggregates.store import AggregateStore
from rtd_tui.decode import decode_batch
from rtd_tui.store import RecordStore, Snapshot


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
                error = msg.error()
                if error is None:
                    messages.append(msg)
                elif error.code() == KafkaError._PARTITION_EOF:
                    done.add(msg.partition())
                else:
                    raise RuntimeError(str(error))
        return sorted(messages, key=lambda m: (m.partition(), m.offset()))
    finally:
        consumer.close()


@dataclass(frozen=True)
class Shown:
    """What the dashboard's cards, city table, histogram and rejection counts show."""

    consumed: int
    count: int
    total_cents: int
    by_city: list[tuple[str, int, int, float]]  # city, records, cents, mean age
    age_counts: tuple[int, ...]
    rejected: dict[str, int]


def _shown(snap: Snapshot, consumed: int) -> Shown:
    by_city = [(r["cidade"], r["count"], round(r["total"] * 100), round(r["mean_age"], 9))
               for r in snap.by_city.sort("cidade").iter_rows(named=True)]
    return Shown(consumed, snap.count, round(snap.total * 100), by_city,
                 tuple(snap.age_counts), dict(snap.rejected_by_reason))


def from_raw(messages: list[Message]) -> Shown:
    """The raw view's figures: the dashboard's decoder and store over ``messages``."""
    store = RecordStore()
    store.ingest(decode_batch([m.value() for m in messages], [m.partition() for m in messages],
                              [m.offset() for m in messages], [m.key() for m in messages]))
    return _shown(store.snapshot(), store.consumed)


def from_aggregates(messages: list[Message]) -> Shown:
    """The aggregates view's figures: its decoder and store over the job's topic."""
    store = AggregateStore()
    decoded = [decode_message(m.key(), m.value()) for m in messages]
    store.apply([d for d in decoded if d is not None])
    return _shown(store.snapshot(), store.consumed)



#: Malformed messages mixed in: one per reason family the job must count alike.
MALFORMED = (b"", b"  ", b"{", b"nope", b"[1]", b'{"id": 1}', b"\xff\xfe", b'{"id": NaN}',
             b'{"id": 1200, "nome": "Ana", "idade": 30, "cidade": "Recife", "valor": 12.345, '
             b'"timestamp": "2024-05-01T12:00:00"}')


def produce_mix(brokers: str, topic: str, n: int, seed: int) -> None:
    """``n`` messages keyed by id: generated records, ~3 % tombstones of ids sent before,
    ~3 % malformed values, and a keyless and a badly keyed tombstone."""
    from datetime import UTC, datetime
    from random import Random

    from confluent_kafka import Producer

    from rtd_tui.generator import RecordGenerator
    from rtd_tui.records import encode, key_of

    producer = Producer({"bootstrap.servers": brokers, "linger.ms": 20})
    generator = RecordGenerator(seed=seed, clock=lambda: datetime(2024, 5, 1, 12, tzinfo=UTC))
    draw = Random(seed)
    for i in range(n):
        record = generator.record()
        roll = draw.random()
        value = (None if roll < 0.03 else draw.choice(MALFORMED) if roll < 0.06
                 else encode(record))
        producer.produce(topic, value=value, key=key_of(record))
        if i % 5000 == 0:
            producer.poll(0)
    producer.produce(topic, value=None, key=None)
    producer.produce(topic, value=None, key=b"not-an-id")
    if producer.flush(30):
        raise RuntimeError(f"messages to {topic} not delivered in 30 s")
