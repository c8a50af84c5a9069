"""The age histogram, drawn as text: bins of equal width, ticks on evenly spaced rows.

plotext maps bar edges to columns by rounding, so bins came out one column wider or
narrower than their neighbours with stray one-column gaps, and tick values fell between
rows. Here every bin gets the same number of columns, the value axis spans a whole
number of tick steps, and each step is the same number of rows; bar tops use eighth
blocks, so small differences still show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from rtd_tui.widgets.plot import PlotWidget

EIGHTHS = " ▁▂▃▄▅▆▇█"


def nice_step(raw: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``raw``."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw - 1e-9)


@dataclass(frozen=True, slots=True)
class HistogramLayout:
    """Where everything goes, in cells: rows per tick step, columns per bin."""

    step: float  # value between two ticks
    ticks: int  # tick steps on the value axis (ticks + 1 labels, 0 included)
    rows_per_tick: int
    label_width: int  # value labels, right-aligned, then the axis
    bin_cols: int  # columns per bin (bar and gap)
    bar_cols: int
    label_every: int  # an x label every this many bins

    @property
    def plot_rows(self) -> int:
        return self.ticks * self.rows_per_tick


def layout(counts: list[int], labels: list[str], width: int, height: int) -> HistogramLayout:
    """Fit ``counts`` in ``width`` by ``height`` cells (2 rows go to the x axis)."""
    rows = max(1, height - 2)
    high = max(max(counts), 1)
    # The tick count (up to one per 3 rows, at most 4) whose axis ends closest above the
    # highest bar; on a tie, more ticks.
    ticks = min(range(1, max(1, min(4, rows // 3)) + 1),
                key=lambda n: (n * nice_step(high / n), -n))
    step = nice_step(high / ticks)
    label_width = max(len(f"{step * i:,.0f}") for i in range(ticks + 1))
    bin_cols = max(1, (width - label_width - 2) // max(1, len(counts)))
    widest = max((len(label) for label in labels), default=1)
    return HistogramLayout(
        step=step, ticks=ticks, rows_per_tick=rows // ticks, label_width=label_width,
        bin_cols=bin_cols, bar_cols=bin_cols - 1 if bin_cols >= 3 else bin_cols,
        label_every=math.ceil((widest + 1) / bin_cols),
    )


def bar_eighths(counts: list[int], lay: HistogramLayout) -> tuple[int, ...]:
    """Each bar's height in eighths of a row (at least one for a bin that is not empty)."""
    top = lay.step * lay.ticks
    return tuple(0 if c == 0 else max(1, round(c / top * lay.plot_rows * 8)) for c in counts)


def histogram_lines(lay: HistogramLayout, eighths: tuple[int, ...], labels: list[str],
                    width: int, height: int) -> list[str]:
    """The chart as ``height`` lines of text (bars in block characters), top first."""
    lines = [" " * width] * (height - 2 - lay.plot_rows)  # rows the tick steps do not fill
    for row in range(lay.plot_rows, 0, -1):  # row 1 sits on the axis
        tick, on_tick = divmod(row, lay.rows_per_tick)
        label = f"{lay.step * tick:,.0f}" if on_tick == 0 else ""
        cells = []
        for h in eighths:
            fill = min(8, max(0, h - (row - 1) * 8))
            cells.append(EIGHTHS[fill] * lay.bar_cols + " " * (lay.bin_cols - lay.bar_cols))
        axis = "┤" if on_tick == 0 else "│"
        lines.append(f"{label:>{lay.label_width}}{axis}{''.join(cells)}")
    marks = "".join(
        ("┬" if i % lay.label_every == 0 else "─") + "─" * (lay.bin_cols - 1)
        for i in range(len(eighths))
    )
    lines.append(f"{'0':>{lay.label_width}}└{marks}")
    under = "".join(
        f"{labels[i]:<{lay.bin_cols * lay.label_every}}"
        for i in range(0, len(eighths), lay.label_every)
    )
    lines.append(" " * (lay.label_width + 1) + under)
    return [line[:width].ljust(width) for line in lines]


@dataclass(frozen=True, slots=True)
class HistogramInputs:
    """What the histogram shows: its layout, bar heights in eighths, bin labels."""

    layout: HistogramLayout
    eighths: tuple[int, ...]
    labels: tuple[str, ...]


class TextHistogram(PlotWidget):
    """A histogram panel drawn by ``histogram_lines`` in the theme's success colour."""

    def bins(self, data: object) -> tuple[list[str], list[int]]:
        raise NotImplementedError

    def inputs(self, data: object, width: int, height: int) -> HistogramInputs:
        labels, counts = self.bins(data)
        lay = layout(counts, labels, width, height)
        return HistogramInputs(lay, bar_eighths(counts, lay), tuple(labels))

    def draw_strips(self, inputs: HistogramInputs, base: Style, width: int,
                    height: int) -> list[Strip]:
        r, g, b = self.theme_color("success")
        bar = base + Style.parse(f"rgb({r},{g},{b})")
        strips = []
        lines = histogram_lines(inputs.layout, inputs.eighths, list(inputs.labels), width,
                                height)
        for line in lines:
            segments: list[Segment] = []
            for ch in line:
                style = bar if ch in EIGHTHS[1:] else base
                if segments and segments[-1].style is style:
                    segments[-1] = Segment(segments[-1].text + ch, style)
                else:
                    segments.append(Segment(ch, style))
            strips.append(Strip(segments, width))
        return strips
