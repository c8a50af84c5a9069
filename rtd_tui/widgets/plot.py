"""A widget that owns one plotext figure and renders it at its own size.

Never plotext's module-global figure: each chart has its own (as textual-plotext
does). The figure is rebuilt only when the data or the size changed, and its
character matrix becomes Textual strips directly (Line API): printing it as ANSI
text and parsing that back cost more than plotext's own drawing for the scatter.
New data is drawn at once and the widget repainted only when the drawing differs
from the one on screen: a repaint (Textual styling every line, then composing and
writing it) cost more than the drawing itself.
"""

from __future__ import annotations

import math
from itertools import groupby
from operator import itemgetter
from typing import Any

import plotext._matrix as plotext_matrix
import plotext._utility as plotext_utility
from plotext._figure import _figure_class
from rich.ansi import AnsiDecoder
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

from rtd_tui.widgets.quiet import BorderTexts


def _ordered_unique(data: Any) -> list[Any]:
    return list(dict.fromkeys(data))


def _fill_boundaries(x: list[Any], y: list[Any]) -> list[Any]:
    """plotext's ``get_fill_boundaries`` in one pass instead of one pass per point: for
    each point, the lowest y below it in its column (itself if none is lower)."""
    lowest: dict[Any, Any] = {}
    for xi, yi in zip(x, y, strict=True):
        if xi not in lowest or yi < lowest[xi]:
            lowest[xi] = yi
    return [lowest[xi] if lowest[xi] < yi else yi for xi, yi in zip(x, y, strict=True)]


def _fill_data(x: list[Any], y: list[Any], y0: Any, *other: Any) -> list[Any]:
    """plotext's ``fill_data`` (bars are drawn as filled columns) with a set for the
    points already filled, where plotext searched a list for each one."""
    y0s = _fill_boundaries(x, y) if isinstance(y0, str) else [y0] * len(x)
    extra = plotext_utility.transpose(other, len(other))
    xf: list[Any] = []
    yf: list[Any] = []
    of: list[Any] = []
    seen: set[tuple[Any, Any]] = set()
    for i, (xi, yi, y0i) in enumerate(zip(x, y, y0s, strict=True)):
        if (xi, yi) in seen:
            continue
        seen.add((xi, yi))
        yn = range(y0i, yi + 1) if y0i < yi else range(yi, y0i) if y0i > yi else [y0i]
        xf += [xi] * len(yn)
        yf += yn
        of += [extra[i]] * len(yn)
    return [xf, yf, *plotext_utility.transpose(of, len(other))]


def _matrix_data(data: list[Any], lim: list[Any], bins: int) -> list[Any]:
    """plotext's ``get_matrix_data`` (data to canvas cells) without three Python calls per
    point: the same arithmetic in the same order, plotext's half-up rounding inlined."""
    low, span, steps = lim[0], lim[1] - lim[0], bins - 1
    floor, ceil = math.floor, math.ceil
    out: list[Any] = []
    for el in data:
        if el is None or el != el:  # None and NaN pass through, as in plotext
            out.append(el)
            continue
        n = (0.5 + steps * (el - low) / span) * 10**8  # plotext: round(change(el), 8)
        f = floor(n)
        out.append(floor((f if n - f < 0.5 else ceil(n)) * 10**-8))
    return out


