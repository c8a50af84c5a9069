"""The whole data path through the embedded broker: produce, fetch, decode, store."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from confluent_kafka import Producer
from dashboard_kit import fixture_values

from rtd_tui.config import Settings
from rtd_tui.generator import RecordGenerator
from rtd_tui.pipeline import Pipeline
from rtd_tui.store import RecordStore

FIXED = datetime(2026, 11, 2, 9, 30)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def running(pipeline: Pipeline) -> Iterator[Pipeline]:
    """Start the pipeline's loops in threads; stop and close it afterwards."""
    pipeline.start()
    threads = [
        threading.Thread(target=pipeline.run_producer, name="producer"),
        threading.Thread(target=pipeline.run_consumer, name="consumer"),
    ]
    for t in threads:
        t.start()
    try:
        yield pipeline
    finally:
        pipeline.close()
        for t in threads:
            t.join(5)
        assert not any(t.is_alive() for t in threads)


def test_generated_records_arrive_exactly() -> None:
    """The producer's own records: every one arrives once, totals exact."""
    n = 700
    settings = Settings(rate=None, seed=5, producer_on=True)
    pipeline = Pipeline(settings, RecordStore(), RecordGenerator(seed=5, clock=lambda: FIXED))
    pipeline.control.set_enabled(False)
    with running(pipeline):
        assert pipeline.producer is not None
        pipeline.producer.count = n
        pipeline.control.set_enabled(True)
        wait_for(lambda: pipeline.store.snapshot().count == n, f"{n} records")
        time.sleep(0.3)
        snap = pipeline.store.snapshot()
    expected = RecordGenerator(seed=5, clock=lambda: FIXED)
    records = [expected.record() for _ in range(n)]
    assert snap.count == n
    assert round(snap.total, 2) == round(sum(r["valor"] for r in records), 2)
    assert snap.mean_age == sum(r["idade"] for r in records) / n
    assert pipeline.status().produced.delivered == n
    assert snap.rejected == 0


