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
