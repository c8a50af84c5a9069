"""A read-only table drawn with Textual's Line API: header, zebra rows, a row cursor.

Only the rows on screen are drawn, each from one string formatted beforehand, so a
table of a few hundred rows costs the same as a short one whatever arrives.
Textual's DataTable measures and styles every cell of every row it holds on each
update: with 200 rows that was about 200 ms of the UI thread per redraw. Subclasses
say what the lines are (``set_lines``) and what Enter does (``select_row``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

#: Part of a line drawn in a style of its own: (first cell, end cell, style).
Span = tuple[int, int, Style]


class LineTable(ScrollView, can_focus=True):
    """Lines of text under a header line, with a row cursor moved by keys or clicks."""

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
    LineTable {
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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self.header = ""
        self.cursor_row = 0
        self._line_styles = (Style(), Style(), Style(), Style())  # set by render_lines
        self._line_width = 0

    @property
    def row_count(self) -> int:
        return len(self.lines)

    def set_lines(self, header: str, lines: list[str]) -> bool:
        """Show these lines (the cursor keeps its row, within the new count); returns
        whether anything on screen changed, which is then repainted. The virtual size
        is as wide as the table (wider only for a header that does not fit), so the
        width of the text does not lay out the screen again."""
        shown = (self.header, self.lines, self.cursor_row)
        self.header, self.lines = header, lines
        self.cursor_row = min(self.cursor_row, max(0, len(lines) - 1))
        width = self.scrollable_content_region.width
        size = Size(max(cell_len(header), width), len(lines) + 1)
        if size != self.virtual_size:
            self.virtual_size = size
        changed = (self.header, self.lines, self.cursor_row) != shown
        if changed:
            self.refresh()
        return changed

    def line_spans(self, index: int) -> Sequence[Span]:
        """Parts of line ``index`` drawn in a style of their own (none by default)."""
        return ()

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
        spans: Sequence[Span] = ()
        if y == 0:
            text, style = self.header, header
        else:
            index = scroll_y + y - 1
            if index >= len(self.lines):
                return Strip.blank(width, plain)
            text = self.lines[index]
            style = cursor if index == self.cursor_row else even if index % 2 else plain
            spans = self.line_spans(index)
        segments, at = [], 0
        for start, end, span_style in spans:
            if start > at:
                segments.append(Segment(text[at:start], style))
            segments.append(Segment(text[start:end], style + span_style))
            at = end
        segments.append(Segment(text[at:], style))
        return Strip(segments, cell_len(text)).crop_extend(scroll_x, scroll_x + width, style)

    # ---- cursor ---------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        self.move_to(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor_row + direction * max(1, self.scrollable_content_region.height
                                                       - 1))

    def move_to(self, row: int) -> None:
        """Put the cursor on ``row`` (within the table) and scroll it into view."""
        if not self.lines:
            return
        self.cursor_row = max(0, min(row, len(self.lines) - 1))
        visible = max(1, self.scrollable_content_region.height - 1)  # the header stays
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)
        self.refresh()

    def action_select(self) -> None:
        if self.lines:
            self.select_row(self.cursor_row)

    def select_row(self, row: int) -> None:
        """Enter (or a click) on the cursor row."""

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor to the row; a click on the cursor row opens it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = self.scroll_offset.y + offset.y - 1
        if row >= len(self.lines):
            return
        if row == self.cursor_row:
            self.action_select()
        else:
            self.move_to(row)

    def on_focus(self) -> None:
        self.refresh()  # the cursor's style depends on focus

    def on_blur(self) -> None:
        self.refresh()
