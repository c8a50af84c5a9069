"""Tests for rtd_tui.store: exact aggregates over everything, a bounded window, replays."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from rtd_tui.decode import DecodedBatch, decode_batch
from rtd_tui.generator import RecordGenerator
from rtd_tui.records import AGE_RANGE, FIELDS, encode
from rtd_tui.store import RecordFilter, RecordStore, Snapshot

N_RECORDS = 20_000
N_PARTITIONS = 3
AGES = range(AGE_RANGE[0], AGE_RANGE[1] + 1)


def seeded_records() -> list[dict[str, Any]]:
    """20k seeded records with a fixed clock."""
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    gen = RecordGenerator(seed=42, clock=lambda: now)
    return [gen.record() for _ in range(N_RECORDS)]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return seeded_records()


def batches_of(
    recs: list[dict[str, Any]], size: int = 2000, first_offset: int = 0
) -> list[DecodedBatch]:
    """Decode records as Kafka would deliver them: partition by id, offsets counting up."""
    next_offset = [first_offset] * N_PARTITIONS
    out = []
    for start in range(0, len(recs), size):
        chunk = recs[start : start + size]
        partitions = [r["id"] % N_PARTITIONS for r in chunk]
        offsets = []
        for p in partitions:
            offsets.append(next_offset[p])
            next_offset[p] += 1
        out.append(decode_batch([encode(r) for r in chunk], partitions, offsets))
    return out


def feed(store: RecordStore, batches: list[DecodedBatch]) -> int:
    return sum(store.ingest(b) for b in batches)


def plain(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as record dicts (city as text, no partition/offset)."""
    return frame.select(FIELDS).with_columns(pl.col("cidade").cast(pl.String)).to_dicts()


def assert_matches(snap: Snapshot, expected: list[dict[str, Any]]) -> None:
    """Every aggregate of ``snap`` equals a polars recomputation over ``expected``."""
    assert snap.count == len(expected)
    if not expected:
        assert snap.total == 0 and snap.mean_value is None and snap.mean_age is None
        assert snap.by_city.height == 0 and sum(snap.age_counts) == 0
        return
    df = pl.DataFrame(expected)
    assert math.isclose(snap.total, df["valor"].sum(), rel_tol=1e-12, abs_tol=1e-6)
    assert snap.mean_value is not None and snap.mean_age is not None
    assert math.isclose(snap.mean_value, statistics.fmean(df["valor"]), rel_tol=1e-9)
    assert math.isclose(snap.mean_age, statistics.fmean(df["idade"]), rel_tol=1e-9)
    want = df.group_by("cidade").agg(
        total=pl.col("valor").sum(), count=pl.len(), mean=pl.col("valor").mean(),
        mean_age=pl.col("idade").mean(),
    )
    got = snap.by_city
    assert sorted(got["cidade"].to_list()) == sorted(want["cidade"].to_list())
    assert got["total"].to_list() == sorted(got["total"].to_list(), reverse=True)
    assert math.isclose(got["share"].sum(), 100.0, rel_tol=1e-9)
    by_name = {row["cidade"]: row for row in got.to_dicts()}
    for row in want.to_dicts():
        have = by_name[row["cidade"]]
        assert have["count"] == row["count"]
        assert math.isclose(have["total"], row["total"], rel_tol=1e-12, abs_tol=1e-6)
        assert math.isclose(have["mean"], row["mean"], rel_tol=1e-9)
        assert math.isclose(have["mean_age"], row["mean_age"], rel_tol=1e-9)
    ages = dict(df.group_by("idade").len().iter_rows())
    assert snap.age_counts == tuple(ages.get(a, 0) for a in AGES)


def test_aggregates_cover_all_rows_beyond_the_window(records: list[dict[str, Any]]) -> None:
    """With a window of 1000, metrics still cover all 20k records exactly."""
    store = RecordStore(window=1000, latest_rows=50, scatter_points=300)
    assert feed(store, batches_of(records)) == N_RECORDS
    snap = store.snapshot()
    assert_matches(snap, records)
    assert snap.window_rows == 1000
    assert snap.consumed == N_RECORDS and snap.rejected == 0
    assert not snap.filtered
    assert 0 < len(snap.scatter_age) == len(snap.scatter_value) <= 1000
    assert set(snap.scatter_age) <= set(AGES)


def test_window_keeps_the_newest_rows(records: list[dict[str, Any]]) -> None:
    store = RecordStore(window=1000, latest_rows=50)
    feed(store, batches_of(records, size=777))
    frame = store.frame()
    assert frame.height == 1000
    assert plain(frame) == records[-1000:]
    latest = store.snapshot().latest
    assert plain(latest) == records[-50:][::-1]  # newest first


