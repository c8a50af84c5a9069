"""Redraw: one full dashboard redraw at 200 x 60 while the workers run at 10,000 msg/s,
with 1k, 100k and 1M records held in the window.

The app is the one the user gets (``make_app``) with its workers running: embedded
broker, producer at 10,000 records/s, consumer and ingest threads, all competing for
the GIL with the UI thread as they do in use. The window is first filled with that
many generated records (on a partition of their own, so the live ones add to them).
One timed redraw is everything the UI thread does from ``app.redraw(force=True)``
(snapshot, every widget fed) until the frames it causes are composed and written and
the app is idle again. It is measured as the UI thread's CPU time
(``time.thread_time``), so waiting for the GIL or a frame slot is not counted; the
app's own cost for the same settling wait is measured and subtracted. The refresh
timer is set far off, so the only redraws are the timed ones.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from benchmarks.common import Figure, RecordSource
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.generator import RecordGenerator
from rtd_tui.store import RecordStore

SIZE = (200, 60)
TARGET_MS = 50.0
TARGET_RATIO = 1.5
RATE = 10_000.0
PREFILL_PARTITION = 1_000  # not one of the topic's: live records never collide with these
WARMUP_S = 3.0


async def _redraws(store: RecordStore, repeats: int) -> list[float]:
    settings = Settings(window=store.window, rate=RATE, refresh=3600.0, seed=5)
    app = make_app(settings, store=store, generator=RecordGenerator(seed=5))
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

        await asyncio.sleep(WARMUP_S)  # the workers reach their rate
        idle = statistics.median([await settle() for _ in range(5)])
        for _ in range(repeats + 1):
            await asyncio.sleep(0.2)  # new records arrive between redraws
            before = frames[0]
            started = time.thread_time()
            app.redraw(force=True)
            while frames[0] == before:  # the first frame with the new data
                await asyncio.sleep(0)
            await settle()  # and whatever follows (scrollbars, a second layout pass)
            times.append(time.thread_time() - started - idle)
        delivered = app.pipeline.producer.stats.delivered if app.pipeline.producer else 0
        if delivered == 0:
            raise RuntimeError("the workers delivered nothing: not a redraw under load")
    return times[1:]  # the first redraw warms caches (fonts, styles)


def measure(sizes: tuple[int, ...], repeats: int) -> list[Figure]:
    """Median redraw time per window size and the largest/smallest ratio."""
    # A first app, not counted: the first one in a process pays for one-time set-up
    # (style and font caches, first calls); it measured ~10 ms slower than the rest.
    warm_up = RecordStore(window=min(sizes))
    RecordSource(partition=PREFILL_PARTITION).fill(warm_up, min(sizes))
    asyncio.run(_redraws(warm_up, 3))
    medians: dict[int, float] = {}
    for count in sizes:
        store = RecordStore(window=count)
        RecordSource(partition=PREFILL_PARTITION).fill(store, count)
        times = asyncio.run(_redraws(store, repeats))
        medians[count] = statistics.median(times) * 1000
    section = (f"redraw, {SIZE[0]}×{SIZE[1]}, workers at {RATE:,.0f} msg/s, UI-thread CPU, "
               f"median of {repeats}")
    figures = [
        Figure(section, f"window of {count:,} records", f"{ms:.1f} ms", f"≤ {TARGET_MS:.0f} ms",
               ms <= TARGET_MS)
        for count, ms in medians.items()
    ]
    low, high = min(medians), max(medians)
    ratio = medians[high] / medians[low]
    figures.append(Figure(section, f"ratio {high:,} / {low:,}", f"{ratio:.2f}",
                          f"≤ {TARGET_RATIO}", ratio <= TARGET_RATIO))
    return figures
