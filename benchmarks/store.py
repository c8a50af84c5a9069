"""The store under awkward shapes: a batch of 10,000 tombstones, a one-record-at-a-time stream.

- Tombstones: a full window (200,000 rows, 1,000,000 records counted and the most rows
  the totals ever defer, ``FOLD_ROWS`` less one batch, still to fold), then one batch of
  10,000 tombstones. ``ingest`` holds the store lock from start to end, so its wall time
  is the longest the UI thread can wait for a snapshot (target < 100 ms).
- Trickle: 20,000 one-row batches (5 msg/s for an hour is 18,000); the cost per batch
  and the Arrow chunks a read goes through at the end (they are merged, not piled up).
- Large names: the latest-records table, mounted in an app driven by Textual's pilot at
  160 x 50, given 200 new rows whose names are 60 KB (valid records), against 200
  ordinary rows: the time from ``show`` until the app is idle again (the table drawn).
  Long text is cut before it leaves polars.
"""

from __future__ import annotations

import asyncio
import random
import time

from textual.app import App, ComposeResult

from benchmarks.common import Figure
from rtd_tui.decode import DecodedBatch, decode_batch
from rtd_tui.generator import RecordGenerator
from rtd_tui.records import encode
from rtd_tui.store import RecordStore
from rtd_tui.store.totals import FOLD_ROWS
from rtd_tui.widgets.tables import LatestTable

SECTION_TOMBSTONES = "store, 10,000 tombstones in one batch"
SECTION_TRICKLE = "store, one-row batches"
SECTION_TABLE = "latest-records table, mounted (pilot, 160×50), 200 new rows, best of 5"
LOCK_TARGET_MS = 100.0
ROUNDS = 5


def _values(count: int) -> list[bytes]:
    gen = RecordGenerator(seed=11)
    return [encode(gen.record()) for _ in range(count)]


def tombstone_hold(counted: int, window: int, tombstones: int) -> float:
    """Milliseconds one ``ingest`` of ``tombstones`` tombstones takes (best of rounds:
    the machine is shared, the best is the store's own cost)."""
    values = _values(10_000)
    best = float("inf")
    for _ in range(ROUNDS):
        store = RecordStore(window=window)
        for start in range(0, counted + FOLD_ROWS - len(values), len(values)):
            offsets = list(range(start, start + len(values)))
            store.ingest(decode_batch(values, [0] * len(values), offsets))
        rng = random.Random(5)
        marks = [(1, i, rng.randint(1000, 9999)) for i in range(tombstones)]
        batch = DecodedBatch(decode_batch([], [], []).rows, tombstones=marks)
        started = time.perf_counter()
        store.ingest(batch)
        best = min(best, (time.perf_counter() - started) * 1e3)
    return best


def trickle(batches: int) -> tuple[float, int]:
    """Microseconds per one-row ``ingest``, and the chunks held at the end."""
    values = _values(1_000)
    decoded = [decode_batch([values[i % 1_000]], [0], [i]) for i in range(batches)]
    store = RecordStore()
    started = time.perf_counter()
    for batch in decoded:
        store.ingest(batch)
    per_batch = (time.perf_counter() - started) / batches * 1e6
    return per_batch, store.chunks


class _TableApp(App[None]):
    """The latest-records table alone, mounted, as the dashboard holds it."""

    def compose(self) -> ComposeResult:
        yield LatestTable("Latest records", id="latest")


async def _fill_rounds(name_bytes: int) -> float:
    record = {"id": 4321, "nome": "Ana " + "x" * (name_bytes - 4), "idade": 30,
              "cidade": "Recife", "valor": 100.5, "timestamp": "2026-11-02T14:00:00"}
    value = encode(record)
    app = _TableApp()
    best = float("inf")
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one(LatestTable)
        for round_ in range(ROUNDS):
            first = (round_ + 1) * 200  # new offsets: every row is new to the table
            rows = decode_batch([value] * 200, [0] * 200, list(range(first, first + 200))).rows
            await pilot.pause()
            started = time.perf_counter()
            table.show(rows)
            await pilot.pause()
            best = min(best, (time.perf_counter() - started) * 1e3)
    return best


def table_fill(name_bytes: int) -> float:
    """Milliseconds until a mounted table shows 200 new records with ``name_bytes``-byte
    names (best of rounds)."""
    return asyncio.run(_fill_rounds(name_bytes))


def measure(counted: int = 1_000_000, window: int = 200_000, batches: int = 20_000
            ) -> list[Figure]:
    hold = tombstone_hold(counted, window, 10_000)
    per_batch, chunks = trickle(batches)
    deferred = FOLD_ROWS - 10_000
    return [
        Figure(SECTION_TOMBSTONES, f"longest store lock hold ({counted + deferred:,} counted, "
               f"{deferred:,} of them not yet folded, window {window:,}, best of {ROUNDS})",
               f"{hold:.1f} ms",
               f"< {LOCK_TARGET_MS:g} ms", hold < LOCK_TARGET_MS),
        Figure(SECTION_TRICKLE, f"cost per batch ({batches:,} batches)", f"{per_batch:.0f} µs"),
        Figure(SECTION_TRICKLE, "Arrow chunks held at the end", f"{chunks}"),
        Figure(SECTION_TABLE, "20-byte names", f"{table_fill(20):.1f} ms"),
        Figure(SECTION_TABLE, "60 KB names", f"{table_fill(60 * 1024):.1f} ms"),
    ]


if __name__ == "__main__":
    for figure in measure():
        print(f"{figure.section}: {figure.name}: {figure.value} {figure.target} {figure.verdict}")
