"""The tail at a moment: the first messages of each partition at or after a time, read
by a reader of its own into a buffer of their own (the live tail goes on meanwhile).

The same view as the live tail, fed from that buffer, with the moment in its title and
the cursor on the first message; Esc goes back.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from rtd_tui.screens.tail import TailScreen, TailSource


class TailAtScreen(TailScreen):
    """Messages from a moment on, oldest first: the first one is the first at that time."""

    DEFAULT_CSS = """
    TailAtScreen #tail-at-title { height: 1; background: $primary-background; padding: 0 1; }
    """

    def __init__(self, source: TailSource, label: str) -> None:
        """``label``: the moment, as the status line says it (``from 10:00:00``)."""
        super().__init__(source)
        self.label = label
        self._placed = False

    def compose(self) -> ComposeResult:
        yield Static(f"Messages {self.label}: the first of each partition at or after it",
                     id="tail-at-title")
        yield from super().compose()

    def tick(self) -> None:
        super().tick()
        if not self._placed and self.table.row_count:
            self._placed = True  # once: the first message at that time, then the user's
            self.table.move_to(0)
