"""Pilot tests of the live dashboard: real workers, embedded broker, real keys."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from dashboard_kit import filled_store, fixture_values, still_app
from rich.console import Console
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from rtd_tui.app import RtdApp
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.decode import decode_batch
from rtd_tui.garbage import GC_FULL_EVERY, GC_MIN_NEW, GarbageTimer
from rtd_tui.generator import RecordGenerator
from rtd_tui.screens.help import HelpScreen
from rtd_tui.store import RecordStore
from rtd_tui.widgets.format import count
from rtd_tui.widgets.metrics import MetricCard
from rtd_tui.widgets.plot import PlotWidget

SIZE = (160, 50)


def live_app(**settings: object) -> RtdApp:
    """The dashboard exactly as `rtd-tui` starts it, but fast and seeded."""
    defaults: dict[str, object] = {"rate": 200.0, "refresh": 0.1, "seed": 11}
    defaults.update(settings)
    app = make_app(Settings(**defaults), generator=RecordGenerator(seed=11))  # type: ignore[arg-type]
    app.animation_level = "none"
    return app


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Poll ``condition`` on the running loop until it holds (fails with ``what``)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_live_dashboard_shows_data_and_quits_cleanly() -> None:
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store.snapshot().count >= 20, "records in the store")
        await wait_until(lambda: app.redraws >= 2, "a redraw")
        status = app.pipeline.status()
        assert status.link.state == "connected"
        assert status.broker.startswith("embedded @ 127.0.0.1:")
        await pilot.press("q")
        await wait_until(lambda: app.return_code is not None, "the app to exit")
    assert app.return_code == 0
    assert not [t for t in threading.enumerate() if t.name in ("producer", "consumer")]


async def test_first_records_do_not_wait_for_the_refresh_interval() -> None:
    """With a 60 s refresh, the first records still show as soon as they are stored:
    the app looks for them often until they are drawn."""
    app = live_app(refresh=60.0)
    async with app.run_test(size=SIZE):
        card = app.screen.query_one("#m-count", MetricCard)
        await wait_until(lambda: card.value not in ("", "0"), "the first records on screen")


async def test_p_stops_the_producer_and_nothing_new_arrives() -> None:
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store.snapshot().count >= 10, "first records")
        await pilot.press("p")
        assert not app.pipeline.control.enabled
        produced = app.pipeline.status().produced
        await wait_until(lambda: produced.in_flight == 0, "in-flight deliveries to settle")
        await wait_until(
            lambda: app.store.snapshot().count == produced.delivered, "the consumer to catch up"
        )
        settled = app.store.snapshot().count
        await pilot.press("p")
        await wait_until(lambda: app.store.snapshot().count > settled, "records after p again")


async def test_p_then_c_leaves_an_empty_dashboard() -> None:
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store.snapshot().count >= 10, "first records")
        await pilot.press("p")
        produced = app.pipeline.status().produced
        await wait_until(
            lambda: app.store.snapshot().count == produced.delivered, "the consumer to catch up"
        )
        await pilot.press("c")
        snap = app.store.snapshot()
        assert (snap.count, snap.total, snap.rejected, snap.window_rows) == (0, 0.0, 0, 0)
        await pilot.press("p")
        await wait_until(lambda: app.store.snapshot().count > 0, "refill after p")


async def test_c_empties_the_view() -> None:
    app = still_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.store.snapshot().count == 3000
        await pilot.press("c")
        snap = app.store.snapshot()
        assert snap.count == 0 and snap.total == 0 and snap.latest.height == 0
        table = app.screen.query_one("#latest")
        assert table.row_count == 0  # type: ignore[attr-defined]


async def test_space_freezes_redraws_while_ingest_continues() -> None:
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store.snapshot().count >= 10, "first records")
        await pilot.press("space")
        assert app.paused
        frozen = app.redraws
        before = app.store.snapshot().count
        await wait_until(lambda: app.store.snapshot().count > before + 20, "ingest while paused")
        assert app.redraws == frozen
        await pilot.press("space")
        await wait_until(lambda: app.redraws > frozen, "redraws after resuming")


async def test_plus_and_minus_scale_the_rate() -> None:
    app = still_app(rate=5.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus")
        assert app.pipeline.control.rate == 20.0
        await pilot.press("minus")
        assert app.pipeline.control.rate == 10.0


def bound_keys(*classes: type) -> set[str]:
    """Every key the classes bind (Textual key names)."""
    keys: set[str] = set()
    for cls in classes:
        for binding in cls.BINDINGS:  # type: ignore[attr-defined]
            key = binding.key if isinstance(binding, Binding) else binding[0]
            keys.update(k.strip() for k in key.split(","))
    return keys


def test_help_tables_cover_every_key_of_every_view() -> None:
    from rtd_tui.actions import ACTIONS, VIEW_KEYS
    from rtd_tui.app import RtdApp
    from rtd_tui.screens.dashboard import DashboardScreen
    from rtd_tui.screens.detail import RecordDetailScreen
    from rtd_tui.screens.export import ExportScreen
    from rtd_tui.screens.help import HelpScreen
    from rtd_tui.screens.produce_form import ProduceFormScreen
    from rtd_tui.screens.stream import StreamScreen
    from rtd_tui.screens.tail import TailScreen
    from rtd_tui.widgets.filter_bar import FilterBar
    from rtd_tui.widgets.tables import FrameTable, LatestTable
    from rtd_tui.widgets.time_cursor import TimeCursorChart

    listed = {k for entry in (*ACTIONS, *VIEW_KEYS) for k in entry.key.split(",")}
    listed |= {"ctrl+c", "question_mark", "q"}  # the help's own rows, and closing it
    bound = bound_keys(RtdApp, DashboardScreen, RecordDetailScreen, ExportScreen, HelpScreen,
                       ProduceFormScreen, StreamScreen, TailScreen, FilterBar, FrameTable,
                       LatestTable, TimeCursorChart)
    assert bound - listed == set()


async def test_help_opens_lists_every_key_and_closes() -> None:
    from rtd_tui.actions import ACTIONS, VIEW_KEYS, key_text

    app = still_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        console = Console(width=120, color_system=None)
        with console.capture() as capture:
            for static in app.screen.query(Static):
                console.print(static.content)
        text = capture.get()
        for entry in (*ACTIONS, *VIEW_KEYS):
            assert any(line.split()[:1] == key_text(entry).split()[:1]
                       and entry.description[:30] in " ".join(line.split())
                       for line in text.splitlines()), entry
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "DashboardScreen"


async def test_replay_rebuilds_a_cleared_view() -> None:
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store.snapshot().count >= 50, "first records")
        await pilot.press("p")
        produced = app.pipeline.status().produced
        await wait_until(
            lambda: app.store.snapshot().count == produced.delivered, "the consumer to catch up"
        )
        before = app.store.snapshot()
        await pilot.press("c")
        assert app.store.snapshot().count == 0
        await pilot.press("r", "enter")  # the dialog opens on "from the beginning"
        await wait_until(lambda: app.store.snapshot().count == before.count, "the replay")
        after = app.store.snapshot()
        assert after.total == before.total and after.mean_age == before.mean_age


async def test_command_palette_lists_every_action() -> None:
    from rtd_tui.actions import ACTIONS

    app = still_app()
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {a.label for a in ACTIONS} <= set(titles)
        assert len(titles) == len(set(titles))  # one Quit, not Textual's and ours
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["Quit"] == next(a.description for a in ACTIONS if a.action == "quit")


async def test_screen_keys_open_every_view() -> None:
    app = still_app()
    async with app.run_test(size=SIZE) as pilot:
        for key, name in (("s", "StreamScreen"), ("t", "TailScreen"), ("n", "ProduceFormScreen")):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.__class__.__name__ == name
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "DashboardScreen"


async def test_enter_opens_the_selected_record_and_shift_r_prefills_the_form() -> None:
    app = still_app()
    async with app.run_test(size=SIZE) as pilot:
        newest = app.store.snapshot().latest.row(0, named=True)
        app.screen.query_one("#latest").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "RecordDetailScreen"
        assert newest["nome"] in str(app.screen.query_one("#detail-value").render())
        await pilot.press("escape")
        await pilot.press("R")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ProduceFormScreen"
        from textual.widgets import Input

        assert app.screen.query_one("#field-nome", Input).value == newest["nome"]


def _drawn(chart: PlotWidget) -> list[tuple[str, str]]:
    """Every cell run the chart draws, with its style, top to bottom."""
    return [
        (segment.text, str(segment.style))
        for y in range(chart.content_size.height)
        for segment in chart.render_line(y)
    ]


async def test_charts_follow_the_theme() -> None:
    app = still_app()
    async with app.run_test(size=SIZE) as pilot:
        chart = app.screen.query_one("#chart-city", PlotWidget)
        before = chart.theme_color("primary")
        drawn = _drawn(chart)
        assert any("█" in text for text, _ in drawn)  # the bars are drawn
        app.theme = "gruvbox" if app.theme != "gruvbox" else "nord"
        await pilot.pause()
        assert chart.theme_color("primary") != before
        after = _drawn(chart)
        assert [text for text, _ in after] == [text for text, _ in drawn]  # same chart
        assert [style for _, style in after] != [style for _, style in drawn]  # new colours


async def test_rejected_card_counts_and_explains_reasons() -> None:
    from dashboard_kit import filled_store, fixture_values

    store = filled_store([*fixture_values(100), b"not json", b"[1]", b"oops"])
    app = still_app(store=store)
    async with app.run_test(size=SIZE):
        card = app.screen.query_one("#m-rejected")
        assert card.value == "3"  # type: ignore[attr-defined]
        assert card.has_class("warn")
        assert card.tooltip == "2  not JSON\n1  not an object"


async def test_garbage_is_collected_on_the_apps_timer_and_restored_on_exit() -> None:
    """Automatic collection is off while the app runs (it used to land mid-frame); the
    app's own timer collects instead, and the interpreter gets its setting back."""
    import gc

    assert gc.isenabled()
    app = still_app()
    async with app.run_test(size=SIZE) as pilot:
        assert not gc.isenabled()
        app.garbage.ticks = GC_FULL_EVERY - 2  # the full pass comes on the timer's second tick
        before = gc.get_stats()[2]["collections"]
        await pilot.pause(2.5)
        assert gc.get_stats()[2]["collections"] >= before + 1
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_young_pass_waits_for_allocations_and_the_full_pass_does_not() -> None:
    """An idle app skips the young pass (it would find nothing); the full pass still
    runs every ``GC_FULL_EVERY`` ticks, so garbage never waits longer than that."""
    import gc

    timer = GarbageTimer()
    timer.start()
    try:
        gc.collect(1)  # nothing new since
        assert timer.tick() == "skipped"
        made = [set() for _ in range(GC_MIN_NEW)]  # no free list: each one is new
        assert timer.tick() == "young"
        del made
        timer.ticks = GC_FULL_EVERY - 1
        gc.collect(1)
        full = gc.get_stats()[2]["collections"]
        assert timer.tick() == "full"
        assert gc.get_stats()[2]["collections"] == full + 1
    finally:
        timer.stop()
    assert gc.isenabled()


