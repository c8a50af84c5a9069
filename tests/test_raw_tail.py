"""The raw tail of ``--source aggregates``: the newest messages only, each read once."""

from __future__ import annotations

import threading

from confluent_kafka import Consumer, Producer, TopicPartition
from dashboard_kit import fixture_values

from rtd_tui.aggregates.raw_tail import MIN_PER_PARTITION, RawTail, job_group
from rtd_tui.aggregates.store import AggregateStore
from rtd_tui.broker import EmbeddedBroker

TOPIC = "fv-tail"


def send(bootstrap: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i, value in enumerate(values):
        producer.produce(TOPIC, value, key=b"1", partition=i % 4)
    assert producer.flush(10) == 0


def test_the_tail_reads_only_the_newest_messages_and_each_once() -> None:
    values = fixture_values(1_000)
    with EmbeddedBroker(TOPIC) as running:
        send(running.bootstrap_servers, values[:600])  # 150 a partition
        store, handed = AggregateStore(), []
        tail = RawTail({"bootstrap.servers": running.bootstrap_servers}, TOPIC, store, 1.0,
                       messages=4 * MIN_PER_PARTITION, on_tail=handed.extend)
        consumer = Consumer({**tail.config, "bootstrap.servers": running.bootstrap_servers})
        try:
            tail.refresh(consumer, threading.Event())
            rows = store.frame()
            assert rows.height == 4 * MIN_PER_PARTITION  # not the 600 on the topic
            for p in range(4):
                assert sorted(rows.filter(partition=p)["offset"].to_list()) == list(
                    range(150 - MIN_PER_PARTITION, 150))
            assert len(handed) == 4 * MIN_PER_PARTITION
            send(running.bootstrap_servers, values[600:640])  # 10 more a partition
            tail.refresh(consumer, threading.Event())
            assert len(handed) == 4 * MIN_PER_PARTITION + 40  # only the new ones handed on
            newest = store.frame()
            assert newest.height == 4 * MIN_PER_PARTITION
            assert newest.filter(partition=0)["offset"].max() == 159
            assert tail.committed is False
            job = Consumer({"bootstrap.servers": running.bootstrap_servers,
                            "group.id": job_group(TOPIC)})
            job.commit(offsets=[TopicPartition(TOPIC, p, 100 + p) for p in range(4)],
                       asynchronous=False)
            job.close()
            tail.refresh(consumer, threading.Event())
            assert tail.committed is True
            assert [(i.partition, i.position, i.lag) for i in tail.partitions] == [
                (p, 100 + p, 60 - p) for p in range(4)]
        finally:
            consumer.close()
