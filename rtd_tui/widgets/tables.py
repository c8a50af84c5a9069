"""The latest-records table and the per-city statistics table.

Both draw only the rows on screen (Textual's Line API) from text formatted once
per snapshot, with one style per line. Textual's DataTable measures and styles
every cell of every row it holds on each update: with the 200 latest records that
was about 200 ms of the UI thread per redraw here, more than all the charts.
Columns fit the table's width (``columns.fit_widths``); the title says which are
hidden. The latest-records cursor stays on its record while new ones arrive. New
rows that show the same text (and cursor) as those on screen repaint nothing, and
the table's virtual size stays put while its row count does (a change of it costs
a layout of the whole screen).
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rtd_tui.widgets.columns import Column, column_cells, fit_widths, natural_width
from rtd_tui.widgets.format import count, money, safe
from rtd_tui.widgets.quiet import BorderTexts


def _head(values: pl.Series, width: int) -> list[Any]:
    """The values, texts cut to what a cell of ``width`` can show (a character is at least
    half a cell, allowing for zero-width ones): a valid 60 KB name costs no more than a
    short one, since the rest never leaves polars."""
    if values.dtype == pl.String:
        values = values.str.slice(0, 4 * width)
    return values.to_list()


class FrameTable(ScrollView, can_focus=True):
    """A read-only table of a polars frame: header, zebra rows, a row cursor, Enter."""

    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1_000_000_000)", "First", show=False),
        Binding("end", "move(1_000_000_000)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "frame-table--header", "frame-table--even-row", "frame-table--cursor",
    }
    DEFAULT_CSS = """
    FrameTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        scrollbar-gutter: stable;
        & > .frame-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .frame-table--even-row { background: $surface-lighten-1 50%; }
        & > .frame-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .frame-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        &:dark > .frame-table--even-row { background: $surface-darken-1 40%; }
    }
    """

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
        self._lines: list[str] = []
        self._header = ""
        self.cursor_row = 0
        self._line_styles = (Style(), Style(), Style(), Style())  # set by render_lines
        self._line_width = 0

    def on_mount(self) -> None:
        self._layout()
        self.retitle()

    def on_resize(self) -> None:
        self._layout()
        self.retitle()

    @property
    def row_count(self) -> int:
        return len(self._lines)

    def selected(self) -> dict[str, Any] | None:
        """The record under the cursor (every field of the frame), or None if empty."""
        if not self._lines:
            return None
        return self._frame.row(self.cursor_row, named=True)

    def show(self, frame: pl.DataFrame) -> None:
        """Replace the rows with ``frame``'s; the cursor keeps its position. The table is
        repainted only if its text or cursor changed."""
        self._frame = frame
        self._cells = [[col.text(v) for v in _head(frame[col.field], col.max_width)]
                       for col in self.COLUMNS]
        shown = (self._header, self._lines, self.cursor_row)
        self._layout()
        self.cursor_row = min(self.cursor_row, max(0, len(self._lines) - 1))
        self.retitle()
        if (self._header, self._lines, self.cursor_row) != shown:
            self.refresh()

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
        header, *self._lines = ["".join(line) for line in zip(*columns, strict=True)]
        self._header = header
        # As wide as the table (wider only when even the key columns do not fit), so the
        # width of the text does not change the virtual size.
        self.virtual_size = Size(max(cell_len(header), width), len(self._lines) + 1)

    def heading(self) -> str:
        """The border title."""
        return self.title

    def retitle(self) -> None:
        """The border title, and a subtitle naming the columns hidden for lack of width."""
        self.border_texts.title(self.heading())
        self.border_texts.subtitle(f"hidden: {', '.join(self.hidden)}" if self.hidden else "")

    def render_lines(self, crop: Region) -> list[Strip]:
        """Resolve the four line styles once per render, not once per line (each is a
        walk up the DOM), then let Textual ask for the lines."""
        base = self.rich_style
        self._line_styles = (
            base,
            base + self.get_component_rich_style("frame-table--header"),
            base + self.get_component_rich_style("frame-table--even-row"),
            base + self.get_component_rich_style("frame-table--cursor"),
        )
        self._line_width = self.scrollable_content_region.width
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self._line_width
        plain, header, even, cursor = self._line_styles
        if y == 0:
            text, style = self._header, header
        else:
            index = scroll_y + y - 1
            if index >= len(self._lines):
                return Strip.blank(width, plain)
            text = self._lines[index]
            style = cursor if index == self.cursor_row else even if index % 2 else plain
        return Strip([Segment(text, style)], cell_len(text)).crop_extend(
            scroll_x, scroll_x + width, style)

    # ---- cursor ---------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        self._move_to(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor_row + direction * max(1, self.scrollable_content_region.height
                                                        - 1))

    def _move_to(self, row: int) -> None:
        if not self._lines:
            return
        self.cursor_row = max(0, min(row, len(self._lines) - 1))
        visible = max(1, self.scrollable_content_region.height - 1)  # the header stays
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)
        self.refresh()

    def action_select(self) -> None:
        if (row := self.selected()) is not None:
            self.post_message(self.RowSelected(self, row))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor to the row; a click on the cursor row opens it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = self.scroll_offset.y + offset.y - 1
        if row >= len(self._lines):
            return
        if row == self.cursor_row:
            self.action_select()
        else:
            self._move_to(row)

    def on_focus(self) -> None:
        self.refresh()  # the cursor's style depends on focus

    def on_blur(self) -> None:
        self.refresh()


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

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self.held: tuple[int, int] | None = None  # (partition, offset) under the cursor
        self.arrived_above = 0

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
            self._move_to(0)

    def _move_to(self, row: int) -> None:
        super()._move_to(row)
        record = self.selected() if self.cursor_row else None
        self.held = None if record is None else (record["partition"], record["offset"])
        if self.held is None:
            self.arrived_above = 0
        self.retitle()

    def action_follow(self) -> None:
        self._move_to(0)

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