def test_clear_forgets_data_but_not_positions(records: list[dict[str, Any]]) -> None:
    """After clear, a redelivered offset is still not counted; new offsets are."""
    store = RecordStore(window=500)
    first = batches_of(records[:3000])
    feed(store, first)
    store.ingest(decode_batch([b"junk"], [0], [10_000]))
    before = store.version
    store.clear()
    assert store.version != before
    snap = store.snapshot()
    assert_matches(snap, [])
    assert (snap.rejected, snap.consumed, snap.window_rows) == (0, 0, 0)
    assert snap.rejected_by_reason == {} and snap.last_rejections == ()
    assert store.frame().height == 0

    assert feed(store, first) == 0  # the same (partition, offset) pairs again
    assert store.ingest(decode_batch([b"junk"], [0], [10_000])) == 0
    assert store.snapshot().count == 0

    fresh = batches_of(records[3000:4000], first_offset=20_000)
    assert feed(store, fresh) == 1000
    assert_matches(store.snapshot(), records[3000:4000])


def test_rewind_reads_from_offset_zero_again(records: list[dict[str, Any]]) -> None:
    store = RecordStore(window=500)
    batches = batches_of(records[:5000])
    feed(store, batches)
    store.rewind()
    assert store.snapshot().count == 0
    assert feed(store, batches) == 5000
    assert_matches(store.snapshot(), records[:5000])


def test_duplicates_within_and_across_batches_count_once(records: list[dict[str, Any]]) -> None:
    recs = records[:6]
    values = [encode(r) for r in recs]
    # offsets 0, 1, 1, 2 on partition 0: the second offset 1 is a redelivery
    batch = decode_batch([values[0], values[1], values[1], values[2], b"bad", b"bad"],
                         [0, 0, 0, 0, 1, 1], [0, 1, 1, 2, 7, 7])
    store = RecordStore()
    assert store.ingest(batch) == 4
    assert store.ingest(batch) == 0
    overlap = decode_batch(values[1:6], [0] * 5, [1, 2, 3, 4, 5])
    assert store.ingest(overlap) == 3
    snap = store.snapshot()
    assert_matches(snap, recs)
    assert snap.rejected == 1 and snap.rejected_by_reason == {"not JSON": 1}
    assert snap.consumed == 7
    assert sorted(store.frame()["offset"].to_list()) == [0, 1, 2, 3, 4, 5]


def test_tombstone_deletes_earlier_records_of_its_id(records: list[dict[str, Any]]) -> None:
    """A tombstone takes its id out of everything, except records after it in its partition."""
    x, y, z = ({**r, "id": i} for r, i in zip(records[:3], (1111, 2222, 3333), strict=True))
    x_late = {**records[3], "id": 1111}
    store = RecordStore(window=2)
    store.ingest(decode_batch([encode(x), encode(y), encode(x), encode(z)], [0] * 4, [0, 1, 2, 3]))
    version = store.version
    # the first two x records already left the window: only the aggregates hold them
    batch = decode_batch(
        [encode(x), None, encode(x_late), encode(y), None],
        [0, 0, 0, 0, 0], [4, 5, 6, 7, 8], [b"1111", b"1111", b"1111", b"2222", b"9999"],
    )
    assert batch.tombstones == [(0, 5, 1111), (0, 8, 9999)]
    assert store.ingest(batch) == 5
    assert store.version != version
    survivors = [y, z, x_late, y]
    assert_matches(store.snapshot(), survivors)
    assert store.snapshot().consumed == 9  # the deleted x at offset 4 was still consumed
    assert plain(store.frame()) == [x_late, y]

    store.ingest(decode_batch([None], [0], [9], [b"2222"]))
    assert_matches(store.snapshot(), [z, x_late])
    assert plain(store.frame()) == [x_late]


def test_redelivered_tombstones_count_once(records: list[dict[str, Any]]) -> None:
    """A tombstone repeated in its batch, or delivered again later, is one message."""
    rec = {**records[0], "id": 5555}
    store = RecordStore()
    store.ingest(decode_batch([encode(rec)], [0], [0]))
    twice = decode_batch([None, None, None], [0, 0, 1], [1, 1, 0], [b"5555", b"5555", b"5555"])
    assert store.ingest(twice) == 2
    assert store.ingest(twice) == 0
    assert store.snapshot().count == 0 and store.consumed == 3


def test_tombstone_before_record_in_same_batch_keeps_it(records: list[dict[str, Any]]) -> None:
    rec = {**records[0], "id": 4444}
    store = RecordStore()
    store.ingest(decode_batch([encode(rec), None, encode(rec)], [1, 1, 1], [0, 1, 2],
                              [b"4444", b"4444", b"4444"]))
    assert_matches(store.snapshot(), [rec])
    assert store.frame()["offset"].to_list() == [2]


