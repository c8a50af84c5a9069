"""The filter bar: cities, age range, value range; Enter applies, Esc clears.

Opening and closing take effect at once (inline ``display``, ``set_focus``), not on
the next refresh: keys that arrive in one burst after ``/`` (a paste, a script,
tmux ``send-keys``) land in the fields meant for them, and a closed bar never keeps
the focus (a hidden input would swallow every key, ``q`` included)."""

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
    FilterBar Input { width: 1fr; }
    FilterBar #f-cities { width: 2fr; }
    FilterBar Input.-bad { border: tall $error; }
    FilterBar #f-message {
        width: auto; max-width: 45%; height: 3; content-align: left middle; color: $error;
    }
    """
    #: Priority bindings act when the key arrives, before the keys behind it are handed
    #: to the focused field: each key of a burst lands where the ones before it lead.
    BINDINGS = [
        Binding("escape", "leave('clear')", "Clear filter", priority=True),
        Binding("enter", "leave('apply')", "Apply", priority=True),
        Binding("tab", "move(1)", "Next field", show=False, priority=True),
        Binding("shift+tab", "move(-1)", "Previous field", show=False, priority=True),
    ]

    class Applied(Message):
        """The user asked for this filter."""

        def __init__(self, record_filter: RecordFilter) -> None:
            super().__init__()
            self.record_filter = record_filter

    class Cleared(Message):
        """The user dropped the filter (Esc)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="cities: São Paulo, Recife", id="f-cities", select_on_focus=False)
        yield Input(placeholder="age: 25-40", id="f-age", select_on_focus=False)
        yield Input(placeholder="value R$: 100-500", id="f-value", select_on_focus=False)
        yield Label("", id="f-message")

    def open(self) -> None:
        self.display = True
        self.screen.set_focus(self.query_one("#f-cities", Input))

    def close(self) -> None:
        """Hide the bar and give the keys back to the screen (it focuses what it wants)."""
        self.display = False
        if self.has_focus_within:
            self.screen.set_focus(None)

    def action_move(self, step: int) -> None:
        """Focus the next (or previous) field, at once."""
        fields = list(self.query(Input))
        focused = self.screen.focused
        at = fields.index(focused) if isinstance(focused, Input) and focused in fields else -1
        self.screen.set_focus(fields[(at + step) % len(fields)])

    def action_leave(self, then: str) -> None:
        """Esc or Enter: the keys behind it act on the dashboard at once, while the
        field first takes the keys it was already handed (its queue runs ``then`` last)."""
        field = self.screen.focused
        self.screen.set_focus(None)
        finish = self.apply if then == "apply" else self.clear
        (field if isinstance(field, Input) else self).call_later(finish)

    def apply(self) -> None:
        """Apply the filter, or mark the field at fault and put the focus there (unless
        an Esc behind the Enter closed the bar meanwhile)."""
        if not self.display:
            return
        fields = {name: self.query_one(f"#f-{name}", Input) for name in ("cities", "age", "value")}
        for field in fields.values():
            field.remove_class("-bad")
        try:
            record_filter = parse_filter(*(f.value for f in fields.values()))
        except FilterError as exc:
            fields[exc.field].add_class("-bad")
            self.query_one("#f-message", Label).update(str(exc))
            self.screen.set_focus(fields[exc.field])
            return
        if not record_filter.active:  # nothing typed: as Esc
            self.clear()
            return
        self.query_one("#f-message", Label).update("")
        self.post_message(self.Applied(record_filter))

    def clear(self) -> None:
        """Empty the fields, close the bar and drop the filter."""
        for field in self.query(Input):
            field.value = ""
            field.remove_class("-bad")
        self.query_one("#f-message", Label).update("")
        self.close()
        self.post_message(self.Cleared())
