"""Exact running aggregates over every record since the last clear, whatever the window.

Amounts are whole cents (``records.validate`` rejects more than two decimals), summed
as integers: totals never drift. Per city and per age the sums are plain lists; dense
per-id arrays (id by city, id by age) let a tombstone take an id's records back out
exactly. Rows are counted in the totals at once and folded into the per-id arrays in
bulk, only when a tombstone needs them or enough have piled up.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rtd_tui.records import AGE_RANGE, CITIES, ID_RANGE

N_IDS = ID_RANGE[1] - ID_RANGE[0] + 1
N_CITIES = len(CITIES)
N_AGES = AGE_RANGE[1] - AGE_RANGE[0] + 1
#: Rows counted in the totals before they are folded into the per-id arrays in one go.
FOLD_ROWS = 200_000
#: Batches up to this many rows are counted in plain Python (cheaper than a query).
SMALL_BATCH = 32


@dataclass(frozen=True, slots=True)
class Totals:
    """A copy of the aggregates: per city count, cents and age sum; count per age."""

    city_n: list[int]
    city_cents: list[int]
    city_age: list[int]
    age_n: list[int]


def _zeros(n: int) -> pl.Series:
    return pl.zeros(n, dtype=pl.Int64, eager=True)


def _scatter_add(target: pl.Series, idx: pl.Series, values: pl.Series) -> None:
    """``target[idx] += values`` for unique ``idx``, in place."""
    target.scatter(idx, target.gather(idx) + values)


def cents(value: pl.Expr) -> pl.Expr:
    """An amount in whole cents (exact: validated amounts have at most two decimals)."""
    return (value * 100).round().cast(pl.Int64)


class RunningTotals:
    """The aggregates and the per-id arrays behind deletions; not thread-safe (the store locks)."""

    def __init__(self) -> None:
        self._id_city_n = _zeros(N_IDS * N_CITIES)
        self._id_city_cents = _zeros(N_IDS * N_CITIES)
        self._id_city_age = _zeros(N_IDS * N_CITIES)
        self._id_age_n = _zeros(N_IDS * N_AGES)
        self._city_n = [0] * N_CITIES
        self._city_cents = [0] * N_CITIES
        self._city_age = [0] * N_CITIES
        self._age_n = [0] * N_AGES
        self._pending: list[pl.DataFrame] = []  # keyed rows not yet in the per-id arrays
        self._small: list[tuple[int, int, int, int]] = []  # the same, from small batches
        self._pending_rows = 0

    def copy(self) -> Totals:
        """The aggregates as they are now (cheap: a few short lists)."""
        return Totals(list(self._city_n), list(self._city_cents), list(self._city_age),
                      list(self._age_n))

    def add(self, rows: pl.DataFrame) -> None:
        """Count ``rows`` in the totals now; fold them into the per-id arrays later, in bulk."""
        if rows.height <= SMALL_BATCH:
            self._add_small(rows)
            return
        c = pl.col
        keyed = rows.select(
            ident=(c("id") - ID_RANGE[0]).cast(pl.Int32),
            city=c("cidade").to_physical().cast(pl.Int32),
            age=(c("idade") - AGE_RANGE[0]).cast(pl.Int32),
            cents=cents(c("valor")),
        )
        cells = keyed.group_by("city", "age").agg(n=pl.len(), cents=c("cents").sum())
        for city, age, n, amount in cells.iter_rows():
            self._count(city, age, n, amount)
        self._pending.append(keyed)
        self._pending_rows += keyed.height
        if self._pending_rows >= FOLD_ROWS:
            self._fold()

    def _add_small(self, rows: pl.DataFrame) -> None:
        """``add`` for a few rows (a slow stream): plain lists, no polars query per batch."""
        ids = [i - ID_RANGE[0] for i in rows.get_column("id").to_list()]
        cities = rows.get_column("cidade").to_physical().to_list()
        ages = [a - AGE_RANGE[0] for a in rows.get_column("idade").to_list()]
        amounts = [round(v * 100) for v in rows.get_column("valor").to_list()]
        for city, age, amount in zip(cities, ages, amounts, strict=True):
            self._count(city, age, 1, amount)
        self._small.extend(zip(ids, cities, ages, amounts, strict=True))
        self._pending_rows += len(ids)
        if self._pending_rows >= FOLD_ROWS:
            self._fold()

    def _count(self, city: int, age: int, n: int, amount: int) -> None:
        self._city_n[city] += n
        self._city_cents[city] += amount
        self._city_age[city] += (age + AGE_RANGE[0]) * n
        self._age_n[age] += n

    def delete_ids(self, ids: list[int]) -> None:
        """Take every record of these ids out of the totals: one gather and scatter in all."""
        if not ids:
            return
        self._fold()
        base = pl.Series(ids, dtype=pl.Int64) - ID_RANGE[0]
        self._take_out(base, N_CITIES, [
            (self._id_city_n, self._city_n),
            (self._id_city_cents, self._city_cents),
            (self._id_city_age, self._city_age),
        ])
        self._take_out(base, N_AGES, [(self._id_age_n, self._age_n)])

    @staticmethod
    def _take_out(
        base: pl.Series, width: int, pairs: list[tuple[pl.Series, list[int]]]
    ) -> None:
        """Subtract the ids' cells from ``totals`` and zero them in ``per_id``, per pair."""
        cells = _cell_indices(base, width)
        for per_id, totals in pairs:
            taken = per_id.gather(cells).reshape((width, base.len())).arr.sum().to_list()
            for slot, value in enumerate(taken):
                totals[slot] -= value
            per_id.scatter(cells, 0)

    def _fold(self) -> None:
        """Add the pending rows to the dense per-id arrays (needed only by tombstones)."""
        if self._small:
            self._pending.append(pl.DataFrame(
                self._small, schema=["ident", "city", "age", "cents"], orient="row"))
        if not self._pending:
            return
        keyed = pl.concat([f.cast(pl.Int64) for f in self._pending])
        self._pending, self._small, self._pending_rows = [], [], 0
        c = pl.col
        by_city = keyed.group_by(idx=c("ident") * N_CITIES + c("city")).agg(
            n=pl.len().cast(pl.Int64), cents=c("cents").sum(), age=(c("age") + AGE_RANGE[0]).sum()
        )
        _scatter_add(self._id_city_n, by_city["idx"], by_city["n"])
        _scatter_add(self._id_city_cents, by_city["idx"], by_city["cents"])
        _scatter_add(self._id_city_age, by_city["idx"], by_city["age"])
        by_age = keyed.group_by(idx=c("ident") * N_AGES + c("age")).agg(n=pl.len().cast(pl.Int64))
        _scatter_add(self._id_age_n, by_age["idx"], by_age["n"])


def _cell_indices(base: pl.Series, width: int) -> pl.Series:
    """Flat indices of the cells of the ids ``base`` in an ids by ``width`` array, slot by
    slot: the first ``len(base)`` are slot 0 of each id, and so on."""
    n = base.len()
    flat = pl.int_range(n * width, eager=True, dtype=pl.Int64)
    return base.gather(flat % n) * width + flat // n
