"""Ingest: rtd-tui's consumer path against a bare confluent-kafka loop, same backlog.

The rtd-tui side is wired exactly as the app wires it: ``ConsumeLoop`` with the tail
hook (``TailBuffer.add``), the ingest stage, the store. Both clocks start before the
client is created, so everything from the first fetch on counts (metadata, assignment
and the first batch included), and stop when the last message is in the store (or,
for the bare loop, read). The two loops alternate, best of ``ROUNDS`` each.

The partition-count figure is the CPU time of this process per message consumed by
``ConsumeLoop`` (every thread: librdkafka's, the watcher, the ingest stage), for a
topic with 4 partitions and one with 100, same backlog.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from benchmarks.common import Figure, fill_topic
from rtd_tui.config import DEFAULT_WINDOW, Settings
from rtd_tui.consumer import CONSUMER_DEFAULTS, ConsumeLoop
from rtd_tui.store import RecordStore
from rtd_tui.tail import TailBuffer

TARGET = 0.8
TARGET_PARTITIONS = 1.25  # "the same per-message cost": within 25 %
ROUNDS = 3


def _config(bootstrap: str) -> dict[str, object]:
    config = {**CONSUMER_DEFAULTS, **Settings().client_config(bootstrap)}
    config["group.id"] = f"bench-{uuid.uuid4().hex[:8]}"
    return config


def bare_rate(bootstrap: str, topic: str, count: int) -> float:
    """Messages/s of a loop that consumes in batches and only touches each value."""
    started = time.perf_counter()
    consumer = Consumer(_config(bootstrap))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
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


def rtd_run(bootstrap: str, topic: str, count: int) -> tuple[float, float]:
    """``ConsumeLoop`` into a ``RecordStore`` with the app's tail hook: messages/s, and
    this process's CPU seconds per message over the run."""
    store = RecordStore(window=DEFAULT_WINDOW)
    started, cpu = time.perf_counter(), time.process_time()
    loop = ConsumeLoop(_config(bootstrap), topic, store, on_tail=TailBuffer().add)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), name="bench-consumer")
    thread.start()
    try:
        while store.consumed < count:
            if not thread.is_alive():
                raise RuntimeError("consume loop ended early")
            time.sleep(0.001)
        ended, cpu = time.perf_counter(), time.process_time() - cpu
    finally:
        stop.set()
        thread.join(10)
    if store.snapshot().count != count:
        raise RuntimeError(f"store holds {store.snapshot().count} records, expected {count}")
    return count / (ended - started), cpu / count


def rtd_rate(bootstrap: str, topic: str, count: int) -> float:
    return rtd_run(bootstrap, topic, count)[0]


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
        Figure(section, "rtd-tui consumer → store, tail hook wired", f"{max(ours):,.0f} msg/s"),
        Figure(section, "ratio rtd-tui / bare", f"{ratio:.2f}", f"≥ {TARGET}", ratio >= TARGET),
    ]


def partition_cost(server: Any, count: int) -> list[Figure]:
    """CPU per message consumed from a 4- and a 100-partition topic (Apache Kafka)."""
    costs: dict[int, float] = {}
    for partitions in (4, 100):
        topic = f"bench-partitions-{partitions}"
        server.create_topic(topic, partitions=partitions)
        fill_topic(server.bootstrap_servers, topic, count)
        costs[partitions] = min(rtd_run(server.bootstrap_servers, topic, count)[1]
                                for _ in range(ROUNDS))
    section = f"ingest, Apache Kafka, {count:,} msgs, CPU per message (best of {ROUNDS})"
    ratio = costs[100] / costs[4]
    return [
        Figure(section, "4 partitions", f"{costs[4] * 1e6:.1f} µs"),
        Figure(section, "100 partitions", f"{costs[100] * 1e6:.1f} µs"),
        Figure(section, "ratio 100 / 4 partitions", f"{ratio:.2f}", f"≤ {TARGET_PARTITIONS}",
               ratio <= TARGET_PARTITIONS),
    ]
