"""Pilot tests of the time features in the app: where reading started on the status line,
the replay dialog (``r``: from the beginning, a time or the last N, keyboard only), and
the stream view's time cursor (Enter: the tail at that time; two marks and ``e``: the
export of the messages between them), on a recorded throughput history."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dashboard_kit import fixed_history, steady_cursor
from kafka_server import KafkaServer
from test_app import live_app, wait_until
from test_seek import PARTITIONS, PER_STEP, STEP_MS, first_offsets, stamp
from test_stream_screens import plain, stream_app
from textual.widgets import Static

from rtd_tui.app import RtdApp
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.screens.dashboard import DashboardScreen
from rtd_tui.screens.export import ExportScreen
from rtd_tui.screens.replay import ReplayScreen
from rtd_tui.screens.stream import StreamScreen
from rtd_tui.screens.tail_at import TailAtScreen
from rtd_tui.widgets.status import StatusLine
from rtd_tui.widgets.time_cursor import TimeCursorChart

SIZE = (160, 50)


def toasts(app: RtdApp) -> list[str]:
    """The notifications on screen, as text."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def test_the_status_line_says_where_reading_started() -> None:
    app = stream_app()
    assert app.pipeline.consumer is not None
    app.pipeline.consumer.started_from = "from 10:00:00"  # what a @TIME start resolves to
    async with app.run_test(size=(80, 24)) as pilot:
        app.redraw(force=True)
        await pilot.pause()
        assert plain(app.screen.query_one(StatusLine)).startswith("● connected · from 10:00:00")


async def test_r_opens_the_dialog_and_esc_leaves_the_view_as_it_was() -> None:
    app = stream_app()
    async with app.run_test(size=SIZE) as pilot:
        count = app.store.snapshot().count
        await pilot.press("r")
        assert isinstance(app.screen, ReplayScreen)
        await pilot.press("down", "escape")
        assert isinstance(app.screen, DashboardScreen)
        assert app.store.snapshot().count == count > 0


@pytest.mark.parametrize(("keys", "says"), [
    (["tab", *"@2026-13-01"], "'@2026-13-01': month must be in 1..12"),
    (["tab", *"yesterday"], "'@yesterday': not a date and time"),
    (["tab", "tab", "backspace", "backspace", "backspace", "0"], "N must be a whole number"),
])
async def test_a_bad_entry_is_said_in_the_dialog_which_stays_open(
    keys: list[str], says: str
) -> None:
    app = stream_app()
    async with app.run_test(size=SIZE) as pilot:
        count = app.store.snapshot().count
        await pilot.press("r", *keys, "enter")
        assert isinstance(app.screen, ReplayScreen)
        assert says in str(app.screen.query_one("#replay-error", Static).render())
        assert app.store.snapshot().count == count


async def test_the_mock_cannot_replay_from_a_time_and_says_so() -> None:
    app = live_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(lambda: app.store.snapshot().count >= 20, "records in the store")
        await pilot.press("r", "down", "enter")
        assert isinstance(app.screen, DashboardScreen)
        await wait_until(lambda: any("cannot look offsets up by time" in t for t in toasts(app)),
                         "the toast")
        assert app.store.snapshot().count >= 20  # nothing was replayed
        assert app.pipeline.status().link.state == "connected"


@pytest.mark.kafka
async def test_replay_from_a_time_and_from_the_last_n_on_apache_kafka(
    kafka: KafkaServer
) -> None:
    topic, base = stamp(kafka)
    now = (base + 2 * STEP_MS + 30_000) / 1000  # @-1m is 30 s after the last step's records
    app = make_app(Settings(bootstrap_servers=kafka.bootstrap_servers, topic=topic,
                            producer_on=False, refresh=0.1),
                   clock=lambda: datetime.fromtimestamp(now))
    app.animation_level = "none"
    every = PARTITIONS * 3 * PER_STEP
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store.snapshot().count == every, "the whole topic")
        await pilot.press("r", "tab", *"@-1m", "enter")
        await wait_until(lambda: app.store.snapshot().count == PARTITIONS * PER_STEP
                         and first_offsets(app.store) == {p: (4, PER_STEP) for p in
                                                          range(PARTITIONS)},
                         "the records from offset 4 on", timeout=30)
        started = time.strftime("%H:%M:%S", time.localtime(now - 60))
        assert app.pipeline.status().start == f"from {started}"
        await pilot.press("r", "tab", "tab", "backspace", "backspace", "backspace", "1", "enter")
        await wait_until(lambda: first_offsets(app.store) == {p: (5, 1) for p in
                                                              range(PARTITIONS)},
                         "the last record of each partition", timeout=30)
        assert app.pipeline.status().start == ""
        await pilot.press("r", "enter")
        await wait_until(lambda: app.store.snapshot().count == every, "the whole topic again")


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=lambda s: "x".join(map(str, s)))
def test_replay_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(stream_app(), terminal_size=size, press=["r", "down"],
                        run_before=steady_cursor)


