"""The four dashboard charts, drawn with plotext from precomputed snapshot data."""

from __future__ import annotations

import math
from typing import Any, cast

import polars as pl

from rtd_tui.records import AGE_RANGE, VALUE_RANGE
from rtd_tui.widgets.format import compact_money
from rtd_tui.widgets.histogram import TextHistogram, nice_step
from rtd_tui.widgets.plot import PlotWidget

AGE_BIN = 5
#: Rows a plotext figure spends on its frame and x tick labels.
FRAME_ROWS = 3


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

    def figure_height(self, data: pl.DataFrame, height: int) -> int:
        return self.bars(data, height) + FRAME_ROWS

    def _cols(self, data: pl.DataFrame, width: int, height: int) -> tuple[int, int, int]:
        """(tick steps, canvas columns, columns left of the canvas): of the step counts
        that leave room for their labels, the one whose axis ends closest above the
        longest bar (on a tie, more steps)."""
        labels, values = self.series(data, height)
        off = max(map(len, labels)) + 2  # the labels, the axis, the right frame
        cells = width - off
        fits = [n for n in self.X_INTERVALS if (cells - 1) // n >= self.TICK_CELLS] or [1]
        high = max(max(values), 1e-9)
        steps = min(fits, key=lambda n: (n * nice_step(high / n), -n))
        return steps, steps * max(1, (cells - 1) // steps) + 1, off

    def figure_width(self, data: Any, width: int, height: int) -> int:
        _, cols, off = self._cols(data, width, height)
        return cols + off

    def draw(self, fig: Any, data: pl.DataFrame, width: int, height: int) -> None:
        labels, values = self.series(data, height)
        fig.bar(labels[::-1], values[::-1], orientation="h", width=0.4,
                color=self.theme_color(self.COLOR))
        steps = self._cols(data, width, height)[0]
        step = nice_step(max(max(values), 1e-9) / steps)
        fig.xlim(0, steps * step)
        ticks = [i * step for i in range(steps + 1)]
        fig.xticks(ticks, [self.tick_text(t) for t in ticks])


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

    def figure_height(self, data: Any, height: int) -> int:
        return self._rows(height)[1] + CANVAS_ROWS_OFF

    def figure_width(self, data: Any, width: int, height: int) -> int:
        return self._cols(width)[1] + self._label_cells()

    def draw(
        self, fig: Any, data: tuple[list[int], list[float]], width: int, height: int
    ) -> None:
        ages, values = data
        low = math.log2(VALUE_RANGE[0])
        fig.scatter(ages, [math.log2(v) for v in values], marker="braille",
                    color=self.theme_color("accent"))
        fig.xlim(*AGE_AXIS)
        fig.ylim(low, low + DOUBLINGS)
        every = DOUBLINGS // self._rows(height)[0]
        fig.yticks([low + k for k in range(0, DOUBLINGS + 1, every)], value_labels()[::every])
        step = (AGE_AXIS[1] - AGE_AXIS[0]) // self._cols(width)[0]
        xt = list(range(AGE_AXIS[0], AGE_AXIS[1] + 1, step))
        fig.xticks(xt, [str(a) for a in xt])
