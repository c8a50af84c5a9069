"""The aggregates decoder, table and store: the contract's messages to the raw view's figures."""

from __future__ import annotations

import json

import pytest
from aggregates_kit import fixture_raw, job_output, key, updates, value
from dashboard_kit import fixture_values

from rtd_tui.aggregates import AggregateError, AggregateKey, AggregateRow, decode_message
from rtd_tui.aggregates.store import AggregateStore
from rtd_tui.aggregates.table import AggregateTable
from rtd_tui.records import AGE_RANGE, CITIES, CITY_INDEX
from rtd_tui.store.view import RecordFilter

SP = CITIES[CITY_INDEX["São Paulo"]]


def test_a_cell_decodes_with_city_as_on_the_wire() -> None:
    k, row = decode_message(key("cell", f"{SP}|34"), value("cell", f"{SP}|34", 3, 12345)) or ()
    assert k == AggregateKey("cell", "São Paulo|34")
    assert row == AggregateRow(records=3, cents=12345)


def test_unknown_kinds_and_columns_are_additions_not_errors() -> None:
    assert decode_message(key("hourly", "x"), b'{"anything": 1}') is None
    extra = json.loads(value("rejected", "not JSON", 2))
    extra["new_column"] = "later"
    _, row = decode_message(key("rejected", "not JSON"), json.dumps(extra).encode()) or ()
    assert row == AggregateRow(records=2)


@pytest.mark.parametrize(("k", "v", "error"), [
    (None, b"{}", "has no key"),
    (b"not json", None, "key at p0 is not JSON"),
    (b'["cell"]', None, "not a JSON object"),
    (b'{"kind": "cell"}', None, "name must be a string"),
    (key("cell", "Atlantis|30"), value("cell", "Atlantis|30", 1, 100), "unknown city 'Atlantis'"),
    (key("cell", f"{SP}|17"), value("cell", f"{SP}|17", 1, 100), "age '17' is not in 18-80"),
    (key("cell", SP), value("cell", SP, 1, 100), "is not '<cidade>|<idade>'"),
    (key("cell", f"{SP}|30"), value("cell", f"{SP}|30", 1), "cents is null"),
    (key("cell", f"{SP}|30"), b'{"kind": "cell", "name": "x", "records": 1}', "differs from"),
    (key("cell", f"{SP}|30"), value("cell", f"{SP}|30", -1, 5), "records is negative"),
    (key("rejected", "x"), b'{"kind": "rejected", "name": "x", "records": 1.5}',
     "records must be an integer, got 1.5"),
    (key("rejected", "x"), b'{"kind": "rejected", "name": "x", "records": true}',
     "records must be an integer"),
    (key("rejected", "x"), b'{"kind": "rejected", "name": "x"}', "records must be an integer"),
    (key("partition", "one"), value("partition", "one", 1), "not a partition number"),
    (key("tombstones", "x"), value("tombstones", "x", 1), "the name must be empty"),
    (key("rejected", ""), None, "empty reason name"),
    (key("rejected", "x"), b"\xff", "is not JSON"),
])
def test_malformed_messages_say_where_and_what(k: bytes | None, v: bytes | None,
                                               error: str) -> None:
    with pytest.raises(AggregateError, match=error.replace("(", r"\(").replace("[", r"\[")):
        decode_message(k, v, "p0")


def test_upserts_replace_and_tombstones_remove() -> None:
    table = AggregateTable()
    cell = f"{SP}|30"
    table.apply(updates([(key("cell", cell), value("cell", cell, 1, 500)),
                         (key("cell", cell), value("cell", cell, 3, 1500))]))
    figures = table.figures()
    sp = CITY_INDEX[SP]
    assert figures.totals.city_n[sp] == 3 and figures.totals.city_cents[sp] == 1500
    assert figures.totals.city_age[sp] == 90
    assert figures.totals.age_n[30 - AGE_RANGE[0]] == 3
    table.apply(updates([(key("cell", cell), None)]))
    assert sum(table.figures().totals.city_n) == 0 and len(table) == 0


