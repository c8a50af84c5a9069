"""The core pipeline against Apache Kafka: ProduceLoop -> broker -> ConsumeLoop -> RecordStore.

Expected figures always come from the records themselves (read back from the broker
with a plain consumer, or regenerated from the same seed), never from constants.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from kafka_server import KafkaServer

from rtd_tui.config import KAFKA_LOGGER, Settings, parse_property
from rtd_tui.consumer import ConsumeLoop
from rtd_tui.generator import RecordGenerator
from rtd_tui.producer import PRODUCER_DEFAULTS, ProduceLoop, ProducerControl
from rtd_tui.store import RecordStore

pytestmark = pytest.mark.kafka

N = 2000
DEADLINE_S = 60.0
SETTINGS = Settings()


def new_topic(kafka: KafkaServer, partitions: int) -> str:
    """A topic no other test touches."""
    name = f"rtd-it-{uuid.uuid4().hex[:12]}"
    kafka.create_topic(name, partitions)
    return name


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    """Poll ``condition`` until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def produce(
    bootstrap: str, topic: str, count: int, seed: int, settings: Settings = SETTINGS
) -> None:
    """Send ``count`` generated records with the app's produce loop; all must be delivered."""
    producer = Producer(settings.client_config(bootstrap, **PRODUCER_DEFAULTS))
    loop = ProduceLoop(
        producer, topic, RecordGenerator(seed=seed), ProducerControl(rate=None), count=count
    )
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    thread.join(DEADLINE_S)
    stop.set()
    thread.join(5)
    assert loop.flush(10) == 0
    assert (loop.stats.delivered, loop.stats.failed) == (count, 0), loop.stats.last_error


@contextmanager
def consuming(
    bootstrap: str, topic: str, start_from: str | int = "earliest", settings: Settings = SETTINGS
) -> Iterator[tuple[ConsumeLoop, RecordStore]]:
    """Run the app's consume loop in a thread for the duration of the block."""
    store = RecordStore()
    loop = ConsumeLoop(settings.client_config(bootstrap), topic, store, start_from=start_from)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield loop, store
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive(), "consume loop did not stop"


def plain_config(kafka: KafkaServer) -> dict[str, object]:
    """A plain confluent-kafka client on the PLAINTEXT listener, independent of the app."""
    return {"bootstrap.servers": kafka.bootstrap_servers, "logger": logging.getLogger(KAFKA_LOGGER)}


def high_watermarks(kafka: KafkaServer, topic: str) -> dict[int, int]:
    """The end offset of every partition of ``topic``."""
    consumer = Consumer({**plain_config(kafka), "group.id": "watermarks"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        }
    finally:
        consumer.close()


def caught_up(loop: ConsumeLoop, partitions: int) -> bool:
    """True once the loop's stream view shows every partition read to its (known) end."""
    infos = loop.partitions
    return len(infos) == partitions and all(0 <= p.high == p.position for p in infos)


def read_back(kafka: KafkaServer, topic: str) -> list[dict[str, Any]]:
    """Every record in ``topic``, decoded with plain json by a plain confluent-kafka consumer."""
    highs = high_watermarks(kafka, topic)
    consumer = Consumer({**plain_config(kafka), "group.id": "read-back"})
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in highs])
        records: list[dict[str, Any]] = []
        deadline = time.monotonic() + DEADLINE_S
        while len(records) < sum(highs.values()) and time.monotonic() < deadline:
            for m in consumer.consume(1000, 0.5):
                value = m.value()
                assert m.error() is None and value is not None, m.error()
                records.append(json.loads(value))
        assert len(records) == sum(highs.values())
        return records
    finally:
        consumer.close()


def assert_matches(store: RecordStore, records: list[dict[str, Any]]) -> None:
    """The store's count, total and means are exactly what ``records`` add up to."""
    snap = store.snapshot()
    assert snap.count == len(records)
    assert snap.rejected == 0, snap.rejected_by_reason
    cents = sum(round(r["valor"] * 100) for r in records)
    assert round(snap.total * 100) == cents
    assert snap.total == pytest.approx(sum(r["valor"] for r in records))
    assert snap.mean_age == pytest.approx(sum(r["idade"] for r in records) / len(records))
    assert snap.mean_value == pytest.approx(cents / 100 / len(records))


def test_created_topic_has_three_partitions(kafka: KafkaServer) -> None:
    topic = new_topic(kafka, partitions=3)
    metadata = kafka.admin().list_topics(topic, timeout=10)
    assert sorted(metadata.topics[topic].partitions) == [0, 1, 2]


