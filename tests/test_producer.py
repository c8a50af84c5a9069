"""The produce loop's pacing, through the embedded broker: every record exactly once, never
before it is due, in one wake-up per ``linger.ms`` window (or per record at low rates), and a
sleep that a stop or a change ends at once.

The loop's sleeps are counted on the control's ``woken`` event; no test asserts a duration.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from rtd_tui.broker import EmbeddedBroker
from rtd_tui.config import Settings
from rtd_tui.generator import RecordGenerator
from rtd_tui.producer import (
    IDLE_WAIT_S,
    PRODUCER_DEFAULTS,
    TICK_S,
    ProduceLoop,
    ProducerControl,
)
from rtd_tui.publish import Publisher

TOPIC = "pacing"
PARTITIONS = 4  # the mock cluster's topics


class CountingEvent(threading.Event):
    """An Event that counts the waits on it: the produce loop's sleeps."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        return super().wait(timeout)


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    with EmbeddedBroker(TOPIC) as broker:
        yield broker.bootstrap_servers


def monotonic_now() -> datetime:
    """The records' timestamps on the loop's own clock, to compare them with due times."""
    return datetime.fromtimestamp(time.monotonic())


def make_loop(bootstrap: str, rate: float | None, count: int | None,
              enabled: bool = True) -> tuple[ProduceLoop, CountingEvent]:
    producer = Producer(Settings().client_config(bootstrap, **PRODUCER_DEFAULTS))
    control = ProducerControl(enabled=enabled, rate=rate)
    woken = CountingEvent()
    control.woken = woken
    loop = ProduceLoop(producer, TOPIC, RecordGenerator(seed=11, clock=monotonic_now), control,
                       count=count)
    return loop, woken


def read_back(bootstrap: str, start: dict[int, int], n: int) -> list[dict[str, object]]:
    """The ``n`` records after the ``start`` offsets, in offset order per partition."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "pacing-check",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(TOPIC, p, start[p]) for p in range(PARTITIONS)])
    records: list[dict[str, object]] = []
    deadline = time.monotonic() + 30
    try:
        while len(records) < n and time.monotonic() < deadline:
            for msg in consumer.consume(1000, 0.5):
                if msg.error() is None:
                    records.append(json.loads(msg.value()))
    finally:
        consumer.close()
    return records


def end_offsets(bootstrap: str) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "pacing-offsets"})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)[1]
                for p in range(PARTITIONS)}
    finally:
        consumer.close()


def run_to_count(loop: ProduceLoop) -> tuple[float, float]:
    """Run the loop until its ``count`` is delivered; returns its start and its elapsed time."""
    started = time.monotonic()
    thread = threading.Thread(target=loop.run, args=(threading.Event(),))
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the loop did not finish"
    return started, time.monotonic() - started


@pytest.mark.parametrize("rate", [20.0, 1000.0])
def test_each_record_is_sent_once_never_before_it_is_due(bootstrap: str, rate: float) -> None:
    n = 40 if rate < 100 else 600
    start = end_offsets(bootstrap)
    loop, _ = make_loop(bootstrap, rate, n)
    started, _elapsed = run_to_count(loop)
    assert (loop.stats.sent, loop.stats.delivered, loop.stats.failed) == (n, n, 0)
    records = read_back(bootstrap, start, n)
    expected = RecordGenerator(seed=11, clock=monotonic_now)
    wanted = [{k: v for k, v in expected.record().items() if k != "timestamp"} for _ in range(n)]
    got = [{k: v for k, v in r.items() if k != "timestamp"} for r in records]
    assert sorted(map(str, got)) == sorted(map(str, wanted))  # each once, none other
    stamps = sorted(datetime.fromisoformat(str(r["timestamp"])).timestamp() for r in records)
    for k, stamp in enumerate(stamps):  # record k is due k / rate after the start
        assert stamp >= started + k / rate - 0.002, f"record {k} sent before it was due"



class SteppingClock:
    """A clock that moves ``step`` seconds each time the loop reads it: the pacing sees
    time pass exactly as scripted, whatever the machine's load."""

    def __init__(self, start: float, step: float) -> None:
        self.now, self.step = start, step

    def __call__(self) -> float:
        now = self.now
        self.now += self.step
        return now


def test_records_go_out_at_the_asked_rate_on_the_loops_own_clock(bootstrap: str) -> None:
    """Record k is stamped between its due time (k / rate after the start) and a few clock
    readings later: no drift, no record skipped or added, whatever the real sleeps were."""
    rate, n, step, start = 200.0, 60, 0.001, 1_000.0
    clock = SteppingClock(start, step)
    producer = Producer(Settings().client_config(bootstrap, **PRODUCER_DEFAULTS))
    offsets = end_offsets(bootstrap)
    loop = ProduceLoop(producer, TOPIC,
                       RecordGenerator(seed=5, clock=lambda: datetime.fromtimestamp(clock.now)),
                       ProducerControl(rate=rate), count=n, clock=clock)
    run_to_count(loop)
    assert (loop.stats.delivered, loop.stats.failed) == (n, 0)
    stamps = sorted(datetime.fromisoformat(str(r["timestamp"])).timestamp() - start
                    for r in read_back(bootstrap, offsets, n))
    assert len(stamps) == n
    for k, stamp in enumerate(stamps):
        assert k / rate - 1e-6 <= stamp <= k / rate + 4 * step, (k, stamp)

def test_a_high_rate_wakes_once_per_linger_window(bootstrap: str) -> None:
    """1,000 records/s: one wake-up sends every record due, every ``TICK_S`` (linger.ms)."""
    assert PRODUCER_DEFAULTS["linger.ms"] == TICK_S * 1000
    loop, woken = make_loop(bootstrap, 1000.0, 600)
    _, elapsed = run_to_count(loop)
    assert loop.stats.delivered == 600
    assert woken.waits <= elapsed / TICK_S + 3  # a wait per record would be ~600


def test_a_low_rate_wakes_once_per_record_not_per_delivery_report(bootstrap: str) -> None:
    """20 records/s: one sleep per record; delivery reports do not wake the loop."""
    loop, woken = make_loop(bootstrap, 20.0, 30)
    _, elapsed = run_to_count(loop)
    assert loop.stats.delivered == 30
    assert woken.waits <= 30 + elapsed / IDLE_WAIT_S + 2


def test_switched_off_it_sleeps_until_woken_and_stops_at_once(bootstrap: str) -> None:
    loop, woken = make_loop(bootstrap, 5.0, None, enabled=False)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    time.sleep(1.0)
    assert loop.stats.sent == 0
    assert woken.waits <= 1.0 / IDLE_WAIT_S + 2  # no polling loop while off
    loop.control.toggle()  # on: the first record goes out without waiting out the sleep
    deadline = time.monotonic() + 10
    while loop.stats.delivered == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert loop.stats.delivered >= 1
    stop.set()
    loop.control.wake()
    thread.join(10)
    assert not thread.is_alive()


def test_a_publish_while_switched_off_gets_its_delivery_report(bootstrap: str) -> None:
    """The form's send wakes the sleeping loop, whose ``poll`` serves the report."""
    loop, _ = make_loop(bootstrap, 5.0, None, enabled=False)
    publisher = Publisher(loop.producer, TOPIC, on_queued=loop.control.wake)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    try:
        record = RecordGenerator(seed=2).record()
        delivery = publisher.send(record).result(timeout=10)
        assert delivery.ok and delivery.offset >= 0
        assert loop.stats.sent == 0
    finally:
        stop.set()
        loop.control.wake()
        thread.join(10)
