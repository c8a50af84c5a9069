"""Offset dedup: each (partition, offset) is counted once, however often it is delivered.

The ledger remembers the next expected offset of each partition. A message below it
was seen before (a redelivery after a reconnect, a rebalance, a retried fetch) and is
dropped, and counted as a duplicate; so is the second copy of a pair inside one batch.

Offsets are only an identity while the partition's log lives: when a topic is deleted
and recreated, or a broker restarts without its data, offsets start again at 0. The
consumer sees that as offsets going back (``OffsetRestarts``) and starts a new epoch
for that partition (``OffsetLedger.restart``): the ledger forgets its old offsets, so
the new records are counted instead of being taken for redeliveries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from rtd_tui.decode import DecodedBatch, Rejection

#: Batches up to this many rows are checked in plain Python (cheaper than a query).
SMALL_BATCH = 32
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class FreshBatch:
    """The part of a batch not seen before, and how many messages each partition gave."""

    rows: pl.DataFrame
    tombstones: list[tuple[int, int, int]]
    rejections: list[Rejection]
    per_partition: Counter[int]

    @property
    def messages(self) -> int:
        """New messages: rows, tombstones and rejections (counted before tombstones apply)."""
        return self.rows.height + len(self.tombstones) + len(self.rejections)


class OffsetLedger:
    """The next expected offset per partition; not thread-safe (the store holds the lock)."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}

    def forget(self) -> None:
        """Accept every offset again (a replay from the beginning)."""
        self._next.clear()

    def restart(self, partition: int) -> None:
        """A new epoch for ``partition``: its offsets were reused, accept them all again."""
        self._next.pop(partition, None)

    def take(self, batch: DecodedBatch) -> FreshBatch:
        """Keep what was not seen before and move the expected offsets past the batch."""
        rows, counts = self._fresh_rows(batch.rows)
        seen: set[tuple[int, int]] = set()
        rejections = self._unseen(batch.rejections,
                                  [(r.partition, r.offset) for r in batch.rejections], seen)
        tombstones = self._unseen(batch.tombstones, [(p, o) for p, o, _ in batch.tombstones],
                                  seen)
        per_partition: Counter[int] = Counter(p for p, _ in seen)
        tops: dict[int, int] = {}
        for p, o in seen:
            if o > tops.get(p, -1):
                tops[p] = o
        for partition, (top, n) in counts.items():
            per_partition[partition] += n
            tops[partition] = max(top, tops.get(partition, -1))
        for partition, top in tops.items():
            self._next[partition] = max(self._next.get(partition, 0), top + 1)
        return FreshBatch(rows, tombstones, rejections, per_partition)

    def _unseen(
        self, items: list[Item], pairs: list[tuple[int, int]], seen: set[tuple[int, int]]
    ) -> list[Item]:
        """The items whose (partition, offset) ``pairs`` are past the ledger and not in
        ``seen`` (which gains them): one copy of each. The usual case (all new, all
        distinct) is found with set operations, without a loop in Python."""
        if not pairs:
            return []
        floor = self._next
        distinct = set(pairs)
        if (len(distinct) == len(pairs) and distinct.isdisjoint(seen)
                and all(o >= floor.get(p, -1) for p, o in pairs)):
            seen |= distinct
            return items
        kept = []
        for item, pair in zip(items, pairs, strict=True):
            if pair[1] >= floor.get(pair[0], -1) and pair not in seen:
                seen.add(pair)
                kept.append(item)
        return kept

    def _plain_batch(self, rows: pl.DataFrame) -> dict[int, tuple[int, int]] | None:
        """(top offset, count) per partition if a small batch is all new and distinct."""
        pairs = list(zip(rows.get_column("partition").to_list(),
                         rows.get_column("offset").to_list(), strict=True))
        if len(set(pairs)) != len(pairs):
            return None
        counts: dict[int, tuple[int, int]] = {}
        for p, o in pairs:
            if o < self._next.get(p, -1):
                return None
            top, n = counts.get(p, (o, 0))
            counts[p] = (max(top, o), n + 1)
        return counts

    def _fresh_rows(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, dict[int, tuple[int, int]]]:
        """The rows not seen before (first of duplicates), with (top offset, count) per partition.

        The usual batch (distinct offsets, all past what was seen) is recognised with one
        small group-by; only other batches pay for ``unique`` and a filter.
        """
        if not rows.height:
            return rows, {}
        if rows.height <= SMALL_BATCH and (counts := self._plain_batch(rows)) is not None:
            return rows, counts
        offset = pl.col("offset")
        stats = rows.group_by("partition").agg(
            offset.min().alias("low"), offset.max().alias("high"), pl.len().alias("n"),
            offset.n_unique().alias("distinct"),
        )
        seen = self._next
        if all(d == n and low >= seen.get(p, -1) for p, low, _, n, d in stats.iter_rows()):
            return rows, {p: (high, n) for p, _, high, n, _ in stats.iter_rows()}
        rows = rows.unique(["partition", "offset"], keep="first", maintain_order=True)
        if seen:
            floor = pl.col("partition").replace_strict(seen, default=-1, return_dtype=pl.Int64)
            rows = rows.filter(offset >= floor)
        kept = rows.group_by("partition").agg(offset.max().alias("high"), pl.len().alias("n"))
        return rows, {p: (high, n) for p, high, n in kept.iter_rows()}


@dataclass(frozen=True, slots=True)
class Restart:
    """Where a partition's offsets went back: at message ``index`` of a batch, ``offset``
    came after ``previous`` had been read."""

    index: int
    partition: int
    offset: int
    previous: int


class OffsetRestarts:
    """The last offset read of each partition, to find where offsets go back.

    A consumer on ``assign()`` receives each partition's offsets in increasing order
    (librdkafka never hands a message below its position), so an offset at or below
    the last one read means the partition's log started again (not thread-safe: the
    consume thread owns it)."""

    def __init__(self) -> None:
        self._last: dict[int, int] = {}

    def forget(self) -> None:
        """After a seek of our own (a replay): offsets going back are expected."""
        self._last.clear()

    def next_offset(self, partition: int) -> int | None:
        """The offset after the last one read (None: none read since the last seek).

        The client's own position can lag behind after it reset a partition's offsets by
        itself (it kept reporting the old epoch's position), so the view trusts this."""
        last = self._last.get(partition)
        return None if last is None else last + 1

    def scan(self, partitions: list[int], offsets: list[int]) -> list[Restart]:
        """The restarts in one batch, in order (usually none), and remember the last offsets."""
        last = self._last
        found = []
        for index, (partition, offset) in enumerate(zip(partitions, offsets, strict=True)):
            previous = last.get(partition, -1)
            if offset <= previous:
                found.append(Restart(index, partition, offset, previous))
            last[partition] = offset
        return found
