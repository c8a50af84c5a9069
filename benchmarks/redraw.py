"""Redraw: one full dashboard redraw at 200 x 60 with 1k, 100k and 1M records in the store.

The app is the one the user gets (``make_app``), workers off. One timed redraw is
everything the UI thread does from the timer's tick (``app.redraw(force=True)``:
snapshot, every widget fed) until the frames it causes are composed and written
and the app is idle again: layout, the charts' plotext drawing, the tables'
lines. It is measured as the UI thread's CPU time (``time.thread_time``), so the
wait for Textual's next frame slot is not counted; the idle app's own cost for
the same wait is measured and subtracted. Between redraws a few new records
arrive, so nothing can be served from a cache of the previous frame.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

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
    frames = [0]
    display = app._display

    def counted(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        frames[0] += 1

    app._display = counted  # type: ignore[method-assign]
    times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:

        async def settle() -> float:
            """UI-thread CPU seconds spent until the app is idle again."""
            started = time.thread_time()
            await pilot.pause()
            await pilot.pause()
            return time.thread_time() - started

        await settle()
        idle = statistics.median([await settle() for _ in range(5)])
        for _ in range(repeats + 1):
            store.ingest(source.batch(TRICKLE))
            await settle()
            before = frames[0]
            started = time.thread_time()
            app.redraw(force=True)
            while frames[0] == before:  # the first frame with the new data
                await asyncio.sleep(0)
            await settle()  # and whatever follows (scrollbars, a second layout pass)
            times.append(time.thread_time() - started - idle)
    return times[1:]  # the first redraw warms caches (fonts, styles)


def measure(sizes: tuple[int, ...], repeats: int) -> list[Figure]:
    """Median redraw time per store size and the largest/smallest ratio."""
    source = RowSource()
    # A first app, not counted: the first one in a process pays for one-time set-up
    # (style and font caches, first calls); it measured ~10 ms slower than the rest.
    warm_up = RecordStore(window=200_000)
    source.fill(warm_up, min(sizes))
    asyncio.run(_redraws(warm_up, source, 3))
    medians: dict[int, float] = {}
    for count in sizes:
        store = RecordStore(window=max(count, 200_000) + TRICKLE * (repeats + 2))
        source.fill(store, count)
        times = asyncio.run(_redraws(store, source, repeats))
        medians[count] = statistics.median(times) * 1000
    section = f"redraw, {SIZE[0]}×{SIZE[1]}, UI-thread CPU, median of {repeats}"
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
