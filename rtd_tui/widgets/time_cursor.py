"""The stream view's throughput chart with a time cursor: from a point on the chart to
the messages behind it.

← → move the cursor a sample at a time (shift: ten), Home/End to the oldest/newest, a
click puts it where the terminal says the mouse was. Enter asks for the messages at
the cursor's moment (``Chosen``); ``m`` sets a mark (two make a range, a third starts
again) and ``e`` asks for the messages between the marks (``RangeChosen``). The chart
only says what was chosen, as epoch milliseconds: the screen and the app read them.

A sample's moment is on the history's monotonic clock; ``wall_clock`` (epoch seconds,
the app's clock) turns it into a time of day: ``now - (history now - sample)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import events
from textual.binding import Binding
from textual.message import Message

from rtd_tui.throughput import ThroughputHistory, ThroughputSample
from rtd_tui.widgets.throughput import ThroughputChart, VerticalLines

CURSOR_COLOR = "white"
MARK_COLOR = "magenta"
BIG_STEP = 10


class TimeCursorChart(ThroughputChart):
    """``ThroughputChart`` with a time cursor, marks, and the keys to move them."""

    can_focus = True
    BINDINGS = [
        Binding("left", "move(-1)", "Earlier", show=False),
        Binding("right", "move(1)", "Later", show=False),
        Binding("shift+left", f"move(-{BIG_STEP})", "Earlier ×10", show=False),
        Binding("shift+right", f"move({BIG_STEP})", "Later ×10", show=False),
        Binding("home", "move(-100000)", "Oldest", show=False),
        Binding("end", "move(100000)", "Newest", show=False),
        Binding("enter", "choose", "Messages at cursor"),
        Binding("m", "mark", "Mark"),
        Binding("e", "export_range", "Export marked range"),
    ]

    class Chosen(Message):
        """The user asked for the messages at ``at_ms`` (epoch ms)."""

        def __init__(self, at_ms: int) -> None:
            super().__init__()
            self.at_ms = at_ms

    class RangeChosen(Message):
        """The user asked for the messages from ``start_ms`` to ``end_ms`` (epoch ms)."""

        def __init__(self, start_ms: int, end_ms: int) -> None:
            super().__init__()
            self.start_ms = start_ms
            self.end_ms = end_ms

    def __init__(self, wall_clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.wall_clock = wall_clock
        self.cursor: float | None = None  # a sample's moment (history clock); None: newest
        self.marks: tuple[float, ...] = ()
        self._history: ThroughputHistory | None = None
        self._samples: tuple[ThroughputSample, ...] = ()

    def show(self, history: ThroughputHistory, rate: float) -> None:
        self._history = history
        self._samples = history.samples()
        super().show(history, rate)
        self._say()

    def vertical_lines(self, data: tuple[ThroughputSample, ...]) -> VerticalLines:
        if not data:
            return ()
        newest = data[-1].at
        cursor = self._cursor_at(data)
        lines = [((m - newest) / 60.0, MARK_COLOR) for m in self.marks if m >= data[0].at]
        return (*lines, ((cursor - newest) / 60.0, CURSOR_COLOR))

    def _cursor_at(self, data: tuple[ThroughputSample, ...]) -> float:
        return data[-1].at if self.cursor is None else max(self.cursor, data[0].at)

    def wall_ms(self, at: float) -> int:
        """The epoch milliseconds of a sample's moment."""
        history_now = self._history.clock() if self._history is not None else at
        return int((self.wall_clock() - (history_now - at)) * 1000)

    def _put(self, index: int) -> None:
        samples = self._samples
        if not samples:
            return
        self.cursor = samples[max(0, min(index, len(samples) - 1))].at
        self.set_data(samples)  # the cursor is part of what is drawn
        self._say()

    def action_move(self, step: int) -> None:
        samples = self._samples
        if not samples:
            return
        cursor = self._cursor_at(samples)
        here = min(range(len(samples)), key=lambda i: abs(samples[i].at - cursor))
        self._put(here + step)

    def on_click(self, event: events.Click) -> None:
        """The sample under the mouse (the plot spans the width, less the axis labels)."""
        samples = self._samples
        width = self.content_size.width
        if len(samples) < 2 or width < 2:
            return
        offset = event.get_content_offset(self)
        if offset is None:
            return
        first = samples[0].at
        at = first + (samples[-1].at - first) * min(1.0, max(0.0, offset.x / (width - 1)))
        self._put(min(range(len(samples)), key=lambda i: abs(samples[i].at - at)))
        self.focus()

    def action_choose(self) -> None:
        if self._samples:
            self.post_message(self.Chosen(self.wall_ms(self._cursor_at(self._samples))))

    def action_mark(self) -> None:
        if not self._samples:
            return
        at = self._cursor_at(self._samples)
        self.marks = (*self.marks, at)[-2:] if at not in self.marks else self.marks
        self.set_data(self._samples)
        self._say()

    def action_export_range(self) -> None:
        if len(self.marks) < 2:
            self.notify("Set two marks with m first: the range is between them",
                        severity="warning")
            return
        start, end = sorted(self.wall_ms(m) for m in self.marks)
        self.post_message(self.RangeChosen(start, end))

    def _clock_text(self, at: float) -> str:
        return datetime.fromtimestamp(self.wall_ms(at) / 1000).strftime("%H:%M:%S")

    def _say(self) -> None:
        """The subtitle: where the cursor is, and the marked range."""
        if not self._samples:
            self.border_texts.subtitle(None)
            return
        text = f"cursor {self._clock_text(self._cursor_at(self._samples))}"
        if self.marks:
            text += " · marks " + " → ".join(self._clock_text(m) for m in sorted(self.marks))
        self.border_texts.subtitle(text)
