"""``store.offsets``: where a partition's offsets go back, and the store's new epoch for
that partition (reused offsets counted, the rest of the topic untouched, duplicates named)."""

from __future__ import annotations

from typing import Any

import pytest
from test_store import seeded_records

from rtd_tui.decode import decode_batch
from rtd_tui.records import encode
from rtd_tui.store import RecordStore
from rtd_tui.store.offsets import OffsetRestarts, Restart


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return seeded_records()[:40]


def test_offsets_going_up_are_no_restart() -> None:
    restarts = OffsetRestarts()
    assert restarts.next_offset(0) is None
    assert restarts.scan([0, 1, 0, 1], [5, 9, 6, 10]) == []
    assert restarts.scan([0, 2], [7, 0]) == []  # a partition seen for the first time
    assert (restarts.next_offset(0), restarts.next_offset(1), restarts.next_offset(2)) == (8, 11, 1)


def test_offsets_going_back_are_found_where_they_happen() -> None:
    restarts = OffsetRestarts()
    restarts.scan([0, 1], [41, 17])
    # partition 1 goes on, partition 0 starts again inside the batch, then 1 does too
    found = restarts.scan([1, 0, 0, 1, 0, 1], [18, 42, 0, 0, 1, 1])
    assert found == [Restart(2, 0, 0, 42), Restart(3, 1, 0, 18)]
    assert (restarts.next_offset(0), restarts.next_offset(1)) == (2, 2)
    assert restarts.scan([0], [1]) == [Restart(0, 0, 1, 1)]  # the same offset again


def test_forget_after_a_seek_of_our_own() -> None:
    restarts = OffsetRestarts()
    restarts.scan([0], [99])
    restarts.forget()
    assert restarts.next_offset(0) is None
    assert restarts.scan([0], [0]) == []


def test_a_restarted_partition_counts_its_reused_offsets_and_keeps_the_old(
    records: list[dict[str, Any]],
) -> None:
    values = [encode(r) for r in records]
    store = RecordStore()
    assert store.ingest(decode_batch(values[:10], [0] * 5 + [1] * 5, [*range(5), *range(5)])) == 10
    reused = decode_batch(values[10:14], [0, 0, 1, 1], [0, 1, 0, 1])
    assert store.ingest(reused) == 0  # before the restart: taken for redeliveries
    assert store.duplicates == 4
    store.restart_partition(0)
    assert store.ingest(reused) == 2  # partition 0's new epoch; partition 1 has not restarted
    snap = store.snapshot()
    assert snap.count == 12 and snap.consumed == 12
    assert store.duplicates == 6  # every message offered is counted, stored or named
    expected = [*records[:10], *records[10:12]]
    assert round(snap.total * 100) == sum(round(r["valor"] * 100) for r in expected)


def test_duplicates_are_counted_until_a_clear(records: list[dict[str, Any]]) -> None:
    values = [encode(r) for r in records[:3]]
    store = RecordStore()
    batch = decode_batch([values[0], values[1], values[1], b"bad", b"bad"], [0, 0, 0, 1, 1],
                         [0, 1, 1, 7, 7])
    assert store.ingest(batch) == 3
    assert store.duplicates == 2
    store.clear()
    assert store.duplicates == 0
