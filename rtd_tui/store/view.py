"""What the views get: the filter they asked for and a ``Snapshot`` built for them.

A snapshot is small, precomputed data whose cost does not grow with the number of
records: aggregates as short lists, the by-city table, a bounded scatter sample and
the latest rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl

from rtd_tui.decode import Rejection
from rtd_tui.records import AGE_RANGE, CITIES
from rtd_tui.store.totals import N_AGES, N_CITIES, Totals, cents


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
    """Everything the dashboard shows, computed once per redraw.

    Unfiltered, the aggregates cover every record since the last clear. Filtered, they
    cover the filter's matches among the last ``covered`` records (the window).
    """

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
    covered: int | None = None  # filtered: the raw rows the filter looked at
    last_rejections: tuple[Rejection, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Counters:
    """The store's message counters at one moment."""

    version: int
    consumed: int
    rate: float
    rejected: dict[str, int]
    last_rejections: tuple[Rejection, ...]


def build_snapshot(
    window: pl.DataFrame, totals: Totals, counters: Counters, record_filter: RecordFilter | None,
    latest_rows: int, scatter_points: int, *, arrived: int | None = None,
) -> Snapshot:
    """The snapshot of ``window`` and ``totals`` (recomputed from the window when filtered).

    ``arrived``: rows the window was ever given (its newest row is number ``arrived - 1``),
    which anchors the scatter sample to the records; unknown, it is anchored to the newest.
    """
    covered = None
    if record_filter is not None and record_filter.active:
        covered = window.height
        window = window.filter(record_filter.expr())
        totals = aggregate(window)
        arrived = None  # the filter's matches have no arrival numbers of their own
    count = sum(totals.city_n)
    total_cents = sum(totals.city_cents)
    sample = scatter_sample(window, scatter_points,
                            window.height if arrived is None else arrived)
    rejected = counters.rejected
    return Snapshot(
        version=counters.version,
        count=count,
        total=total_cents / 100,
        mean_value=total_cents / 100 / count if count else None,
        mean_age=sum(totals.city_age) / count if count else None,
        rejected=sum(rejected.values()),
        rejected_by_reason=rejected,
        consumed=counters.consumed,
        ingest_rate=counters.rate,
        by_city=_by_city(totals, total_cents),
        age_counts=tuple(totals.age_n),
        scatter_age=sample["idade"].to_list(),
        scatter_value=sample["valor"].to_list(),
        latest=window.tail(latest_rows).reverse(),
        window_rows=window.height,
        filtered=covered is not None,
        covered=covered,
        last_rejections=counters.last_rejections,
    )


def scatter_sample(window: pl.DataFrame, points: int, arrived: int) -> pl.DataFrame:
    """Age and value of ``points`` to twice as many records spread over the window (all
    of a smaller one): every ``step``-th by arrival number (``arrived`` numbers the row
    after the newest), not by place in the window. As records arrive, those whose
    number qualifies join the sample and the oldest leave; the rest stay, so the
    scatter changes only where points come and go. ``step`` is a power of two: when
    the window grows past the next one, half the points stay."""
    step = 1 << max(0, math.floor(math.log2(max(1, window.height / points))))
    first = (window.height - arrived) % step  # the first row whose number is a multiple
    rows = pl.int_range(first, window.height, step, eager=True)
    return window.select(pl.col("idade", "valor").gather(rows))  # fast on many chunks


def _by_city(totals: Totals, total_cents: int) -> pl.DataFrame:
    """Total, mean, count, mean age and share per city, largest total first."""
    return pl.DataFrame(
        {
            "cidade": list(CITIES),
            "total": [v / 100 for v in totals.city_cents],
            "count": totals.city_n,
            "age_sum": totals.city_age,
        },
        schema={"cidade": pl.String, "total": pl.Float64, "count": pl.Int64, "age_sum": pl.Int64},
    ).filter(pl.col("count") > 0).select(
        "cidade", "total",
        mean=pl.col("total") / pl.col("count"),
        count="count",
        mean_age=pl.col("age_sum") / pl.col("count"),
        share=pl.col("total") * 100 / (total_cents / 100 if total_cents else 1),
    ).sort(["total", "cidade"], descending=[True, False])


def aggregate(frame: pl.DataFrame) -> Totals:
    """The aggregates of ``frame`` alone (filtered views; tests compare with the running ones)."""
    c = pl.col
    city_n, city_cents, city_age = [0] * N_CITIES, [0] * N_CITIES, [0] * N_CITIES
    per_city = frame.group_by(city=c("cidade").to_physical()).agg(
        n=pl.len(), cents=cents(c("valor")).sum(), age=c("idade").cast(pl.Int64).sum()
    )
    for city, n, amount, age in per_city.iter_rows():
        city_n[city], city_cents[city], city_age[city] = n, amount, age
    age_n = [0] * N_AGES
    for age, n in frame.group_by("idade").agg(n=pl.len()).iter_rows():
        age_n[age - AGE_RANGE[0]] = n
    return Totals(city_n, city_cents, city_age, age_n)
