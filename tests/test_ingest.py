"""Tests for the fast paths: the threaded ingest stage and the store's deferred folding."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest
from test_store import assert_matches, batches_of, plain

import rtd_tui.ingest as ingest_module
import rtd_tui.store.totals as store_module
from rtd_tui.decode import DecodedBatch, decode_batch
from rtd_tui.generator import RecordGenerator
from rtd_tui.ingest import IngestStage
from rtd_tui.records import encode
from rtd_tui.store import RecordStore


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    gen = RecordGenerator(seed=7, clock=lambda: now)
    return [gen.record() for _ in range(6000)]


def columns(batch_records: list[dict[str, Any]], first: int) -> tuple[Any, ...]:
    values = [encode(r) for r in batch_records]
    n = len(values)
    return values, [0] * n, list(range(first, first + n)), None


def test_stage_applies_batches_in_order(records: list[dict[str, Any]]) -> None:
    """Every queued batch lands in the store, in order, before ``drain`` returns."""
    store = RecordStore(window=10_000)
    stage = IngestStage(store, max_batches=2)
    for start in range(0, len(records), 500):
        stage.put(0, columns(records[start : start + 500], start))
    stage.drain()
    assert store.consumed == len(records)
    assert plain(store.frame()) == records
    assert_matches(store.snapshot(), records)
    stage.close()


def test_stage_close_applies_what_is_queued(records: list[dict[str, Any]]) -> None:
    store = RecordStore()
    stage = IngestStage(store)
    stage.put(0, columns(records[:100], 0))
    stage.close()
    assert store.consumed == 100


def test_stage_failure_reaches_the_producer_side() -> None:
    """A batch that cannot be applied surfaces on the next ``put`` or ``drain``."""
    stage = IngestStage(RecordStore())
    stage.put(0, ([b"{}"], [0], [0, 1], None))  # offsets do not match values
    with pytest.raises(RuntimeError, match="ingest failed"):
        stage.drain()
    stage.close()


def test_barrier_drops_queued_batches_and_counts_them(
    records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clear as a barrier: batches of the old epoch, queued, being decoded or arriving
    late, are never stored after it; the barrier says how many were waiting."""
    gate = threading.Event()

    def slow_decode(*columns: Any) -> DecodedBatch:
        gate.wait(10)
        return decode_batch(*columns)

    monkeypatch.setattr(ingest_module, "decode_batch", slow_decode)
    store = RecordStore()
    stage = IngestStage(store, max_batches=4)
    for i in range(4):  # one is taken by the (blocked) stage thread, three wait
        stage.put(0, columns(records[i * 100 : (i + 1) * 100], i * 100))
    time.sleep(0.1)
    dropped = stage.barrier(store.clear)
    assert dropped == 300
    stage.put(0, columns(records[400:500], 400))  # fetched before the barrier, put after
    stage.put(1, columns(records[500:600], 500))
    gate.set()
    stage.drain()
    assert stage.dropped == 500  # the batch being decoded when the barrier came too
    assert plain(store.frame()) == records[500:600]
    assert store.consumed == 100
    stage.close()


def test_redelivered_batch_takes_the_slow_path(records: list[dict[str, Any]]) -> None:
    """Overlapping and duplicated offsets still count once (the fast check declines)."""
    store = RecordStore()
    first = batches_of(records[:3000], size=1000)
    for b in first:
        store.ingest(b)
    again = batches_of(records[:3000], size=3000)[0]
    doubled = DecodedBatch(pl.concat([again.rows, again.rows]))
    assert store.ingest(doubled) == 0
    assert_matches(store.snapshot(), records[:3000])


def test_deferred_fold_matches_recomputation(
    records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per-id arrays folded in bulk (some rows still pending) stay exact for tombstones."""
    monkeypatch.setattr(store_module, "FOLD_ROWS", 1500)
    store = RecordStore(window=100_000)
    for b in batches_of(records, size=1000):
        store.ingest(b)
    victim = records[-1]["id"]  # its last rows are still pending when the tombstone comes
    partition = victim % 3
    store.ingest(DecodedBatch(store.frame().clear(), tombstones=[(partition, 10**6, victim)]))
    expected = [r for r in records if r["id"] != victim]
    assert_matches(store.snapshot(), expected)
