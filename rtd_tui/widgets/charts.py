"""The dashboard's bar charts and its age histogram, from snapshot data.

The bars are laid out here in plotext's look (``bar_lines``): drawn with plotext they
took 4-5 ms each of the UI thread, and at low rates, where a new record moves a bar
by a cell now and then, they were most of what a tick drew. ``draw`` still says how
plotext would draw the same inputs: the tests hold the two drawings equal, cell for
cell and colour for colour.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import polars as pl
from rich.style import Style
from textual.strip import Strip

from rtd_tui.records import AGE_RANGE
from rtd_tui.widgets.format import compact_money
from rtd_tui.widgets.histogram import TextHistogram, nice_step
from rtd_tui.widgets.plot import PlotWidget
from rtd_tui.widgets.plotext_figure import (
    Figure,
    PrintedLine,
    place_labels,
    sgr_style,
    text_strips,
)

AGE_BIN = 5
#: The end column of a bar of zero, which plotext does not draw.
NO_BAR = -1
#: Rows a plotext figure spends on its frame and x tick labels.
FRAME_ROWS = 3


@dataclass(frozen=True, slots=True)
class BarInputs:
    """What a horizontal bar chart shows: labels top first, the canvas column each bar
    ends in (as plotext places it: its bars are whole cells), the value axis' tick
    steps and step, canvas and label columns."""

    labels: tuple[str, ...]
    ends: tuple[int, ...]
    steps: int
    step: float
    cols: int
    off: int


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """Round tick positions from 0 to about ``high`` (1, 2 or 5 times a power of ten)."""
    if high <= 0:
        return [0.0]
    raw = high / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(high // step) + 1)]


def age_bins(age_counts: tuple[int, ...]) -> tuple[list[str], list[int]]:
    """Group per-age counts (18..80) into 5-year bins labelled by their first age."""
    labels, counts = [], []
    for start in range(0, len(age_counts), AGE_BIN):
        labels.append(str(AGE_RANGE[0] + start))
        counts.append(sum(age_counts[start : start + AGE_BIN]))
    return labels, counts


class HorizontalBars(PlotWidget):
    """Horizontal bars, one text row each (plotext misplaces bars unless rows == bars);
    the value axis spans whole tick steps over a width that splits evenly between them."""

    X_INTERVALS = (4, 3, 2, 1)
    COLOR = "primary"
    TICK_CELLS = 10  # what a value tick's label needs ("R$ 100.0k" and a space)

    def series(self, data: pl.DataFrame, height: int) -> tuple[list[str], list[float]]:
        """The bars' labels and values, top bar first."""
        raise NotImplementedError

    def tick_text(self, value: float) -> str:
        raise NotImplementedError

    def has_data(self, data: pl.DataFrame) -> bool:
        return data.height > 0

    def bars(self, data: pl.DataFrame, height: int) -> int:
        """How many bars fit in ``height`` rows."""
        return max(1, min(data.height, height - FRAME_ROWS))

    def _cols(self, labels: list[str], values: list[float],
              width: int) -> tuple[int, int, int]:
        """(tick steps, canvas columns, columns left of the canvas): of the step counts
        that leave room for their labels, the one whose axis ends closest above the
        longest bar (on a tie, more steps)."""
        off = max(map(len, labels)) + 2  # the labels, the axis, the right frame
        cells = width - off
        fits = [n for n in self.X_INTERVALS if (cells - 1) // n >= self.TICK_CELLS] or [1]
        high = max(max(values), 1e-9)
        steps = min(fits, key=lambda n: (n * nice_step(high / n), -n))
        return steps, steps * max(1, (cells - 1) // steps) + 1, off

    def inputs(self, data: pl.DataFrame, width: int, height: int) -> BarInputs:
        labels, values = self.series(data, height)
        steps, cols, off = self._cols(labels, values, width)
        step = nice_step(max(max(values), 1e-9) / steps)
        top = steps * step
        ends = tuple(math.floor(round(0.5 + v / top * (cols - 1), 8)) if v > 0 else NO_BAR
                     for v in values)
        return BarInputs(tuple(labels), ends, steps, step, cols, off)

    def figure_width(self, inputs: BarInputs, width: int, height: int) -> int:
        return inputs.cols + inputs.off

    def figure_height(self, inputs: BarInputs, height: int) -> int:
        return len(inputs.labels) + FRAME_ROWS

    def draw(self, fig: Figure, inputs: BarInputs, width: int, height: int) -> None:
        top = inputs.steps * inputs.step
        # A quarter column past the start of its end column: plotext puts it in that
        # column, and a bar ending in the first column is not taken for zero.
        values = [0.0 if end == NO_BAR else (end + 0.25) / (inputs.cols - 1) * top
                  for end in inputs.ends]
        fig.plt.bar(inputs.labels[::-1], values[::-1], orientation="h", width=0.4,
                    color=self.theme_color(self.COLOR))
        self.axes(fig, inputs)

    def draw_strips(self, inputs: BarInputs, base: Style, width: int,
                    height: int) -> list[Strip]:
        return text_strips(bar_lines(inputs, self.theme_color(self.COLOR), self.tick_text),
                           base, width)

    def axes(self, fig: Figure, inputs: BarInputs) -> None:
        """The value axis: whole tick steps."""
        top = inputs.steps * inputs.step
        fig.plt.xlim(0, top)
        ticks = [i * inputs.step for i in range(inputs.steps + 1)]
        fig.xticks(ticks, [self.tick_text(t) for t in ticks])


def bar_lines(inputs: BarInputs, rgb: tuple[int, int, int],
              tick_text: Callable[[float], str]) -> list[PrintedLine]:
    """The chart as plotext prints it: a framed canvas, one row per bar (its label on
    the left, full blocks up to its end column), the value axis and its labels."""
    width, cols = inputs.off - 2, inputs.cols
    bar = sgr_style(f"38;2;{rgb[0]};{rgb[1]};{rgb[2]}")
    lines = [PrintedLine(((" " * width + "┌" + "─" * cols + "┐", None),))]
    for label, end in zip(inputs.labels, inputs.ends, strict=True):
        blocks = 0 if end == NO_BAR else end + 1
        runs: list[tuple[str, Style | None]] = [(f"{label:>{width}}┤", None)]
        if blocks:
            runs.append(("█" * blocks, bar))
        runs.append((" " * (cols - blocks) + "│", None))
        lines.append(PrintedLine(tuple(runs)))
    marks = {i * (cols - 1) // inputs.steps for i in range(inputs.steps + 1)}
    axis = " " * width + "└" + "".join("┬" if c in marks else "─" for c in range(cols)) + "┘"
    ticks = [i * inputs.step for i in range(inputs.steps + 1)]
    axis, under = place_labels(axis, [tick_text(t) for t in ticks])
    return [*lines, PrintedLine(((axis, None),)), PrintedLine(((under, None),))]


class CityValueChart(HorizontalBars):
    """Total value by city, largest first, as many bars as the height allows."""

    def series(self, data: pl.DataFrame, height: int) -> tuple[list[str], list[float]]:
        rows = data.head(self.bars(data, height))
        return rows["cidade"].to_list(), rows["total"].to_list()

    def tick_text(self, value: float) -> str:
        return compact_money(value)


class ShareChart(HorizontalBars):
    """Share of value by city in percent: the top cities, the rest summed as 'others'."""

    COLOR = "warning"
    TICK_CELLS = 5  # "20%" and a space

    def series(self, data: pl.DataFrame, height: int) -> tuple[list[str], list[float]]:
        slots = self.bars(data, height)
        top = data.head(slots - 1 if data.height > slots else slots)
        labels = [f"{c} {s:4.1f}%" for c, s in zip(top["cidade"], top["share"], strict=True)]
        shares = top["share"].to_list()
        rest = data.height - top.height
        if rest:
            other = 100.0 - sum(shares)
            labels.append(f"{rest} others {other:4.1f}%")
            shares.append(other)
        return labels, shares

    def tick_text(self, value: float) -> str:
        return f"{value:g}%"


class AgeHistogramChart(TextHistogram):
    """Records by age, in 5-year bins (binned from exact per-age counts)."""

    def has_data(self, data: tuple[int, ...]) -> bool:
        return sum(data) > 0

    def bins(self, data: object) -> tuple[list[str], list[int]]:
        return age_bins(cast(tuple[int, ...], data))
