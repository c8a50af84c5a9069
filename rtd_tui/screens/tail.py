"""The live tail: the newest raw messages with their verdict, following unless held.

The screen reads its messages from a ``TailSource`` (the pipeline's ``TailBuffer`` by
default): anything that says when its content changed and hands out its newest
entries can feed it.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from rtd_tui.records import RecordError, decode
from rtd_tui.screens.detail import RecordDetailScreen
from rtd_tui.screens.stream import PipelineScreen
from rtd_tui.tail import TailEntry
from rtd_tui.widgets.footer import FittedFooter
from rtd_tui.widgets.tail_table import TailTable

TAIL_ROWS = 200  # rows drawn; the buffer holds more for lookups from the dashboard


class FormHost(Protocol):
    """The app opens the produce form (it refuses in a read-only view)."""

    read_only: bool

    def open_form(self, prefill: dict[str, Any] | None = None) -> None: ...


class TailSource(Protocol):
    """Where the tail's messages come from."""

    @property
    def added(self) -> int:
        """Changes whenever the content does."""
        ...

    def entries(self, newest: int | None = None) -> list[TailEntry]:
        """The ``newest`` last entries, oldest first, each with its verdict."""
        ...


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

    def __init__(self, source: TailSource | None = None) -> None:
        super().__init__()
        self.frozen = False
        self._scrolled_up = False
        self._drawn_added: int | None = None
        self._source = source

    def compose(self) -> ComposeResult:
        yield Static(id="tail-marker")
        yield TailTable(id="tail")
        yield FittedFooter()

    @property
    def source(self) -> TailSource:
        """The messages shown: the one given, else the pipeline's tail."""
        return self._source if self._source is not None else self.pipeline.tail

    @property
    def table(self) -> TailTable:
        return self.query_one("#tail", TailTable)

    @property
    def held(self) -> bool:
        """The user moved the cursor off the newest row or scrolled up from it."""
        table = self.table
        return self._scrolled_up or table.cursor_row < table.row_count - 1

    @property
    def following(self) -> bool:
        return not self.frozen and not self.held

    def tick(self) -> None:
        source = self.source
        if self.following and source.added != self._drawn_added:
            self._drawn_added = source.added
            table = self.table
            table.show(source.entries(TAIL_ROWS))
            table.move_to(table.row_count - 1)
        self._mark(source.added - (self._drawn_added or 0))

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
        marker.append(f"  ·  {self.table.row_count:,} messages shown", style="dim")
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
            self.table.move_to(self.table.row_count - 1)
        self.tick()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No re-produce in a read-only view (the footer leaves the key out)."""
        return not (action == "reproduce" and cast(FormHost, self.app).read_only)

    def action_reproduce(self) -> None:
        """Open the produce form with the selected message, to edit and send again."""
        entry = self.table.selected()
        if entry is None:
            return
        try:
            record = decode(entry.value)
        except RecordError as exc:
            self.notify(f"Only a valid record can be re-produced: {exc}", severity="warning")
            return
        cast(FormHost, self.app).open_form(record)

    def on_tail_table_row_selected(self, event: TailTable.RowSelected) -> None:
        self.app.push_screen(RecordDetailScreen(event.entry, self.pipeline.settings.topic))
