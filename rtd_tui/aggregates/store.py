"""The dashboard's store in aggregates mode: the job's figures plus a bounded raw tail.

It answers the same reads as ``RecordStore`` (``version``, ``consumed``,
``liveness``, ``snapshot``, ``frame``, ``clear``), so the app and its widgets do not
know which source they draw: cards, charts and the city table come from the
aggregates, the latest records and the scatter from the raw tail. ``c`` keeps the
table as a baseline and shows what changed since; ``rewind`` (``r``) forgets it all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import polars as pl

from rtd_tui.aggregates.rows import PARTITION, AggregateKey, AggregateRow
from rtd_tui.aggregates.table import AggregateTable, Figures
from rtd_tui.decode import empty_rows
from rtd_tui.store.rates import RATE_SPAN_S, RateMeter
from rtd_tui.store.record_store import Liveness
from rtd_tui.store.view import Counters, RecordFilter, Snapshot, build_snapshot

Update = tuple[AggregateKey, AggregateRow | None]


class AggregateStore:
    """Thread-safe: the aggregates reader and the raw tail write, the UI reads."""

    def __init__(
        self, latest_rows: int = 200, scatter_points: int = 2000,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._latest_rows = latest_rows
        self._scatter_points = scatter_points
        self._clock = clock
        self._wall_clock = wall_clock  # against the job's message timestamps
        self._lock = threading.Lock()
        self._table = AggregateTable()
        self._baseline: AggregateTable | None = None
        self._tail = empty_rows()
        self._version = 0
        self._malformed = 0
        self._last_error = ""
        self._newest_ms: int | None = None  # timestamp of the newest aggregate message
        self._cached: tuple[int, Figures] | None = None  # (version, its figures)
        self._reset_rates()

    def _reset_rates(self) -> None:
        self._rate = RateMeter(self._clock())
        self._partition_rates: dict[int, RateMeter] = {}

    # ---- writers (reader and tail threads) ------------------------------------------
    def apply(self, updates: Sequence[Update], errors: Sequence[str] = (),
              newest_ms: int | None = None) -> None:
        """A batch of the aggregates topic: its good updates, and the errors of the bad
        messages (counted; the last one is kept to show)."""
        with self._lock:
            now, wall_ms = self._clock(), self._wall_clock() * 1000
            for key, row in updates:
                if key.kind == PARTITION and row is not None:
                    before = self._table.row(key)
                    grown = row.records - before.records if before else 0
                    # Counted into the rate only when it is news: a row read back from
                    # the topic's history (at start, or after r) is not a rate.
                    recent = row.last_ts is None or wall_ms - row.last_ts <= RATE_SPAN_S * 1000
                    if grown > 0 and recent:
                        self._grew(int(key.name), grown, now)
                self._table.apply(((key, row),))
            if errors:
                self._malformed += len(errors)
                self._last_error = errors[-1]
            if newest_ms is not None:
                self._newest_ms = max(newest_ms, self._newest_ms or newest_ms)
            if updates or errors:
                self._version += 1

    def _grew(self, partition: int, messages: int, now: float) -> None:
        self._rate.add(now, messages)
        meter = self._partition_rates.get(partition)
        if meter is None:
            meter = self._partition_rates[partition] = RateMeter(self._rate.started)
        meter.add(now, messages)

    def set_tail(self, rows: pl.DataFrame) -> None:
        """The newest raw records (oldest first), re-read by the raw tail."""
        with self._lock:
            self._tail = rows
            self._version += 1

    # ---- commands (UI thread) -------------------------------------------------------
    def clear(self) -> None:
        """Show only what the job counts from now on: the table now is the baseline."""
        with self._lock:
            self._baseline = self._table.copy()
            self._reset_rates()
            self._version += 1

    def rewind(self) -> None:
        """Forget every aggregate and the baseline: the topic is read again from the start."""
        with self._lock:
            self._table = AggregateTable()
            self._baseline = None
            self._malformed, self._last_error, self._newest_ms = 0, "", None
            self._reset_rates()
            self._version += 1

    # ---- reads (any thread; they change nothing) ------------------------------------
    @property
    def version(self) -> int:
        return self._version

    @property
    def consumed(self) -> int:
        """Raw messages the job has read since the last clear."""
        return self.figures().consumed

    @property
    def malformed(self) -> tuple[int, str]:
        """Aggregate messages that broke the contract, and the last one's error."""
        with self._lock:
            return self._malformed, self._last_error

    @property
    def newest_ms(self) -> int | None:
        """Kafka timestamp (ms) of the newest aggregate message read."""
        return self._newest_ms

    def figures(self) -> Figures:
        """The figures now (computed once per version: every timer tick asks)."""
        with self._lock:
            return self._figures()

    def _figures(self) -> Figures:
        cached = self._cached
        if cached is None or cached[0] != self._version:
            cached = self._cached = (self._version, self._table.figures(self._baseline))
        return cached[1]

    def liveness(self) -> Liveness:
        """The job's ingest rate, and how old the newest message it has read is (per
        partition too): the raw view's "last message" ages, from the job's timestamps."""
        now, wall = self._clock(), self._wall_clock()
        with self._lock:
            figures = self._figures()
            ages = {p: max(0.0, wall - read.last_ts / 1000)
                    for p, read in figures.partitions.items() if read.last_ts is not None}
            return Liveness(
                self._rate.rate(now), min(ages.values(), default=None),
                {p: m.rate(now) for p, m in self._partition_rates.items()}, ages,
            )

    def frame(self, record_filter: RecordFilter | None = None) -> pl.DataFrame:
        """The raw tail's rows (oldest first), optionally filtered."""
        with self._lock:
            frame = self._tail
        if record_filter is not None and record_filter.active:
            frame = frame.filter(record_filter.expr())
        return frame

    def snapshot(self, record_filter: RecordFilter | None = None) -> Snapshot:
        """The aggregates' figures, with the raw tail as the window (a filter applies to
        the tail only, as the raw view's applies to its window)."""
        now = self._clock()
        with self._lock:
            figures = self._figures()
            tail = self._tail
            counters = Counters(self._version, figures.consumed, self._rate.rate(now),
                                figures.rejected, ())
        return build_snapshot(tail, figures.totals, counters, record_filter,
                              self._latest_rows, self._scatter_points)
