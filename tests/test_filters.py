"""Filter bar parsing, and the filtered dashboard against a polars recomputation."""

from __future__ import annotations

import polars as pl
import pytest
from dashboard_kit import filled_store, fixture_values, still_app

from rtd_tui.filters import FilterError, describe, parse_filter
from rtd_tui.store import RecordFilter


def test_parse_all_fields() -> None:
    f = parse_filter("sao paulo, RECIFE", "25-40", "100-500.5")
    assert f.cities == frozenset({"São Paulo", "Recife"})
    assert f.age == (25, 40)
    assert f.value == (100.0, 500.5)
    assert describe(f) == "Recife, São Paulo · age 25–40 · R$ 100–500.5"


def test_open_ended_ranges_and_empty_fields() -> None:
    assert parse_filter("", "-30", "1000-").age == (18, 30)
    assert parse_filter("", "", "1000-").value == (1000.0, 2000.0)
    assert not parse_filter().active


@pytest.mark.parametrize(
    ("cities", "age", "value", "field", "message"),
    [
        ("Gotham", "", "", "cities", "unknown city 'Gotham'"),
        ("", "abc", "", "age", "expected LOW-HIGH"),
        ("", "20-x", "", "age", "'x' is not a whole number"),
        ("", "50-20", "", "age", "low 50 is above high 20"),
        ("", "", "12,50-100", "value", "'12,50' is not a number"),
        ("", "", "900-100", "value", "low 900 is above high 100"),
    ],
)
def test_bad_fields_name_the_field(
    cities: str, age: str, value: str, field: str, message: str
) -> None:
    with pytest.raises(FilterError) as err:
        parse_filter(cities, age, value)
    assert err.value.field == field
    assert message in str(err.value)


async def test_filter_bar_changes_metrics_to_the_filtered_recomputation() -> None:
    app = still_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("slash")
        await pilot.press(*"recife, natal")
        await pilot.press("tab", *"30-50", "tab", *"100-800", "enter")
        await pilot.pause()
        expected = RecordFilter(frozenset({"Recife", "Natal"}), (30, 50), (100.0, 800.0))
        assert app.record_filter == expected
        rows = app.store.frame().filter(
            pl.col("cidade").cast(pl.String).is_in(["Recife", "Natal"])
            & pl.col("idade").is_between(30, 50)
            & pl.col("valor").is_between(100, 800)
        )
        snap = app.store.snapshot(app.record_filter)
        assert snap.filtered and snap.count == rows.height > 0
        assert snap.total == pytest.approx(rows["valor"].sum())
        assert snap.mean_age == pytest.approx(rows["idade"].mean())
        assert set(snap.by_city["cidade"]) == {"Recife", "Natal"}
        assert set(snap.latest["cidade"].cast(pl.String)) <= {"Recife", "Natal"}
        cards = app.screen.query_one("#m-count")
        assert cards.value == f"{rows.height:,}"  # type: ignore[attr-defined]


async def test_bad_filter_input_changes_nothing_and_esc_clears() -> None:
    app = still_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("slash", *"natal", "enter")
        await pilot.pause()
        natal = app.record_filter
        assert natal.cities == frozenset({"Natal"})
        await pilot.press("slash", "tab", *"old", "enter")
        await pilot.pause()
        assert app.record_filter == natal
        assert "age" in str(app.screen.query_one("#f-message").render())
        await pilot.press("escape")
        await pilot.pause()
        assert not app.record_filter.active
        assert app.store.snapshot(app.record_filter).count == 3000


async def test_filtered_cards_and_status_line_say_what_they_cover() -> None:
    """A filter applies to the window, not to every record: the screen says so."""
    app = still_app(store=filled_store(fixture_values(), window=1_000))
    async with app.run_test(size=(160, 50)) as pilot:
        total = app.screen.query_one("#m-total")
        assert total.border_subtitle is None
        await pilot.press("slash", *"natal", "enter")
        await pilot.pause()
        held = app.store.frame().height
        assert held >= 1_000
        assert total.border_subtitle == f"last {held:,} records"
        assert app.screen.query_one("#m-count").border_subtitle == f"last {held:,} records"
        status = app.screen.query_one("#status")
        assert f"(last {held:,} records)" in str(status.content)
        await pilot.press("escape")
        await pilot.pause()
        assert total.border_subtitle is None
        assert "last" not in str(status.content)
