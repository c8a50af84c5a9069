"""Producer: ``rtd-tui produce --rate max`` (``ProduceLoop``) against the original's way.

The original ``fake_data_producer.py`` built each record with Faker and waited for
its delivery (``produce`` then ``flush()``) before the next one. Both run against
the same broker with the same client settings, after a warm-up run.
"""

from __future__ import annotations

import threading
import time

from confluent_kafka import Producer

from benchmarks.common import Figure
from rtd_tui.config import Settings
from rtd_tui.generator import RecordGenerator
from rtd_tui.producer import PRODUCER_DEFAULTS, ProduceLoop, ProducerControl
from rtd_tui.records import encode, key_of

TARGET = 100_000.0
ROUNDS = 3


def _producer(bootstrap: str) -> Producer:
    return Producer(Settings().client_config(bootstrap, **PRODUCER_DEFAULTS))


def loop_rate(bootstrap: str, topic: str, count: int) -> float:
    """Records/s delivered by ``ProduceLoop`` at rate max, generation included."""
    loop = ProduceLoop(_producer(bootstrap), topic, RecordGenerator(seed=3),
                       ProducerControl(enabled=True, rate=None), count=count)
    started = time.perf_counter()
    loop.run(threading.Event())  # returns once ``count`` are delivered
    elapsed = time.perf_counter() - started
    if loop.stats.delivered != count:
        raise RuntimeError(f"delivered {loop.stats.delivered} of {count}: {loop.stats.last_error}")
    return count / elapsed


def sync_rate(bootstrap: str, topic: str, seconds: float) -> float:
    """Records/s of one synchronous delivery wait per record, as the original producer did."""
    producer = _producer(bootstrap)
    generator = RecordGenerator(seed=4)
    sent = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        record = generator.record()
        producer.produce(topic, value=encode(record), key=key_of(record))
        producer.flush()
        sent += 1
    return sent / (time.perf_counter() - started)


def measure(label: str, bootstrap: str, topic: str, count: int, seconds: float) -> list[Figure]:
    # Warm-up, not counted: Apache Kafka's JVM compiles its hot paths in the first seconds
    # (a cold broker measured 20-30 % slower), and the topic's segments get created.
    loop_rate(bootstrap, topic, max(count // 5, 1))
    # Alternated rounds, best of each, as for ingest: other load on a shared machine only
    # ever slows a round down, so the best is the closest to what the code can do.
    ours: list[float] = []
    originals: list[float] = []
    for _ in range(ROUNDS):
        ours.append(loop_rate(bootstrap, topic, count))
        originals.append(sync_rate(bootstrap, topic, seconds))
    best, original = max(ours), max(originals)
    section = f"producer, {label}, best of {ROUNDS}"
    rounds = " / ".join(f"{r / 1000:,.0f}k" for r in ours)
    return [
        Figure(section, "original: produce + flush() per record", f"{original:,.0f} rec/s"),
        Figure(section, f"ProduceLoop --rate max, {count:,} delivered (rounds: {rounds})",
               f"{best:,.0f} rec/s", f"≥ {TARGET:,.0f} rec/s", best >= TARGET),
        Figure(section, "speed-up", f"{best / original:,.0f}×"),
    ]
