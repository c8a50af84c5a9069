"""The charts' geometry at every size: equal histogram bins, ticks on evenly spaced rows
and columns (property tests over sizes and data)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from rtd_tui.records import CITIES, VALUE_RANGE
from rtd_tui.widgets.charts import (
    CityValueChart,
    HorizontalBars,
    ShareChart,
    age_bins,
    bar_lines,
)
from rtd_tui.widgets.histogram import EIGHTHS, bar_eighths, histogram_lines, layout
from rtd_tui.widgets.scatter import ScatterChart, scatter_lines


def evenly_spaced(positions: list[int]) -> bool:
    return len({b - a for a, b in pairwise(positions)}) <= 1


sizes = st.tuples(st.integers(12, 220), st.integers(5, 60))
ages = st.lists(st.integers(0, 100_000), min_size=63, max_size=63).filter(any)


@settings(max_examples=300, deadline=None)
@given(sizes, ages)
def test_histogram_bins_are_equal_and_ticks_evenly_spaced(
    size: tuple[int, int], per_age: list[int]
) -> None:
    width, height = size
    labels, counts = age_bins(tuple(per_age))
    lay = layout(counts, labels, width, height)
    lines = histogram_lines(lay, bar_eighths(counts, lay), labels, width, height)
    assert len(lines) == height and {len(line) for line in lines} == {width}
    axis = lay.label_width
    tick_rows = [i for i, line in enumerate(lines) if line[axis] in "┤└"]
    assert len(tick_rows) == lay.ticks + 1 and evenly_spaced(tick_rows)
    assert lay.step * lay.ticks >= max(counts)  # the axis holds the highest bin
    bottom = lines[-3]  # the plot row on the axis
    for i, n in enumerate(counts):
        start = axis + 1 + i * lay.bin_cols
        if start + lay.bin_cols > width:
            break
        cells = bottom[start:start + lay.bin_cols]
        bar, gap = cells[:lay.bar_cols], cells[lay.bar_cols:]
        assert gap.strip() == ""  # every gap the same: the bin's last column, or none
        if n:
            assert len(set(bar)) == 1 and bar[0] in EIGHTHS[1:]  # one full-width bar
        else:
            assert bar.strip() == ""


def chart_lines(chart: HorizontalBars, data: Any, width: int, height: int) -> list[str]:
    """The bar chart's text as its widget draws it, top first."""
    inputs = chart.inputs(data, width, height)
    return [line.plain for line in bar_lines(inputs, (255, 0, 0), chart.tick_text)]


def x_ticks(lines: list[str]) -> list[int]:
    axis = next(line for line in lines if "└" in line)
    return [i for i, ch in enumerate(axis) if ch == "┬"]


def scatter_axes(width: int, height: int) -> tuple[list[int], list[int], list[str]]:
    """Rows of the value ticks, columns of the age ticks and the value labels (top
    first), as the chart draws them."""
    data: Any = ([18, 40, 80], [VALUE_RANGE[0], 300.0, VALUE_RANGE[1]])
    inputs = ScatterChart("Value × age").inputs(data, width, height)
    lines = [line.plain for line in scatter_lines(inputs, (255, 0, 0))]
    rows = [i for i, line in enumerate(lines) if "┤" in line]
    labels = [lines[i].split("┤")[0].strip() for i in rows]
    return rows, x_ticks(lines), labels


@settings(max_examples=100, deadline=None)
@given(st.integers(30, 220), st.integers(6, 40),
       st.lists(st.floats(0.01, 1e7), min_size=1, max_size=25))
def test_bar_ticks_land_on_evenly_spaced_columns(
    width: int, height: int, totals: list[float]
) -> None:
    cities = [CITIES[i] for i in range(len(totals))]
    data = pl.DataFrame({"cidade": cities, "total": sorted(totals, reverse=True)})
    data = data.with_columns(share=pl.col("total") / pl.col("total").sum() * 100)
    for chart in (CityValueChart("Total"), ShareChart("Share")):
        columns = x_ticks(chart_lines(chart, data, width, height))
        assert len(columns) >= 2 and evenly_spaced(columns)


@settings(max_examples=150, deadline=None)
@given(st.integers(20, 220), st.integers(8, 60))
def test_scatter_ticks_land_on_evenly_spaced_rows_and_columns(width: int, height: int) -> None:
    rows, columns, _ = scatter_axes(width, height)
    assert len(rows) >= 2 and evenly_spaced(rows)
    assert len(columns) >= 2 and evenly_spaced(columns)


def test_scatter_value_axis_is_logarithmic() -> None:
    """Each tick doubles (or more) the one below: R$ 50 to R$ 3.2k, the spread in view."""
    rows, _, labels = scatter_axes(60, 3 + 13)  # 13 canvas rows: a tick every 2
    assert labels == ["R$ 3.2k", "R$ 1.6k", "R$ 800", "R$ 400", "R$ 200", "R$ 100", "R$ 50"]
    assert rows == list(range(1, 14, 2))
    _, _, labels = scatter_axes(60, 3 + 8)  # 8 rows: every other doubling
    assert labels == ["R$ 3.2k", "R$ 800", "R$ 200", "R$ 50"]