def test_known_records_from_another_client_are_counted_exactly() -> None:
    """Records sent by a plain client in the original format, mixed with bad messages."""
    values = fixture_values(1000)
    bad = [b"not json", b'{"id": 5}', b"[1, 2]", b'{"id": 1234, "nome": "X", "idade": "abc"}']
    pipeline = Pipeline(Settings(producer_on=False), RecordStore())
    with running(pipeline):
        client = Producer({"bootstrap.servers": pipeline.bootstrap})
        for i, value in enumerate(values):
            client.produce("csv-data", key=str(json.loads(value)["id"]).encode(), value=value)
            if i % 250 == 0:
                client.produce("csv-data", key=b"1000", value=bad[(i // 250) % len(bad)])
        assert client.flush(10) == 0
        wait_for(lambda: pipeline.store.snapshot().consumed == len(values) + 4, "all messages")
        snap = pipeline.store.snapshot()
    records = [json.loads(v) for v in values]
    assert snap.count == len(records)
    assert round(snap.total, 2) == round(sum(r["valor"] for r in records), 2)
    assert snap.mean_age == sum(r["idade"] for r in records) / len(records)
    assert snap.rejected == 4
    by_city = dict(zip(snap.by_city["cidade"], snap.by_city["count"], strict=True))
    for city in {r["cidade"] for r in records}:
        assert by_city[city] == sum(1 for r in records if r["cidade"] == city)


def test_shutdown_leaves_no_thread_behind() -> None:
    pipeline = Pipeline(Settings(rate=100.0), RecordStore())
    with running(pipeline):
        wait_for(lambda: pipeline.store.snapshot().count > 5, "first records")
    assert pipeline.broker is not None and not pipeline.broker.running



def test_closing_with_no_broker_reachable_does_not_wait_out_the_flush() -> None:
    """Records queued for a broker nobody listens on are reported lost at once: a flush
    could only wait out its timeout (here a minute, far beyond the join below)."""
    pipeline = Pipeline(Settings(bootstrap_servers="127.0.0.1:9", rate=200.0,
                                 producer_on=True), RecordStore(),
                        RecordGenerator(seed=5, clock=lambda: FIXED))
    pipeline.start()
    threads = [threading.Thread(target=pipeline.run_producer),
               threading.Thread(target=pipeline.run_consumer)]
    for t in threads:
        t.start()
    wait_for(lambda: pipeline.status().link.state == "unreachable", "the link to be down")
    wait_for(lambda: pipeline.status().produced.in_flight > 0, "records to queue up")
    lost: list[int] = []
    closing = threading.Thread(target=lambda: lost.append(pipeline.close(flush_timeout=60)))
    closing.start()
    closing.join(20)
    assert not closing.is_alive(), "close() waited out the flush"
    for t in threads:
        t.join(5)
    assert lost and lost[0] > 0
    assert "broker unreachable" in pipeline.loss_report(lost[0])

BAD_KINDS: tuple[bytes | None, ...] = (
    b"not json", b"\xff\xfe invalid utf-8", b"[1, 2, 3]", b"42", b'"text"', b"null",
    b'{"id": 1234, "idade": 30, "cidade": "Natal", "valor": 10.0, "timestamp": "x"}',
    b'{"id": 1234, "nome": "A", "idade": "abc", "cidade": "Natal", "valor": 100.0, '
    b'"timestamp": "2026-01-01T00:00:00"}',
    b'{"id": 1234, "nome": "A", "idade": 30, "cidade": "Natal", "valor": "12,50", '
    b'"timestamp": "2026-01-01T00:00:00"}',
    b'{"id": 1234, "nome": "A", "idade": 200, "cidade": "Natal", "valor": 100.0, '
    b'"timestamp": "2026-01-01T00:00:00"}',
    b'{"id": 1234, "nome": "A", "idade": 30, "cidade": "Natal", "valor": -5, '
    b'"timestamp": "2026-01-01T00:00:00"}',
    b'{"id": 1234, "nome": "A", "idade": 30, "cidade": "Gotham", "valor": 100.0, '
    b'"timestamp": "2026-01-01T00:00:00"}',
    b'{"id": 1234, "nome": "A", "idade": 30, "cidade": "Natal", "valor": NaN, '
    b'"timestamp": "2026-01-01T00:00:00"}',
    b'{"id": 1234, "nome": "\\u001b[31mred", "idade": 30, "cidade": "Natal", "valor": 100.0, '
    b'"timestamp": "2026-01-01T00:00:00"}',
    b"",
)
#: Sent once: the embedded broker keeps only about 5 MiB per partition.
HUGE = (b'{"id": 1234, "nome": "' + b"x" * (1 << 20) + b'", "idade": 30, "cidade": "Natal", '
        b'"valor": 100.0, "timestamp": "2026-01-01T00:00:00"}')


def test_thousands_of_mixed_messages_keep_every_good_one() -> None:
    """Good records and every kind of bad message, interleaved, through the broker."""
    from collections import Counter

    from rtd_tui.records import RecordError, decode

    good = fixture_values(3000)
    pipeline = Pipeline(Settings(producer_on=False), RecordStore())
    expected: Counter[str] = Counter()
    with running(pipeline):
        client = Producer({"bootstrap.servers": pipeline.bootstrap, "message.max.bytes": 2 << 20,
                           "logger": logging.getLogger("test.client")})
        sent = 0
        for i, value in enumerate(good):
            client.produce("csv-data", key=str(json.loads(value)["id"]).encode(), value=value)
            sent += 1
            if i % 7 == 0:
                bad = HUGE if i == 700 else BAD_KINDS[(i // 7) % len(BAD_KINDS)]
                client.produce("csv-data", value=bad)  # no key: a null value is a keyless tombstone
                sent += 1
                try:
                    decode(bad)
                except RecordError as exc:
                    expected[exc.reason] += 1
            client.poll(0)
        assert client.flush(20) == 0
        wait_for(lambda: pipeline.store.snapshot().consumed == sent, "every message", 60)
        snap = pipeline.store.snapshot()
    records = [json.loads(v) for v in good]
    assert snap.count == len(records)
    assert round(snap.total, 2) == round(sum(r["valor"] for r in records), 2)
    assert snap.rejected_by_reason == dict(expected)
    assert sum(expected.values()) == snap.rejected > 400


def test_producer_is_idempotent_with_acks_all_unless_overridden() -> None:
    from rtd_tui.producer import PRODUCER_DEFAULTS

    plain = Settings().client_config("127.0.0.1:9092", **PRODUCER_DEFAULTS)
    assert plain["enable.idempotence"] is True and plain["acks"] == "all"
    override = Settings(kafka={"acks": "1", "enable.idempotence": "false"}).client_config(
        "127.0.0.1:9092", **PRODUCER_DEFAULTS
    )
    assert (override["acks"], override["enable.idempotence"]) == ("1", "false")


@pytest.mark.usefixtures("no_generator_helper")
def test_a_pipeline_started_with_the_producer_off_starts_no_generator_helper() -> None:
    """No Faker helper process (about 1 s of CPU) for a producer that is off; turned on,
    the loop builds the same seeded generator itself."""
    pipeline = Pipeline(Settings(bootstrap_servers="127.0.0.1:9", producer_on=False, seed=7),
                        RecordStore())
    try:
        pipeline.start()
        assert pipeline.producer is not None
        built, seeded = pipeline.producer.generator().record(), RecordGenerator(7).record()
        assert built.pop("timestamp") and seeded.pop("timestamp")  # the clock's, not the seed's
        assert built == seeded
    finally:
        pipeline.close()
