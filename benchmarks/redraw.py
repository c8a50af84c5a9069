"""Redraw: the UI thread's CPU per refresh tick at 200 x 60 with the workers at 10,000
msg/s (1k, 100k and 1M records held), and how often a tick at 5 msg/s draws a chart.

The app is the one the user gets (``make_app``) with its workers running: embedded
broker, producer, consumer and ingest threads, all competing for the GIL with the UI
thread as they do in use. The window is first filled with that many generated records
(on a partition of their own, so the live ones add to them). The refresh timer is set
far off and the benchmark runs the ticks itself: one timed tick is everything the UI
thread does from ``app.redraw()`` (the refresh timer's call: snapshot, widgets fed
when the store changed) until the app is idle again (``pilot.pause``, twice: the
frames it causes are composed and written). It is measured as the UI thread's CPU time
(``time.thread_time``), so waiting for the GIL is not counted; the app's own cost for
the same settling wait is measured and subtracted.

At 5 msg/s the figure is the share of ticks that drew no chart (the charts' public
``drawings`` counters did not move): the cards and the latest table change with every
record, the charts only when what their cells show does.

``python -m benchmarks.redraw`` prints the figures; ``--before PATH`` (another checkout
of rtd-tui, for example an older commit's ``git archive``) measures that one first in a
child process, so a before/after pair shares one run.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from textual.pilot import Pilot

from benchmarks.common import Figure, RecordSource
from rtd_tui.app import RtdApp
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.generator import RecordGenerator
from rtd_tui.store import RecordStore

SIZE = (200, 60)
TARGET_MS = 30.0
RATE = 10_000.0
SLOW_RATE = 5.0
SLOW_TICKS = 40
TICK_S = 0.5  # the default refresh interval: the records one tick sees
PREFILL_PARTITION = 1_000  # not one of the topic's: live records never collide with these
WARMUP_S = 3.0
CHARTS = ("chart-city", "chart-age", "chart-scatter", "chart-share", "chart-throughput")


async def _settle(pilot: Pilot[int]) -> float:
    """UI-thread CPU seconds spent until the app is idle again."""
    started = time.thread_time()
    await pilot.pause()
    await pilot.pause()
    return time.thread_time() - started


def _drawings(app: RtdApp) -> int | None:
    """Chart drawings so far (None where the charts do not count them: older code)."""
    counts = [getattr(app.screen.query_one(f"#{cid}"), "drawings", None) for cid in CHARTS]
    return None if None in counts else sum(c for c in counts if c is not None)


async def _ticks(store: RecordStore, rate: float, ticks: int) -> tuple[list[float], list[int]]:
    """UI-thread CPU seconds of each tick after the first, and the charts drawn in each."""
    settings = Settings(window=store.window, rate=rate, refresh=3600.0, seed=5)
    app = make_app(settings, store=store, generator=RecordGenerator(seed=5))
    times: list[float] = []
    drawn: list[int] = []
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.sleep(WARMUP_S)  # the workers reach their rate
        idle = statistics.median([await _settle(pilot) for _ in range(5)])
        for _ in range(ticks + 1):
            await asyncio.sleep(TICK_S)  # new records arrive between ticks
            before = _drawings(app)
            started = time.thread_time()
            app.redraw()
            await _settle(pilot)
            times.append(time.thread_time() - started - idle)
            after = _drawings(app)
            if before is not None and after is not None:
                drawn.append(after - before)
        delivered = app.pipeline.producer.stats.delivered if app.pipeline.producer else 0
        if delivered == 0:
            raise RuntimeError("the workers delivered nothing: not a redraw under load")
    return times[1:], drawn[1:]  # the first tick warms caches (fonts, styles)


def _filled(count: int) -> RecordStore:
    store = RecordStore(window=count)
    RecordSource(partition=PREFILL_PARTITION).fill(store, count)
    return store


def measure(sizes: tuple[int, ...], repeats: int) -> list[Figure]:
    """Median UI-thread CPU per tick at 10,000 msg/s per window size; the share of ticks
    that drew no chart at 5 msg/s."""
    # A first app, not counted: the first one in a process pays for one-time set-up
    # (style and font caches, first calls).
    asyncio.run(_ticks(_filled(min(sizes)), RATE, 3))
    section = (f"redraw, {SIZE[0]}×{SIZE[1]}, UI-thread CPU per {TICK_S:g} s refresh tick, "
               f"median of {repeats}")
    figures = []
    for count in sizes:
        times, _ = asyncio.run(_ticks(_filled(count), RATE, repeats))
        ms = statistics.median(times) * 1000
        figures.append(Figure(section, f"{RATE:,.0f} msg/s, window of {count:,} records",
                              f"{ms:.1f} ms", f"≤ {TARGET_MS:.0f} ms", ms <= TARGET_MS))
    times, drawn = asyncio.run(_ticks(_filled(min(sizes)), SLOW_RATE, SLOW_TICKS))
    figures.append(Figure(section, f"{SLOW_RATE:g} msg/s, window of {min(sizes):,} records",
                          f"{statistics.median(times) * 1000:.1f} ms"))
    if drawn:
        quiet = sum(1 for d in drawn if d == 0) / len(drawn)
        figures.append(Figure(section, f"{SLOW_RATE:g} msg/s: ticks that draw no chart",
                              f"{quiet:.0%} of {len(drawn)}", "most (> 50 %)", quiet > 0.5))
    return figures


def _print(label: str, figures: list[Figure]) -> None:
    for figure in figures:
        print(f"{label}\t{figure.name}\t{figure.value}\t{figure.target}\t{figure.verdict}")


def main(argv: list[str]) -> None:
    """``[label]`` measures this checkout; ``--before PATH`` first measures the one at
    PATH (this file run there, its ``rtd_tui`` and ``benchmarks.common`` imported)."""
    sizes, repeats = (1_000, 100_000, 1_000_000), 9
    if argv[:1] == ["--before"]:
        other = Path(argv[1]).resolve()
        env = {**os.environ, "PYTHONPATH": str(other)}
        subprocess.run([sys.executable, __file__, "before"], env=env, cwd=other, check=True)
        argv = []
    _print(argv[0] if argv else "after", measure(sizes, repeats))


if __name__ == "__main__":
    main(sys.argv[1:])