def test_store_figures_equal_the_raw_views() -> None:
    """The job's output, read by the aggregates store, shows what the raw store shows."""
    from rtd_tui.decode import decode_batch
    from rtd_tui.store import RecordStore

    raw = fixture_raw(400)
    expected = RecordStore(clock=lambda: 1.0)
    expected.ingest(decode_batch([m.value for m in raw], [m.partition for m in raw],
                                 [m.offset for m in raw], [m.key for m in raw]))
    store = AggregateStore(clock=lambda: 1.0)
    store.apply(updates(job_output(raw)))
    got, want = store.snapshot(), expected.snapshot()
    assert (got.count, got.total, got.mean_value, got.mean_age) == (
        want.count, want.total, want.mean_value, want.mean_age)
    assert got.age_counts == want.age_counts
    assert got.by_city.equals(want.by_city)
    assert got.rejected_by_reason == want.rejected_by_reason and got.rejected == 4
    assert got.consumed == want.consumed == len(raw)


def test_a_malformed_message_is_counted_and_loses_nothing_good() -> None:
    store = AggregateStore()
    cell = f"{SP}|40"
    store.apply(updates([(key("cell", cell), value("cell", cell, 2, 10_000))]))
    store.apply(updates([(key("cell", f"{SP}|41"), value("cell", f"{SP}|41", 1, 100))]),
                errors=["value of cell 'x' at partition 0 offset 9: cents is null"])
    assert store.snapshot().count == 3
    assert store.malformed == (1, "value of cell 'x' at partition 0 offset 9: cents is null")


def test_clear_is_a_baseline_and_rewind_forgets() -> None:
    store = AggregateStore()
    cell, other = f"{SP}|40", f"{SP}|41"
    store.apply(updates([(key("cell", cell), value("cell", cell, 2, 10_000)),
                         (key("rejected", "not JSON"), value("rejected", "not JSON", 4))]))
    store.clear()
    assert store.snapshot().count == 0 and store.snapshot().rejected == 0
    store.apply(updates([(key("cell", cell), value("cell", cell, 5, 25_000)),
                         (key("cell", other), value("cell", other, 1, 700))]))
    snap = store.snapshot()
    assert (snap.count, snap.total) == (4, 157.0)  # 3 new in 40s, 1 in 41s
    store.rewind()
    assert store.snapshot().count == 0
    store.apply(updates([(key("cell", cell), value("cell", cell, 5, 25_000))]))
    assert store.snapshot().count == 5


def test_partition_rows_drive_consumed_rate_and_ages() -> None:
    now, wall = [10.0], [1_000.0]
    store = AggregateStore(clock=lambda: now[0], wall_clock=lambda: wall[0])

    def progress(records: int, last_ts: int) -> list[tuple[bytes, bytes | None]]:
        return [(key("partition", "0"), value("partition", "0", records, None, records - 1,
                                              last_ts))]

    store.apply(updates(progress(100, 999_000)))  # first sight: history, not a rate
    assert store.liveness().rate == 0
    now[0], wall[0] = 12.0, 1_002.0
    store.apply(updates(progress(300, 1_001_500) * 2))  # a key twice in one batch: once
    live = store.liveness()
    assert store.consumed == 300
    assert live.partition_rates[0] == live.rate == pytest.approx(200 / 2.0)
    assert live.idle == live.partition_idle[0] == pytest.approx(0.5)
    wall[0] = 2_000.0
    store.apply(updates(progress(900, 1_500_000)))  # read back long after: not a rate
    assert store.liveness().rate == pytest.approx(200 / 2.0)


def test_a_filter_applies_to_the_raw_tail() -> None:
    from rtd_tui.decode import decode_batch

    values = fixture_values(40)
    batch = decode_batch(values, [0] * 40, list(range(40)), [None] * 40)
    store = AggregateStore()
    store.set_tail(batch.rows)
    city = str(batch.rows["cidade"][0])
    snap = store.snapshot(RecordFilter(cities=frozenset({city})))
    assert snap.filtered and snap.covered == 40
    assert snap.count == batch.rows.filter(batch.rows["cidade"] == city).height
    assert store.frame().height == 40
