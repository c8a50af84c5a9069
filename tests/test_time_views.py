"""Pilot tests of the time features in the app: where reading started on the status line."""

from __future__ import annotations

from test_stream_screens import plain, stream_app

from rtd_tui.widgets.status import StatusLine


async def test_the_status_line_says_where_reading_started() -> None:
    app = stream_app()
    assert app.pipeline.consumer is not None
    app.pipeline.consumer.started_from = "from 10:00:00"  # what a @TIME start resolves to
    async with app.run_test(size=(80, 24)) as pilot:
        app.redraw(force=True)
        await pilot.pause()
        assert plain(app.screen.query_one(StatusLine)).startswith("● connected · from 10:00:00")
