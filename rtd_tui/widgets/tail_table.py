"""The tail's table: raw messages, newest last, each formatted once when it arrives.

A ``LineTable`` (Textual's Line API), so its cost per refresh does not grow with the
rows it holds, and ``t``, ``s`` and Esc stay fast at high rates. Key and reason are
untrusted and made inert; the status is coloured by verdict, the reason dim.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from textual.message import Message

from rtd_tui.safe_text import safe_str, safe_text
from rtd_tui.screens.detail import STATUS_STYLE, kafka_time
from rtd_tui.tail import TailEntry
from rtd_tui.widgets.columns import Column, column_cells, fit_widths, natural_width
from rtd_tui.widgets.line_table import LineTable, Span

KEY_WIDTH = 24
REASON_WIDTH = 60
COLUMNS = (
    Column("partition", "partition", right=True),
    Column("offset", "offset", right=True),
    Column("key", "key", max_width=KEY_WIDTH, priority=2, min_width=8),
    Column("timestamp", "timestamp (UTC)", priority=3),
    Column("size", "size", right=True, priority=4),
    Column("status", "status"),
    Column("reason", "reason", max_width=REASON_WIDTH, priority=1, min_width=10),
)
STATUS_COLUMN = 5
REASON_COLUMN = 6
STATUS_STYLES = {status: Style.parse(style) for status, style in STATUS_STYLE.items()}
DIM = Style(dim=True)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def tail_cells(entry: TailEntry) -> tuple[str, ...]:
    """One row's texts; key and reason are untrusted and made inert."""
    key = "—" if entry.key is None else clip(safe_text(entry.key), KEY_WIDTH)
    return (str(entry.partition), str(entry.offset), key, kafka_time(entry.timestamp_ms),
            f"{entry.size:,}", entry.status, clip(safe_str(entry.reason), REASON_WIDTH))


class TailTable(LineTable):
    """The tail's rows. A row is its message's arrival (``seq``): a message read again
    after a replay gets a row of its own."""

    class RowSelected(Message):
        """Enter (or a click) on the cursor row."""

        def __init__(self, entry: TailEntry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[TailEntry] = []  # as shown, oldest first
        self._cells: dict[int, tuple[str, ...]] = {}  # by seq: formatted once each
        self._line_spans: list[tuple[tuple[int, int], tuple[int, int] | None]] = []

    def show(self, entries: Sequence[TailEntry]) -> None:
        """These entries, oldest first; only those not shown yet are formatted."""
        known = self._cells
        self._cells = {e.seq: known.get(e.seq) or tail_cells(e) for e in entries}
        self.entries = list(entries)
        self._layout()

    def on_resize(self) -> None:
        self._layout()

    def _layout(self) -> None:
        rows = [self._cells[e.seq] for e in self.entries]
        texts = [[row[i] for row in rows] for i in range(len(COLUMNS))]
        natural = [natural_width(c, t) for c, t in zip(COLUMNS, texts, strict=True)]
        room = self.scrollable_content_region.width or sum(natural) + 2 * len(natural)
        widths = fit_widths(COLUMNS, natural, room)
        shown = [i for i, width in enumerate(widths) if width is not None]
        columns = [column_cells(COLUMNS[i].name, texts[i], COLUMNS[i].right, widths[i] or 0)
                   for i in shown]
        header, *lines = ["".join(line) for line in zip(*columns, strict=True)]
        # Where the status and reason cells sit in each line, in characters (a key of
        # wide characters takes fewer characters than cells).
        self._line_spans = []
        for row in range(len(lines)):
            at, spans = 0, {}
            for i, cells in zip(shown, columns, strict=True):
                cell = cells[row + 1]
                spans[i] = (at + 1, at + len(cell) - 1)
                at += len(cell)
            self._line_spans.append((spans[STATUS_COLUMN], spans.get(REASON_COLUMN)))
        self.set_lines(header, lines)

    def line_spans(self, index: int) -> Sequence[Span]:
        (s0, s1), reason = self._line_spans[index]
        spans: list[Span] = [(s0, s1, STATUS_STYLES[self.entries[index].status])]
        if reason is not None:
            spans.append((reason[0], reason[1], DIM))
        return spans

    def selected(self) -> TailEntry | None:
        """The message under the cursor, or None if the table is empty."""
        return self.entries[self.cursor_row] if self.entries else None

    def row_cells(self, row: int) -> tuple[str, ...]:
        """The texts of row ``row`` (untruncated by the width)."""
        return self._cells[self.entries[row].seq]

    def select_row(self, row: int) -> None:
        self.post_message(self.RowSelected(self.entries[row]))
