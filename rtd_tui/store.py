"""The record store: a bounded window of raw rows plus exact running aggregates.

Ingest (consumer thread) and snapshots (UI thread) meet here under one lock.
Metrics cover *every* record since the last clear, whatever the window size:
totals are kept in integer cents and dense per-id arrays, so a tombstone can take
an id's records back out exactly. Views get a ``Snapshot``: small, precomputed
data whose cost does not grow with the number of records.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from rtd_tui.decode import DecodedBatch, Rejection, empty_rows
from rtd_tui.records import AGE_RANGE, CITIES, ID_RANGE, STORE_SCHEMA

N_IDS = ID_RANGE[1] - ID_RANGE[0] + 1
N_CITIES = len(CITIES)
N_AGES = AGE_RANGE[1] - AGE_RANGE[0] + 1
RATE_SPAN_S = 5.0
#: Rows counted in the totals before they are folded into the per-id arrays in one go.
FOLD_ROWS = 200_000
#: Chunks held before runs of small ones are merged.
MAX_CHUNKS = 64


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """What the user narrowed the view to; ``None`` means no limit on that field."""

    cities: frozenset[str] | None = None
    age: tuple[int, int] | None = None
    value: tuple[float, float] | None = None

    @property
    def active(self) -> bool:
        return self.cities is not None or self.age is not None or self.value is not None

    def expr(self) -> pl.Expr:
        """The polars predicate for this filter."""
        pred = pl.lit(True)
        if self.cities is not None:
            pred &= pl.col("cidade").cast(pl.String).is_in(sorted(self.cities))
        if self.age is not None:
            pred &= pl.col("idade").is_between(*self.age)
        if self.value is not None:
            pred &= pl.col("valor").is_between(*self.value)
        return pred


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the dashboard shows, computed once per redraw."""

    version: int
    count: int
    total: float
    mean_value: float | None
    mean_age: float | None
    rejected: int
    rejected_by_reason: dict[str, int]
    consumed: int
    ingest_rate: float
    by_city: pl.DataFrame
    age_counts: tuple[int, ...]
    scatter_age: list[int]
    scatter_value: list[float]
    latest: pl.DataFrame
    window_rows: int
    filtered: bool = False
    last_rejections: tuple[Rejection, ...] = field(default=())


def _zeros(n: int) -> pl.Series:
    return pl.zeros(n, dtype=pl.Int64, eager=True)


def _scatter_add(target: pl.Series, idx: pl.Series, values: pl.Series) -> None:
    """``target[idx] += values`` for unique ``idx``, in place."""
    target.scatter(idx, target.gather(idx) + values)


