"""Offsets reused on Apache Kafka: every new record is counted and the user is told.

The issue's two scenarios, end to end through the app's consume loop and store: the
topic is deleted and recreated with an admin client, and the broker is SIGKILLed and
started again without its data. In both, the partitions start again at offset 0;
the records read before stay counted, the new ones are counted too (none is taken for
a redelivery), and a notice names the topic and each partition that started again.
"""

from __future__ import annotations

import time
import uuid

import pytest
from kafka_server import KafkaServer
from test_kafka_integration import caught_up, consuming, new_topic, produce, wait_for

from rtd_tui.consumer import ConsumeLoop
from rtd_tui.generator import RecordGenerator
from rtd_tui.kafka_jars import KafkaEngineError
from rtd_tui.store import RecordStore

pytestmark = pytest.mark.kafka

PARTITIONS = 4
FIRST, SECOND = 200, 60


def total_cents(seed: int, count: int) -> int:
    """The value of the first ``count`` records of ``seed``, in cents (what was produced)."""
    generator = RecordGenerator(seed=seed)
    return sum(round(generator.record()["valor"] * 100) for _ in range(count))


def check_both_epochs(loop: ConsumeLoop, store: RecordStore, topic: str) -> None:
    """Every record of both epochs counted once, nothing dropped, and the notice given."""
    wait_for(lambda: store.consumed == FIRST + SECOND, f"{FIRST + SECOND} records")
    wait_for(lambda: caught_up(loop, PARTITIONS), "the new partitions read to their end")
    snap = store.snapshot()
    assert snap.count == FIRST + SECOND
    assert round(snap.total * 100) == total_cents(1, FIRST) + total_cents(2, SECOND)
    assert store.duplicates == 0
    restarted = {int(n.split("partition ")[1].split()[0]) for n in loop.notices}
    assert restarted  # at least one partition started again, and each is named once
    assert len(loop.notices) == len(restarted) == loop.notice_count
    for notice in loop.notices:
        assert notice.startswith(f"{topic} recreated: partition ")
        assert " restarted at offset 0 (had reached " in notice


def test_topic_deleted_and_recreated(kafka: KafkaServer) -> None:
    topic = new_topic(kafka, PARTITIONS)
    with consuming(kafka.bootstrap_servers, topic) as (loop, store):
        produce(kafka.bootstrap_servers, topic, FIRST, seed=1)
        wait_for(lambda: store.consumed == FIRST, f"{FIRST} records")
        assert loop.notices == ()
        admin = kafka.admin()  # kept: a destroyed client fails its futures
        admin.delete_topics([topic])[topic].result(30)
        recreate(kafka, topic)
        produce(kafka.bootstrap_servers, topic, SECOND, seed=2)
        check_both_epochs(loop, store, topic)


def recreate(kafka: KafkaServer, topic: str) -> None:
    """Create ``topic`` again once the broker has finished deleting it."""
    deadline = time.monotonic() + 60
    while True:
        try:
            kafka.create_topic(topic, PARTITIONS)
            return
        except KafkaEngineError:  # "marked for deletion" for a while
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_broker_killed_and_restarted_without_its_data() -> None:
    topic = f"rtd-restart-{uuid.uuid4().hex[:8]}"
    first = KafkaServer(partitions=PARTITIONS)
    first.start()
    try:
        first.create_topic(topic, PARTITIONS)
        with consuming(first.bootstrap_servers, topic) as (loop, store):
            produce(first.bootstrap_servers, topic, FIRST, seed=1)
            wait_for(lambda: store.consumed == FIRST, f"{FIRST} records")
            first.kill()  # SIGKILL; its data goes with it below
            second = KafkaServer(partitions=PARTITIONS, port=first.port)
            second.start()
            try:
                produce(second.bootstrap_servers, topic, SECOND, seed=2)
                check_both_epochs(loop, store, topic)
            finally:
                second.close()
    finally:
        first.close()
