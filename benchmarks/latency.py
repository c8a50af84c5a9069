"""Latency: produce-to-screen delay at 10k msgs/s with the dashboard running.

The whole app runs (embedded broker, producer and consumer workers, the redraw
timer) at 200 x 60. For every record, the delay is from the timestamp the producer
wrote into it to the moment the screen update that first includes it completes
(the first ``_display`` after the snapshot that counted it).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import polars as pl

from benchmarks.common import Figure
from rtd_tui.cli import make_app
from rtd_tui.config import DEFAULT_REFRESH, Settings
from rtd_tui.decode import DecodedBatch
from rtd_tui.store import RecordFilter, RecordStore, Snapshot

RATE = 10_000.0
WARMUP_S = 3.0
SLACK_MS = 150.0


class TimedStore(RecordStore):
    """A store that remembers which version each batch's timestamps arrived in."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[tuple[int, pl.Series, datetime]] = []
        self.snapshot_version: int | None = None

    def ingest(self, batch: DecodedBatch) -> int:
        new = super().ingest(batch)
        if batch.rows.height:
            self.arrivals.append((self.version, batch.rows["timestamp"], datetime.now()))
        return new

    def snapshot(self, record_filter: RecordFilter | None = None) -> Snapshot:
        snap = super().snapshot(record_filter)
        self.snapshot_version = snap.version
        return snap


async def _run(seconds: float, refresh: float) -> tuple[TimedStore, list[tuple[int, datetime]],
                                                        float]:
    store = TimedStore()
    settings = Settings(rate=RATE, refresh=refresh, seed=5)
    app = make_app(settings, store=store)
    shown: list[tuple[int, datetime]] = []
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        version = store.snapshot_version
        if version is not None and renderable is not None:
            shown.append((version, datetime.now()))
            store.snapshot_version = None

    app._display = timed_display  # type: ignore[method-assign]
    async with app.run_test(size=(200, 60)):
        await asyncio.sleep(WARMUP_S + seconds)
        producer = app.pipeline.producer
        delivered_rate = producer.stats.delivered / (WARMUP_S + seconds) if producer else 0.0
        app.pipeline.stop()
    app.pipeline.close()
    return store, shown, delivered_rate


def _delays_ms(stamps: pl.Series, at: datetime) -> pl.Series:
    """Milliseconds from each record's own timestamp to ``at``."""
    ts = stamps.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us")
    delay = (pl.lit(at, dtype=pl.Datetime("us")) - ts).dt.total_microseconds() / 1000
    return pl.select(delay.alias("ms")).to_series()


def measure(seconds: float, refresh: float = DEFAULT_REFRESH) -> list[Figure]:
    store, shown, delivered = asyncio.run(_run(seconds, refresh))
    start = datetime.now().timestamp() - seconds  # ignore records shown during warm-up
    screen: list[pl.Series] = []
    stored: list[pl.Series] = []
    arrivals = iter(store.arrivals)
    pending = next(arrivals, None)
    for version, at in shown:
        while pending is not None and pending[0] <= version:
            if at.timestamp() >= start:
                screen.append(_delays_ms(pending[1], at))
                stored.append(_delays_ms(pending[1], pending[2]))
            pending = next(arrivals, None)
    delays = pl.concat(screen) if screen else None
    section = f"latency, produce → screen at {RATE:,.0f} msg/s, refresh {refresh} s"
    if delays is None or delays.is_empty():
        return [Figure(section, "records shown", "none", "> 0", False)]
    p50, p99 = delays.quantile(0.5), delays.quantile(0.99)
    assert p50 is not None and p99 is not None
    target = refresh * 1000 + SLACK_MS
    to_store = pl.concat(stored)
    return [
        Figure(section, "producer delivered", f"{delivered:,.0f} msg/s"),
        Figure(section, "produce → in the store, p50 / p99",
               f"{to_store.quantile(0.5):.0f} / {to_store.quantile(0.99):.0f} ms"),
        Figure(section, f"records measured ({seconds:.0f} s after warm-up)", f"{delays.len():,}"),
        Figure(section, "p50", f"{p50:.0f} ms"),
        Figure(section, "p99", f"{p99:.0f} ms", f"≤ {target:.0f} ms", p99 <= target),
    ]

