"""Broker faults against Apache Kafka: SIGKILL and restart while the producer runs.

Whatever happens, the accounting must close: every record the producer sent was either
delivered (and then shown exactly once) or counted as failed; nothing is lost silently,
nothing is counted twice, and the pipeline recovers by itself.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka import Consumer, TopicPartition
from kafka_server import KafkaServer

from rtd_tui.config import KAFKA_LOGGER, Settings
from rtd_tui.pipeline import Pipeline
from rtd_tui.store import RecordStore

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def flaky_kafka() -> Iterator[KafkaServer]:
    """A broker of its own: these tests kill it."""
    with KafkaServer() as server:
        yield server


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - started


def start(pipeline: Pipeline) -> list[threading.Thread]:
    pipeline.start()
    threads = [threading.Thread(target=pipeline.run_producer),
               threading.Thread(target=pipeline.run_consumer)]
    for t in threads:
        t.start()
    return threads


def broker_ends(bootstrap: str, topic: str) -> dict[int, int]:
    """Every partition's end offset, asked of the broker by a client of its own (not the
    app's cached watermarks, which a test of the app must not grade itself with)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fault-ends",
                         "logger": logging.getLogger(KAFKA_LOGGER)})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in partitions}
    finally:
        consumer.close()


def settle_and_check(pipeline: Pipeline, threads: list[threading.Thread]) -> None:
    """Stop producing, let everything land, and close the books.

    A record whose delivery failed with a timeout may still have been written (librdkafka
    calls it "possibly persisted"), so the view holds every delivered record once, plus at
    most the failed ones; with no failure it holds exactly the delivered ones.
    """
    pipeline.control.set_enabled(False)
    stats = pipeline.status().produced
    wait_for(lambda: stats.in_flight == 0, "deliveries to settle")
    try:
        settings = pipeline.settings
        high = sum(broker_ends(settings.bootstrap_servers or "", settings.topic).values())
        wait_for(lambda: pipeline.store.snapshot().count >= high, "the store to reach the end")
        time.sleep(1.0)  # anything redelivered after this point would show up as extra
        snap = pipeline.store.snapshot()
    finally:
        pipeline.close()
        for t in threads:
            t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert stats.sent == stats.delivered + stats.failed  # nothing silently dropped
    assert snap.count == high  # every message on the broker shown, none twice
    assert stats.delivered <= snap.count <= stats.delivered + stats.failed, (snap.count, stats)
    assert snap.rejected == 0


def test_short_outage_recovers_and_loses_nothing(flaky_kafka: KafkaServer) -> None:
    topic = f"faults-{uuid.uuid4().hex[:8]}"
    flaky_kafka.create_topic(topic, partitions=3)
    settings = Settings(  # a message timeout longer than the outage: nothing may fail
        bootstrap_servers=flaky_kafka.bootstrap_servers, topic=topic, rate=1000.0,
        kafka={"message.timeout.ms": "300000"},
    )
    pipeline = Pipeline(settings, RecordStore())
    threads = start(pipeline)
    wait_for(lambda: pipeline.store.snapshot().count >= 1000, "records before the fault")
    flaky_kafka.kill()
    noticed = wait_for(lambda: pipeline.status().link.state == "unreachable", "the outage", 15)
    assert noticed <= 10.0
    time.sleep(2.0)
    flaky_kafka.restart()
    wait_for(lambda: pipeline.status().link.state == "connected", "recovery")
    before = pipeline.store.snapshot().count
    wait_for(lambda: pipeline.store.snapshot().count >= before + 1000, "records after recovery")
    settle_and_check(pipeline, threads)
    assert pipeline.status().produced.failed == 0


def test_outage_longer_than_the_message_timeout_counts_failures(
    flaky_kafka: KafkaServer,
) -> None:
    if not flaky_kafka.running:
        flaky_kafka.restart()
    topic = f"faults-{uuid.uuid4().hex[:8]}"
    flaky_kafka.create_topic(topic, partitions=3)
    settings = Settings(
        bootstrap_servers=flaky_kafka.bootstrap_servers, topic=topic, rate=1000.0,
        kafka={"message.timeout.ms": "3000"},
    )
    pipeline = Pipeline(settings, RecordStore())
    threads = start(pipeline)
    wait_for(lambda: pipeline.store.snapshot().count >= 500, "records before the fault")
    flaky_kafka.kill()
    wait_for(lambda: pipeline.status().produced.failed > 0, "failed deliveries", 20)
    assert all(t.is_alive() for t in threads)  # nothing crashed
    flaky_kafka.restart()
    wait_for(lambda: pipeline.status().link.state == "connected", "recovery")
    before = pipeline.store.snapshot().count
    wait_for(lambda: pipeline.store.snapshot().count >= before + 500, "records after recovery")
    settle_and_check(pipeline, threads)
    assert pipeline.status().produced.failed > 0
