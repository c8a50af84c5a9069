"""The four dashboard charts, drawn with plotext from precomputed snapshot data."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from rtd_tui.records import AGE_RANGE, VALUE_RANGE
from rtd_tui.widgets.format import compact_money
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
    """Horizontal bars, one text row each: plotext misplaces bars unless rows == bars."""

    def has_data(self, data: pl.DataFrame) -> bool:
        return data.height > 0

    def bars(self, data: pl.DataFrame, height: int) -> int:
        """How many bars fit in ``height`` rows."""
        return max(1, min(data.height, height - FRAME_ROWS))

    def figure_height(self, data: pl.DataFrame, height: int) -> int:
        return self.bars(data, height) + FRAME_ROWS


class CityValueChart(HorizontalBars):
    """Total value by city, largest first, as many bars as the height allows."""

    def draw(self, fig: Any, data: pl.DataFrame, width: int, height: int) -> None:
        rows = data.head(self.bars(data, height))
        cities = rows["cidade"].to_list()[::-1]
        totals = rows["total"].to_list()[::-1]
        fig.bar(cities, totals, orientation="h", width=0.4, color=self.theme_color("primary"))
        fig.xlim(0, max(totals) * 1.02)
        ticks = nice_ticks(max(totals))
        fig.xticks(ticks, [compact_money(t) for t in ticks])


class ShareChart(HorizontalBars):
    """Share of value by city in percent: the top cities, the rest summed as 'others'."""

    def draw(self, fig: Any, data: pl.DataFrame, width: int, height: int) -> None:
        slots = self.bars(data, height)
        top = data.head(slots - 1 if data.height > slots else slots)
        labels = [f"{c} {s:4.1f}%" for c, s in zip(top["cidade"], top["share"], strict=True)]
        shares = top["share"].to_list()
        rest = data.height - top.height
        if rest:
            other = 100.0 - sum(shares)
            labels.append(f"{rest} others {other:4.1f}%")
            shares.append(other)
        color = self.theme_color("warning")
        fig.bar(labels[::-1], shares[::-1], orientation="h", width=0.4, color=color)
        fig.xlim(0, max(shares) * 1.02)
        ticks = nice_ticks(max(shares))
        fig.xticks(ticks, [f"{t:g}%" for t in ticks])


class AgeHistogramChart(PlotWidget):
    """Records by age, in 5-year bins (binned from exact per-age counts)."""

    def has_data(self, data: tuple[int, ...]) -> bool:
        return sum(data) > 0

    def draw(self, fig: Any, data: tuple[int, ...], width: int, height: int) -> None:
        labels, counts = age_bins(data)
        fig.bar(labels, counts, width=0.8, color=self.theme_color("success"))
        ticks = nice_ticks(max(counts), count=max(2, min(4, height // 3)))
        fig.yticks(ticks, [f"{t:,.0f}" for t in ticks])


class ScatterChart(PlotWidget):
    """Value against age for a bounded sample of the newest records."""

    def has_data(self, data: tuple[list[int], list[float]]) -> bool:
        return bool(data[0])

    def draw(
        self, fig: Any, data: tuple[list[int], list[float]], width: int, height: int
    ) -> None:
        ages, values = data
        fig.scatter(ages, values, marker="braille", color=self.theme_color("accent"))
        fig.xlim(AGE_RANGE[0], AGE_RANGE[1])
        fig.ylim(0, VALUE_RANGE[1])
        ticks = nice_ticks(VALUE_RANGE[1], count=max(2, min(4, height // 3)))
        fig.yticks(ticks, [compact_money(t) for t in ticks])
        xt = list(range(20, AGE_RANGE[1] + 1, 10))
        fig.xticks(xt, [str(a) for a in xt])
