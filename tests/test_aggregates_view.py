"""``--source aggregates`` end to end on the embedded broker: a hand-written aggregates
topic (what a correct job writes, from ``aggregates_kit``) beside the raw topic with the
same records; the aggregates view must show what the raw view shows."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from aggregates_kit import (
    Raw,
    filled_aggregates,
    fixture_raw,
    job_output,
    key,
    still_aggregates_app,
    value,
)
from confluent_kafka import Consumer, Producer, TopicPartition
from dashboard_kit import fixture_values
from kafka_server import KafkaServer
from test_app import wait_until

from rtd_tui.aggregates.raw_tail import job_group
from rtd_tui.app import RtdApp
from rtd_tui.broker import EmbeddedBroker
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.screens.stream import StreamScreen
from rtd_tui.widgets.metrics import MetricCard

TOPIC = "fv-sales"
SIZE = (160, 50)
PARTITIONS = 4


def produce_raw(bootstrap: str) -> list[Raw]:
    """Records keyed and partitioned by id, some malformed, then tombstones of a few ids
    (in their ids' partitions, after their records); returns them as the broker holds them."""
    values = fixture_values(300)
    ids = [json.loads(v)["id"] for v in values]
    sent: list[tuple[int, bytes, bytes | None]] = [
        (ident % PARTITIONS, str(ident).encode(), v) for ident, v in zip(ids, values, strict=True)
    ]
    sent += [(1, b"1", b"{oops"), (2, b"2", b'{"id": 2}'), (3, b"3", b"[1]")]
    sent += [(ident % PARTITIONS, str(ident).encode(), None) for ident in sorted(set(ids))[:4]]
    sent += [(0, b"x1", None)]  # a tombstone whose key is no id: rejected
    producer = Producer({"bootstrap.servers": bootstrap})
    for partition, ident, record in sent:
        producer.produce(TOPIC, record, key=ident, partition=partition)
    assert producer.flush(10) == 0
    return read_all(bootstrap, len(sent))


def read_all(bootstrap: str, expected: int) -> list[Raw]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fv-test"})
    consumer.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTITIONS)])
    raw: list[Raw] = []
    try:
        while len(raw) < expected:
            raw += [Raw(m.partition() or 0, m.offset() or 0, m.key(), m.value(), m.timestamp()[1])
                    for m in consumer.consume(1000, 1.0) if m.error() is None]
    finally:
        consumer.close()
    return sorted(raw, key=lambda m: (m.partition, m.offset))


def write_job_output(bootstrap: str, raw: list[Raw], behind: int) -> None:
    """The aggregates topic, and the job's committed offsets ``behind`` each partition's end."""
    producer = Producer({"bootstrap.servers": bootstrap})
    for agg_key, agg_value in job_output(raw):
        producer.produce(f"{TOPIC}-aggregates", agg_value, key=agg_key, partition=0)
    producer.produce(f"{TOPIC}-aggregates", b'{"kind": "cell"}', key=b"garbage", partition=0)
    assert producer.flush(10) == 0
    ends = {p: max(m.offset for m in raw if m.partition == p) + 1 for p in range(PARTITIONS)}
    job = Consumer({"bootstrap.servers": bootstrap, "group.id": job_group(TOPIC)})
    job.commit(offsets=[TopicPartition(TOPIC, p, end - behind) for p, end in ends.items()],
               asynchronous=False)
    job.close()


def dashboard(bootstrap: str, **settings: Any) -> RtdApp:
    app = make_app(Settings(bootstrap_servers=bootstrap, topic=TOPIC, producer_on=False,
                            refresh=0.1, **settings))
    app.animation_level = "none"
    return app


def seen(app: RtdApp) -> dict[str, Any]:
    """What the user sees of the figures: the cards (and the rejected card's reasons),
    and the data the city table, charts and histogram are drawn from."""
    cards = {card.id: (card.value, card.tooltip) for card in app.screen.query(MetricCard)
             if card.id != "m-rate"}
    snap = app.store.snapshot()
    return {"cards": cards, "by_city": snap.by_city.rows(), "ages": snap.age_counts,
            "rejected": snap.rejected_by_reason, "consumed": snap.consumed}


@pytest.fixture(scope="module")
def broker() -> Any:
    with EmbeddedBroker(TOPIC) as running:
        raw = produce_raw(running.bootstrap_servers)
        write_job_output(running.bootstrap_servers, raw, behind=2)
        yield running, raw


