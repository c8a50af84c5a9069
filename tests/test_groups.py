"""The consumer groups watch: real groups on Apache Kafka with known committed offsets
(kafka-python, with a live member, and confluent-kafka), and the mock's one-line notice."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from kafka import KafkaConsumer, OffsetAndMetadata
from kafka import TopicPartition as KafkaTopicPartition
from kafka_server import KafkaServer

from rtd_tui.broker import EmbeddedBroker
from rtd_tui.groups import NO_GROUP_API, GroupLag, GroupPartition, GroupsReport, GroupsWatch
from rtd_tui.lag_watch import MessageStamps

TOPIC = "groups-lag"
OTHER = "groups-elsewhere"
PARTITIONS = 3
MESSAGES = 10  # per partition; message at offset n has timestamp T0 + n s
T0 = 1_793_628_000.0
#: A first read connects too: on a loaded machine that takes longer than a round's wait.
READ_TIMEOUT_S = 15.0
NOW = T0 + 100


def produce(bootstrap: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for partition in range(PARTITIONS):
        for offset in range(MESSAGES):
            producer.produce(TOPIC, b"{}", partition=partition, timestamp=int((T0 + offset) * 1000))
    assert producer.flush(10) == 0


def commit_confluent(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    """Commit offsets for ``group`` with confluent-kafka, without joining it (no member)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                        asynchronous=False)
    finally:
        consumer.close()


@pytest.fixture
def kafka_python_member(kafka: KafkaServer) -> Iterator[KafkaConsumer]:
    """A kafka-python consumer in group ``kp-readers``, assigned every partition, that
    committed offset 7 on each; it stays a member until the test ends."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id="kp-readers",
                             enable_auto_commit=False, auto_offset_reset="earliest")
    consumer.subscribe([TOPIC])
    deadline = time.monotonic() + 30
    while len(consumer.assignment()) < PARTITIONS:
        assert time.monotonic() < deadline, "kafka-python never got its assignment"
        consumer.poll(timeout_ms=200, max_records=1)
    consumer.commit({KafkaTopicPartition(TOPIC, p): OffsetAndMetadata(7, "", -1)
                     for p in range(PARTITIONS)})
    yield consumer
    consumer.close()


@pytest.fixture
def topic_with_groups(kafka: KafkaServer) -> str:
    kafka.create_topic(TOPIC, PARTITIONS)
    kafka.create_topic(OTHER, 1)
    produce(kafka.bootstrap_servers)
    commit_confluent(kafka.bootstrap_servers, "cf-readers",
                     {(TOPIC, 0): 4, (TOPIC, 1): MESSAGES, (TOPIC, 2): 0})
    commit_confluent(kafka.bootstrap_servers, "other-topic-readers", {(OTHER, 0): 3})
    return kafka.bootstrap_servers


@pytest.mark.kafka
def test_groups_of_the_topic_with_committed_offsets_and_lag(
    topic_with_groups: str, kafka_python_member: KafkaConsumer,
) -> None:
    bootstrap = topic_with_groups
    stamps = MessageStamps({"bootstrap.servers": bootstrap}, TOPIC)
    watch = GroupsWatch(AdminClient({"bootstrap.servers": bootstrap}), TOPIC,
                        lambda offsets: stamps.read(offsets, timeout=READ_TIMEOUT_S),
                        wall=lambda: NOW, timeout=10)
    try:
        assert watch.report == GroupsReport()  # nothing asked yet
        watch.update()
    finally:
        stamps.close()
    report = watch.report
    assert report.loaded and not report.notice and not report.error
    by_id = {g.group_id: g for g in report.groups}
    assert "other-topic-readers" not in by_id  # it reads another topic
    assert by_id["cf-readers"] == GroupLag("cf-readers", "empty", 0, (
        GroupPartition(0, 4, MESSAGES, NOW - (T0 + 4)),
        GroupPartition(1, MESSAGES, MESSAGES, 0.0),
        GroupPartition(2, 0, MESSAGES, NOW - T0),
    ))
    assert (by_id["cf-readers"].lag, by_id["cf-readers"].seconds) == (16, 100.0)
    member = by_id["kp-readers"]
    assert (member.state, member.members) == ("stable", 1)
    assert member.partitions == tuple(
        GroupPartition(p, 7, MESSAGES, NOW - (T0 + 7)) for p in range(PARTITIONS))


def test_the_mock_has_no_group_api_and_says_so_in_one_line() -> None:
    with EmbeddedBroker(TOPIC) as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
        watch = GroupsWatch(admin, TOPIC, lambda _offsets: {})
        watch.update()
    assert watch.report == GroupsReport(notice=NO_GROUP_API, loaded=True)
    assert "\n" not in NO_GROUP_API
