"""The latest-records table and the per-city statistics table.

Both are ``LineTable``s (Textual's Line API) of a polars frame. Columns fit the
table's width (``columns.fit_widths``); the title says which are hidden. The
latest-records cursor stays on its record while new ones arrive, and only the rows
that are new are formatted. New rows that show the same text (and cursor) as those
on screen repaint nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from textual.binding import Binding, BindingType
from textual.message import Message

from rtd_tui.widgets.columns import Column, column_cells, fit_widths, natural_width
from rtd_tui.widgets.format import count, money, safe
from rtd_tui.widgets.line_table import LineTable
from rtd_tui.widgets.quiet import BorderTexts


def _head(values: pl.Series, width: int) -> list[Any]:
    """The values, texts cut to what a cell of ``width`` can show (a character is at least
    half a cell, allowing for zero-width ones): a valid 60 KB name costs no more than a
    short one, since the rest never leaves polars."""
    if values.dtype == pl.String:
        values = values.str.slice(0, 4 * width)
    return values.to_list()


class FrameTable(LineTable):
    """A read-only table of a polars frame; Enter posts the record under the cursor."""

    COLUMNS: ClassVar[tuple[Column, ...]] = ()

    class RowSelected(Message):
        """Enter (or a click) on the cursor row; ``row`` is that record, all its fields."""

        def __init__(self, table: FrameTable, row: dict[str, Any]) -> None:
            super().__init__()
            self.table = table
            self.row = row

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_texts = BorderTexts(self)
        self.title = title
        self.hidden: list[str] = []  # headers of the columns the width cannot hold
        self._frame = pl.DataFrame()
        self._cells: list[list[str]] = [[] for _ in self.COLUMNS]

    def on_mount(self) -> None:
        self._layout()
        self.retitle()

    def on_resize(self) -> None:
        self._layout()
        self.retitle()

    def selected(self) -> dict[str, Any] | None:
        """The record under the cursor (every field of the frame), or None if empty."""
        if not self.lines:
            return None
        return self._frame.row(self.cursor_row, named=True)

    def show(self, frame: pl.DataFrame) -> None:
        """Replace the rows with ``frame``'s; the cursor keeps its position. The table is
        repainted only if its text or cursor changed."""
        self._frame = frame
        self._cells = self.cell_texts(frame)
        self._layout()
        self.retitle()

    def cell_texts(self, frame: pl.DataFrame) -> list[list[str]]:
        """The text of every cell, column by column."""
        return [[col.text(v) for v in _head(frame[col.field], col.max_width)]
                for col in self.COLUMNS]

    def _layout(self) -> None:
        """Which columns fit and how wide, then one string per line."""
        natural = [natural_width(c, t) for c, t in zip(self.COLUMNS, self._cells, strict=True)]
        width = self.scrollable_content_region.width
        room = width or sum(natural) + 2 * len(natural)
        widths = fit_widths(self.COLUMNS, natural, room)
        columns = [
            column_cells(col.name, texts, col.right, width)
            for col, texts, width in zip(self.COLUMNS, self._cells, widths, strict=True)
            if width is not None
        ]
        self.hidden = [c.name for c, w in zip(self.COLUMNS, widths, strict=True) if w is None]
        header, *lines = ["".join(line) for line in zip(*columns, strict=True)]
        self.set_lines(header, lines)

    def heading(self) -> str:
        """The border title."""
        return self.title

    def retitle(self) -> None:
        """The border title, and a subtitle naming the columns hidden for lack of width."""
        self.border_texts.title(self.heading())
        self.border_texts.subtitle(f"hidden: {', '.join(self.hidden)}" if self.hidden else "")

    def select_row(self, row: int) -> None:
        if (record := self.selected()) is not None:
            self.post_message(self.RowSelected(self, record))


class LatestTable(FrameTable):
    """The newest records first. Following, the cursor sits on the newest; moved down,
    it stays on its record while new ones arrive above (the title counts them), until
    Home or ``f`` follows again. Enter and shift+R act on that record."""

    COLUMNS = (
        Column("id", "id", right=True),
        Column("nome", "nome", safe, priority=1, min_width=14),
        Column("idade", "idade", right=True, priority=3),
        Column("cidade", "cidade", priority=1),
        Column("valor", "valor", money, right=True),
        Column("timestamp", "time", lambda ts: safe(ts[11:19]), priority=2),
        Column("partition", "partition", right=True, priority=4),
        Column("offset", "offset", right=True, priority=4),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "follow", "Follow", show=False),
    ]

    #: What tells a record apart (a record read again has the same text).
    IDENTITY = ("partition", "offset", "id", "timestamp")

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self.held: tuple[int, int] | None = None  # (partition, offset) under the cursor
        self.arrived_above = 0
        self._row_texts: dict[tuple[Any, ...], list[str]] = {}  # the rows shown, formatted

    def cell_texts(self, frame: pl.DataFrame) -> list[list[str]]:
        """Only the rows not already shown are formatted; the others keep their text."""
        keys = list(frame.select(self.IDENTITY).iter_rows())
        known = self._row_texts
        new = [i for i, key in enumerate(keys) if key not in known]
        if new:
            columns = super().cell_texts(frame[new])
            for j, i in enumerate(new):
                known[keys[i]] = [texts[j] for texts in columns]
        self._row_texts = {key: known[key] for key in keys}
        rows = [self._row_texts[key] for key in keys]
        return [list(texts) for texts in zip(*rows, strict=True)] if rows else [
            [] for _ in self.COLUMNS]

    def show(self, frame: pl.DataFrame) -> None:
        """New rows; a held cursor moves down with its record (or follows again if the
        record is no longer in the table: cleared, filtered out or aged out)."""
        row = None
        if self.held is not None:
            at = (pl.col("partition") == self.held[0]) & (pl.col("offset") == self.held[1])
            found = frame.with_row_index().filter(at)["index"]
            row = int(found[0]) if len(found) else None
            if row is None:
                self.held = None
                self.arrived_above = 0
        super().show(frame)
        if row is not None:
            moved = row - self.cursor_row
            self.arrived_above = max(0, self.arrived_above + moved)
            self.cursor_row = row
            self.scroll_to(y=self.scroll_offset.y + moved, animate=False)
            self.retitle()
            if moved:
                self.refresh()
        elif self.held is None and self.cursor_row:
            self.move_to(0)

    def move_to(self, row: int) -> None:
        super().move_to(row)
        record = self.selected() if self.cursor_row else None
        self.held = None if record is None else (record["partition"], record["offset"])
        if self.held is None:
            self.arrived_above = 0
        self.retitle()

    def action_follow(self) -> None:
        self.move_to(0)

    def heading(self) -> str:
        if self.held is None:
            return self.title
        return (f"{self.title} [b black on yellow] HELD [/] {self.arrived_above:,} new above"
                " · f follows")


class CityStatsTable(FrameTable):
    """Total, mean, count, mean age and share per city, largest total first."""

    COLUMNS = (
        Column("cidade", "cidade"),
        Column("total", "total", money, right=True),
        Column("mean", "mean", money, right=True, priority=2),
        Column("count", "count", count, right=True),
        Column("mean_age", "mean age", lambda v: f"{v:.1f}", right=True, priority=3),
        Column("share", "share", lambda v: f"{v:.1f}%", right=True, priority=1),
    )
