"""The dashboard tables' text layout: widths in terminal cells, alignment, truncation."""

from __future__ import annotations

from rich.cells import cell_len

from rtd_tui.widgets.tables import _column


def test_column_is_as_wide_as_its_widest_cell_and_aligned() -> None:
    assert _column("valor", ["R$ 5.00", "R$ 1,234.56"], right=True, max_width=32) == [
        "       valor ", "     R$ 5.00 ", " R$ 1,234.56 ",
    ]
    assert _column("nome", ["Ana", "Zoe"], right=False, max_width=32) == [
        " nome ", " Ana  ", " Zoe  ",
    ]


def test_long_text_is_cut_with_an_ellipsis_at_the_maximum_width() -> None:
    cells = _column("nome", ["Maria Eduarda dos Santos Albuquerque"], right=False, max_width=10)
    assert cells == [" nome       ", " Maria Edu… "]


def test_wide_characters_count_as_two_cells() -> None:
    """A name in CJK from another producer keeps every row the same width on screen."""
    cells = _column("nome", ["李小龍", "Ana"], right=False, max_width=32)
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