@pytest.mark.parametrize(
    "record_filter",
    [
        RecordFilter(cities=frozenset({"São Paulo", "Recife"})),
        RecordFilter(age=(25, 40)),
        RecordFilter(value=(100.0, 250.5)),
        RecordFilter(cities=frozenset({"Rio de Janeiro", "Palmas"}), age=(18, 30),
                     value=(50.0, 400.0)),
        RecordFilter(cities=frozenset()),
    ],
)
def test_filtered_snapshot_matches_filtered_window(
    records: list[dict[str, Any]], record_filter: RecordFilter
) -> None:
    store = RecordStore(window=5000, latest_rows=20)
    feed(store, batches_of(records))

    def keep(r: dict[str, Any]) -> bool:
        f = record_filter
        return (
            (f.cities is None or r["cidade"] in f.cities)
            and (f.age is None or f.age[0] <= r["idade"] <= f.age[1])
            and (f.value is None or f.value[0] <= r["valor"] <= f.value[1])
        )

    expected = [r for r in records[-5000:] if keep(r)]
    assert plain(store.frame(record_filter)) == expected
    snap = store.snapshot(record_filter)
    assert snap.filtered
    assert snap.window_rows == len(expected)
    assert_matches(snap, expected)
    assert plain(snap.latest) == expected[-20:][::-1]
    assert store.snapshot(RecordFilter()).count == N_RECORDS  # an inactive filter


def test_filter_bounds_are_inclusive(records: list[dict[str, Any]]) -> None:
    rec = {**records[0], "idade": 30, "valor": 100.0}
    store = RecordStore()
    store.ingest(decode_batch([encode(rec)], [0], [0]))
    assert store.snapshot(RecordFilter(age=(30, 30), value=(100.0, 100.0))).count == 1
    assert store.snapshot(RecordFilter(age=(31, 80))).count == 0


def test_ingest_rate_uses_injected_clock(records: list[dict[str, Any]]) -> None:
    now = [100.0]
    store = RecordStore(clock=lambda: now[0])
    assert store.snapshot().ingest_rate == 0.0
    feed(store, batches_of(records[:500]))
    now[0] = 102.0
    assert store.snapshot().ingest_rate == pytest.approx(250.0)
    now[0] = 104.0
    feed(store, batches_of(records[500:900], first_offset=1000))
    assert store.snapshot().ingest_rate == pytest.approx(900 / 4)
    now[0] = 120.0  # idle for longer than the rate span: the rate decays to zero
    assert store.snapshot().ingest_rate == 0.0


def test_version_changes_only_with_content(records: list[dict[str, Any]]) -> None:
    """Each content change gets a version never seen before, so redraws never miss one."""
    store = RecordStore()
    seen = [store.version]
    batch = batches_of(records[:10])[0]
    store.ingest(batch)
    seen.append(store.version)
    store.ingest(batch)  # nothing new
    assert store.version == seen[-1]
    store.clear()
    seen.append(store.version)
    store.ingest(batches_of(records[10:20], first_offset=50)[0])
    seen.append(store.version)
    store.rewind()
    seen.append(store.version)
    store.ingest(batch)
    seen.append(store.version)
    assert len(set(seen)) == len(seen), seen


def test_rejections_are_counted_by_reason() -> None:
    batch = decode_batch([b"{", b"[]", b"", b"{"], [0, 0, 1, 1], [0, 1, 0, 1])
    store = RecordStore()
    store.ingest(batch)
    snap = store.snapshot()
    reasons = Counter(r.reason for r in batch.rejections)
    assert snap.rejected_by_reason == dict(reasons) == {"not JSON": 2, "not an object": 1,
                                                        "empty message": 1}
    assert [(r.partition, r.offset) for r in snap.last_rejections] == [(0, 0), (0, 1), (1, 0),
                                                                       (1, 1)]


def test_the_scatter_sample_keeps_its_points_as_records_arrive(
    records: list[dict[str, Any]],
) -> None:
    """The sample follows the records, not their place in the window: a few new records
    add a few points and drop as many of the oldest; the others stay."""
    store = RecordStore(window=10_000, scatter_points=500)
    batches = batches_of(records, size=10)
    feed(store, batches[:1000])  # 10,000 records: a full window
    before = store.snapshot()
    feed(store, batches[1000:1013])  # 130 more: as many of the oldest leave
    after = store.snapshot()
    old = list(zip(before.scatter_age, before.scatter_value, strict=True))
    new = list(zip(after.scatter_age, after.scatter_value, strict=True))
    assert 500 <= len(old) <= 1000
    # Some of the oldest points left with their records (the window trims by chunks)...
    gone = next(k for k in range(len(old)) if new[: len(old) - k] == old[k:])
    assert gone < len(old) // 4
    # ...the others stayed, in order, and the new records added about 1 in 16 (the step).
    added = len(new) - (len(old) - gone)
    assert 1 <= added <= 130 // 16 + 1
