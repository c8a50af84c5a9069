"""The dashboard: metric cards, charts, the latest records and per-city statistics.

The layout follows the terminal: each size class (``LAYOUTS``) is a CSS class on the
screen, and it fixes how many panels share the main area. Where not every panel fits,
``v`` cycles which ones are shown; the latest records are always in view.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widget import Widget

from rtd_tui.store import Snapshot
from rtd_tui.widgets.charts import AgeHistogramChart, CityValueChart, ShareChart
from rtd_tui.widgets.filter_bar import FilterBar
from rtd_tui.widgets.footer import FittedFooter
from rtd_tui.widgets.metrics import MetricsBar
from rtd_tui.widgets.scatter import ScatterChart
from rtd_tui.widgets.status import StatusLine
from rtd_tui.widgets.tables import CityStatsTable, LatestTable
from rtd_tui.widgets.throughput import ThroughputChart

#: Size classes, smallest first: (class, minimum width, minimum height, panels in the
#: main area). A terminal takes the largest class whose minimums it meets on both axes.
LAYOUTS: tuple[tuple[str, int, int, int], ...] = (
    ("-s", 0, 0, 1),
    ("-m", 100, 30, 2),
    ("-l", 120, 40, 4),
    ("-xl", 160, 50, 6),
    ("-xxl", 220, 60, 6),
)


def layout_for(width: int, height: int) -> tuple[str, int]:
    """The size class of a terminal and how many main-area panels it shows."""
    fits = [(name, slots) for name, w, h, slots in LAYOUTS if width >= w and height >= h]
    return fits[-1]


class DashboardScreen(Screen[None]):
    """The first screen: everything at a glance, redrawn from snapshots."""

    BINDINGS = [Binding("escape", "app.clear_filter", "Clear filter", show=False)]
    AUTO_FOCUS = "#latest"
    #: The panels that share the main area, in the order ``v`` shows them.
    PANELS = ("chart-city", "chart-age", "cities", "chart-scatter", "chart-share",
              "chart-throughput")

    def __init__(self) -> None:
        super().__init__()
        self.first_panel = 0
        self.slots = len(self.PANELS)

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield MetricsBar(id="metrics")
        # Grid order is placement order at the largest sizes: two charts, the city table
        # (two rows high), two charts, then the latest records beside the throughput.
        with Grid(id="board"):
            yield CityValueChart("Total value by city", id="chart-city")
            yield AgeHistogramChart("Age histogram", id="chart-age")
            yield CityStatsTable("Statistics by city", id="cities")
            yield ScatterChart("Value × age", id="chart-scatter")
            yield ShareChart("Share of value by city", id="chart-share")
            yield LatestTable("Latest records", id="latest")
            yield ThroughputChart("Ingest", id="chart-throughput")
        yield FilterBar(id="filter-bar")
        yield FittedFooter()

    def on_resize(self, event: events.Resize) -> None:
        name, slots = layout_for(event.size.width, event.size.height)
        for other, *_ in LAYOUTS:
            self.set_class(other == name, other)
        self.slots = slots
        self._show_panels()
        self.app.refresh_bindings()  # ``v`` shows in the footer only where panels cycle

    @property
    def cycles(self) -> bool:
        """Whether some panels wait their turn (``v`` shows them)."""
        return self.slots < len(self.PANELS)

    def cycle(self) -> str:
        """Show the next panel(s) in the main area; returns the title of the first one."""
        self.first_panel = (self.first_panel + self.slots) % self._cycled()
        self._show_panels()
        return str(self._panels()[self.first_panel].border_title)

    def _cycled(self) -> int:
        """How many panels take turns: the throughput chart only where all fit."""
        panels = len(self.PANELS)
        return panels if self.slots >= panels else panels - 1

    def _panels(self) -> list[Widget]:
        return [self.query_one(f"#{pid}") for pid in self.PANELS]

    def _show_panels(self) -> None:
        cycled = self._cycled()
        shown = {(self.first_panel + i) % cycled for i in range(min(self.slots, cycled))}
        for index, panel in enumerate(self._panels()):
            panel.display = index in shown

    def show(self, snap: Snapshot) -> None:
        """Render one snapshot on every widget of the screen."""
        self.query_one(MetricsBar).show(snap)
        self.query_one(CityValueChart).set_data(snap.by_city)
        self.query_one(ShareChart).set_data(snap.by_city)
        self.query_one(AgeHistogramChart).set_data(snap.age_counts)
        self.query_one(ScatterChart).set_data((snap.scatter_age, snap.scatter_value))
        self.query_one(LatestTable).show(snap.latest)
        self.query_one(CityStatsTable).show(snap.by_city)
