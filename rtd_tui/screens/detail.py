"""One message in full: pretty JSON (or its raw bytes made safe), headers, metadata."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import polars as pl
from rich.console import Group, RenderableType
from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from rtd_tui.records import encode
from rtd_tui.safe_text import safe_str, safe_text
from rtd_tui.screens.stream import PipelineHost
from rtd_tui.tail import TailEntry
from rtd_tui.widgets.footer import FittedFooter

STATUS_STYLE = {"valid": "bold green", "rejected": "bold red", "tombstone": "bold yellow"}


def kafka_time(timestamp_ms: int) -> str:
    """A message timestamp in UTC with milliseconds (``—`` when the broker gave none)."""
    if timestamp_ms < 0:
        return "—"
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{timestamp_ms % 1000:03d}Z"


def pretty_value(value: bytes) -> Text:
    """Indented, highlighted JSON; every string made inert first (C1 controls included)."""
    pretty = json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    # json.dumps escapes newlines inside strings: the raw ones left are the layout's own
    text = Text("\n".join(safe_str(line) for line in pretty.split("\n")))
    JSONHighlighter().highlight(text)
    return text


def from_row(row: dict[str, Any]) -> TailEntry:
    """A stored record as an entry (the key, size and timestamp it came with are gone)."""
    record = {k: v for k, v in row.items() if k not in ("partition", "offset")}
    value = encode(record)
    return TailEntry(row["partition"], row["offset"], None, -1, len(value), value)


class RecordDetailScreen(Screen[None]):
    """A full-screen view of one message; Esc (or Enter) goes back."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "app.pop_screen", "Back", show=False),
    ]
    DEFAULT_CSS = """
    RecordDetailScreen > VerticalScroll { padding: 0 1; }
    RecordDetailScreen .section { border: round $primary-darken-1; height: auto; padding: 0 1; }
    """

    def __init__(self, entry: TailEntry | None, topic: str, note: str = "") -> None:
        super().__init__()
        self.entry = entry
        self.topic = topic
        self.note = note

    @classmethod
    def for_row(cls, app: App[Any], partition: int, offset: int) -> RecordDetailScreen:
        """The detail of a message: from the tail if still held, else the stored row."""
        pipeline = cast(PipelineHost, app).pipeline
        topic = pipeline.settings.topic
        entry = pipeline.tail.find(partition, offset)
        if entry is not None:
            return cls(entry, topic)
        rows = pipeline.store.frame().filter(
            (pl.col("partition") == partition) & (pl.col("offset") == offset)
        )
        if rows.height:
            note = "Rebuilt from the stored record: the raw message has left the tail."
            return cls(from_row(rows.row(0, named=True)), topic, note)
        return cls(None, topic, f"Partition {partition} offset {offset} is no longer held.")

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            entry = self.entry
            if entry is None:
                yield Static(Text(self.note, style="bold yellow"), classes="section")
            else:
                yield self._section("Message", self._metadata(entry), id="detail-meta")
                if entry.headers:
                    yield self._section("Headers", self._headers(entry), id="detail-headers")
                yield self._section("Value", self._body(entry), id="detail-value")
        yield FittedFooter()

    @staticmethod
    def _section(title: str, content: RenderableType, id: str) -> Static:
        box = Static(content, classes="section", id=id)
        box.border_title = title
        return box

    def _metadata(self, entry: TailEntry) -> RenderableType:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold cyan", no_wrap=True)
        grid.add_column()
        status = Text.assemble((entry.status, STATUS_STYLE[entry.status]), "  ",
                               safe_str(entry.reason))
        rows: list[tuple[str, str | Text]] = [
            ("topic", safe_str(self.topic)),
            ("partition", str(entry.partition)),
            ("offset", str(entry.offset)),
            ("key", safe_text(entry.key) if entry.key is not None else "—"),
            ("timestamp", kafka_time(entry.timestamp_ms)),
            ("size", f"{entry.size:,} bytes"),
            ("status", status),
        ]
        for name, value in rows:
            grid.add_row(name, value)
        if not self.note:
            return grid
        return Group(grid, Text(self.note, style="dim italic"))

    @staticmethod
    def _headers(entry: TailEntry) -> RenderableType:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for name, value in entry.headers:
            grid.add_row(safe_str(name), safe_text(value))
        return grid

    @staticmethod
    def _body(entry: TailEntry) -> RenderableType:
        if entry.value is None:
            return Text("null (a tombstone: a delete of the id in its key)", style="italic")
        if entry.status == "valid":
            return pretty_value(entry.value)  # valid: records.decode parsed it already
        shown = len(entry.value)
        part = f"the first {shown:,} of {entry.size:,}; " if shown < entry.size else ""
        note = Text(f"raw bytes ({part}control and invalid ones shown as \\xNN):", style="dim")
        return Group(note, Text(safe_text(entry.value)))
