"""A widget that owns one plotext figure and renders it at its own size.

Never plotext's module-global figure: each chart has its own (as textual-plotext
does). The figure is rebuilt only when the data or the size changed.
"""

from __future__ import annotations

from typing import Any

import plotext._utility as plotext_utility
from plotext._figure import _figure_class
from rich.text import Text
from textual.color import Color
from textual.widget import Widget


def _ordered_unique(data: Any) -> list[Any]:
    return list(dict.fromkeys(data))


# plotext de-duplicates tick labels through set(), whose order follows the hash seed;
# keep first-seen order so the same data always draws the same screen.
plotext_utility.no_duplicates = _ordered_unique


class PlotWidget(Widget):
    """Base for the charts: subclasses implement ``draw`` on a fresh figure."""

    DEFAULT_CSS = """
    PlotWidget { height: 1fr; min-height: 8; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart_title = title
        self.border_title = title
        self._data: Any = None
        self._cache_key: tuple[int, int, int, str] | None = None
        self._cache: Text = Text()
        self._version = 0

    def set_data(self, data: Any) -> None:
        """Give the chart new data (from a snapshot); redraws on the next refresh."""
        self._data = data
        self._version += 1
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_size
        key = (self._version, width, height, self.app.theme)
        if key != self._cache_key:
            self._cache = self._build(width, height)
            self._cache_key = key
        return self._cache

    def _build(self, width: int, height: int) -> Text:
        if width < 10 or height < 4:
            return Text("")
        if self._data is None or not self.has_data(self._data):
            return Text("waiting for records…", style="dim", justify="center")
        fig = _figure_class()
        fig._limit_size(False, False)  # size by the widget, not by the process's terminal
        fig.plotsize(width, self.figure_height(self._data, height))
        fig.theme("clear")
        self.draw(fig, self._data, width, height)
        return Text.from_ansi(fig.build(), no_wrap=True)

    def theme_color(self, name: str) -> tuple[int, int, int]:
        """An RGB colour of the app's theme, so the charts follow a theme change."""
        theme = self.app.current_theme
        color = Color.parse(getattr(theme, name, None) or theme.primary)
        return (color.r, color.g, color.b)

    def figure_height(self, data: Any, height: int) -> int:
        """Rows the figure takes (horizontal bar charts need exactly one row per bar)."""
        return height

    def has_data(self, data: Any) -> bool:
        """Whether there is something to plot (else a 'waiting' line is shown)."""
        return bool(data)

    def draw(self, fig: Any, data: Any, width: int, height: int) -> None:
        raise NotImplementedError
