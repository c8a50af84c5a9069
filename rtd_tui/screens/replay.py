"""The replay dialog (``r``): read the topic again from the beginning, a time, or the last N.

It returns what ``--from`` would take (``earliest``, ``@TIME`` or ``-N``), checked by the
same parser, so the dialog and the command line accept exactly the same forms. Enter
replays from wherever the focus is; Esc cancels. A bad entry is said in the dialog,
which stays open.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from rtd_tui.config import TIME_PREFIX, ConfigError, parse_start

DEFAULT_LAST = "100"
DEFAULT_TIME = "@-15m"
CHOICES = ("earliest", "time", "last")  # the lines of the list, in order


class ReplayScreen(ModalScreen[str | int | None]):
    """Returns the start (``earliest``, ``@TIME`` or ``-N``), or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "replay", "Replay", priority=True),
    ]
    DEFAULT_CSS = """
    ReplayScreen { align: center middle; }
    ReplayScreen > Vertical {
        width: 64; max-width: 100%; height: auto; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    ReplayScreen OptionList, ReplayScreen OptionList:focus {
        width: 1fr; height: auto; border: none; padding: 0; margin-bottom: 1;
    }
    ReplayScreen Horizontal { height: auto; }
    ReplayScreen Horizontal Label { width: 14; padding: 1 0 0 2; color: $text-muted; }
    ReplayScreen Input { width: 1fr; }
    ReplayScreen #replay-error { color: $error; height: auto; }
    ReplayScreen #replay-keys { color: $text-muted; }
    """

    def __init__(self, time_note: str = "") -> None:
        """``time_note``: why a time may not work here (the embedded mock), shown beside it."""
        super().__init__()
        self.time_note = time_note

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Replay into an empty view"
            note = f" ({self.time_note})" if self.time_note else ""
            yield OptionList(
                Option("From the beginning", id="earliest"),
                Option(f"From a time{note}", id="time"),
                Option("The last N messages of each partition", id="last"),
                id="replay-from",
            )
            with Horizontal():
                yield Label("time")
                yield Input(DEFAULT_TIME, id="replay-time-text",
                            placeholder="@2026-12-01T10:00:00 or @-15m")
            with Horizontal():
                yield Label("N")
                yield Input(DEFAULT_LAST, id="replay-n", restrict=r"[0-9]*")
            yield Static("", id="replay-error")
            yield Static("↑↓ choose · Tab to a field · Enter replays · Esc cancels",
                         id="replay-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing in a field chooses its line."""
        line = {"replay-time-text": "time", "replay-n": "last"}.get(event.input.id or "")
        if line is not None and event.input.has_focus:
            self.query_one(OptionList).highlighted = CHOICES.index(line)

    def chosen(self) -> str | int:
        """The start the dialog says, checked as ``--from`` checks it (``ConfigError``)."""
        which = CHOICES[self.query_one(OptionList).highlighted or 0]
        if which == "time":
            text = self.query_one("#replay-time-text", Input).value.strip()
            return parse_start(text if text.startswith(TIME_PREFIX) else TIME_PREFIX + text)
        if which == "last":
            n = self.query_one("#replay-n", Input).value.strip()
            if not n.isdigit() or int(n) == 0:
                raise ConfigError(f"N must be a whole number above 0, got {n!r}")
            return parse_start(f"-{int(n)}")
        return "earliest"

    def action_replay(self) -> None:
        try:
            start = self.chosen()
        except ConfigError as exc:
            self.query_one("#replay-error", Static).update(str(exc))
            return
        self.dismiss(start)

    def action_cancel(self) -> None:
        self.dismiss(None)
