"""``--from @TIME``: the forms, the clock they count from, and the offsets-for-times lookup.

The lookup runs against Apache Kafka with records produced at known timestamps
(before, between and after the asked moment, in every partition), and against the
embedded mock, which cannot answer and must say so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from confluent_kafka import OFFSET_END, Consumer, Producer
from kafka_server import KafkaServer
from test_kafka_integration import consuming, new_topic, plain_config, wait_for

from rtd_tui import seek
from rtd_tui.broker import EmbeddedBroker
from rtd_tui.config import ConfigError, Settings, parse_start
from rtd_tui.consumer import ConsumeLoop
from rtd_tui.generator import RecordGenerator
from rtd_tui.records import encode
from rtd_tui.store import RecordStore

PARTITIONS = 3
PER_STEP = 2  # records per partition at each of the three timestamps
STEP_MS = 60_000


@pytest.fixture
def sao_paulo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC-3 for the test (a naive time means local time)."""
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def iso_utc(ms: int) -> str:
    return "@" + datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def test_absolute_forms(sao_paulo: None) -> None:
    utc_10h = int(datetime(2026, 12, 1, 10, tzinfo=UTC).timestamp() * 1000)
    assert seek.start_ms("@2026-12-01T10:00:00Z", 0) == utc_10h
    assert seek.start_ms("@2026-12-01T12:00:00+02:00", 0) == utc_10h
    assert seek.start_ms("@2026-12-01T07:00:00", 0) == utc_10h  # local: UTC-3
    assert seek.start_ms("@2026-12-01", 0) == utc_10h - 7 * 3_600_000  # local midnight


@pytest.mark.parametrize(("text", "seconds"), [("@-15m", 900), ("@-2h", 7200),
                                               ("@-1d", 86_400), ("@-30s", 30)])
def test_relative_forms_count_back_from_the_clock(text: str, seconds: int) -> None:
    now = 1_796_119_200.0
    assert parse_start(text) == text
    assert seek.start_ms(text, now) == (now - seconds) * 1000


def test_label_shows_the_time_and_the_date_when_not_today(sao_paulo: None) -> None:
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC).timestamp()
    same_day = int(datetime(2026, 12, 1, 13, 0, 5, tzinfo=UTC).timestamp() * 1000)
    day_before = int(datetime(2026, 11, 30, 13, 0, 5, tzinfo=UTC).timestamp() * 1000)
    assert seek.start_label(same_day, now) == "from 10:00:05"
    assert seek.start_label(day_before, now) == "from 2026-11-30 10:00:05"


@pytest.mark.parametrize(("text", "says"), [
    ("@yesterday", "'@yesterday': not a date and time: use @YYYY-MM-DDTHH:MM:SS"),
    ("@2026-13-01", "'@2026-13-01': month must be in 1..12: use @YYYY-MM-DDTHH:MM:SS"),
    ("@-15x", "'@-15x': not a date and time"),
    ("@", "'@': not a date and time"),
    ("@1969-12-31T23:59:59Z", "before 1970"),
    ("@-4000d", "at most 3650d back"),
])
def test_bad_forms_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_start(text)
    assert says in str(err.value)
    assert "\n" not in str(err.value)


def run_loop(loop: ConsumeLoop) -> tuple[threading.Thread, threading.Event, list[BaseException]]:
    stop = threading.Event()
    errors: list[BaseException] = []

    def body() -> None:
        try:
            loop.run(stop)
        except BaseException as exc:  # the worker's failure, as the app would see it
            errors.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, stop, errors


def test_the_mock_cannot_look_times_up_and_says_so_in_one_line() -> None:
    with EmbeddedBroker("t") as broker:
        producer = Producer(Settings().client_config(broker.bootstrap_servers))
        for p in range(4):
            producer.produce("t", encode(RecordGenerator(seed=p).record()), partition=p)
        assert producer.flush(10) == 0
        loop = ConsumeLoop(Settings().client_config(broker.bootstrap_servers), "t",
                           RecordStore(), start_from="@-15m")
        thread, stop, errors = run_loop(loop)
        thread.join(15)
        stop.set()
        assert not thread.is_alive()
    assert [type(e) for e in errors] == [seek.TimeLookupError]
    assert loop.status.state == "cannot start"
    assert loop.status.detail.startswith("the broker cannot look offsets up by time")
    assert "mock cluster" in loop.status.detail and "\n" not in loop.status.detail