def _hd_group(
    x: list[Any], y: list[Any], xf: list[int], yf: list[int]
) -> tuple[list[Any], list[Any], list[tuple[int, ...]]]:
    """plotext's ``hd_group`` (points to the dots of the cells of braille and HD markers)
    without a fresh dot grid per point: one grid per cell, dots set in it, cells in the
    order of their first point. As in plotext, a cell's grid takes the shape of its
    last point's marker, and every dot is placed with the last point's factors."""
    xfm, yfm, xfl, yfl = max(xf), max(yf), xf[-1], yf[-1]
    shapes: dict[tuple[Any, Any], tuple[int, int]] = {}
    keys = []
    for xi, yi, xfi, yfi in zip(x, y, xf, yf, strict=True):
        key = (xi // xfm if _numerical(xi) else xi, yi // yfm if _numerical(yi) else yi)
        keys.append(key)
        shapes[key] = (xfi, yfi)
    grids = {key: [[0] * w for _ in range(h)] for key, (w, h) in shapes.items()}
    floor = math.floor
    for xi, yi, key in zip(x, y, keys, strict=True):
        if _numerical(key[0]) and _numerical(key[1]):
            grids[key][floor(yi % yfl)][floor(xi % xfl)] = 1
    dots = [tuple(dot for row in reversed(grid) for dot in row) for grid in grids.values()]
    return [key[0] for key in grids], [key[1] for key in grids], dots


def _numerical(value: Any) -> bool:
    """plotext's ``numerical`` for the numbers it is given here: not None, not NaN."""
    return value is not None and value == value


def _set_matrices(self: Any) -> None:
    """plotext's ``matrix_class.set_matrices``, the background built a row at a time
    instead of one membership test per cell."""
    cols, space, none = self.cols, plotext_utility.space, plotext_utility.no_color
    axes, canvas = self.axes_color, self.canvas_color
    first = min(max(self.Cols_canvas.start, 0), cols)
    last = min(max(self.Cols_canvas.stop, first), cols)
    canvas_row = [axes] * first + [canvas] * (last - first) + [axes] * (cols - last)
    self.marker = [[space] * cols for _ in self.Rows]
    self.fullground = [[none] * cols for _ in self.Rows]
    self.background = [
        list(canvas_row) if row in self.Rows_canvas else [axes] * cols for row in self.Rows
    ]
    self.style = [[none] * cols for _ in self.Rows]


def _insert_element(
    self: Any, col: int, row: int, marker: str, fullground: Any = None, style: Any = None,
    background: Any = None, check_canvas: Any = False,
) -> None:
    """plotext's ``matrix_class.insert_element`` with its four setter calls inlined."""
    if check_canvas is not False and not (col in self.Cols_canvas and row in self.Rows_canvas):
        return
    if col in self.Cols and row in self.Rows:
        self.marker[row][col] = marker
        if fullground is not None:
            self.fullground[row][col] = fullground
        if background is not None:
            self.background[row][col] = background
        if style is not None:
            self.style[row][col] = style


# plotext de-duplicates tick labels through set(), whose order follows the hash seed;
# keep first-seen order so the same data always draws the same screen.
plotext_utility.no_duplicates = _ordered_unique
# Same results, less time (each is tested equal to plotext's own): bar charts spent most
# of their drawing in the two fills and in filling cells, the scatter in mapping its
# points to cells and their dots to braille characters.
plotext_utility.get_fill_boundaries = _fill_boundaries
plotext_utility.fill_data = _fill_data
plotext_utility.get_matrix_data = _matrix_data
plotext_utility.hd_group = _hd_group
plotext_matrix.matrix_class.set_matrices = _set_matrices
plotext_matrix.matrix_class.insert_element = _insert_element


_CELL_STYLES: dict[str, Style] = {}


def _cell_style(fullground: Any, style: Any, background: Any) -> Style:
    """The Rich style of a plotext cell's colours, read back from the ANSI codes plotext
    itself would print for them (cached: a chart uses a handful)."""
    key = repr((fullground, style, background))  # plotext colours may be lists
    found = _CELL_STYLES.get(key)
    if found is None:
        ansi = plotext_utility.colors_to_ansi(fullground, style, background)
        line = AnsiDecoder().decode_line(ansi + "x")
        styles = [span.style for span in line.spans if isinstance(span.style, Style)]
        found = Style.chain(*styles) if styles else Style.null()
        _CELL_STYLES[key] = found
    return found


def matrix_strips(matrix: Any, base: Style, width: int) -> list[Strip]:
    """One strip per row of a built plotext matrix, top row first, runs of one colour
    merged into one segment, padded (or cut) to ``width`` cells."""
    strips: list[Strip] = []
    cols = matrix.cols
    for row in reversed(matrix.Rows):
        cells = zip(matrix.marker[row], matrix.fullground[row], matrix.style[row],
                    matrix.background[row], strict=True)
        segments = [
            Segment("".join(map(_MARKER, run)), base + _cell_style(*colors))
            for colors, run in groupby(cells, key=_COLORS)
        ]
        strip = Strip(segments, cols)
        strips.append(strip if cols == width else strip.crop_extend(0, width, base))
    return strips


_MARKER = itemgetter(0)
_COLORS = itemgetter(1, 2, 3)


class PlotWidget(Widget):
    """Base for the charts: subclasses implement ``draw`` on a fresh figure."""

    DEFAULT_CSS = """
    PlotWidget { height: 1fr; min-height: 8; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_texts = BorderTexts(self)
        self.chart_title = title
        self.border_texts.title(title)
        self._data: Any = None
        self._cache_key: tuple[int, int, int, str] | None = None
        self._strips: list[Strip] = []
        self._blank = Strip.blank(0)
        self._version = 0

    def set_data(self, data: Any) -> None:
        """Give the chart new data (from a snapshot). A shown chart draws it now and is
        repainted only if the drawing changed; a hidden one draws when it shows."""
        self._data = data
        self._version += 1
        width, height = self.content_size
        if not (self.display and self.is_mounted and width and height):
            self.refresh()
            return
        drawn = self._strips if self._cache_key == self._key(width, height, -1) else None
        if self._strips_for(width, height) != drawn:
            self.refresh()

    def _key(self, width: int, height: int, version: int = 0) -> tuple[int, int, int, str]:
        """What a drawing depends on: the data (version ``version`` ago), size, theme."""
        return (self._version + version, width, height, self.app.theme)

    def _strips_for(self, width: int, height: int) -> list[Strip]:
        """The drawing at this size (built once per data version, size and theme)."""
        key = self._key(width, height)
        if key != self._cache_key:
            self._strips = self._build(width, height)
            self._blank = Strip.blank(width, self.rich_style)
            self._cache_key = key
        return self._strips

    def render_line(self, y: int) -> Strip:
        strips = self._strips_for(*self.content_size)
        return strips[y] if y < len(strips) else self._blank

    def _build(self, width: int, height: int) -> list[Strip]:
        if width < 10 or height < 4:
            return []
        base = self.rich_style
        if self._data is None or not self.has_data(self._data):
            text = "waiting for records…".center(width)
            return [Strip([Segment(text, base + Style(dim=True))]).crop_extend(0, width, base)]
        fig = _figure_class()
        fig._limit_size(False, False)  # size by the widget, not by the process's terminal
        fig.plotsize(self.figure_width(self._data, width, height),
                     self.figure_height(self._data, height))
        fig.theme("clear")
        self.draw(fig, self._data, width, height)
        fig._set_sizes()
        fig._build_matrix()  # what fig.build() does, without printing it as ANSI text
        return matrix_strips(fig.monitor.matrix, base, width)

    def theme_color(self, name: str) -> tuple[int, int, int]:
        """An RGB colour of the app's theme, so the charts follow a theme change."""
        theme = self.app.current_theme
        color = Color.parse(getattr(theme, name, None) or theme.primary)
        return (color.r, color.g, color.b)

    def figure_width(self, data: Any, width: int, height: int) -> int:
        """Columns the figure takes (the rest of the widget stays blank)."""
        return width

    def figure_height(self, data: Any, height: int) -> int:
        """Rows the figure takes (horizontal bar charts need exactly one row per bar)."""
        return height

    def has_data(self, data: Any) -> bool:
        """Whether there is something to plot (else a 'waiting' line is shown)."""
        return bool(data)

    def draw(self, fig: Any, data: Any, width: int, height: int) -> None:
        raise NotImplementedError
