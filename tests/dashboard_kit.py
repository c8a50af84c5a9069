"""Builders for deterministic dashboards: checked-in records, a fixed clock, no workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from rtd_tui.app import RtdApp
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.decode import decode_batch
from rtd_tui.store import RecordStore
from rtd_tui.throughput import ThroughputHistory, ThroughputSample

FIXTURE = Path(__file__).with_name("fixtures") / "records.jsonl"
FIXED_NOW = datetime(2026, 11, 2, 14, 10, 0)
PARTITIONS = 4


def fixture_values(limit: int | None = None) -> list[bytes]:
    """The checked-in records (generated once with Faker pt_BR, seed 2026) as wire values."""
    lines = FIXTURE.read_bytes().splitlines()
    return lines[:limit] if limit is not None else lines


def filled_store(
    values: list[bytes], window: int = 200_000, clock: Callable[[], float] = lambda: 100.0
) -> RecordStore:
    """A store fed like the consumer feeds it: round-robin partitions, sequential offsets."""
    store = RecordStore(window=window, clock=clock)
    partitions = [i % PARTITIONS for i in range(len(values))]
    offsets = [i // PARTITIONS for i in range(len(values))]
    store.ingest(decode_batch(values, partitions, offsets, [None] * len(values)))
    return store


def fixed_history() -> ThroughputHistory:
    """Ten minutes of samples, and a clock that stands still: timers add nothing."""
    history = ThroughputHistory(clock=lambda: 600.0)
    for i in range(121):
        t = i * 5.0
        rate = 200.0 + 150.0 * ((i // 12) % 2) + (i % 12) * 5
        lag = max(0, 900 - abs(i - 70) * 30)
        history.add(ThroughputSample(t, rate, lag))
    return history


def still_app(store: RecordStore | None = None, **settings: object) -> RtdApp:
    """The real app, built by the CLI's factory, with fixed data and clock and no workers."""
    app = make_app(
        Settings(bootstrap_servers="localhost:9092", **settings),  # type: ignore[arg-type]
        store=store if store is not None else filled_store(fixture_values()),
        clock=lambda: FIXED_NOW,
        start=False,
    )
    app.pipeline.throughput = fixed_history()
    app.animation_level = "none"
    return app


async def steady_cursor(pilot: Pilot[int]) -> None:
    """``run_before`` for snapshots: input cursors stop blinking, so the screen is steady."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
