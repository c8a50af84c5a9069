"""The dashboard tables: column fitting (priorities, narrowing, ellipsis), text widths in
terminal cells, and the latest-records cursor that stays on its record."""

from __future__ import annotations

from typing import Any

from dashboard_kit import PARTITIONS, fixture_values, still_app
from rich.cells import cell_len

from rtd_tui.decode import decode_batch
from rtd_tui.widgets.columns import PAD, Column, column_cells, fit_widths
from rtd_tui.widgets.tables import CityStatsTable, LatestTable

COLUMNS = (
    Column("id", "id"),
    Column("nome", "nome", priority=1, min_width=6),
    Column("time", "time", priority=2),
    Column("partition", "partition", priority=3),
    Column("offset", "offset", priority=3),
)
NATURAL = [4, 20, 8, 9, 6]


def test_column_cells_pad_on_the_aligned_side() -> None:
    assert column_cells("valor", ["R$ 5.00", "R$ 1,234.56"], right=True, width=11) == [
        "       valor ", "     R$ 5.00 ", " R$ 1,234.56 ",
    ]
    assert column_cells("nome", ["Ana", "Zoe"], right=False, width=4) == [
        " nome ", " Ana  ", " Zoe  ",
    ]


def test_long_text_is_cut_with_an_ellipsis_within_its_column() -> None:
    cells = column_cells("nome", ["Maria Eduarda dos Santos Albuquerque"], right=False, width=10)
    assert cells == [" nome       ", " Maria Edu… "]


def test_wide_characters_count_as_two_cells() -> None:
    """A name in CJK from another producer keeps every row the same width on screen."""
    cells = column_cells("nome", ["李小龍", "Ana"], right=False, width=6)
    assert {cell_len(c) for c in cells} == {8}
    assert cells[1] == " 李小龍 "


async def test_a_sixty_kb_name_is_cut_where_it_is_drawn() -> None:
    """The store keeps the name whole; the table draws its first cells and an ellipsis,
    and the row it hands back (detail, re-produce) still has all of it."""
    from dashboard_kit import still_app

    from rtd_tui.decode import decode_batch
    from rtd_tui.records import encode
    from rtd_tui.store import RecordStore
    from rtd_tui.widgets.tables import LatestTable

    name = "Ana " + "x" * (60 * 1024 - 4)
    rec = {"id": 4321, "nome": name, "idade": 30, "cidade": "Recife", "valor": 100.5,
           "timestamp": "2026-11-02T14:00:00"}
    store = RecordStore()
    store.ingest(decode_batch([encode(rec)], [0], [0]))
    app = still_app(store=store)
    async with app.run_test(size=(160, 50)):
        table = app.screen.query_one(LatestTable)
        assert table.row_count == 1
        line = table.render_line(1).text
        assert "Ana xxx" in line and "…" in line and len(line) < 200
        selected = table.selected()
        assert selected is not None and selected["nome"] == name


def test_everything_shows_when_it_fits() -> None:
    room = sum(NATURAL) + PAD * len(NATURAL)
    assert fit_widths(COLUMNS, NATURAL, room) == NATURAL


def test_a_wide_table_shares_the_cells_to_spare_among_its_columns() -> None:
    room = sum(NATURAL) + PAD * len(NATURAL) + 12
    assert fit_widths(COLUMNS, NATURAL, room) == [7, 23, 10, 11, 8]  # 3, 3, 2, 2, 2 more
    cut = fit_widths(COLUMNS, NATURAL, 40)
    assert cut == [4, 11, 8, 9, None]  # nothing to spare: as before


def test_narrowable_columns_give_way_before_any_column_is_hidden() -> None:
    room = sum(NATURAL) + PAD * len(NATURAL) - 5
    assert fit_widths(COLUMNS, NATURAL, room) == [4, 15, 8, 9, 6]


def test_the_least_important_columns_go_first_rightmost_of_equals_first() -> None:
    # At minimum widths (with the padding): 6 + 8 + 10 + 11 + 8 = 43 cells; without
    # offset 35; without partition too 24; without time too 14. Then nome narrows.
    assert fit_widths(COLUMNS, NATURAL, 40) == [4, 11, 8, 9, None]
    assert fit_widths(COLUMNS, NATURAL, 30) == [4, 12, 8, None, None]
    assert fit_widths(COLUMNS, NATURAL, 20) == [4, 12, None, None, None]


def test_key_columns_are_never_hidden_nor_cut() -> None:
    assert fit_widths(COLUMNS, NATURAL, 3) == [4, None, None, None, None]
    keys = (Column("id", "id"), Column("valor", "valor"))
    assert fit_widths(keys, [4, 11], 5) == [4, 11]  # too narrow: the table scrolls instead


async def test_a_narrow_table_says_which_columns_it_hides() -> None:
    app = still_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        latest = app.screen.query_one(LatestTable)
        assert latest.hidden == ["partition", "offset"]
        assert latest.border_subtitle == "hidden: partition, offset"
    async with still_app().run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert pilot.app.screen.query_one(LatestTable).hidden == []
        assert pilot.app.screen.query_one(CityStatsTable).hidden == []


def _more_records(app: Any, count: int, first_offset: int) -> None:
    """``count`` new records on partition 0, as the consumer would store them."""
    values = fixture_values(count)
    batch = decode_batch(values, [0] * count, list(range(first_offset, first_offset + count)),
                         [None] * count)
    app.store.ingest(batch)


async def test_the_cursor_stays_on_its_record_while_records_arrive() -> None:
    app = still_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        latest = app.screen.query_one(LatestTable)
        await pilot.press("down", "down", "down")
        chosen = latest.selected()
        assert chosen is not None and latest.held == (chosen["partition"], chosen["offset"])
        first_offset = 3000 // PARTITIONS  # after the fixture's offsets on partition 0
        _more_records(app, 5, first_offset)
        app.redraw()
        await pilot.pause()
        assert latest.selected() == chosen
        assert latest.cursor_row == 3 + 5 and latest.arrived_above == 5
        assert "HELD" in str(latest.border_title) and "5 new above" in str(latest.border_title)
        # Enter and shift+R act on the record under the cursor, not the newest one.
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.entry is not None  # type: ignore[attr-defined]
        assert (app.screen.entry.partition, app.screen.entry.offset) == latest.held  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.press("f")
        assert latest.held is None and latest.cursor_row == 0
        assert "HELD" not in str(latest.border_title)
        _more_records(app, 2, first_offset + 5)
        app.redraw()
        await pilot.pause()
        assert latest.cursor_row == 0 and latest.selected()["offset"] == first_offset + 6  # type: ignore[index]


async def test_home_follows_again_and_a_cleared_record_releases_the_cursor() -> None:
    app = still_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        latest = app.screen.query_one(LatestTable)
        await pilot.press("down", "down", "home")
        assert latest.held is None and latest.cursor_row == 0
        await pilot.press("down", "down", "c")
        await pilot.pause()
        assert latest.held is None and latest.cursor_row == 0 and latest.row_count == 0
