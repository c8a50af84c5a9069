"""Redraw: one full dashboard redraw at 200 x 60 with 1k, 100k and 1M records in the store.

The app is the one the user gets (``make_app``), workers off. One timed redraw is
the timer's work (``app.redraw(force=True)``: snapshot and every widget fed) plus
Textual's screen update (layout, and rendering every changed widget to strips),
run synchronously rather than waiting for the next frame.
Between redraws a few new records arrive, so nothing can be served from a cache
of the previous frame.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import polars as pl

from benchmarks.common import Figure
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.decode import DecodedBatch, decode_batch
from rtd_tui.generator import RecordGenerator
from rtd_tui.store import RecordStore

SIZE = (200, 60)
TARGET_MS = 50.0
TARGET_RATIO = 1.5
POOL = 20_000
TRICKLE = 100


class RowSource:
    """Decoded rows from a pool of generated records, re-offset so each batch is new."""

    def __init__(self, pool: int = POOL, seed: int = 11) -> None:
        generator = RecordGenerator(seed=seed)
        values = [generator.encoded().value for _ in range(pool)]
        self.rows = decode_batch(values, [0] * pool, list(range(pool))).rows
        self.next_offset = 0

    def batch(self, n: int) -> DecodedBatch:
        rows = self.rows.head(n)
        out = rows.with_columns(pl.int_range(self.next_offset, self.next_offset + rows.height,
                                             dtype=pl.Int64).alias("offset"))
        self.next_offset += rows.height
        return DecodedBatch(out)

    def fill(self, store: RecordStore, count: int) -> None:
        while count > 0:
            n = min(count, self.rows.height)
            store.ingest(self.batch(n))
            count -= n


async def _redraws(store: RecordStore, source: RowSource, repeats: int) -> list[float]:
    app = make_app(Settings(window=store.window), store=store, start=False)
    times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(repeats + 1):
            store.ingest(source.batch(TRICKLE))
            await pilot.pause()
            started = time.perf_counter()
            app.redraw(force=True)
            app.screen._on_timer_update()  # layout and paint now, as the next frame would
            times.append(time.perf_counter() - started)
    return times[1:]  # the first redraw warms caches (fonts, styles)


def measure(sizes: tuple[int, ...], repeats: int) -> list[Figure]:
    """Median redraw time per store size and the largest/smallest ratio."""
    source = RowSource()
    medians: dict[int, float] = {}
    for count in sizes:
        store = RecordStore(window=max(count, 200_000) + TRICKLE * (repeats + 2))
        source.fill(store, count)
        times = asyncio.run(_redraws(store, source, repeats))
        medians[count] = statistics.median(times) * 1000
    section = f"redraw, {SIZE[0]}×{SIZE[1]}, median of {repeats}"
    figures = [
        Figure(section, f"{count:,} records", f"{ms:.1f} ms", f"≤ {TARGET_MS:.0f} ms",
               ms <= TARGET_MS)
        for count, ms in medians.items()
    ]
    low, high = min(medians), max(medians)
    ratio = medians[high] / medians[low]
    figures.append(Figure(section, f"ratio {high:,} / {low:,}", f"{ratio:.2f}",
                          f"≤ {TARGET_RATIO}", ratio <= TARGET_RATIO))
    return figures