class RecordStore:
    """Thread-safe store fed by the consumer and read by the UI."""

    def __init__(
        self,
        window: int = 200_000,
        latest_rows: int = 200,
        scatter_points: int = 2000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self._latest_rows = latest_rows
        self._scatter_points = scatter_points
        self._clock = clock
        self._lock = threading.Lock()
        self._next_offset: dict[int, int] = {}
        self._consumed = 0
        self._rate_samples: deque[tuple[float, int]] = deque()
        self._version = 0
        self._reset()

    def _reset(self) -> None:
        self._chunks: list[pl.DataFrame] = []
        self._rows_held = 0
        self._id_city_n = _zeros(N_IDS * N_CITIES)
        self._id_city_cents = _zeros(N_IDS * N_CITIES)
        self._id_city_age = _zeros(N_IDS * N_CITIES)
        self._id_age_n = _zeros(N_IDS * N_AGES)
        self._city_n = [0] * N_CITIES
        self._city_cents = [0] * N_CITIES
        self._city_age = [0] * N_CITIES
        self._age_n = [0] * N_AGES
        self._pending: list[pl.DataFrame] = []  # keyed rows not yet in the per-id arrays
        self._pending_rows = 0
        self._rejected: Counter[str] = Counter()
        self._last_rejections: deque[Rejection] = deque(maxlen=50)

    # ---- ingest (consumer thread) -------------------------------------------------
    def ingest(self, batch: DecodedBatch) -> int:
        """Apply a decoded batch, skipping any (partition, offset) seen before.

        Returns the number of messages that were new.
        """
        with self._lock:
            rows, top = self._fresh_rows(batch.rows)
            fresh = self._fresh_once()
            rejections = [r for r in batch.rejections if fresh(r.partition, r.offset)]
            tombstones = [t for t in batch.tombstones if fresh(t[0], t[1])]
            for p, o in self._offsets_seen(top, rejections, tombstones).items():
                self._next_offset[p] = max(self._next_offset.get(p, 0), o + 1)
            new = rows.height + len(rejections) + len(tombstones)  # before tombstones drop rows
            for partition, offset, ident in tombstones:
                rows = rows.filter(
                    (pl.col("id") != ident)
                    | (pl.col("partition") != partition)
                    | (pl.col("offset") > offset)
                )
                self._delete_id(ident)
            if rows.height:
                self._add(rows)
            for r in rejections:
                self._rejected[r.reason] += 1
                self._last_rejections.append(r)
            self._consumed += new
            if new:
                self._version += 1
            return new

    def _fresh_once(self) -> Callable[[int, int], bool]:
        """A predicate true for unseen (partition, offset) pairs, once each within a batch."""
        seen: set[tuple[int, int]] = set()

        def fresh(partition: int, offset: int) -> bool:
            if offset < self._next_offset.get(partition, -1) or (partition, offset) in seen:
                return False
            seen.add((partition, offset))
            return True

        return fresh

    def _fresh_rows(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, dict[int, int]]:
        """The rows not seen before (first of duplicates), and the top offset per partition.

        The usual batch (distinct offsets, all past what was seen) is recognised with one
        small group-by; only other batches pay for ``unique`` and a filter.
        """
        if not rows.height:
            return rows, {}
        offset = pl.col("offset")
        stats = rows.group_by("partition").agg(
            offset.min().alias("low"), offset.max().alias("high"), pl.len().alias("n"),
            offset.n_unique().alias("distinct"),
        )
        seen = self._next_offset
        if all(d == n and low >= seen.get(p, -1) for p, low, _, n, d in stats.iter_rows()):
            return rows, dict(zip(stats["partition"].to_list(), stats["high"].to_list(),
                                  strict=True))
        rows = rows.unique(["partition", "offset"], keep="first", maintain_order=True)
        if seen:
            floor = pl.col("partition").replace_strict(seen, default=-1, return_dtype=pl.Int64)
            rows = rows.filter(offset >= floor)
        maxima = rows.group_by("partition").agg(offset.max())
        return rows, dict(zip(maxima["partition"].to_list(), maxima["offset"].to_list(),
                              strict=True))

    @staticmethod
    def _offsets_seen(
        rows_top: dict[int, int], rejections: list[Rejection],
        tombstones: list[tuple[int, int, int]],
    ) -> dict[int, int]:
        top = dict(rows_top)
        for p, o in [(r.partition, r.offset) for r in rejections] + [t[:2] for t in tombstones]:
            top[p] = max(top.get(p, -1), o)
        return top

    def _add(self, rows: pl.DataFrame) -> None:
        """Count ``rows`` in the totals now; fold them into the per-id arrays later, in bulk."""
        c = pl.col
        keyed = rows.select(
            ident=(c("id") - ID_RANGE[0]).cast(pl.Int32),
            city=c("cidade").to_physical().cast(pl.Int32),
            age=(c("idade") - AGE_RANGE[0]).cast(pl.Int32),
            cents=(c("valor") * 100).round().cast(pl.Int64),
        )
        cells = keyed.group_by("city", "age").agg(n=pl.len(), cents=c("cents").sum())
        for city, age, n, cents in cells.iter_rows():
            self._city_n[city] += n
            self._city_cents[city] += cents
            self._city_age[city] += (age + AGE_RANGE[0]) * n
            self._age_n[age] += n
        self._pending.append(keyed)
        self._pending_rows += keyed.height
        if self._pending_rows >= FOLD_ROWS:
            self._fold()
        self._chunks.append(rows)
        self._rows_held += rows.height
        self._trim()

    def _trim(self) -> None:
        """Drop chunks that left the window, merge runs of small ones; never a full copy.

        Merged chunks stay under a sixteenth of the window, so at most that much beyond
        the window is held (a whole-window compaction would briefly hold it twice).
        """
        while self._chunks and self._rows_held - self._chunks[0].height >= self.window:
            self._rows_held -= self._chunks.pop(0).height
        if len(self._chunks) <= MAX_CHUNKS:
            return
        big = max(1, self.window // 16)
        merged: list[pl.DataFrame] = []
        run: list[pl.DataFrame] = []
        run_rows = 0
        for chunk in self._chunks:
            if run and run_rows + chunk.height > big:
                merged.append(pl.concat(run) if len(run) > 1 else run[0])
                run, run_rows = [], 0
            run.append(chunk)
            run_rows += chunk.height
        merged.append(pl.concat(run) if len(run) > 1 else run[0])
        self._chunks = merged

    def _fold(self) -> None:
        """Add the pending rows to the dense per-id arrays (needed only by tombstones)."""
        if not self._pending:
            return
        keyed = pl.concat(self._pending).with_columns(pl.all().cast(pl.Int64))
        self._pending, self._pending_rows = [], 0
        c = pl.col
        by_city = keyed.group_by(idx=c("ident") * N_CITIES + c("city")).agg(
            n=pl.len().cast(pl.Int64), cents=c("cents").sum(), age=(c("age") + AGE_RANGE[0]).sum()
        )
        _scatter_add(self._id_city_n, by_city["idx"], by_city["n"])
        _scatter_add(self._id_city_cents, by_city["idx"], by_city["cents"])
        _scatter_add(self._id_city_age, by_city["idx"], by_city["age"])
        by_age = keyed.group_by(idx=c("ident") * N_AGES + c("age")).agg(n=pl.len().cast(pl.Int64))
        _scatter_add(self._id_age_n, by_age["idx"], by_age["n"])

    def _compact(self) -> None:
        frame = pl.concat(self._chunks) if self._chunks else empty_rows()
        frame = frame.tail(self.window).rechunk()
        self._chunks = [frame] if frame.height else []
        self._rows_held = frame.height

    def _delete_id(self, ident: int) -> None:
        """Remove every record of ``ident`` from the aggregates and the window."""
        if not ID_RANGE[0] <= ident <= ID_RANGE[1]:
            return
        self._fold()
        base = ident - ID_RANGE[0]
        sl = slice(base * N_CITIES, (base + 1) * N_CITIES)
        for series, totals in (
            (self._id_city_n, self._city_n),
            (self._id_city_cents, self._city_cents),
            (self._id_city_age, self._city_age),
        ):
            for city, v in enumerate(series[sl].to_list()):
                totals[city] -= v
            series.scatter(range(sl.start, sl.stop), 0)
        ages = range(base * N_AGES, (base + 1) * N_AGES)
        for age, v in enumerate(self._id_age_n.gather(list(ages)).to_list()):
            self._age_n[age] -= v
        self._id_age_n.scatter(ages, 0)
        self._chunks = [ch.filter(pl.col("id") != ident) for ch in self._chunks]
        self._rows_held = sum(ch.height for ch in self._chunks)

    # ---- commands (UI thread) -----------------------------------------------------
    def clear(self) -> None:
        """Forget all records, aggregates and counters; consumption continues where it is."""
        with self._lock:
            self._clear()

    def rewind(self) -> None:
        """Clear and forget positions, so the topic can be read again from the start."""
        with self._lock:
            self._next_offset.clear()
            self._clear()

    def _clear(self) -> None:
        self._reset()
        self._consumed = 0
        self._rate_samples.clear()
        self._version += 1  # never reused: a redraw keyed on version must not miss a clear

    @property
    def version(self) -> int:
        """Changes whenever the content changes: the UI redraws only then."""
        return self._version

    @property
    def consumed(self) -> int:
        """Messages taken off the topic since the last clear (rows, tombstones, rejections)."""
        return self._consumed

    def frame(self, record_filter: RecordFilter | None = None) -> pl.DataFrame:
        """The rows held in the window (oldest first), optionally filtered."""
        with self._lock:
            self._compact()
            frame = self._chunks[0] if self._chunks else empty_rows()
        if record_filter is not None and record_filter.active:
            frame = frame.filter(record_filter.expr())
        return frame

    # ---- snapshot (UI thread) -----------------------------------------------------
    def snapshot(self, record_filter: RecordFilter | None = None) -> Snapshot:
        """Compute what the views show; bounded cost whatever the number of records."""
        now = self._clock()
        with self._lock:
            chunks = list(self._chunks)
            consumed = self._consumed
            self._rate_samples.append((now, consumed))
            while len(self._rate_samples) > 2 and now - self._rate_samples[0][0] > RATE_SPAN_S:
                self._rate_samples.popleft()
            t0, c0 = self._rate_samples[0]
            rate = (consumed - c0) / (now - t0) if now > t0 else 0.0
            city_n, city_cents = list(self._city_n), list(self._city_cents)
            city_age, age_n = list(self._city_age), list(self._age_n)
            rejected = dict(self._rejected)
            last_rej = tuple(self._last_rejections)
            version = self._version
        window = (pl.concat(chunks, rechunk=False) if chunks else empty_rows()).tail(self.window)
        filtered = record_filter is not None and record_filter.active
        if filtered:
            assert record_filter is not None
            window = window.filter(record_filter.expr())
            city_n, city_cents, city_age, age_n = _aggregate(window)
        return self._build(
            version, window, city_n, city_cents, city_age, age_n,
            rejected, last_rej, consumed, rate, filtered,
        )

    def _build(
        self, version: int, window: pl.DataFrame, city_n: list[int], city_cents: list[int],
        city_age: list[int], age_n: list[int], rejected: dict[str, int],
        last_rej: tuple[Rejection, ...], consumed: int, rate: float, filtered: bool,
    ) -> Snapshot:
        count = sum(city_n)
        cents = sum(city_cents)
        by_city = pl.DataFrame(
            {
                "cidade": list(CITIES),
                "total": [v / 100 for v in city_cents],
                "count": city_n,
                "age_sum": city_age,
            },
            schema={"cidade": pl.String, "total": pl.Float64, "count": pl.Int64,
                    "age_sum": pl.Int64},
        ).filter(pl.col("count") > 0).select(
            "cidade", "total",
            mean=pl.col("total") / pl.col("count"),
            count="count",
            mean_age=pl.col("age_sum") / pl.col("count"),
            share=pl.col("total") * 100 / (cents / 100 if cents else 1),
        ).sort(["total", "cidade"], descending=[True, False])
        step = max(1, window.height // self._scatter_points)
        rows = pl.int_range((window.height - 1) % step, window.height, step, eager=True)
        sample = window.select(pl.col("idade", "valor").gather(rows))  # fast on many chunks
        return Snapshot(
            version=version,
            count=count,
            total=cents / 100,
            mean_value=cents / 100 / count if count else None,
            mean_age=sum(city_age) / count if count else None,
            rejected=sum(rejected.values()),
            rejected_by_reason=rejected,
            consumed=consumed,
            ingest_rate=rate,
            by_city=by_city,
            age_counts=tuple(age_n),
            scatter_age=sample["idade"].to_list(),
            scatter_value=sample["valor"].to_list(),
            latest=window.tail(self._latest_rows).reverse(),
            window_rows=window.height,
            filtered=filtered,
            last_rejections=last_rej,
        )


def _aggregate(frame: pl.DataFrame) -> tuple[list[int], list[int], list[int], list[int]]:
    """Per-city count, cents, age sum and per-age counts of ``frame`` (filtered views)."""
    c = pl.col
    city_n, city_cents, city_age = [0] * N_CITIES, [0] * N_CITIES, [0] * N_CITIES
    per_city = frame.group_by(city=c("cidade").to_physical()).agg(
        n=pl.len(), cents=(c("valor") * 100).round().cast(pl.Int64).sum(), age=c("idade").sum()
    )
    for city, n, cents, age in per_city.iter_rows():
        city_n[city], city_cents[city], city_age[city] = n, cents, age
    age_n = [0] * N_AGES
    for age, n in frame.group_by("idade").agg(n=pl.len()).iter_rows():
        age_n[age - AGE_RANGE[0]] = n
    return city_n, city_cents, city_age, age_n


__all__ = ["STORE_SCHEMA", "RecordFilter", "RecordStore", "Snapshot"]
