"""Ingest: rtd-tui's consumer path against a bare confluent-kafka loop, same backlog."""

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
    """Messages/s of a loop that consumes in batches and only touches each value."""
    consumer = Consumer(_config(bootstrap))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        started = time.perf_counter()
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        seen = 0
        while seen < count:
            for message in consumer.consume(10_000, 0.2):
                if message.error() is None:
                    message.value()
                    seen += 1
        return count / (time.perf_counter() - started)
    finally:
        consumer.close()


def rtd_rate(bootstrap: str, topic: str, count: int) -> float:
    """Messages/s of ``ConsumeLoop`` into a ``RecordStore`` (decode, dedupe, aggregate)."""
    store = RecordStore(window=DEFAULT_WINDOW)
    loop = ConsumeLoop(_config(bootstrap), topic, store)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), name="bench-consumer")
    started = time.perf_counter()
    thread.start()
    try:
        while store.consumed < count:
            if not thread.is_alive():
                raise RuntimeError("consume loop ended early")
            time.sleep(0.002)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        thread.join(10)
    if store.snapshot().count != count:
        raise RuntimeError(f"store holds {store.snapshot().count} records, expected {count}")
    return count / elapsed


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
