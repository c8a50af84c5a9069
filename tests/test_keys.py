"""The keyboard never traps anyone: Esc gives the keys back, dialogs answer Enter and
Esc, and keys that arrive in one burst are handled in order."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_kit import still_app
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static

from rtd_tui.app import RtdApp
from rtd_tui.consumer import ConsumeLoop
from rtd_tui.store import RecordFilter
from rtd_tui.widgets.filter_bar import FilterBar

SMALL = (80, 24)

#: Characters of the keys the tests send as one burst (Textual key name -> character).
CHARS = {"slash": "/", "space": " ", "minus": "-", "tab": "\t", "enter": "\r",
         "escape": "\x1b", "question_mark": "?"}


def burst(app: RtdApp, keys: list[str]) -> None:
    """Queue every key at once, as a terminal delivers a paste or ``tmux send-keys``."""
    for key in keys:
        name = "space" if key == " " else key
        app.post_message(events.Key(name, CHARS.get(name, key if len(key) == 1 else None)))


async def quits_on_q(app: RtdApp, pilot: Pilot[int]) -> None:
    """``q`` ends the app: the keyboard reaches it."""
    await pilot.press("q")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert app.return_code == 0, f"q did not quit; focus on {app.screen.focused!r}"


def hidden_focus(app: RtdApp) -> bool:
    """The focused widget, if any, is not on screen."""
    focused = app.screen.focused
    return focused is not None and not (focused.display and all(
        node.display for node in focused.ancestors_with_self if hasattr(node, "display")))


@pytest.mark.parametrize("typed", [[], ["x", "tab", *"12-"]], ids=["empty", "invalid"])
async def test_escape_closes_the_filter_bar_and_gives_the_keys_back(typed: list[str]) -> None:
    app = still_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("slash", *typed, "enter", "escape")
        bar = app.screen.query_one(FilterBar)
        assert not bar.display and not hidden_focus(app)
        assert not app.record_filter.active
        await quits_on_q(app, pilot)


async def test_filter_keys_in_one_burst_fill_their_own_fields() -> None:
    app = still_app()
    async with app.run_test(size=SMALL) as pilot:
        burst(app, ["slash", *"sao paulo", "tab", *"25-40", "enter"])
        await pilot.pause()
        assert app.record_filter == RecordFilter(cities=frozenset({"São Paulo"}), age=(25, 40))
        assert not any(field.has_class("-bad") for field in app.screen.query(Input))


async def test_escape_then_q_in_one_burst_quits() -> None:
    app = still_app()
    async with app.run_test(size=SMALL) as pilot:
        burst(app, ["slash", *"rec", "escape", "q"])
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.return_code == 0


#: Every screen and dialog, and the keys that open it from the dashboard.
DIALOGS = {
    "filter": ["slash"],
    "invalid-filter": ["slash", "x", "enter"],
    "export": ["e"],
    "produce-form": ["n"],
    "reproduce-form": ["R"],
    "detail": ["enter"],
    "help": ["question_mark"],
    "tail": ["t"],
    "stream": ["s"],
    "palette": ["ctrl+p"],
    "replay": ["r"],
}


@pytest.mark.parametrize("keys", DIALOGS.values(), ids=DIALOGS.keys())
async def test_every_dialog_closes_on_escape_and_q_then_quits(keys: list[str]) -> None:
    app = still_app()
    app.pipeline.consumer = ConsumeLoop({}, app.pipeline.settings.topic, app.store)  # r's dialog
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        opened = app.screen
        assert opened is not app.dashboard or app.screen.query_one(FilterBar).display
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard and not app.screen.query_one(FilterBar).display
        assert not hidden_focus(app)
        await quits_on_q(app, pilot)


async def test_export_dialog_exports_on_enter_and_a_stray_key_keeps_the_folder(
    tmp_path: Path,
) -> None:
    app = still_app(export_dir=tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("e", "x")
        folder = app.screen.query_one("#export-folder", Input)
        assert folder.value == f"{tmp_path}x"  # added to, not replaced
        await pilot.press("backspace", "enter")
        await pilot.pause()
        assert app.screen is app.dashboard
        assert app.last_export is not None and app.last_export.parent == tmp_path
        assert app.last_export.suffix == ".parquet" and app.last_export.exists()


async def test_enter_on_the_csv_button_exports_csv(tmp_path: Path) -> None:
    app = still_app(export_dir=tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("e", "tab", "tab", "enter")
        await pilot.pause()
        assert app.last_export is not None and app.last_export.suffix == ".csv"


async def test_enter_in_a_form_field_sends_and_shift_r_names_the_record() -> None:
    app = still_app()
    async with app.run_test(size=SMALL) as pilot:
        newest = app.store.snapshot().latest.row(0, named=True)
        await pilot.press("R")
        await pilot.pause()
        title = str(app.screen.query_one("#title", Static).render())
        assert title.startswith(f"Re-produce record {newest['id']} ")
        await pilot.press("enter")
        await pilot.pause()
        message = str(app.screen.query_one("#message", Static).render())
        assert message == f"record {newest['id']} not sent: the producer is not running"


async def test_a_palette_command_acts_while_a_text_field_has_the_focus() -> None:
    """Its key would be typed into the filter bar; chosen in the palette, it acts."""
    app = still_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("slash", "ctrl+p", *"clear", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.store.snapshot().count == 0
