"""Lag in seconds against a real Kafka protocol (the embedded broker): a reader paused
before a backlog of known timestamps, then resumed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from confluent_kafka import Producer

from rtd_tui.broker import EmbeddedBroker
from rtd_tui.config import Settings
from rtd_tui.consumer import PartitionInfo
from rtd_tui.lag import PartitionLag, Trend
from rtd_tui.lag_watch import LagWatch, MessageStamps
from rtd_tui.pipeline import Pipeline
from rtd_tui.store import RecordStore

TOPIC = "lag-backlog"
PARTITIONS = 4
T0 = 1_793_628_000.0  # 2026-11-02 14:00:00 UTC: the backlog's first timestamp
#: A first read connects too: on a loaded machine that takes longer than a round's wait.
READ_TIMEOUT_S = 15.0
#: (offsets, timestamp): three batches a minute apart in every partition.
BACKLOG = ((range(0, 20), T0), (range(20, 40), T0 + 60), (range(40, 70), T0 + 120))


def produce(bootstrap: str, offsets: range, stamp: float) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for partition in range(PARTITIONS):
        for offset in offsets:
            producer.produce(TOPIC, b"{}", key=str(offset).encode(), partition=partition,
                             timestamp=int(stamp * 1000))
    assert producer.flush(10) == 0


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_paused_reader_falls_behind_then_catches_up() -> None:
    """The reader's positions are set by hand (paused, then moved); timestamps come from
    the broker; both clocks are injected, so every figure is exact."""
    with EmbeddedBroker(TOPIC) as broker:
        bootstrap = broker.bootstrap_servers
        produce(bootstrap, *BACKLOG[0])
        produce(bootstrap, *BACKLOG[1])
        clock = {"mono": 0.0, "wall": T0 + 600}
        reader = {"position": 0, "high": 40}
        stamps = MessageStamps({"bootstrap.servers": bootstrap}, TOPIC)
        watch = LagWatch(
            lambda: [PartitionInfo(p, 0, reader["high"], reader["position"])
                     for p in range(PARTITIONS)],
            lambda offsets: stamps.read(offsets, timeout=READ_TIMEOUT_S),
            monotonic=lambda: clock["mono"], wall=lambda: clock["wall"],
        )
        try:
            watch.update()  # paused at offset 0: the oldest unread is 600 s old
            assert watch.report().total == PartitionLag(None, 160, 600.0, None, None)

            produce(bootstrap, *BACKLOG[2])  # 30 more a partition while it stays paused
            clock["mono"] += 30
            clock["wall"] += 30
            reader["high"] = 70
            watch.update()
            total = watch.report().total
            assert (total.messages, total.seconds) == (280, 630.0)
            assert total.trend == Trend("falling behind", gap=4.0)  # 30 / 30 s, 4 partitions

            reader["position"] = 50  # resumed: 50 read in the minute, 30 produced
            clock["mono"] += 30
            clock["wall"] += 30
            watch.update()
            report = watch.report()
            assert report.of(2) == PartitionLag(2, 20, 660.0 - 120, 50 / 60, 30 / 60)
            assert report.total.trend.state == "catching up"
            assert report.total.trend.eta is not None
            assert round(report.total.trend.eta) == 60  # 80 messages at 4/3 msg/s net
        finally:
            stamps.close()


def test_the_pipeline_reports_a_backlog_read_to_the_end_as_caught_up() -> None:
    """The wiring the app runs: consumer and lag threads on a backlog, until caught up."""
    with EmbeddedBroker(TOPIC) as broker:
        produce(broker.bootstrap_servers, *BACKLOG[0])
        settings = Settings(bootstrap_servers=broker.bootstrap_servers, topic=TOPIC,
                            producer_on=False)
        pipeline = Pipeline(settings, RecordStore())
        pipeline.start()
        threads = [threading.Thread(target=run, daemon=True)
                   for run in (pipeline.run_consumer, pipeline.run_lag_watch)]
        for thread in threads:
            thread.start()
        try:
            def caught_up() -> bool:
                lag = pipeline.status().lag
                return len(lag.partitions) == PARTITIONS and lag.total.messages == 0
            wait_for(caught_up, "the reader to catch up")
            total = pipeline.status().lag.total
            assert (total.seconds, total.trend) == (0.0, Trend("caught up"))
        finally:
            pipeline.close()
        for thread in threads:
            thread.join(5)
            assert not thread.is_alive()
