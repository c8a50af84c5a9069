"""The throughput chart: its scale follows the last minute, its title the Ingest card."""

from __future__ import annotations

from test_plot import drawn, red

from rtd_tui.throughput import ThroughputSample
from rtd_tui.widgets.throughput import ThroughputChart


def y_labels(lines: list[str]) -> list[str]:
    """The ingest panel's tick labels, top first (the text left of the axis)."""
    return [line.split("┤")[0].strip() for line in lines if "┤" in line]


def test_a_spike_older_than_a_minute_does_not_set_the_scale() -> None:
    """A start-up catch-up of 5,000 msg/s, then five minutes at 5 msg/s: drawn to 5."""
    samples = tuple(
        ThroughputSample(float(t), 5_000.0 if t < 10 else 5.0, 0) for t in range(0, 300, 2)
    )
    labels = y_labels(drawn(red(ThroughputChart()), samples, 60, 12))
    assert labels[-1] == "0" and 1 <= float(labels[0]) <= 5, labels
    recent = samples[-20:]  # the spike is in view again only while it is within the minute
    assert y_labels(drawn(red(ThroughputChart()), recent, 60, 12)) == labels
    fresh = tuple(ThroughputSample(float(t), 5_000.0 if t < 10 else 5.0, 0) for t in range(60))
    assert y_labels(drawn(red(ThroughputChart()), fresh, 60, 12))[0].endswith("k")
