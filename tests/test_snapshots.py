"""Snapshot tests of every dashboard state (fixed data, clock and size; no live workers)."""

from __future__ import annotations

from typing import Any

from dashboard_kit import steady_cursor, still_app

from rtd_tui.store import RecordStore


def test_dashboard_160x50(snap_compare: Any) -> None:
    assert snap_compare(still_app(), terminal_size=(160, 50))


def test_dashboard_100x30(snap_compare: Any) -> None:
    assert snap_compare(still_app(), terminal_size=(100, 30))


def test_dashboard_after_clear(snap_compare: Any) -> None:
    assert snap_compare(still_app(), terminal_size=(160, 50), press=["c"])


def test_dashboard_producer_off(snap_compare: Any) -> None:
    assert snap_compare(still_app(producer_on=True), terminal_size=(160, 50), press=["p"])


def test_dashboard_paused(snap_compare: Any) -> None:
    assert snap_compare(still_app(), terminal_size=(160, 50), press=["space"])


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(still_app(), terminal_size=(160, 50), press=["question_mark"])


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


def test_export_dialog(snap_compare: Any) -> None:
    async def open_export(pilot: Any) -> None:
        await pilot.press("e")
        await steady_cursor(pilot)

    app = still_app(export_dir="/data/exports")
    assert snap_compare(app, terminal_size=(160, 50), run_before=open_export)