def stamp(kafka: KafkaServer) -> tuple[str, int]:
    """A new topic whose every partition holds PER_STEP records at each of base, base + STEP_MS
    and base + 2 * STEP_MS (offsets 0-1, 2-3, 4-5); returns the topic and base (epoch ms)."""
    topic = new_topic(kafka, PARTITIONS)
    base = (int(time.time()) - 3600) * 1000
    producer = Producer(plain_config(kafka))
    generator = RecordGenerator(seed=5)
    for step in range(3):
        for p in range(PARTITIONS):
            for _ in range(PER_STEP):
                producer.produce(topic, encode(generator.record()), partition=p,
                                 timestamp=base + step * STEP_MS)
    assert producer.flush(30) == 0
    return topic, base


@pytest.fixture(scope="module")
def stamped(kafka: KafkaServer) -> tuple[str, int]:
    """``stamp``'s topic, shared by the tests that only read it."""
    return stamp(kafka)


def first_offsets(store: RecordStore) -> dict[int, tuple[int, int]]:
    """Per partition, the first offset read and how many records were read."""
    frame = store.frame()
    return {p: (min(o for q, o in frame.select("partition", "offset").iter_rows() if q == p),
                sum(1 for q in frame["partition"] if q == p))
            for p in set(frame["partition"])}


@pytest.mark.kafka
@pytest.mark.parametrize(("after_base_ms", "first"), [
    (-STEP_MS, 0),  # before the first record: from the beginning
    (0, 0),  # exactly at the first: it is included
    (STEP_MS // 2, 2),  # between: the first record after
    (STEP_MS, 2),
    (2 * STEP_MS - 1, 4),
])
def test_each_partition_starts_at_its_first_record_at_or_after(
    kafka: KafkaServer, stamped: tuple[str, int], after_base_ms: int, first: int
) -> None:
    topic, base = stamped
    start = iso_utc(base + after_base_ms)
    expected = {p: (first, 3 * PER_STEP - first) for p in range(PARTITIONS)}
    with consuming(kafka.bootstrap_servers, topic, start_from=start) as (loop, store):
        wait_for(lambda: store.snapshot().count >= PARTITIONS * (3 * PER_STEP - first),
                 f"the records from offset {first} on")
        assert first_offsets(store) == expected
        assert loop.started_from == seek.start_label(base + after_base_ms, time.time())


@pytest.mark.kafka
def test_a_time_after_the_last_record_reads_new_records_only(kafka: KafkaServer) -> None:
    topic, base = stamp(kafka)  # its own: a record is added
    with consuming(kafka.bootstrap_servers, topic, start_from=iso_utc(base + 3 * STEP_MS)) as (
        loop, store
    ):
        wait_for(lambda: len(loop.partitions) == PARTITIONS
                 and all(p.high >= 0 for p in loop.partitions), "fetching at the end")
        assert [p.lag for p in loop.partitions] == [0] * PARTITIONS
        producer = Producer(plain_config(kafka))
        producer.produce(topic, encode(RecordGenerator(seed=9).record()), partition=1)
        assert producer.flush(10) == 0
        wait_for(lambda: store.snapshot().count >= 1, "the new record")
        assert first_offsets(store) == {1: (3 * PER_STEP, 1)}


@pytest.mark.kafka
def test_a_relative_time_counts_from_the_injected_clock(
    kafka: KafkaServer, stamped: tuple[str, int]
) -> None:
    topic, base = stamped
    now = (base + 2 * STEP_MS + 30_000) / 1000  # 90 s after the middle step
    loop = ConsumeLoop(Settings().client_config(kafka.bootstrap_servers), topic, RecordStore(),
                       start_from="@-1m", clock=lambda: now)
    thread, stop, errors = run_loop(loop)
    try:
        wait_for(lambda: loop.store.snapshot().count >= PARTITIONS * PER_STEP, "the last step")
        assert first_offsets(loop.store) == {p: (4, PER_STEP) for p in range(PARTITIONS)}
        assert loop.started_from == seek.start_label(base + 2 * STEP_MS - 30_000, now)
    finally:
        stop.set()
        thread.join(10)
    assert errors == []


@pytest.mark.kafka
def test_offsets_at_answers_end_after_the_last_record(
    kafka: KafkaServer, stamped: tuple[str, int]
) -> None:
    topic, base = stamped
    consumer = Consumer({**plain_config(kafka), "group.id": "seek-test"})
    try:
        found = seek.offsets_at(consumer, topic, range(PARTITIONS), base + STEP_MS, 10)
        assert found == dict.fromkeys(range(PARTITIONS), 2)
        after = seek.offsets_at(consumer, topic, range(PARTITIONS), base + 5 * STEP_MS, 10)
        assert after == dict.fromkeys(range(PARTITIONS), OFFSET_END)
    finally:
        consumer.close()
