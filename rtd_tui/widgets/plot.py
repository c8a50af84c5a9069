"""A chart widget that draws only when what its cells can show has changed.

Each chart says what its drawing depends on (``inputs``), already quantised to its
cells: bar lengths in cells, histogram bins in eighth-blocks, scatter points as
braille dots. A new snapshot whose inputs are the same as those on screen draws
nothing (no plotext, no formatting) and repaints nothing. When they differ, the
chart draws from the inputs, not from the raw data, so what is on screen is always
exactly what the inputs describe. By default it draws with plotext
(``plotext_figure``); the histogram draws its own cells.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

from rtd_tui.widgets.plotext_figure import Figure, draw_figure, text_strips
from rtd_tui.widgets.quiet import BorderTexts


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
        return text_strips(lines, base, width)

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
