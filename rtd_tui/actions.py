"""Every user action once: its key, footer label and description.

The app's key bindings, the ``?`` help and the command palette are all built from
this table, so none of them can forget an action.
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


ACTIONS: tuple[UserAction, ...] = (
    UserAction("c", "clear", "Clear", "Clear the cache: records, aggregates and counters "
               "(consumption continues)"),
    UserAction("p", "toggle_producer", "Producer", "Turn the producer on or off"),
    UserAction("plus", "faster", "Rate×2", "Double the producer rate", display_key="+"),
    UserAction("minus", "slower", "Rate÷2", "Halve the producer rate", display_key="-"),
    UserAction("space", "pause", "Pause", "Freeze the view (ingest continues); again to resume"),
    UserAction("slash", "filter", "Filter", "Filter by cities, age and value range "
               "(Enter applies, Esc clears)", display_key="/"),
    UserAction("s", "stream", "Stream", "Stream view: partitions, watermarks, lag, msgs/s and "
               "the throughput chart"),
    UserAction("t", "tail", "Tail", "Live tail of raw messages (valid or rejected with its "
               "reason); Enter opens one"),
    UserAction("n", "produce", "Produce", "Produce one record: a form pre-filled from the "
               "generator (ctrl+s sends, ctrl+d deletes the id, ctrl+r raw JSON)"),
    UserAction("enter", "detail", "Detail", "Open the selected latest record: JSON and metadata",
               show=False),
    UserAction("R", "reproduce", "Re-produce", "Re-produce the selected latest record (edit "
               "it first in the form)", display_key="shift+r"),
    UserAction("e", "export", "Export", "Write the records in view (filtered) to Parquet or CSV"),
    UserAction("r", "replay", "Replay", "Read the topic again from the beginning into an "
               "empty view"),
    UserAction("question_mark", "help", "Help", "This help", display_key="?"),
    UserAction("q", "quit", "Quit", "Quit: flush the producer, close the consumer, stop the "
               "broker"),
)


def key_text(action: UserAction) -> str:
    """The key as the help shows it."""
    return action.display_key or action.key