def add_records(store: RecordStore, first: int, n: int) -> None:
    """``n`` more fixture records on partition 0, past every offset the store has seen."""
    values = fixture_values(first + n)[first:]
    offsets = list(range(10**6 + first, 10**6 + first + n))
    store.ingest(decode_batch(values, [0] * n, offsets, None))


async def test_an_unchanged_view_is_not_redrawn_and_a_changed_one_always_is() -> None:
    store = filled_store(fixture_values(1000))
    app = still_app(store, refresh=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        drawn = app.redraws
        for _ in range(3):
            app.redraw()
        assert app.redraws == drawn  # nothing changed: no snapshot, no repaint
        for step in range(1, 4):
            add_records(store, 1000 + 10 * step, 10)
            app.redraw()
            assert app.redraws == drawn + step  # every change is drawn on the next tick
            shown = app.screen.query_one("#m-count", MetricCard).value
            assert shown == count(store.snapshot().count)


async def test_a_hidden_dashboard_is_not_fed_and_catches_up_when_shown() -> None:
    store = filled_store(fixture_values(1000))
    app = still_app(store, refresh=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(HelpScreen())  # a dialog: the dashboard is still seen
        add_records(store, 1000, 10)
        app.redraw()
        drawn = app.redraws
        dashboard = app.dashboard
        assert dashboard is not None
        card = dashboard.query_one("#m-count", MetricCard)
        assert card.value == count(store.snapshot().count)
        await app.push_screen(Screen())  # a full screen over it: hidden
        add_records(store, 1010, 10)
        app.redraw()
        assert app.redraws == drawn
        app.pop_screen()
        await pilot.pause()
        assert app.redraws == drawn + 1
        assert card.value == count(store.snapshot().count)
