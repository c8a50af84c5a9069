"""The row of metric cards: total, mean, count, mean age, ingest rate, rejected."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget

from rtd_tui.store import Snapshot
from rtd_tui.widgets.format import count, money, msg_rate
from rtd_tui.widgets.quiet import BorderTexts


class MetricCard(Widget):
    """One big number with its label in the border (inline on short screens: no border)."""

    DEFAULT_CSS = """
    MetricCard {
        width: 1fr; height: 3; border: round $primary; content-align: center middle;
        text-style: bold;
    }
    MetricCard.warn { border: round $warning; color: $warning; }
    """

    def __init__(self, label: str, *, id: str, short: str | None = None) -> None:
        super().__init__(id=id)
        self.border_texts = BorderTexts(self)
        self.label = label
        self.short_label = short or label
        self.border_texts.title(label)
        self.value = "—"

    def show(self, value: str) -> None:
        if value != self.value:
            self.value = value
            # A bordered card has a fixed size; an inline one (short screens) fits its text.
            width = self.styles.width
            self.refresh(layout=width is None or width.is_auto)

    def render(self) -> Text:
        if self.styles.border_top[0] in ("", "none", "hidden"):
            return Text.assemble((f"{self.short_label} ", "dim"), self.value, no_wrap=True)
        return Text(self.value)


class MetricsBar(Horizontal):
    """Six cards fed from one snapshot."""

    DEFAULT_CSS = """
    MetricsBar { height: 3; }
    """

    def compose(self) -> ComposeResult:
        yield MetricCard("Total", id="m-total")
        yield MetricCard("Mean", id="m-mean")
        yield MetricCard("Records", id="m-count")
        yield MetricCard("Mean age", id="m-age", short="Age")
        yield MetricCard("Ingest", id="m-rate")
        yield MetricCard("Rejected", id="m-rejected")

    def show_rate(self, messages_per_s: float) -> None:
        """The ingest card alone: it runs on the clock, so it drops to 0 when data stops."""
        self.query_one("#m-rate", MetricCard).show(msg_rate(messages_per_s))

    def show(self, snap: Snapshot) -> None:
        """Put a snapshot's figures on the cards."""
        self.query_one("#m-total", MetricCard).show(money(snap.total))
        self.query_one("#m-mean", MetricCard).show(money(snap.mean_value))
        self.query_one("#m-count", MetricCard).show(count(snap.count))
        mean_age = "—" if snap.mean_age is None else f"{snap.mean_age:.1f} years"
        self.query_one("#m-age", MetricCard).show(mean_age)
        self.show_rate(snap.ingest_rate)
        covers = None if snap.covered is None else f"last {count(snap.covered)} records"
        for card in ("#m-total", "#m-mean", "#m-count", "#m-age"):
            self.query_one(card, MetricCard).border_texts.subtitle(covers)
        rejected = self.query_one("#m-rejected", MetricCard)
        rejected.show(count(snap.rejected))
        rejected.set_class(snap.rejected > 0, "warn")
        reasons = sorted(snap.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
        tooltip = "\n".join(f"{n:,}  {reason}" for reason, n in reasons) or None
        if tooltip != rejected.tooltip:
            rejected.tooltip = tooltip
