"""The consumer groups view (``g``): fixed reports (pilot and snapshots, no workers) and
the live view on the embedded broker, which has no group API."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_kit import still_app
from rich.console import Console
from test_app import live_app, wait_until
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from rtd_tui.groups import NO_GROUP_API, GroupLag, GroupPartition, GroupsReport
from rtd_tui.screens.dashboard import DashboardScreen
from rtd_tui.screens.groups import GroupsScreen

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
REPORT = GroupsReport((
    GroupLag("audit-java", "empty", 0, (
        GroupPartition(0, 1_200, 1_520, 3_725.0),
        GroupPartition(1, 1_498, 1_498, 0.0),
        GroupPartition(2, None, 1_507, None),
        GroupPartition(3, 900, 1_475, 5_400.0),
    )),
    GroupLag("rtd-streamlit", "stable", 2, tuple(
        GroupPartition(p, high - 3, high, 1.4)
        for p, high in enumerate((1_520, 1_498, 1_507, 1_475))
    )),
), loaded=True)


def plain(widget: Static) -> str:
    console = Console(width=200, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(widget.content)
    return capture.get().strip()


def cells(table: DataTable[Any], row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def test_g_opens_the_groups_and_esc_gives_the_keys_back() -> None:
    app = still_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GroupsScreen)
        assert app.screen.report == GroupsReport()  # workers off: nothing asked
        summary = plain(app.screen.query_one("#groups-summary", Static))
        assert summary == "Looking for the consumer groups of csv-data…"
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("q")
        await wait_until(lambda: app.return_code is not None, "the app to exit")


async def test_the_groups_view_lists_partitions_lag_and_the_furthest_behind() -> None:
    app = still_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await app.push_screen(GroupsScreen(REPORT))
        await pilot.pause()
        table = app.screen.query_one("#groups", DataTable)
        assert table.row_count == 8
        assert cells(table, 0) == ["audit-java", "empty", "0", "0", "1,200", "320", "62 min"]
        assert cells(table, 2) == ["", "", "", "2", "—", "—", "—"]
        assert cells(table, 4)[:3] == ["rtd-streamlit", "stable", "2"]
        assert cells(table, 4)[3:] == ["0", "1,517", "3", "1 s"]
        summary = plain(app.screen.query_one("#groups-summary", Static))
        assert summary == ("2 consumer groups read csv-data  │  furthest behind audit-java: "
                           "895 · 90 min")


async def test_a_broker_without_the_group_api_is_one_line() -> None:
    app = still_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(GroupsScreen(GroupsReport(notice=NO_GROUP_API, loaded=True)))
        await pilot.pause()
        assert plain(app.screen.query_one("#groups-summary", Static)) == NO_GROUP_API
        assert app.screen.query_one("#groups", DataTable).row_count == 0


async def test_the_live_view_on_the_embedded_broker_says_it_has_no_group_api() -> None:
    app = live_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(lambda: app.pipeline.status().link.state == "connected", "a link")
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        await wait_until(lambda: screen.report.loaded, "the first answer")
        assert screen.report == GroupsReport(notice=NO_GROUP_API, loaded=True)
        await wait_until(lambda: plain(screen.query_one("#groups-summary", Static))
                         == NO_GROUP_API, "the notice on screen")
        await pilot.press("escape", "q")
        await wait_until(lambda: app.return_code is not None, "the app to exit")
    assert app.return_code == 0


@SIZES
def test_groups_view_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    async def open_groups(pilot: Pilot[Any]) -> None:
        await pilot.app.push_screen(GroupsScreen(REPORT))
        await pilot.pause()

    assert snap_compare(still_app(), terminal_size=size, run_before=open_groups)