def test_produce_loop_to_store_exact_aggregates(kafka: KafkaServer) -> None:
    topic = new_topic(kafka, partitions=3)
    produce(kafka.bootstrap_servers, topic, N, seed=7)
    records = read_back(kafka, topic)
    regenerated = RecordGenerator(seed=7)
    expected = [json.loads(regenerated.encoded().value) for _ in range(N)]

    def fields(rs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted((r["id"], r["nome"], r["idade"], r["cidade"], r["valor"]) for r in rs)

    assert fields(records) == fields(expected)  # nothing lost, nothing duplicated
    with consuming(kafka.bootstrap_servers, topic) as (loop, store):
        wait_for(lambda: store.snapshot().count >= N, f"{N} records in the store")
        wait_for(lambda: caught_up(loop, 3), "the stream view to show all 3 partitions read")
        assert_matches(store, records)
        assert loop.status.state == "connected"
        assert sum(p.high for p in loop.partitions) == N


def test_original_producer_format_is_accepted(kafka: KafkaServer) -> None:
    topic = new_topic(kafka, partitions=1)
    generator = RecordGenerator(seed=11)
    records = [generator.record() for _ in range(50)]
    producer = Producer(plain_config(kafka))
    for record in records:  # exactly what the original script sent: ASCII-escaped JSON
        producer.produce(topic, key=str(record["id"]).encode(), value=json.dumps(record).encode())
    assert producer.flush(30) == 0
    with consuming(kafka.bootstrap_servers, topic) as (_loop, store):
        wait_for(lambda: store.snapshot().count >= len(records), "50 records in the store")
        assert_matches(store, records)
        assert store.frame()["nome"].to_list() == [r["nome"] for r in records]


def test_start_from_latest_skips_history(kafka: KafkaServer) -> None:
    topic = new_topic(kafka, partitions=2)
    produce(kafka.bootstrap_servers, topic, 100, seed=21)
    old_highs = high_watermarks(kafka, topic)
    with consuming(kafka.bootstrap_servers, topic, start_from="latest") as (loop, store):
        # A known high watermark means the first fetch answered: the start offset is fixed.
        wait_for(
            lambda: len(loop.partitions) == 2 and all(p.high >= 0 for p in loop.partitions),
            "the consumer to start fetching at the end of both partitions",
        )
        produce(kafka.bootstrap_servers, topic, 30, seed=22)
        wait_for(lambda: store.snapshot().count >= 30, "30 new records in the store")
        wait_for(lambda: caught_up(loop, 2), "the consumer to catch up")
        assert store.snapshot().count == 30
        frame = store.frame()
    assert all(o >= old_highs[p] for p, o in frame.select("partition", "offset").iter_rows())


def test_start_from_last_five_per_partition(kafka: KafkaServer) -> None:
    topic = new_topic(kafka, partitions=3)
    produce(kafka.bootstrap_servers, topic, 300, seed=31)
    with consuming(kafka.bootstrap_servers, topic, start_from=-5) as (loop, store):
        wait_for(lambda: store.snapshot().count >= 15, "15 records in the store")
        wait_for(lambda: caught_up(loop, 3), "the consumer to reach the end of every partition")
        frame = store.frame()
        highs = {p.partition: p.high for p in loop.partitions}
    assert store.snapshot().count == 15
    per_partition = {p: sorted(frame.filter(partition=p)["offset"].to_list()) for p in highs}
    assert per_partition == {p: list(range(h - 5, h)) for p, h in highs.items()}


def sasl_settings(user: str, password: str) -> Settings:
    """Settings as ``-X`` flags would build them for a SASL/PLAIN cluster."""
    flags = [
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanisms=PLAIN",
        f"sasl.username={user}",
        f"sasl.password={password}",
    ]
    return Settings(kafka=dict(parse_property(f) for f in flags))


def test_sasl_plain_round_trip(kafka_sasl: KafkaServer) -> None:
    assert kafka_sasl.sasl_plain_users is not None
    ((user, password),) = kafka_sasl.sasl_plain_users.items()
    settings = sasl_settings(user, password)
    topic = new_topic(kafka_sasl, partitions=2)
    produce(kafka_sasl.sasl_bootstrap_servers, topic, 200, seed=41, settings=settings)
    records = read_back(kafka_sasl, topic)
    with consuming(kafka_sasl.sasl_bootstrap_servers, topic, settings=settings) as (loop, store):
        wait_for(lambda: store.snapshot().count >= 200, "200 records over SASL")
        assert_matches(store, records)
        assert loop.status.state == "connected"


@contextmanager
def wrong_password_loop(kafka_sasl: KafkaServer) -> Iterator[tuple[ConsumeLoop, RecordStore]]:
    """The consume loop on the SASL listener with a bad password, on a topic that has data."""
    assert kafka_sasl.sasl_plain_users is not None
    ((user, _password),) = kafka_sasl.sasl_plain_users.items()
    topic = new_topic(kafka_sasl, partitions=1)
    produce(kafka_sasl.bootstrap_servers, topic, 10, seed=51)
    settings = sasl_settings(user, "not-the-password")
    with consuming(kafka_sasl.sasl_bootstrap_servers, topic, settings=settings) as running:
        yield running


def test_sasl_wrong_password_is_unreachable(kafka_sasl: KafkaServer) -> None:
    with wrong_password_loop(kafka_sasl) as (loop, store):
        wait_for(lambda: loop.status.state == "unreachable", "the link to become unreachable")
        assert store.snapshot().count == 0


def test_sasl_wrong_password_shows_the_reason(kafka_sasl: KafkaServer) -> None:
    with wrong_password_loop(kafka_sasl) as (loop, _store):
        wait_for(
            lambda: "authentication failed" in loop.status.detail.lower(),
            "the authentication failure in the link status",
            timeout=5,
        )


def test_sixty_four_partitions_are_all_assigned_read_and_watched(kafka: KafkaServer) -> None:
    """A wide topic: every partition is assigned, read to its end and shown in the stream
    view, with exact aggregates; watermarks come off the consume thread in one sweep."""
    partitions = 64
    topic = new_topic(kafka, partitions=partitions)
    produce(kafka.bootstrap_servers, topic, N, seed=64)
    records = read_back(kafka, topic)
    highs = high_watermarks(kafka, topic)
    assert len([p for p, high in highs.items() if high > 0]) > partitions // 2
    with consuming(kafka.bootstrap_servers, topic) as (loop, store):
        wait_for(lambda: store.snapshot().count >= N, f"{N} records in the store")
        wait_for(lambda: caught_up(loop, partitions), "all 64 partitions caught up")
        assert {p.partition: p.high for p in loop.partitions} == highs
        assert_matches(store, records)