async def test_the_aggregates_view_shows_what_the_raw_view_shows(broker: Any) -> None:
    running, raw = broker
    raw_app = dashboard(running.bootstrap_servers)
    async with raw_app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: raw_app.store.consumed == len(raw), "the raw view to catch up")
        raw_app.redraw(force=True)
        await pilot.pause()
        want = seen(raw_app)
        window = {(r["partition"], r["offset"]) for r in raw_app.store.frame().iter_rows(
            named=True)}
    assert want["rejected"] == {"not JSON": 1, "missing field: nome": 1, "not an object": 1,
                                "tombstone with bad key": 1}
    app = dashboard(running.bootstrap_servers, source="aggregates")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store.consumed == len(raw)
                         and app.store.frame().height > 0, "the aggregates and the raw tail")
        app.redraw(force=True)
        await pilot.pause()
        assert seen(app) == want
        latest = app.store.snapshot().latest
        assert latest.height and {(r["partition"], r["offset"]) for r in latest.iter_rows(
            named=True)} <= window  # the tail's rows are the raw view's rows
        status = app.pipeline.status()
        assert status.job is not None and status.job.malformed == 1
        assert status.job.last_error.startswith("key at partition 0 offset ")
        await wait_until(lambda: app.pipeline.status().job.lag == 2 * PARTITIONS,  # type: ignore[union-attr]
                         "the job's lag from its committed offsets")


async def test_c_counts_from_the_clear_and_r_reads_the_aggregates_again(broker: Any) -> None:
    running, raw = broker
    app = dashboard(running.bootstrap_servers, source="aggregates")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store.consumed == len(raw), "the aggregates")
        records = app.screen.query_one("#m-count", MetricCard)
        await wait_until(lambda: records.value not in ("0", "—"), "the cards")
        before = records.value
        await pilot.press("c")
        await wait_until(lambda: records.value == "0", "the cleared cards")
        assert app.screen.query_one("#m-rejected", MetricCard).value == "0"
        await pilot.press("r")
        await wait_until(lambda: records.value == before, "the cards read again")
        await wait_until(lambda: bool(app.pipeline.tail.entries()),
                         "the tail view given the newest raw messages again")


async def test_the_stream_view_shows_the_jobs_progress(broker: Any) -> None:
    running, _raw = broker
    app = dashboard(running.bootstrap_servers, source="aggregates")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.pipeline.status().job.lag is not None,  # type: ignore[union-attr]
                         "the job's committed offsets")
        await pilot.press("s")
        await wait_until(lambda: isinstance(app.screen, StreamScreen), "the stream view")
        await pilot.pause(0.3)
        text = str(app.screen.query_one("#job-summary").render())
        assert f"job {TOPIC}-aggregates" in text and f"lag {2 * PARTITIONS}" in text
        assert "newest aggregate" in text and "1 malformed" in text
        positions = [info.position for info in app.pipeline.status().partitions]
        ends = [info.high for info in app.pipeline.status().partitions]
        assert [e - p for p, e in zip(positions, ends, strict=True)] == [2] * PARTITIONS


@pytest.mark.parametrize("size", [(160, 50), (80, 24)], ids=lambda s: "x".join(map(str, s)))
def test_snapshot_aggregates_dashboard(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(still_aggregates_app(), terminal_size=size)


def test_snapshot_aggregates_stream_view(snap_compare: Any) -> None:
    store = filled_aggregates(fixture_raw())
    store.apply([], errors=["value of cell 'Recife|30' at partition 0 offset 7: cents is null"])
    assert snap_compare(still_aggregates_app(store), terminal_size=(100, 30), press=["s"])


@pytest.mark.kafka
async def test_aborted_aggregates_are_never_read(kafka: KafkaServer) -> None:
    """The job's sink is transactional: what an aborted transaction wrote is not shown
    (on Apache Kafka: librdkafka's mock cluster hands aborted messages to every reader)."""
    cell, topic = "Recife|30", f"fv-txn-{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic, 1)
    kafka.create_topic(f"{topic}-aggregates", 1)
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers,
                         "transactional.id": f"{topic}-job"})
    producer.init_transactions(30)
    writes = [("cell", cell, 2, True), ("cell", cell, 99, False), ("rejected", "not JSON", 1, True)]
    for kind, name, records, commit in writes:
        producer.begin_transaction()
        producer.produce(f"{topic}-aggregates", value(kind, name, records, records * 100),
                         key=key(kind, name))
        if commit:
            producer.commit_transaction(30)
        else:
            producer.flush(30)
            producer.abort_transaction(30)
    app = make_app(Settings(bootstrap_servers=kafka.bootstrap_servers, topic=topic,
                            producer_on=False, refresh=0.1, source="aggregates"))
    async with app.run_test(size=SIZE):
        rejected = app.screen.query_one("#m-rejected", MetricCard)
        # The rejected row was written after the aborted cell: once it shows, the aborted
        # write has been passed over.
        await wait_until(lambda: rejected.value == "1", "the last committed row", 60)
        assert app.screen.query_one("#m-count", MetricCard).value == "2"
        assert app.store.snapshot().total == 2.0
