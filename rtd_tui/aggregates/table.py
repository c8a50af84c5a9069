"""The latest row per key of the aggregates topic, and the raw view's figures from it.

``AggregateTable`` is what a compacted topic means: a tombstone removes its key, a
newer value replaces the older. ``figures`` turns the rows into exactly what the raw
view's store counts (per city count, cents and age sum; count per age; rejections by
reason; messages per raw partition), optionally minus a baseline taken at a clear.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rtd_tui.aggregates.rows import (
    CELL,
    PARTITION,
    REJECTED,
    TOMBSTONES,
    AggregateKey,
    AggregateRow,
    parse_cell,
)
from rtd_tui.records import AGE_RANGE
from rtd_tui.store.totals import N_AGES, N_CITIES, Totals


@dataclass(frozen=True, slots=True)
class PartitionProgress:
    """How far the job has read one raw partition (from its ``partition`` row)."""

    records: int  # messages read: valid, rejected and tombstones
    max_offset: int | None
    last_ts: int | None  # newest message timestamp read, ms since the epoch


@dataclass(frozen=True, slots=True)
class Figures:
    """The raw view's aggregates, as the job computed them."""

    totals: Totals
    rejected: dict[str, int]
    partitions: dict[int, PartitionProgress]
    tombstones: int

    @property
    def consumed(self) -> int:
        """Raw messages the job has read (the raw view's "consumed")."""
        return sum(p.records for p in self.partitions.values())


class AggregateTable:
    """The latest row of each key; not thread-safe (the store locks)."""

    def __init__(self, rows: dict[AggregateKey, AggregateRow] | None = None) -> None:
        self._rows: dict[AggregateKey, AggregateRow] = dict(rows or {})

    def apply(self, updates: Iterable[tuple[AggregateKey, AggregateRow | None]]) -> None:
        """Upserts and tombstones, in topic order."""
        for key, row in updates:
            if row is None:
                self._rows.pop(key, None)
            else:
                self._rows[key] = row

    def row(self, key: AggregateKey) -> AggregateRow | None:
        """The latest row of ``key`` (``None``: never seen, or gone)."""
        return self._rows.get(key)

    def copy(self) -> AggregateTable:
        return AggregateTable(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def figures(self, baseline: AggregateTable | None = None) -> Figures:
        """The figures now, less those of ``baseline`` (the table at a clear): a row the
        baseline holds counts only what it gained since. Rows are decoded names, so a
        row that reached the table has a valid name."""
        base = baseline._rows if baseline is not None else {}
        city_n, city_cents, city_age = [0] * N_CITIES, [0] * N_CITIES, [0] * N_CITIES
        age_n = [0] * N_AGES
        rejected: dict[str, int] = {}
        partitions: dict[int, PartitionProgress] = {}
        tombstones = 0
        for key, row in self._rows.items():
            before = base.get(key)
            n = row.records - (before.records if before else 0)
            if key.kind == CELL:
                cents = (row.cents or 0) - ((before.cents or 0) if before else 0)
                if n <= 0:  # a tombstone after the clear took out records from before it
                    continue
                cell = parse_cell(key.name)
                city_n[cell.city] += n
                city_cents[cell.city] += cents
                city_age[cell.city] += cell.age * n
                age_n[cell.age - AGE_RANGE[0]] += n
            elif key.kind == REJECTED and n > 0:
                rejected[key.name] = n
            elif key.kind == PARTITION:
                partitions[int(key.name)] = PartitionProgress(max(n, 0), row.max_offset,
                                                              row.last_ts)
            elif key.kind == TOMBSTONES:
                tombstones = max(n, 0)
        return Figures(Totals(city_n, city_cents, city_age, age_n), rejected, partitions,
                       tombstones)
