"""Snapshot tests of every dashboard state (fixed data, clock and size; no live workers).

The dashboard at each size class (80x24 to 220x60) and the dialogs at 80x24; the
stream, tail, detail and produce-form screens have theirs beside their other tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_kit import steady_cursor, still_app

from rtd_tui.store import RecordStore

SIZES = [(80, 24), (100, 30), (120, 40), (160, 50), (220, 60)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_dashboard(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(still_app(), terminal_size=size)


def test_dashboard_80x24_next_panel(snap_compare: Any) -> None:
    """``v`` puts the next chart in the main area."""
    assert snap_compare(still_app(), terminal_size=(80, 24), press=["v", "v"])


def test_dashboard_cursor_held_on_a_record(snap_compare: Any) -> None:
    assert snap_compare(still_app(), terminal_size=(120, 40), press=["down", "down"])


def test_dashboard_after_clear(snap_compare: Any) -> None:
    assert snap_compare(still_app(), terminal_size=(160, 50), press=["c"])


def test_dashboard_producer_off(snap_compare: Any) -> None:
    assert snap_compare(still_app(producer_on=True), terminal_size=(160, 50), press=["p"])


def test_dashboard_paused(snap_compare: Any) -> None:
    assert snap_compare(still_app(), terminal_size=(160, 50), press=["space"])


@pytest.mark.parametrize("size", [(160, 50), (80, 24)], ids=lambda s: "x".join(map(str, s)))
def test_help_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(still_app(), terminal_size=size, press=["question_mark"])


def test_empty_dashboard(snap_compare: Any) -> None:
    assert snap_compare(still_app(store=RecordStore()), terminal_size=(160, 50))


def test_filtered_dashboard(snap_compare: Any) -> None:
    keys = ["slash", *"são paulo, recife", "tab", *"25-45", "enter"]
    assert snap_compare(
        still_app(), terminal_size=(160, 50), press=keys, run_before=steady_cursor
    )


def test_filter_bar_with_an_error(snap_compare: Any) -> None:
    keys = ["slash", *"recife", "tab", "tab", *"12,50-100", "enter"]
    assert snap_compare(
        still_app(), terminal_size=(160, 50), press=keys, run_before=steady_cursor
    )


@pytest.mark.parametrize("size", [(160, 50), (80, 24)], ids=lambda s: "x".join(map(str, s)))
def test_export_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    async def open_export(pilot: Any) -> None:
        await pilot.press("e")
        await steady_cursor(pilot)

    app = still_app(export_dir="/data/exports")
    assert snap_compare(app, terminal_size=size, run_before=open_export)


def test_notices_at_80x24_leave_the_chart_in_view(snap_compare: Any) -> None:
    """Three notices in a row: one line, the newest only."""
    assert snap_compare(still_app(), terminal_size=(80, 24), press=["p", "p", "p"])


def test_palette_quit_says_what_it_does(snap_compare: Any) -> None:
    async def search_quit(pilot: Any) -> None:
        await pilot.press("ctrl+p", *"quit")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await steady_cursor(pilot)

    assert snap_compare(still_app(), terminal_size=(80, 24), run_before=search_quit)
