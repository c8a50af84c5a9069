"""The chart plumbing: plotext's fill functions we replace, and matrix → strips."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import plotext._matrix as plotext_matrix
import plotext._utility as plotext_utility
from hypothesis import given, settings
from hypothesis import strategies as st
from plotext._figure import _figure_class
from rich.style import Style
from rich.text import Text

from rtd_tui.widgets.plot import (
    _fill_boundaries,
    _fill_data,
    _hd_group,
    _insert_element,
    _matrix_data,
    _set_matrices,
    matrix_strips,
)


def _pristine(name: str) -> ModuleType:
    """A fresh copy of one of plotext's modules, untouched by our replacements."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None
    fresh = importlib.util.spec_from_file_location(f"{name}_pristine", spec.origin)
    assert fresh is not None and fresh.loader is not None
    module = importlib.util.module_from_spec(fresh)
    fresh.loader.exec_module(module)
    return module


PRISTINE = _pristine("plotext._utility")
PRISTINE_MATRIX = _pristine("plotext._matrix").matrix_class

points = st.lists(
    st.tuples(st.integers(-5, 30), st.integers(-5, 30), st.sampled_from("ab"), st.integers(0, 3)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(points, st.one_of(st.integers(-5, 30), st.just("min")))
def test_fill_data_equals_plotext(data: list[tuple[int, int, str, int]], level: Any) -> None:
    """Same filled cells, in the same order, with the same markers and colours."""
    x = [p[0] for p in data]
    y = [p[1] for p in data]
    markers = [p[2] for p in data]
    colors = [p[3] for p in data]
    assert _fill_data(x, y, level, markers, colors) == PRISTINE.fill_data(
        x, y, level, markers, colors
    )
    assert _fill_boundaries(x, y) == PRISTINE.get_fill_boundaries(x, y)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-1e6, 1e6), st.integers(-10**6, 10**6), st.none(),
                       st.just(float("nan"))), max_size=40),
    st.floats(-1e3, 1e3),
    st.floats(1e-3, 1e4),
    st.integers(1, 400),
)
def test_matrix_data_equals_plotext(data: list[Any], low: float, span: float, bins: int) -> None:
    """The same cell for every point (NaN compared as NaN), whatever the axis."""
    lim = [low, low + span]
    ours, theirs = _matrix_data(data, lim, bins), PRISTINE.get_matrix_data(data, lim, bins)
    assert [repr(v) for v in ours] == [repr(v) for v in theirs]


cells = st.tuples(
    st.integers(-3, 25), st.integers(-3, 12), st.sampled_from("█▌x "),
    st.sampled_from([None, "red", (1, 2, 3)]), st.sampled_from([None, "bold"]),
    st.sampled_from([None, "blue"]), st.sampled_from([False, True, None]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 22), st.integers(0, 10),
    st.tuples(st.integers(-2, 24), st.integers(-2, 24), st.integers(-2, 12), st.integers(-2, 12)),
    st.lists(cells, max_size=40),
)
def test_matrix_cells_equal_plotext(
    cols: int, rows: int, area: tuple[int, int, int, int], inserts: list[Any]
) -> None:
    """Building a canvas and filling cells gives the same four matrices as plotext."""
    ours, theirs = plotext_matrix.matrix_class(), PRISTINE_MATRIX()
    for matrix in (ours, theirs):
        matrix.set_size(cols, rows)
        matrix.set_canvas_area(*area)
        matrix.set_axes_color("white")
        matrix.set_canvas_color("black")
        matrix.set_matrices()
        for col, row, marker, fg, style, bg, check in inserts:
            matrix.insert_element(col, row, marker, fg, style, bg, check)
    for name in ("marker", "fullground", "background", "style"):
        assert getattr(ours, name) == getattr(theirs, name), name


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(st.none(), st.integers(-3, 40)), st.integers(-3, 40)),
             min_size=1, max_size=80),
    st.sampled_from([(2, 4), (2, 2), (2, 3), (1, 1)]),
)
def test_hd_group_equals_plotext(points: list[tuple[int | None, int]],
                                 factors: tuple[int, int]) -> None:
    """Points to braille (and HD) cells and their dots, as plotext groups them."""
    x, y = [p[0] for p in points], [p[1] for p in points]
    xf, yf = [factors[0]] * len(x), [factors[1]] * len(x)
    assert _hd_group(x, y, xf, yf) == PRISTINE.hd_group(x, y, xf, yf)


def test_the_replacements_are_installed() -> None:
    assert plotext_utility.fill_data is _fill_data
    assert plotext_utility.get_fill_boundaries is _fill_boundaries
    assert plotext_utility.get_matrix_data is _matrix_data
    assert plotext_utility.hd_group is _hd_group
    assert plotext_matrix.matrix_class.insert_element is _insert_element
    assert plotext_matrix.matrix_class.set_matrices is _set_matrices


def test_matrix_strips_match_plotexts_own_printout() -> None:
    """Text and colours of every cell equal what plotext prints as ANSI for the figure."""
    fig = _figure_class()
    fig._limit_size(False, False)
    fig.plotsize(60, 14)
    fig.theme("clear")
    fig.bar(["São Paulo", "Recife", "Natal"], [300.0, 120.5, 42.0], orientation="h",
            color=(10, 120, 200))
    printed = Text.from_ansi(fig.build(), no_wrap=True)
    strips = matrix_strips(fig.monitor.matrix, Style(), 60)
    lines = printed.split("\n", allow_blank=True)
    assert [strip.text for strip in strips] == [line.plain for line in lines][: len(strips)]
    for strip, line in zip(strips, lines, strict=False):
        ours = [(seg.text, seg.style) for seg in strip if seg.text]
        col = 0
        for text, style in ours:
            assert style is not None
            expected = line.get_style_at_offset(_console(), col)
            assert style.color == expected.color and style.bgcolor == expected.bgcolor, (
                text, style, expected,
            )
            col += len(text)


def _console() -> Any:
    from rich.console import Console

    return Console()
