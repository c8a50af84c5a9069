"""What the redraw speed-ups must not break: a view whose drawing is unchanged is not
repainted, and a changed one always is, with what changed on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
import pytest
from dashboard_kit import filled_store, fixture_values, still_app
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget

from rtd_tui.decode import decode_batch
from rtd_tui.store import RecordStore
from rtd_tui.widgets.charts import CityValueChart
from rtd_tui.widgets.format import count
from rtd_tui.widgets.tables import LatestTable

SIZE = (160, 50)


@contextmanager
def painted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Every widget Textual paints meanwhile (by id, or class name) and the text it drew."""
    seen: dict[str, str] = {}
    render_lines = Widget.render_lines

    def spy(widget: Widget, crop: Region) -> list[Strip]:
        strips = render_lines(widget, crop)
        name = widget.id or type(widget).__name__
        seen[name] = seen.get(name, "") + "\n".join(strip.text for strip in strips)
        return strips

    with monkeypatch.context() as patch:
        patch.setattr(Widget, "render_lines", spy)
        yield seen


async def settled(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Wait until the app paints nothing more (its start takes a few frames)."""
    for _ in range(50):
        with painted(monkeypatch) as seen:
            await pilot.pause(0.05)
        if not seen:
            return
    raise AssertionError(f"the app kept painting: {sorted(seen)}")


def add_records(store: RecordStore, first: int, n: int) -> None:
    """``n`` more fixture records on partition 0, past every offset the store has seen."""
    values = fixture_values(first + n)[first:]
    offsets = list(range(10**6 + first, 10**6 + first + n))
    store.ingest(decode_batch(values, [0] * n, offsets, None))


async def test_a_redraw_of_unchanged_data_paints_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    store = filled_store(fixture_values(1000))
    app = still_app(store, refresh=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, monkeypatch)
        drawn = app.redraws
        with painted(monkeypatch) as seen:
            app.redraw(force=True)  # a new snapshot, every widget fed the same figures
            await pilot.pause()
        assert app.redraws == drawn + 1
        assert seen == {}


async def test_new_records_are_always_painted(monkeypatch: pytest.MonkeyPatch) -> None:
    store = filled_store(fixture_values(1000))
    app = still_app(store, refresh=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for step in range(3):
            first = 1000 + 10 * step
            add_records(store, first, 10)
            newest = store.frame().row(-1, named=True)
            with painted(monkeypatch) as seen:
                app.redraw()
                await pilot.pause()
            assert count(store.snapshot().count) in seen["m-count"]
            first_row = seen["latest"].splitlines()[2]  # under the border and header
            assert newest["nome"][:12] in first_row  # the new record, on top


async def test_a_chart_repaints_only_when_its_drawing_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = still_app(refresh=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, monkeypatch)
        chart = app.screen.query_one("#chart-city", CityValueChart)
        by_city = app.store.snapshot().by_city
        before = [chart.render_line(y) for y in range(chart.content_size.height)]
        # One cent more on the top city: the same bars, ticks and labels.
        nudged = by_city.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.col("total") + 0.01)
            .otherwise(pl.col("total")).alias("total"))
        drawings = chart.drawings
        with painted(monkeypatch) as seen:
            chart.set_data(nudged)
            await pilot.pause()
        assert [chart.render_line(y) for y in range(chart.content_size.height)] == before
        assert "chart-city" not in seen
        assert chart.drawings == drawings  # not even drawn: its inputs did not change
        # The top city alone: a different chart, painted at once.
        with painted(monkeypatch) as seen:
            chart.set_data(by_city.head(1))
            await pilot.pause()
        assert "chart-city" in seen
        others = by_city["cidade"][1:].to_list()
        assert not any(city in seen["chart-city"] for city in others)
        assert by_city["cidade"][0] in seen["chart-city"]


async def test_a_hidden_panel_is_drawn_when_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    store = filled_store(fixture_values(1000))
    app = still_app(store, refresh=60.0)
    async with app.run_test(size=(80, 24)) as pilot:  # one panel at a time
        await pilot.pause()
        chart = app.screen.query_one("#chart-city", CityValueChart)
        assert chart.display
        await pilot.press("v")
        await settled(pilot, monkeypatch)
        assert not chart.display
        add_records(store, 1000, 50)
        with painted(monkeypatch) as seen:
            app.redraw()
            await pilot.pause()
        assert "chart-city" not in seen
        top = store.snapshot().by_city["cidade"][0]
        panels = len(app.screen.PANELS) - 1  # the throughput chart takes no turn here
        with painted(monkeypatch) as seen:
            for _ in range(panels - 1):
                await pilot.press("v")
            await pilot.pause()
        assert chart.display
        assert top in seen["chart-city"]


async def test_a_table_with_the_same_rows_is_not_repainted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = still_app(refresh=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, monkeypatch)
        table = app.screen.query_one(LatestTable)
        latest = app.store.snapshot().latest
        with painted(monkeypatch) as seen:
            table.show(latest.clone())
            await pilot.pause()
        assert "latest" not in seen
        with painted(monkeypatch) as seen:
            table.show(latest.tail(-1))  # the newest record gone
            await pilot.pause()
        assert latest["nome"][0][:12] not in seen["latest"]
        assert latest["nome"][1][:12] in seen["latest"]
