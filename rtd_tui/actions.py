"""Every user action once: its key, footer label and description.

The app's key bindings, the ``?`` help and the command palette are all built from
this table, so none of them can forget an action. ``VIEW_KEYS`` lists the keys the
other views bind for themselves; a test checks it against their bindings, so the
help lists every key.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserAction:
    """One thing the user can do from the dashboard."""

    key: str  # Textual key name(s), comma-separated
    action: str  # the app's action_<name>
    label: str  # short, for the footer and the palette
    description: str  # one line, for the help and the palette
    show: bool = True  # shown in the footer
    display_key: str = ""  # how the help writes the key (defaults to key)
    priority: bool = False  # acts on arrival (a key that moves the focus: see ``filter``)


ACTIONS: tuple[UserAction, ...] = (
    UserAction("c", "clear", "Clear", "Clear the cache: records, aggregates and counters "
               "(consumption continues)"),
    UserAction("p", "toggle_producer", "Producer", "Turn the producer on or off"),
    UserAction("plus", "faster", "Rate×2", "Double the producer rate", display_key="+"),
    UserAction("minus", "slower", "Rate÷2", "Halve the producer rate", display_key="-"),
    UserAction("v", "cycle_view", "Next panel", "Show the next charts or table where the "
               "terminal is too small for all of them"),
    UserAction("space", "pause", "Pause", "Freeze the view (ingest continues); again to resume"),
    UserAction("slash", "filter", "Filter", "Filter by cities, age and value range "
               "(Enter applies, Esc clears)", display_key="/", priority=True),
    UserAction("s", "stream", "Stream", "Stream view: partitions, watermarks, lag, msgs/s and "
               "the throughput chart"),
    UserAction("g", "groups", "Groups", "Consumer groups of the topic: state, members, "
               "committed offsets, lag in messages and seconds", show=False),
    UserAction("t", "tail", "Tail", "Live tail of raw messages (valid or rejected with its "
               "reason); Enter opens one"),
    UserAction("n", "produce", "Produce", "Produce one record: a form pre-filled from the "
               "generator (ctrl+s sends, ctrl+d deletes the id, ctrl+r raw JSON)"),
    UserAction("enter", "detail", "Detail", "Open the selected latest record: JSON and metadata",
               show=False),
    UserAction("R", "reproduce", "Re-produce", "Re-produce the selected latest record (edit "
               "it first in the form)", display_key="shift+r"),
    UserAction("e", "export", "Export", "Write the records in view (filtered) to Parquet or CSV"),
    UserAction("r", "replay", "Replay", "Read the topic again into an empty view: from the "
               "beginning, a time (@-15m, @2026-12-01T10:00:00) or the last N (a dialog)"),
    UserAction("question_mark", "help", "Help", "This help", display_key="?"),
    UserAction("q", "quit", "Quit", "Quit: flush the producer, close the consumer, stop the "
               "broker"),
)


@dataclass(frozen=True, slots=True)
class ViewKey:
    """A key that one view (or every view) binds for itself."""

    view: str
    key: str  # Textual key name(s), comma-separated, as the view binds them
    description: str
    display_key: str = ""


VIEW_KEYS: tuple[ViewKey, ...] = (
    ViewKey("Tables", "up,down,pageup,pagedown", "Move the cursor", "↑ ↓ PgUp PgDn"),
    ViewKey("Tables", "home,end", "Go to the first or the last row", "Home End"),
    ViewKey("Tables", "enter", "Open the selected row", "Enter"),
    ViewKey("Tables", "f", "Latest records: follow the newest again (a moved cursor stays on "
            "its record while new ones arrive)"),
    ViewKey("Tail", "f", "Freeze the tail, or follow the newest messages again"),
    ViewKey("Tail", "R", "Re-produce the selected message (edit it first in the form)",
            "shift+r"),
    ViewKey("Stream chart", "left,right,shift+left,shift+right,home,end",
            "Move the time cursor (shift: 10 samples; a click puts it there too)",
            "← → Home End"),
    ViewKey("Stream chart", "enter", "The messages at the cursor's time, in a tail of their own",
            "Enter"),
    ViewKey("Stream chart", "m", "Mark the cursor's time; two marks make a range"),
    ViewKey("Stream chart", "e", "Export the messages between the two marks"),
    ViewKey("Filter bar", "tab,shift+tab", "Next or previous field; Enter applies, Esc clears "
            "and closes", "Tab shift+Tab"),
    ViewKey("Produce form", "ctrl+s", "Send the record (Enter in a field too); the form says "
            "where it landed"),
    ViewKey("Produce form", "ctrl+n", "A new sample from the generator"),
    ViewKey("Produce form", "ctrl+r", "Switch between the fields and raw JSON"),
    ViewKey("Produce form", "ctrl+d", "Delete the id: send a tombstone"),
    ViewKey("Every view", "escape", "Back, close or cancel; on the dashboard, clear the filter",
            "Esc"),
)


def key_text(action: UserAction | ViewKey) -> str:
    """The key as the help shows it."""
    return action.display_key or action.key