def chart_app(kafka: KafkaServer, topic: str, now: float, export_dir: Path) -> RtdApp:
    """The app on ``topic`` with the recorded throughput history (its newest sample is
    ``now``, one sample every 5 s before it) and no workers."""
    app = make_app(Settings(bootstrap_servers=kafka.bootstrap_servers, topic=topic,
                            producer_on=False, export_dir=export_dir),
                   clock=lambda: datetime.fromtimestamp(now), start=False)
    app.pipeline.throughput = fixed_history()
    app.animation_level = "none"
    return app


@pytest.mark.kafka
async def test_the_chart_cursor_and_enter_open_the_tail_at_that_time(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    topic, base = stamp(kafka)
    app = chart_app(kafka, topic, (base + 3 * STEP_MS) / 1000, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        # 24 samples of 5 s back (shift: 10 at a time): base + STEP_MS
        await pilot.press("s", "tab", "shift+left", "shift+left", *["left"] * 4)
        chart = app.screen.query_one(TimeCursorChart)
        moment = time.strftime("%H:%M:%S", time.localtime((base + STEP_MS) / 1000))
        assert chart.border_subtitle == f"cursor {moment}"
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, TailAtScreen)
        await wait_until(lambda: screen.table.row_count == PARTITIONS * 2 * PER_STEP,
                         "the messages from the middle step on", timeout=30)
        entries = screen.source.entries()
        assert sorted((e.partition, e.offset) for e in entries) == [
            (p, o) for p in range(PARTITIONS) for o in range(2, 6)]
        assert entries[0].timestamp_ms == base + STEP_MS and entries[0].offset == 2
        assert screen.table.cursor_row == 0  # on the first message at that time
        title = str(screen.query_one("#tail-at-title", Static).render())
        assert f"Messages from {moment}" in title
        await pilot.press("escape")
        assert isinstance(app.screen, StreamScreen)


@pytest.mark.kafka
async def test_two_marks_and_e_export_the_messages_between_them(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    topic, base = stamp(kafka)
    app = chart_app(kafka, topic, (base + 3 * STEP_MS) / 1000, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s", "tab", "shift+left", "shift+left", *["left"] * 4, "m",
                          "shift+right", "right", "right", "m", "e")
        await wait_until(lambda: isinstance(app.screen, ExportScreen), "the export dialog",
                         timeout=30)
        await pilot.press("enter")
        await wait_until(lambda: any(tmp_path.glob("*.parquet")), "the file")
    (path,) = tmp_path.glob("*.parquet")
    frame = pl.read_parquet(path)
    assert sorted(frame.select("partition", "offset").iter_rows()) == [
        (p, o) for p in range(PARTITIONS) for o in (2, 3)]


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=lambda s: "x".join(map(str, s)))
def test_stream_view_with_the_time_cursor(snap_compare: Any, size: tuple[int, int]) -> None:
    keys = ["s", "tab", "shift+left", "shift+left", "shift+left", "m", "shift+left",
            "shift+left", "m", "right", "right"]
    assert snap_compare(stream_app(), terminal_size=size, press=keys)


async def test_a_click_on_the_chart_puts_the_cursor_there() -> None:
    app = stream_app()  # ten minutes of samples, the newest at 14:10:00
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        chart = app.screen.query_one(TimeCursorChart)
        assert chart.border_subtitle == "cursor 14:10:00"
        await pilot.click(TimeCursorChart, offset=(chart.size.width // 2, chart.size.height // 2))
        await pilot.pause()
        subtitle = str(chart.border_subtitle)
        assert "14:04:" in subtitle or "14:05:" in subtitle, subtitle  # about the middle
