"""The record store: what the consumer hands over, kept for the views, under one lock.

Four parts, one job each: ``offsets`` drops redeliveries, ``window`` keeps the newest
raw rows (bounded in rows and bytes), ``totals`` keeps exact aggregates over every
record since the last clear, ``view`` builds the snapshots. Ingest (the ingest
thread) and reads (the UI thread) meet here. Reading (``frame``, ``snapshot``,
``liveness``) changes nothing; rates advance with the clock, not with the readers.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from rtd_tui.config import DEFAULT_WINDOW_BYTES
from rtd_tui.decode import DecodedBatch, Rejection
from rtd_tui.records import ID_RANGE
from rtd_tui.store.offsets import OffsetLedger
from rtd_tui.store.rates import RateMeter
from rtd_tui.store.totals import RunningTotals
from rtd_tui.store.view import Counters, RecordFilter, Snapshot, build_snapshot
from rtd_tui.store.window import RowWindow

REJECTIONS_KEPT = 50


@dataclass(frozen=True, slots=True)
class Liveness:
    """Whether data is flowing, read on the clock: rates decay when messages stop."""

    rate: float  # messages/s over the rate span, all partitions
    idle: float | None  # seconds since the last new message (None: none yet)
    partition_rates: dict[int, float]
    partition_idle: dict[int, float]  # seconds since each partition's last new message


class RecordStore:
    """Thread-safe store fed by the consumer and read by the UI."""

    def __init__(
        self,
        window: int = 200_000,
        latest_rows: int = 200,
        scatter_points: int = 2000,
        clock: Callable[[], float] = time.monotonic,
        window_bytes: int = DEFAULT_WINDOW_BYTES,
    ) -> None:
        self.window = window
        self.window_bytes = window_bytes
        self._latest_rows = latest_rows
        self._scatter_points = scatter_points
        self._clock = clock
        self._lock = threading.Lock()
        self._ledger = OffsetLedger()
        self._version = 0
        self._last_arrival: float | None = None  # the stream's, kept across clears
        self._reset()

    def _reset(self) -> None:
        now = self._clock()
        self._rows = RowWindow(self.window, self.window_bytes)
        self._totals = RunningTotals()
        self._consumed = 0
        self._duplicates = 0
        self._rate = RateMeter(now)
        self._partition_rates: dict[int, RateMeter] = {}
        self._rejected: Counter[str] = Counter()
        self._last_rejections: deque[Rejection] = deque(maxlen=REJECTIONS_KEPT)

    # ---- ingest (ingest thread) ---------------------------------------------------
    def ingest(self, batch: DecodedBatch) -> int:
        """Apply a decoded batch, skipping any (partition, offset) seen before.

        A batch's tombstones are applied together: one pass over the window and one
        over the per-id arrays, however many there are. Returns the new messages.
        """
        with self._lock:
            fresh = self._ledger.take(batch)
            rows = fresh.rows
            if fresh.tombstones:
                rows = drop_deleted(rows, fresh.tombstones)
                ids = sorted({t[2] for t in fresh.tombstones
                              if ID_RANGE[0] <= t[2] <= ID_RANGE[1]})
                self._totals.delete_ids(ids)
                self._rows.delete_ids(ids)
            if rows.height:
                self._totals.add(rows)
                self._rows.append(rows)
            for r in fresh.rejections:
                self._rejected[r.reason] += 1
                self._last_rejections.append(r)
            new = fresh.messages
            offered = batch.rows.height + len(batch.tombstones) + len(batch.rejections)
            self._duplicates += offered - new
            if new:
                self._arrived(new, fresh.per_partition)
            return new

    def _arrived(self, new: int, per_partition: Counter[int]) -> None:
        now = self._clock()
        self._consumed += new
        self._version += 1
        self._last_arrival = now
        self._rate.add(now, new)
        for partition, n in per_partition.items():
            meter = self._partition_rates.get(partition)
            if meter is None:
                meter = self._partition_rates[partition] = RateMeter(self._rate.started)
            meter.add(now, n)

    # ---- commands (UI thread) -----------------------------------------------------
    def clear(self) -> None:
        """Forget all records, aggregates and counters; consumption continues where it is."""
        with self._lock:
            self._clear()

    def rewind(self) -> None:
        """Clear and forget positions, so the topic can be read again from the start."""
        with self._lock:
            self._ledger.forget()
            self._clear()

    def restart_partition(self, partition: int) -> None:
        """``partition``'s offsets were reused (its log started again): accept them all
        again; the records already counted stay counted."""
        with self._lock:
            self._ledger.restart(partition)

    def _clear(self) -> None:
        self._reset()
        self._version += 1  # never reused: a redraw keyed on version must not miss a clear

    # ---- reads (any thread; they change nothing) ----------------------------------
    @property
    def version(self) -> int:
        """Changes whenever the content changes: the UI redraws only then."""
        return self._version

    @property
    def consumed(self) -> int:
        """Messages taken off the topic since the last clear (rows, tombstones, rejections)."""
        return self._consumed

    @property
    def duplicates(self) -> int:
        """Messages since the last clear that were dropped as redeliveries of an offset
        already counted."""
        return self._duplicates

    @property
    def chunks(self) -> int:
        """Arrow chunks the window is held in (a few dozen at most, whatever the rate)."""
        with self._lock:
            return self._rows.chunks

    @property
    def bytes_held(self) -> int:
        """Approximate bytes of the raw rows held."""
        with self._lock:
            return self._rows.bytes_held

    def liveness(self) -> Liveness:
        """Rates now, and how long ago the last message came: cheap, for every timer tick."""
        now = self._clock()
        with self._lock:
            idle = None if self._last_arrival is None else max(0.0, now - self._last_arrival)
            return Liveness(
                self._rate.rate(now), idle,
                {p: m.rate(now) for p, m in self._partition_rates.items()},
                {p: max(0.0, now - m.last) for p, m in self._partition_rates.items()
                 if m.last is not None},
            )

    def frame(self, record_filter: RecordFilter | None = None) -> pl.DataFrame:
        """The rows held in the window (oldest first), optionally filtered."""
        with self._lock:
            frame = self._rows.frame()
        if record_filter is not None and record_filter.active:
            frame = frame.filter(record_filter.expr())
        return frame

    def snapshot(self, record_filter: RecordFilter | None = None) -> Snapshot:
        """Compute what the views show; bounded cost whatever the number of records."""
        now = self._clock()
        with self._lock:
            window = self._rows.frame()
            arrived = self._rows.appended
            totals = self._totals.copy()
            counters = Counters(
                self._version, self._consumed, self._rate.rate(now), dict(self._rejected),
                tuple(self._last_rejections),
            )
        return build_snapshot(window, totals, counters, record_filter, self._latest_rows,
                              self._scatter_points, arrived=arrived)


def drop_deleted(rows: pl.DataFrame, tombstones: list[tuple[int, int, int]]) -> pl.DataFrame:
    """The rows no tombstone of the same batch deletes: those of its id and partition
    that come before it (rows of other partitions have no order relative to it)."""
    low, high = ID_RANGE
    marks = [t for t in tombstones if low <= t[2] <= high]
    if not marks or not rows.height:
        return rows
    partitions, offsets, ids = zip(*marks, strict=True)
    latest = pl.DataFrame(
        {"partition": partitions, "deleted_at": offsets, "id": ids},
        schema={"partition": rows.schema["partition"], "deleted_at": pl.Int64,
                "id": rows.schema["id"]},
    ).group_by("partition", "id").agg(pl.col("deleted_at").max())
    joined = rows.join(latest, on=["partition", "id"], how="left", maintain_order="left")
    keep = pl.col("deleted_at").is_null() | (pl.col("offset") > pl.col("deleted_at"))
    return joined.filter(keep).drop("deleted_at")
