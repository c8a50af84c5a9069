"""The value-against-age scatter: braille dots drawn by hand, in plotext's look.

At 10,000 msg/s new records light new dots on every refresh, and plotext took about
10 ms of the UI thread to draw this chart (its braille grouping most of it), the most
of any chart; the dots, the frame and the tick labels are simple to lay out here.
``draw`` still says how plotext would draw the same inputs: the tests hold the two
drawings equal, cell for cell and colour for colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.style import Style
from textual.strip import Strip

from rtd_tui.records import VALUE_RANGE
from rtd_tui.widgets.format import compact_money
from rtd_tui.widgets.plot import PlotWidget
from rtd_tui.widgets.plotext_figure import Figure, PrintedLine, place_labels, sgr_style, text_strips


@dataclass(frozen=True, slots=True)
class ScatterInputs:
    """What the scatter shows: its tick intervals, canvas rows and columns, and the
    braille dots lit, as (column, row) from the bottom left."""

    y_ticks: int
    rows: int
    x_ticks: int
    cols: int
    dots: frozenset[tuple[int, int]]


#: The scatter's value axis: log scale, from R$ 50 in whole doublings (to R$ 3,200), so
#: the many small tickets and the few large ones both show.
DOUBLINGS = 6
#: Its age axis: 15 to 85 in steps of 10, around the schema's 18-80.
AGE_AXIS = (15, 85)
#: Rows (or columns) plotext spends around its canvas: frame, axis and tick labels.
CANVAS_ROWS_OFF = 3


def even_intervals(cells: int, choices: tuple[int, ...], min_gap: int) -> tuple[int, int]:
    """(intervals, cells used): the most intervals from ``choices`` that leave ``min_gap``
    cells between ticks, and the most cells (≤ ``cells``) that split into that many equal
    gaps plus one, so every tick lands on a whole row or column."""
    count = next((n for n in choices if (cells - 1) // n >= min_gap), choices[-1])
    return count, count * max(1, (cells - 1) // count) + 1


def value_labels() -> list[str]:
    return [compact_money(VALUE_RANGE[0] * 2**k) for k in range(DOUBLINGS + 1)]


class ScatterChart(PlotWidget):
    """Value (log scale) against age for a bounded sample of the newest records; the
    figure is trimmed to the size at which every tick sits on a whole row and column."""

    Y_INTERVALS = (6, 3, 2, 1)  # divisors of DOUBLINGS
    X_INTERVALS = (7, 2, 1)  # divisors of the age axis' 70 years

    @staticmethod
    def _label_cells() -> int:
        """The value labels, the axis and the right frame."""
        return max(map(len, value_labels())) + 2

    def _rows(self, height: int) -> tuple[int, int]:
        return even_intervals(height - CANVAS_ROWS_OFF, self.Y_INTERVALS, 2)

    def _cols(self, width: int) -> tuple[int, int]:
        return even_intervals(width - self._label_cells(), self.X_INTERVALS, 3)

    def has_data(self, data: tuple[list[int], list[float]]) -> bool:
        return bool(data[0])

    def inputs(self, data: tuple[list[int], list[float]], width: int,
               height: int) -> ScatterInputs:
        """The braille dots the points fall on (two across, four down per cell), found
        as plotext finds them: a new record that lands on a lit dot changes nothing."""
        y_ticks, rows = self._rows(height)
        x_ticks, cols = self._cols(width)
        x_bins, y_bins = cols * 2, rows * 4
        low = math.log2(VALUE_RANGE[0])
        x_scale = (x_bins - 1) / (AGE_AXIS[1] - AGE_AXIS[0])
        y_scale = (y_bins - 1) / DOUBLINGS
        ages, values = data
        # plotext rounds to 8 decimals before it takes the floor: an age that falls
        # half-way between two dots goes to the upper one.
        dots = {(math.floor(round(0.5 + (a - AGE_AXIS[0]) * x_scale, 8)),
                 math.floor(round(0.5 + (math.log2(v) - low) * y_scale, 8)))
                for a, v in zip(ages, values, strict=True)}
        return ScatterInputs(y_ticks, rows, x_ticks, cols, frozenset(dots))

    def figure_height(self, inputs: ScatterInputs, height: int) -> int:
        return inputs.rows + CANVAS_ROWS_OFF

    def figure_width(self, inputs: ScatterInputs, width: int, height: int) -> int:
        return inputs.cols + self._label_cells()

    def draw_strips(self, inputs: ScatterInputs, base: Style, width: int,
                    height: int) -> list[Strip]:
        rgb = self.theme_color("accent")
        return text_strips(scatter_lines(inputs, rgb), base, width)

    def draw(self, fig: Figure, inputs: ScatterInputs, width: int, height: int) -> None:
        """One point at the centre of each lit dot."""
        low = math.log2(VALUE_RANGE[0])
        x_step = (AGE_AXIS[1] - AGE_AXIS[0]) / (inputs.cols * 2 - 1)
        y_step = DOUBLINGS / (inputs.rows * 4 - 1)
        dots = sorted(inputs.dots)
        fig.plt.scatter([AGE_AXIS[0] + x * x_step for x, _ in dots],
                    [low + y * y_step for _, y in dots],
                    marker="braille", color=self.theme_color("accent"))
        self.axes(fig, inputs)

    def axes(self, fig: Figure, inputs: ScatterInputs) -> None:
        """Both axes: ticks on whole rows and columns."""
        low = math.log2(VALUE_RANGE[0])
        fig.plt.xlim(*AGE_AXIS)
        fig.plt.ylim(low, low + DOUBLINGS)
        every = DOUBLINGS // inputs.y_ticks
        fig.plt.yticks([low + k for k in range(0, DOUBLINGS + 1, every)], value_labels()[::every])
        step = (AGE_AXIS[1] - AGE_AXIS[0]) // inputs.x_ticks
        xt = list(range(AGE_AXIS[0], AGE_AXIS[1] + 1, step))
        fig.xticks(xt, [str(a) for a in xt])


#: Braille dot bits by (column in the cell, row from the top).
_DOT_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def scatter_lines(inputs: ScatterInputs, rgb: tuple[int, int, int]) -> list[PrintedLine]:
    """The chart as plotext prints it: value labels and axis on the left, the canvas
    in a frame, the age axis and its labels under it."""
    rows, cols = inputs.rows, inputs.cols
    cells = [[0] * cols for _ in range(rows)]  # braille bits, top row first
    for x, y in inputs.dots:
        if 0 <= x < cols * 2 and 0 <= y < rows * 4:
            cells[rows - 1 - y // 4][x // 2] |= _DOT_BITS[x % 2][3 - y % 4]
    labels = value_labels()
    every = DOUBLINGS // inputs.y_ticks
    ticked = {k * every * (rows - 1) // DOUBLINGS: labels[k * every]
              for k in range(inputs.y_ticks + 1)}  # row from the bottom: label
    width = max(map(len, labels))
    dot = sgr_style(f"38;2;{rgb[0]};{rgb[1]};{rgb[2]}")
    lines = [PrintedLine(((" " * width + "┌" + "─" * cols + "┐", None),))]
    for top_row, bits in enumerate(cells):
        row = rows - 1 - top_row
        label = ticked.get(row)
        runs: list[tuple[str, Style | None]] = [
            (f"{label:>{width}}┤" if label else " " * width + "│", None)]
        for lit, group in _runs(bits):
            runs.append((group, dot if lit else None))
        runs.append(("│", None))
        lines.append(PrintedLine(tuple(runs)))
    step = (AGE_AXIS[1] - AGE_AXIS[0]) // inputs.x_ticks
    ages = list(range(AGE_AXIS[0], AGE_AXIS[1] + 1, step))
    marks = {(a - AGE_AXIS[0]) * (cols - 1) // (AGE_AXIS[1] - AGE_AXIS[0]) for a in ages}
    axis = " " * width + "└" + "".join("┬" if c in marks else "─" for c in range(cols)) + "┘"
    axis, under = place_labels(axis, [str(a) for a in ages])
    lines += [PrintedLine(((axis, None),)), PrintedLine(((under, None),))]
    return lines


def _runs(bits: list[int]) -> list[tuple[bool, str]]:
    """A canvas row as runs of lit cells (braille) and blank ones (spaces)."""
    runs: list[tuple[bool, str]] = []
    for b in bits:
        lit = b != 0
        char = chr(0x2800 + b) if lit else " "
        if runs and runs[-1][0] == lit:
            runs[-1] = (lit, runs[-1][1] + char)
        else:
            runs.append((lit, char))
    return runs
