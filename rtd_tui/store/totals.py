"""Exact running aggregates over every record since the last clear, whatever the window.

Amounts are whole cents (``records.validate`` rejects more than two decimals), summed
as integers: totals never drift. Per city and per age the sums are plain lists; dense
per-id arrays (city by id, age by id) let a tombstone take an id's records back out
exactly. Rows are counted in the totals at once and folded into the per-id arrays in
bulk, when a tombstone needs them or a few batches have piled up (small folds: a big
one held the store lock longer and left tens of MB of freed pages behind it).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rtd_tui.records import AGE_RANGE, CITIES, ID_RANGE

N_IDS = ID_RANGE[1] - ID_RANGE[0] + 1
N_CITIES = len(CITIES)
N_AGES = AGE_RANGE[1] - AGE_RANGE[0] + 1
#: Rows counted in the totals before they are folded into the per-id arrays in one go.
FOLD_ROWS = 50_000
#: The rows the per-id arrays are folded from: indices into them, and whole cents.
KEYED_SCHEMA = {"ident": pl.Int32, "city": pl.Int32, "age": pl.Int32, "cents": pl.Int64}
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
        lazy = keyed.lazy()
        by_city, by_age = pl.collect_all([  # two small answers: ~90 rows, not 25 x 63 cells
            lazy.group_by("city").agg(n=pl.len(), cents=c("cents").sum(),
                                      age=c("age").cast(pl.Int64).sum()),
            lazy.group_by("age").agg(n=pl.len()),
        ])
        for city, n, amount, age in by_city.iter_rows():
            self._city_n[city] += n
            self._city_cents[city] += amount
            self._city_age[city] += age + AGE_RANGE[0] * n
        for age, n in by_age.iter_rows():
            self._age_n[age] += n
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
        """Take every record of these ids out of the totals: one filter and one select per
        array, whatever the number of ids (the arrays are slot-major: a slot's cells for
        every id are one run, so the ids' cells are the id mask repeated, in slot order)."""
        if not ids:
            return
        self._fold()
        hit = [False] * N_IDS
        for ident in ids:
            hit[ident - ID_RANGE[0]] = True
        by_id = pl.Series(hit, dtype=pl.Boolean)
        deleted = len(set(ids))
        city_cells = pl.concat([by_id] * N_CITIES, rechunk=True)
        self._id_city_n = _take_out(self._id_city_n, city_cells, deleted, self._city_n)
        self._id_city_cents = _take_out(self._id_city_cents, city_cells, deleted,
                                        self._city_cents)
        self._id_city_age = _take_out(self._id_city_age, city_cells, deleted, self._city_age)
        age_cells = pl.concat([by_id] * N_AGES, rechunk=True)
        self._id_age_n = _take_out(self._id_age_n, age_cells, deleted, self._age_n)

    def _fold(self) -> None:
        """Add the pending rows to the dense per-id arrays (needed only by tombstones)."""
        if self._small:
            self._pending.append(pl.DataFrame(self._small, schema=KEYED_SCHEMA, orient="row"))
        if not self._pending:
            return
        keyed = pl.concat(self._pending)  # Int32 keys: the largest cell index is ~567k
        self._pending, self._small, self._pending_rows = [], [], 0
        c = pl.col
        by_city = keyed.group_by(idx=c("city") * N_IDS + c("ident")).agg(
            n=pl.len().cast(pl.Int64), cents=c("cents").sum(),
            age=(c("age").cast(pl.Int64) + AGE_RANGE[0]).sum(),
        )
        _scatter_add(self._id_city_n, by_city["idx"], by_city["n"])
        _scatter_add(self._id_city_cents, by_city["idx"], by_city["cents"])
        _scatter_add(self._id_city_age, by_city["idx"], by_city["age"])
        by_age = keyed.group_by(idx=c("age") * N_IDS + c("ident")).agg(n=pl.len().cast(pl.Int64))
        _scatter_add(self._id_age_n, by_age["idx"], by_age["n"])


def _take_out(per_id: pl.Series, cells: pl.Series, ids: int, totals: list[int]) -> pl.Series:
    """Subtract the ``cells`` of ``ids`` ids from ``totals`` (slot by slot); returns
    ``per_id`` with those cells zeroed."""
    slots = len(totals)
    taken = per_id.filter(cells).reshape((slots, ids)).arr.sum().to_list()
    for slot, value in enumerate(taken):
        totals[slot] -= value
    return pl.select(pl.when(cells).then(0).otherwise(per_id)).to_series()
