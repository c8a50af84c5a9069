"""The row of metric cards: total, mean, count, mean age, ingest rate, rejected."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from rtd_tui.store import Snapshot
from rtd_tui.widgets.format import count, money, rate


class MetricCard(Static):
    """One big number with its label in the border."""

    DEFAULT_CSS = """
    MetricCard {
        width: 1fr; height: 3; border: round $primary; content-align: center middle;
        text-style: bold;
    }
    MetricCard.warn { border: round $warning; color: $warning; }
    """

    def __init__(self, label: str, *, id: str) -> None:
        super().__init__("—", id=id)
        self.border_title = label


class MetricsBar(Horizontal):
    """Six cards fed from one snapshot."""

    DEFAULT_CSS = """
    MetricsBar { height: 3; }
    """

    def compose(self) -> ComposeResult:
        yield MetricCard("Total value", id="m-total")
        yield MetricCard("Mean value", id="m-mean")
        yield MetricCard("Records", id="m-count")
        yield MetricCard("Mean age", id="m-age")
        yield MetricCard("Ingest rate", id="m-rate")
        yield MetricCard("Rejected", id="m-rejected")

    def show(self, snap: Snapshot) -> None:
        """Put a snapshot's figures on the cards."""
        self.query_one("#m-total", MetricCard).update(money(snap.total))
        self.query_one("#m-mean", MetricCard).update(money(snap.mean_value))
        self.query_one("#m-count", MetricCard).update(count(snap.count))
        mean_age = "—" if snap.mean_age is None else f"{snap.mean_age:.1f} years"
        self.query_one("#m-age", MetricCard).update(mean_age)
        ingest = rate(snap.ingest_rate).replace("/s", " msg/s")
        self.query_one("#m-rate", MetricCard).update(ingest)
        rejected = self.query_one("#m-rejected", MetricCard)
        rejected.update(count(snap.rejected))
        rejected.set_class(snap.rejected > 0, "warn")
