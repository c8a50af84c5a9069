"""What the user is told when a partition's offsets start again, and the stream view's
Home/End on a 64-partition topic; the app is still (no workers), the consumer's public
state is set by hand (``stream_app``)."""

from __future__ import annotations

from dataclasses import replace

from test_stream_screens import SIZE, plain, stream_app
from textual.widgets import DataTable, Static

from rtd_tui.consumer import PartitionInfo
from rtd_tui.screens.stream import StreamScreen

NOTICES = (
    "csv-data recreated: partition 2 restarted at offset 0 (had reached 1,430)",
    "csv-data recreated: partition 0 restarted at offset 0 (had reached 1,499)",
)


def toasts(app: object) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]  # type: ignore[attr-defined]


async def test_a_restart_is_a_toast_once_and_stays_listed_in_the_stream_view() -> None:
    app = stream_app()
    consumer = app.pipeline.consumer
    assert consumer is not None
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.redraw(force=True)
        await pilot.pause()
        assert toasts(app) == []
        consumer.notices, consumer.notice_count = NOTICES[:1], 1  # type: ignore[attr-defined]
        app.redraw(force=True)
        app.redraw(force=True)  # the same notice is told once
        await pilot.pause()
        assert toasts(app) == [NOTICES[0]]
        consumer.notices, consumer.notice_count = NOTICES, 3  # type: ignore[attr-defined]
        app.redraw(force=True)
        await pilot.pause()
        assert toasts(app)[-1] == f"{NOTICES[1]} (and 1 more: s shows them)"
        await pilot.press("s")
        await pilot.pause()
        shown = plain(app.screen.query_one("#stream-notices", Static)).splitlines()
        assert shown == [f"⚠ {NOTICES[1]}", f"⚠ {NOTICES[0]}"]  # newest first


async def test_the_stream_view_has_no_notice_line_without_notices() -> None:
    app = stream_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StreamScreen())
        await pilot.pause()
        assert not app.screen.query_one("#stream-notices", Static).display
        assert "duplicates" not in plain(app.screen.query_one("#stream-summary", Static))


async def test_end_goes_to_the_last_of_64_partitions_and_stays_there() -> None:
    app = stream_app()
    consumer = app.pipeline.consumer
    assert consumer is not None
    consumer.partitions = tuple(PartitionInfo(p, 0, 100 + p, 90) for p in range(64))
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StreamScreen())
        await pilot.pause()
        table = app.screen.query_one("#partitions", DataTable)
        table.focus()  # the chart's time cursor has the focus first (its own Home/End)
        await pilot.pause()
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == 63
        assert str(table.get_row_at(table.cursor_row)[0]) == "63"
        consumer.partitions = tuple(replace(p, high=p.high + 1) for p in consumer.partitions)
        screen = app.screen
        assert isinstance(screen, StreamScreen)
        screen.tick()  # new figures: the table is filled again, the cursor stays
        await pilot.pause()
        assert table.cursor_row == 63
        assert table.scroll_y == table.max_scroll_y > 0  # and the row is in sight
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_y == 0
