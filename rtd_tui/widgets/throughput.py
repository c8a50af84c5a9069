"""Ingest rate and consumer lag over the last minutes, from a ``ThroughputHistory``."""

from __future__ import annotations

from rtd_tui.throughput import ThroughputHistory, ThroughputSample
from rtd_tui.widgets.charts import nice_ticks
from rtd_tui.widgets.format import msg_rate
from rtd_tui.widgets.plot import PlotWidget
from rtd_tui.widgets.plotext_figure import Figure

RATE_COLOR = "cyan"
LAG_COLOR = "orange"
#: The vertical scale fits the values of this many last minutes.
SCALE_SPAN_MIN = 1.0
#: Below this many rows only the ingest panel is drawn.
TWO_PANELS_FROM = 16

VerticalLines = tuple[tuple[float, str], ...]


def minutes_ago(samples: tuple[ThroughputSample, ...]) -> list[float]:
    """Each sample's time as minutes before the newest (so the last point is at 0)."""
    newest = samples[-1].at
    return [(s.at - newest) / 60.0 for s in samples]


def compact_count(value: float) -> str:
    """Axis labels: ``950``, ``12k``, ``1.5M``."""
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}" if value < 10 else f"{value:.0f}"


class ThroughputChart(PlotWidget):
    """Ingest msg/s above consumer lag, on one time axis; the lag panel is left out
    when the widget is short (the dashboard's small version), its latest value stays
    in the title."""

    def __init__(self, title: str = "Ingest and lag", *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self._shown_version: int | None = None
        self._lag = ""  # the title's lag part, from the newest sample

    def show(self, history: ThroughputHistory, rate: float) -> None:
        """Title with the ingest ``rate`` (the card's figure: same span and text) and the
        latest lag; redraw from ``history`` if it has new samples since the last call."""
        if history.version != self._shown_version:
            self._shown_version = history.version
            samples = history.samples()
            self._lag = f" · lag {compact_count(samples[-1].lag)}" if samples else ""
            self.set_data(samples)
        self.border_texts.title(f"{self.chart_title}: {msg_rate(rate)}{self._lag}")

    def has_data(self, data: tuple[ThroughputSample, ...]) -> bool:
        return len(data) >= 2

    def inputs(self, data: tuple[ThroughputSample, ...], width: int,
               height: int) -> tuple[tuple[ThroughputSample, ...], bool, VerticalLines]:
        """The samples (new ones come once a second), whether the lag panel fits, and the
        vertical lines to draw over them."""
        return data, height >= TWO_PANELS_FROM, self.vertical_lines(data)

    def vertical_lines(self, data: tuple[ThroughputSample, ...]) -> VerticalLines:
        """Lines across both panels, as (minutes before the newest sample, color): none
        here; the stream view's chart draws its time cursor and marks."""
        return ()

    def draw(self, fig: Figure,
             inputs: tuple[tuple[ThroughputSample, ...], bool, VerticalLines],
             width: int, height: int) -> None:
        data, two_panels, lines = inputs
        x = minutes_ago(data)
        xt = time_ticks(x[0], width)
        panels = [("ingest msg/s", [s.rate for s in data], RATE_COLOR)]
        if two_panels:
            panels.append(("consumer lag", [float(s.lag) for s in data], LAG_COLOR))
        fig.plt.subplots(len(panels), 1)
        for row, (title, values, color) in enumerate(panels, start=1):
            fig.plt.subplot(row, 1)
            fig.plt.theme("clear")
            fig.plt.title(title)
            fig.plt.plot(x, values, marker="braille", color=color)
            # the scale follows the last minute: an older spike no longer flattens the rest
            top = max(max(v for t, v in zip(x, values, strict=True) if t >= -SCALE_SPAN_MIN), 1.0)
            ticks = axis_ticks(top, count=2 if height // len(panels) < 12 else 3)
            ceiling = max(top, ticks[-1]) * 1.05
            for at, line_color in lines:  # inside the plot: plotext's vline marks the axes too
                fig.plt.plot([at, at], [0, ceiling], marker="│", color=line_color)
            fig.plt.ylim(0, ceiling)
            fig.plt.yticks(ticks, [compact_count(t) for t in ticks])
            fig.plt.xlim(x[0], 0)
            fig.xticks(xt, ["now" if t == 0 else f"{t:g}m" for t in xt])


def axis_ticks(top: float, count: int) -> list[float]:
    """Round ticks from 0, at least one above 0 (``nice_ticks`` may round past ``top``)."""
    ticks = nice_ticks(top, count)
    while len(ticks) < 2:
        count += 1
        ticks = nice_ticks(top, count)
    return ticks


def time_ticks(first: float, width: int) -> list[float]:
    """Tick positions in minutes, from ``first`` (negative) to 0, spaced to fit ``width``."""
    span = -first
    fits = max(2, width // 10)
    step = next((s for s in (0.25, 0.5, 1.0, 2.0, 5.0) if span / s <= fits), 10.0)
    return [-(i * step) for i in range(int(span // step) + 1)][::-1]
