"""The live tail: the newest raw messages with their verdict, following unless held."""

from __future__ import annotations

from typing import Any, Protocol, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from rtd_tui.records import RecordError, decode
from rtd_tui.screens.detail import STATUS_STYLE, RecordDetailScreen, kafka_time
from rtd_tui.screens.stream import PipelineScreen
from rtd_tui.tail import TailEntry, safe_str, safe_text
from rtd_tui.widgets.footer import FittedFooter

TAIL_ROWS = 200  # rows drawn; the buffer holds more for lookups from the dashboard
KEY_WIDTH = 24
REASON_WIDTH = 60
TAIL_COLUMNS = ("partition", "offset", "key", "timestamp (UTC)", "size", "status", "reason")


class FormHost(Protocol):
    """The app opens the produce form (it refuses in a read-only view)."""

    def open_form(self, prefill: dict[str, Any] | None = None) -> None: ...


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def tail_row(entry: TailEntry) -> tuple[Text, ...]:
    """One table row; key and reason are untrusted and made inert."""
    key = "—" if entry.key is None else clip(safe_text(entry.key), KEY_WIDTH)
    return (
        Text(str(entry.partition), justify="right"),
        Text(str(entry.offset), justify="right"),
        Text(key),
        Text(kafka_time(entry.timestamp_ms)),
        Text(f"{entry.size:,}", justify="right"),
        Text(entry.status, style=STATUS_STYLE[entry.status]),
        Text(clip(safe_str(entry.reason), REASON_WIDTH), style="dim"),
    )


def row_key(entry: TailEntry) -> str:
    return str(entry.seq)  # a message read twice (a replay) gets two rows


class TailScreen(PipelineScreen):
    """Newest at the bottom, like ``tail -f``. Moving the cursor up (or scrolling up) holds
    the view; ``f`` freezes it or, when held or frozen, goes back to following."""

    BINDINGS = [
        Binding("f", "toggle_follow", "Freeze / follow"),
        Binding("R", "reproduce", "Re-produce"),
    ]
    DEFAULT_CSS = """
    TailScreen #tail-marker { height: 1; background: $panel; padding: 0 1; }
    TailScreen #tail { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.frozen = False
        self._scrolled_up = False
        self._drawn_added: int | None = None
        self._rows: dict[str, TailEntry] = {}  # as shown, oldest first

    def compose(self) -> ComposeResult:
        yield Static(id="tail-marker")
        yield DataTable[Text](id="tail", cursor_type="row", zebra_stripes=True)
        yield FittedFooter()

    def on_mount(self) -> None:
        table = self.query_one("#tail", DataTable)
        for name in TAIL_COLUMNS:
            table.add_column(name, key=name)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#tail", DataTable)

    @property
    def held(self) -> bool:
        """The user moved the cursor off the newest row or scrolled up from it."""
        table = self.table
        return self._scrolled_up or table.cursor_row < table.row_count - 1

    @property
    def following(self) -> bool:
        return not self.frozen and not self.held

    def tick(self) -> None:
        tail = self.pipeline.tail
        if self.following and tail.added != self._drawn_added:
            self._drawn_added = tail.added
            self._draw(tail.entries(TAIL_ROWS))
        self._mark(tail.added - (self._drawn_added or 0))

    def _draw(self, entries: list[TailEntry]) -> None:
        """Add the new rows and drop the old ones (only new rows get measured), then
        put the cursor on the newest."""
        table = self.table
        wanted = {row_key(e): e for e in entries}
        gone = [key for key in self._rows if key not in wanted]
        with self.app.batch_update():
            if len(gone) > TAIL_ROWS // 4:  # each removal costs a pass over the rows
                table.clear()
                self._rows = {}
            else:
                for key in gone:
                    table.remove_row(key)
                    del self._rows[key]
            for key, entry in wanted.items():
                if key not in self._rows:
                    self._rows[key] = entry
                    table.add_row(*tail_row(entry), key=key)
            if self._rows:
                table.move_cursor(row=len(self._rows) - 1, animate=False)

    def _mark(self, unseen: int) -> None:
        marker = Text(no_wrap=True)
        if self.frozen:
            marker.append(" FROZEN ", style="bold black on cyan")
            marker.append("  f follows again", style="dim")
        elif self.held:
            marker.append(" HELD ", style="bold black on yellow")
            marker.append("  cursor moved · f (or the last row) follows again", style="dim")
        else:
            marker.append("● following", style="bold green")
        marker.append(f"  ·  {len(self._rows):,} messages shown", style="dim")
        if unseen > 0:
            marker.append(f" · {unseen:,} new since", style="bold")
        self.query_one("#tail-marker", Static).update(marker)

    def on_mouse_scroll_up(self) -> None:
        self._scrolled_up = True

    def on_mouse_scroll_down(self) -> None:
        table = self.table
        if table.scroll_y >= table.max_scroll_y:
            self._scrolled_up = False

    def action_toggle_follow(self) -> None:
        """Freeze while following; otherwise jump to the newest and follow."""
        if self.following:
            self.frozen = True
        else:
            self.frozen = False
            self._scrolled_up = False
            self._drawn_added = None
            if self._rows:
                self.table.move_cursor(row=len(self._rows) - 1, animate=False)
        self.tick()

    def action_reproduce(self) -> None:
        """Open the produce form with the selected message, to edit and send again."""
        table = self.table
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        entry = self._rows.get(str(key))
        if entry is None:
            return
        try:
            record = decode(entry.value)
        except RecordError as exc:
            self.notify(f"Only a valid record can be re-produced: {exc}", severity="warning")
            return
        cast(FormHost, self.app).open_form(record)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        entry = self._rows.get(str(event.row_key.value))
        if entry is not None:
            self.app.push_screen(RecordDetailScreen(entry, self.pipeline.settings.topic))
