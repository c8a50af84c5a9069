"""Ingest: rtd-tui's consumer path against a bare confluent-kafka loop, same backlog.

Both rates run from the first batch received to the last: creating the client,
fetching metadata and assigning partitions happen once per run, not per message
(timed, they made up most of a 100,000-message embedded run of ~0.2 s).
"""

from __future__ import annotations

import threading
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from benchmarks.common import Figure, fill_topic
from rtd_tui.config import DEFAULT_WINDOW, Settings
from rtd_tui.consumer import CONSUMER_DEFAULTS, ConsumeLoop
from rtd_tui.store import RecordStore

TARGET = 0.8
ROUNDS = 3


def _config(bootstrap: str) -> dict[str, object]:
    config = {**CONSUMER_DEFAULTS, **Settings().client_config(bootstrap)}
    config["group.id"] = f"bench-{uuid.uuid4().hex[:8]}"
    return config


def bare_rate(bootstrap: str, topic: str, count: int) -> float:
    """Messages/s of a loop that consumes in batches and only touches each value,
    from its first batch to its last (client start-up is not a consume rate)."""
    consumer = Consumer(_config(bootstrap))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        seen = 0
        first: tuple[float, int] | None = None
        while seen < count:
            for message in consumer.consume(10_000, 0.2):
                if message.error() is None:
                    message.value()
                    seen += 1
            if first is None and seen:
                first = (time.perf_counter(), seen)
        assert first is not None
        return (count - first[1]) / (time.perf_counter() - first[0])
    finally:
        consumer.close()


def rtd_rate(bootstrap: str, topic: str, count: int) -> float:
    """Messages/s of ``ConsumeLoop`` into a ``RecordStore`` (decode, dedupe, aggregate),
    from the first batch in the store to the last, as for the bare loop."""
    store = RecordStore(window=DEFAULT_WINDOW)
    loop = ConsumeLoop(_config(bootstrap), topic, store)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), name="bench-consumer")
    thread.start()
    first: tuple[float, int] | None = None
    try:
        while (consumed := store.consumed) < count:
            if not thread.is_alive():
                raise RuntimeError("consume loop ended early")
            if first is None and consumed:
                first = (time.perf_counter(), consumed)
            time.sleep(0.001)
        ended = time.perf_counter()
    finally:
        stop.set()
        thread.join(10)
    if store.snapshot().count != count:
        raise RuntimeError(f"store holds {store.snapshot().count} records, expected {count}")
    if first is None:  # everything came in one batch: no rate between batches to measure
        raise RuntimeError("the whole backlog arrived in one batch; use a larger one")
    return (count - first[1]) / (ended - first[0])


def measure(label: str, bootstrap: str, topic: str, count: int) -> list[Figure]:
    """Fill ``topic`` once, then alternate the two loops and keep the best of each."""
    fill_topic(bootstrap, topic, count)
    bare: list[float] = []
    ours: list[float] = []
    for _ in range(ROUNDS):
        bare.append(bare_rate(bootstrap, topic, count))
        ours.append(rtd_rate(bootstrap, topic, count))
    ratio = max(ours) / max(bare)
    section = f"ingest, {label}, {count:,} msgs"
    return [
        Figure(section, "bare confluent-kafka loop", f"{max(bare):,.0f} msg/s"),
        Figure(section, "rtd-tui consumer → store", f"{max(ours):,.0f} msg/s"),
        Figure(section, "ratio rtd-tui / bare", f"{ratio:.2f}", f"≥ {TARGET}", ratio >= TARGET),
    ]
