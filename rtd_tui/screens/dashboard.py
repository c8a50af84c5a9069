"""The dashboard: metric cards, four charts, the latest records and per-city statistics."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from rtd_tui.store import Snapshot
from rtd_tui.widgets.charts import AgeHistogramChart, CityValueChart, ScatterChart, ShareChart
from rtd_tui.widgets.filter_bar import FilterBar
from rtd_tui.widgets.metrics import MetricsBar
from rtd_tui.widgets.status import StatusLine
from rtd_tui.widgets.tables import CityStatsTable, LatestTable
from rtd_tui.widgets.throughput import ThroughputChart

NARROW_WIDTH = 140
SHORT_HEIGHT = 40


class DashboardScreen(Screen[None]):
    """The first screen: everything at a glance, redrawn from snapshots."""

    BINDINGS = [Binding("escape", "app.clear_filter", "Clear filter", show=False)]

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield MetricsBar(id="metrics")
        with Grid(id="charts"):
            yield CityValueChart("Total value by city", id="chart-city")
            yield AgeHistogramChart("Age histogram", id="chart-age")
            yield ScatterChart("Value × age", id="chart-scatter")
            yield ShareChart("Share of value by city", id="chart-share")
        with Horizontal(id="tables"):
            with Vertical(id="latest-box"):
                yield LatestTable(id="latest")
            with Vertical(id="cities-box"):
                yield CityStatsTable(id="cities")
            yield ThroughputChart("Ingest rate and lag", id="chart-throughput")
        yield FilterBar(id="filter-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#latest-box").border_title = "Latest records"
        self.query_one("#cities-box").border_title = "Statistics by city"

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")
        self.set_class(event.size.height < SHORT_HEIGHT, "-short")

    def show(self, snap: Snapshot) -> None:
        """Render one snapshot on every widget of the screen."""
        self.query_one(MetricsBar).show(snap)
        self.query_one(CityValueChart).set_data(snap.by_city)
        self.query_one(ShareChart).set_data(snap.by_city)
        self.query_one(AgeHistogramChart).set_data(snap.age_counts)
        self.query_one(ScatterChart).set_data((snap.scatter_age, snap.scatter_value))
        self.query_one(LatestTable).show(snap.latest)
        self.query_one(CityStatsTable).show(snap.by_city)
