"""The filter bar: cities, age range, value range; Enter applies, Esc clears."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from rtd_tui.filters import FilterError, parse_filter
from rtd_tui.store import RecordFilter


class FilterBar(Horizontal):
    """Three inputs; a bad one is marked and explained, and the active filter stays as it was."""

    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; background: $panel; padding: 0 1; }
    FilterBar.-open { display: block; }
    FilterBar Input { width: 1fr; }
    FilterBar #f-cities { width: 2fr; }
    FilterBar Input.-bad { border: tall $error; }
    FilterBar #f-message {
        width: auto; max-width: 45%; height: 3; content-align: left middle; color: $error;
    }
    """
    BINDINGS = [Binding("escape", "clear", "Clear filter")]

    class Applied(Message):
        """The user asked for this filter."""

        def __init__(self, record_filter: RecordFilter) -> None:
            super().__init__()
            self.record_filter = record_filter

    class Cleared(Message):
        """The user dropped the filter (Esc)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="cities: São Paulo, Recife", id="f-cities")
        yield Input(placeholder="age: 25-40", id="f-age")
        yield Input(placeholder="value R$: 100-500", id="f-value")
        yield Label("", id="f-message")

    def open(self) -> None:
        self.add_class("-open")
        self.query_one("#f-cities", Input).focus()

    def close(self) -> None:
        self.remove_class("-open")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = {name: self.query_one(f"#f-{name}", Input) for name in ("cities", "age", "value")}
        for field in fields.values():
            field.remove_class("-bad")
        try:
            record_filter = parse_filter(*(f.value for f in fields.values()))
        except FilterError as exc:
            fields[exc.field].add_class("-bad")
            self.query_one("#f-message", Label).update(str(exc))
            return
        self.query_one("#f-message", Label).update("")
        self.post_message(self.Applied(record_filter))

    def action_clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
            field.remove_class("-bad")
        self.query_one("#f-message", Label).update("")
        self.close()
        self.post_message(self.Cleared())
