"""Table columns that fit a width: the least important go first, text is cut with '…'.

Pure text layout, no widget: ``fit_widths`` decides which columns a width can hold and
how wide each is; ``column_cells`` pads or cuts one column's header and cells to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size

#: Cells around each column's text (a space each side).
PAD = 2


@dataclass(frozen=True, slots=True)
class Column:
    """One column: the frame field it shows, its header, its text and its alignment.

    ``priority`` 0 is never hidden; higher numbers are hidden first when the table is
    narrow. A column with ``min_width`` may be narrowed down to it (its text then cut
    with '…'); one without keeps its whole text, so a key figure is never cut.
    """

    field: str
    name: str
    text: Callable[[Any], str] = str
    right: bool = False
    max_width: int = 32
    priority: int = 0
    min_width: int | None = None


def natural_width(column: Column, texts: Sequence[str]) -> int:
    """The widest of the header and the cells, up to the column's ``max_width``."""
    return min(column.max_width, max(cell_len(t) for t in (column.name, *texts)))


def fit_widths(columns: Sequence[Column], natural: Sequence[int], room: int) -> list[int | None]:
    """Each column's width within ``room`` cells, or None where it is hidden.

    Columns are hidden, highest priority number first (the rightmost of equals first),
    until the rest fit at their minimum widths; then the narrowable columns give up
    the cells still missing, widest first. Priority-0 columns always stay (the table
    scrolls sideways if even they do not fit). Cells to spare are shared out among the
    shown columns, so a wide table fills its width.
    """
    minimum = [
        w if c.min_width is None else min(w, c.min_width)
        for c, w in zip(columns, natural, strict=True)
    ]
    shown = list(range(len(columns)))

    def need(widths: Sequence[int]) -> int:
        return sum(widths[i] + PAD for i in shown)

    while need(minimum) > room:
        optional = [i for i in shown if columns[i].priority > 0]
        if not optional:
            break
        shown.remove(max(optional, key=lambda i: (columns[i].priority, i)))
    widths: list[int | None] = [natural[i] if i in shown else None for i in range(len(columns))]
    missing = need(natural) - room
    while missing > 0:
        narrowable = [i for i in shown if (widths[i] or 0) > minimum[i]]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: widths[i] or 0)
        widths[widest] = (widths[widest] or 0) - 1
        missing -= 1
    if missing < 0 and shown:  # a wide terminal: every column gets its share of the rest
        share, left = divmod(-missing, len(shown))
        for rank, i in enumerate(shown):
            widths[i] = (widths[i] or 0) + share + (rank < left)
    return widths


def column_cells(name: str, texts: Sequence[str], right: bool, width: int) -> list[str]:
    """Header and cells of one column, each exactly ``width`` cells plus a space each
    side: padded on the aligned side, or cut with '…'."""
    out = []
    for text in (name, *texts):
        size = cell_len(text)
        if size > width:
            text, size = set_cell_size(text, width - 1) + "…", width
        pad = " " * (width - size)
        out.append(f" {pad}{text} " if right else f" {text}{pad} ")
    return out
