"""The chart plumbing: plotext through its public functions, drawn the same whatever the
hash seed, and each chart drawn from its quantised inputs exactly as from its data."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from typing import Any

import plotext
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from rtd_tui.records import AGE_RANGE, CITIES, VALUE_RANGE
from rtd_tui.throughput import ThroughputSample
from rtd_tui.widgets.charts import CityValueChart, bar_lines
from rtd_tui.widgets.plot import PlotWidget
from rtd_tui.widgets.plotext_figure import Figure, PrintedLine, draw_figure, place_labels
from rtd_tui.widgets.scatter import DOUBLINGS, ScatterChart, scatter_lines
from rtd_tui.widgets.throughput import ThroughputChart


def red(chart: PlotWidget) -> PlotWidget:
    """A chart drawn outside an app: its colour fixed."""
    chart.theme_color = lambda name: (255, 0, 0)  # type: ignore[method-assign]
    return chart


def drawn(chart: PlotWidget, data: Any, width: int, height: int) -> list[str]:
    """The chart's lines as its widget draws them: from its inputs."""
    inputs = chart.inputs(data, width, height)
    lines = draw_figure(chart.figure_width(inputs, width, height),
                        chart.figure_height(inputs, height),
                        lambda fig: chart.draw(fig, inputs, width, height))
    return [line.plain for line in lines]


def test_a_label_that_collides_is_left_out_with_its_tick_mark() -> None:
    axis = "└┬───┬───┬──┘"
    line, labels = place_labels(axis, ["R$ 0", "R$ 100", "R$ 200"])
    assert labels.split() == ["R$", "0", "R$", "200"]  # the middle one had no room
    assert line == "└┬───────┬──┘"


def test_labels_that_fit_sit_centred_under_their_marks() -> None:
    line, labels = place_labels("└┬─────┬─────┬┘", ["10", "20", "30"])
    assert line == "└┬─────┬─────┬┘"
    assert labels == "10    20    30 "


BAR_CHART = """
import plotext
from rtd_tui.widgets.charts import CityValueChart, bar_lines
import polars as pl
chart = CityValueChart("Total")
chart.theme_color = lambda name: (255, 0, 0)
data = pl.DataFrame({"cidade": ["São Paulo", "Recife"], "total": [201_000.0, 151_000.0]})
inputs = chart.inputs(data, 64, 10)
from rtd_tui.widgets.plotext_figure import draw_figure
lines = draw_figure(chart.figure_width(inputs, 64, 10), chart.figure_height(inputs, 10),
                    lambda fig: chart.draw(fig, inputs, 64, 10))
print("\\n".join(line.plain for line in lines))
"""


def test_the_drawing_does_not_depend_on_the_hash_seed() -> None:
    """plotext orders tick labels through a set: with labels that collide, which one
    it kept changed from one start to the next."""
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", BAR_CHART], env=env, check=True,
                              capture_output=True, text=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert "R$ 0" in outputs.pop()


def test_a_drawing_starts_from_a_clear_figure() -> None:
    """plotext's functions share one figure: the throughput chart's two panels (and
    anything else set on it) are not inherited by the next chart."""
    bars = red(CityValueChart("Total"))
    data = pl.DataFrame({"cidade": ["São Paulo", "Recife"], "total": [300.0, 120.0]})
    alone = drawn(bars, data, 60, 12)
    samples = tuple(ThroughputSample(float(t), 100.0 + t, t) for t in range(30))
    drawn(red(ThroughputChart()), samples, 60, 20)
    plotext.title("left over")
    assert drawn(bars, data, 60, 12) == alone


points = st.lists(
    st.tuples(st.integers(*AGE_RANGE),
              st.floats(VALUE_RANGE[0], VALUE_RANGE[0] * 2**DOUBLINGS)),
    min_size=1, max_size=300,
)


def cells(lines: list[PrintedLine]) -> list[list[tuple[str, Any]]]:
    """Every cell of a printout with its style."""
    return [[(ch, style) for text, style in line.runs for ch in text] for line in lines]


@settings(max_examples=60, deadline=None)
@given(points, st.integers(20, 160), st.integers(8, 50))
def test_the_scatter_drawn_by_hand_equals_plotexts_drawing_of_the_points(
    data: list[tuple[int, float]], width: int, height: int
) -> None:
    """Cell for cell and colour for colour, from the dots its inputs keep."""
    chart = red(ScatterChart("Value × age"))
    ages, values = [a for a, _ in data], [v for _, v in data]
    inputs = chart.inputs((ages, values), width, height)

    def raw(fig: Figure) -> None:  # every point, as plotext would be given them
        fig.plt.scatter(ages, [math.log2(v) for v in values], marker="braille",
                        color=(255, 0, 0))
        chart.axes(fig, inputs)

    size = chart.figure_width(inputs, width, height), chart.figure_height(inputs, height)
    assert cells(scatter_lines(inputs, (255, 0, 0))) == cells(draw_figure(*size, raw))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 1e7), min_size=1, max_size=25), st.integers(30, 200),
       st.integers(6, 40))
def test_bars_drawn_by_hand_equal_plotexts_drawing_of_the_values(
    totals: list[float], width: int, height: int
) -> None:
    chart = red(CityValueChart("Total"))
    data = pl.DataFrame({"cidade": CITIES[: len(totals)],
                         "total": sorted(totals, reverse=True)})
    inputs = chart.inputs(data, width, height)
    labels, values = chart.series(data, height)

    def raw(fig: Figure) -> None:
        fig.plt.bar(labels[::-1], values[::-1], orientation="h", width=0.4,
                    color=(255, 0, 0))
        chart.axes(fig, inputs)

    size = chart.figure_width(inputs, width, height), chart.figure_height(inputs, height)
    hand = bar_lines(inputs, (255, 0, 0), chart.tick_text)
    assert cells(hand) == cells(draw_figure(*size, raw))
