"""A chart widget that draws only when what its cells can show has changed.

Each chart says what its drawing depends on (``inputs``), already quantised to its
cells: bar lengths in cells, histogram bins in eighth-blocks, scatter points as
braille dots. A new snapshot whose inputs are the same as those on screen draws
nothing (no plotext, no formatting) and repaints nothing. When they differ, the
chart draws from the inputs, not from the raw data, so what is on screen is always
exactly what the inputs describe.

plotext is used through its public module functions only (``plotext.bar``,
``plotext.build`` ...). Those act on plotext's one module-level figure, so a drawing
clears it first and runs to its end on the UI thread (``draw_figure``); the figure
is never left for another chart to inherit. Its printed text becomes Textual strips.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import plotext
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

from rtd_tui.widgets.quiet import BorderTexts


class Figure:
    """One drawing's access to plotext: the ``plotext`` module (``plt``) and the x tick
    labels, which plotext would place in the order of a ``set`` (the hash seed's) and
    so drop a different one of two that collide on each start; ``xticks`` keeps them
    and the drawing places them left to right, as plotext places each."""

    def __init__(self) -> None:
        self.plt = plotext
        self.x_labels: list[list[str]] = []  # per x axis, top first

    def xticks(self, ticks: Sequence[float], labels: list[str]) -> None:
        """The active plot's x ticks and their labels."""
        plotext.xticks(ticks, [""] * len(ticks))
        self.x_labels.append(labels)


def draw_figure(width: int, height: int, draw: Callable[[Figure], None]) -> list[Text]:
    """plotext's figure, cleared, sized ``width`` x ``height`` (not limited by the
    process's terminal) and drawn by ``draw``, as lines of text."""
    plotext.main()  # the whole figure, not the subplot a previous drawing left active
    plotext.clear_figure()
    plotext.limit_size(False, False)
    plotext.plot_size(width, height)
    plotext.theme("clear")
    figure = Figure()
    draw(figure)
    plotext.main()
    printed = plotext.build()
    plotext.clear_figure()
    lines = [Text.from_ansi(line, no_wrap=True, end="") for line in printed.split("\n")]
    axes = [i for i, line in enumerate(lines) if "└" in line.plain and i + 1 < len(lines)]
    for row, labels in zip(axes, figure.x_labels, strict=False):
        axis, under = place_labels(lines[row].plain, labels)
        lines[row] = Text(axis, end="")
        lines[row + 1] = Text(under, end="")
    return lines


def place_labels(axis: str, labels: list[str]) -> tuple[str, str]:
    """An x axis line and the row of its tick labels: label ``i`` under tick mark ``i``
    (``┬``), placed as plotext places one (centred, moved inside the row's free cells,
    a blank cell from any other), left to right. A label that finds no room is left
    out, and so is its tick mark, as plotext does."""
    marks = [i for i, ch in enumerate(axis) if ch == "┬"]
    row = [" "] * len(axis)
    line = list(axis)
    for col, label in zip(marks, labels, strict=False):
        size = len(label)
        free = [i for i in range(max(col - size + 1, 0), min(col + size, len(row) - 1))
                if row[i] == " "]
        low, high = min(free, default=col - size + 1), max(free, default=col + size)
        start = (low + high - size + 1) // 2
        around = range(max(start - 1, 0), min(start + size + 1, len(row)))
        if start >= 0 and start + size <= len(row) and all(row[i] == " " for i in around):
            row[start:start + size] = label
        else:
            line[col] = "─"
    return "".join(line), "".join(row)


def text_strips(lines: list[Text], console: Console, base: Style, width: int) -> list[Strip]:
    """One strip per line of text, over the widget's ``base`` style, ``width`` cells."""
    return [Strip(line.render(console)).apply_style(base).crop_extend(0, width, base)
            for line in lines]


class PlotWidget(Widget):
    """Base for the charts: ``inputs`` says what a drawing depends on, ``draw_strips``
    draws those inputs."""

    DEFAULT_CSS = """
    PlotWidget { height: 1fr; min-height: 8; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_texts = BorderTexts(self)
        self.chart_title = title
        self.border_texts.title(title)
        self._data: Any = None
        self._version = 0  # of the data
        self._stamp: tuple[int, int, int, str] | None = None  # what ``_inputs_key`` is for
        self._inputs_key: Hashable = None
        self._drawn_for: Hashable = None
        self._strips: list[Strip] = []
        self._blank = Strip.blank(0)
        #: Drawings made since mount: the repaint tests and the redraw benchmark read it.
        self.drawings = 0

    def set_data(self, data: Any) -> None:
        """Give the chart new data (from a snapshot). A shown chart whose inputs changed
        draws and repaints now; one whose inputs did not does nothing; a hidden one
        draws when it shows."""
        self._data = data
        self._version += 1
        width, height = self.content_size
        shown = self.display and self.is_mounted and width and height
        if shown and self._key(width, height) != self._drawn_for:
            self.refresh()

    def _key(self, width: int, height: int) -> Hashable:
        """What the drawing at this size depends on: the chart's inputs, size, theme
        (worked out once per data, size and theme)."""
        stamp = (self._version, width, height, self.app.theme)
        if stamp != self._stamp:
            data = self._data
            inputs = None
            if width >= 10 and height >= 4 and data is not None and self.has_data(data):
                inputs = self.inputs(data, width, height)
            self._inputs_key = (inputs, width, height, self.app.theme)
            self._stamp = stamp
        return self._inputs_key

    def _strips_for(self, width: int, height: int) -> list[Strip]:
        """The drawing at this size, made again only when its key changed."""
        key = self._key(width, height)
        if key != self._drawn_for:
            self._strips = self._build(key, width, height)
            self._blank = Strip.blank(width, self.rich_style)
            self._drawn_for = key
            self.drawings += 1
        return self._strips

    def render_line(self, y: int) -> Strip:
        strips = self._strips_for(*self.content_size)
        return strips[y] if y < len(strips) else self._blank

    def _build(self, key: Hashable, width: int, height: int) -> list[Strip]:
        if width < 10 or height < 4:
            return []
        base = self.rich_style
        inputs = key[0] if isinstance(key, tuple) else None
        if inputs is None:  # no data yet
            text = "waiting for records…".center(width)
            return [Strip([Segment(text, base + Style(dim=True))]).crop_extend(0, width, base)]
        return self.draw_strips(inputs, base, width, height)

    def draw_strips(self, inputs: Any, base: Style, width: int, height: int) -> list[Strip]:
        """The chart drawn from its ``inputs``; by default with plotext (``draw``)."""
        lines = draw_figure(self.figure_width(inputs, width, height),
                            self.figure_height(inputs, height),
                            lambda fig: self.draw(fig, inputs, width, height))
        return text_strips(lines, self.app.console, base, width)

    def theme_color(self, name: str) -> tuple[int, int, int]:
        """An RGB colour of the app's theme, so the charts follow a theme change."""
        theme = self.app.current_theme
        color = Color.parse(getattr(theme, name, None) or theme.primary)
        return (color.r, color.g, color.b)

    def inputs(self, data: Any, width: int, height: int) -> Hashable:
        """What the drawing shows of ``data`` at this size, quantised to cells: equal
        inputs draw equal charts, so the chart is drawn again only when they change."""
        raise NotImplementedError

    def figure_width(self, inputs: Any, width: int, height: int) -> int:
        """Columns the figure takes (the rest of the widget stays blank)."""
        return width

    def figure_height(self, inputs: Any, height: int) -> int:
        """Rows the figure takes (horizontal bar charts need exactly one row per bar)."""
        return height

    def has_data(self, data: Any) -> bool:
        """Whether there is something to plot (else a 'waiting' line is shown)."""
        return bool(data)

    def draw(self, fig: Figure, inputs: Any, width: int, height: int) -> None:
        """Draw ``inputs`` with plotext's functions (``fig.plt``) on a cleared, sized
        figure; x ticks through ``fig.xticks``."""
        raise NotImplementedError
