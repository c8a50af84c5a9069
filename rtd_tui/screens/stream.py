"""The stream view: partitions with watermarks, position, lag and rate; brokers; throughput;
and the stream's notices (a partition whose offsets started again)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from rtd_tui.consumer import PartitionInfo
from rtd_tui.lag import PartitionLag, Trend
from rtd_tui.pipeline import JobProgress, Pipeline, PipelineStatus
from rtd_tui.widgets.footer import FittedFooter
from rtd_tui.widgets.format import ago, count, rate, safe
from rtd_tui.widgets.quiet import BorderTexts
from rtd_tui.widgets.throughput import ThroughputChart
from rtd_tui.widgets.time_cursor import TimeCursorChart

PARTITION_COLUMNS = ("partition", "low", "high", "position", "lag", "lag time", "msgs/s",
                     "last message", "trend")
SEPARATOR = ("  │  ", "dim")


class PipelineHost(Protocol):
    """What the screens need from the app: its pipeline."""

    pipeline: Pipeline


class TimeHost(Protocol):
    """What the chart's time cursor needs from the app (``time_travel.TimeTravelApp``)."""

    clock: Callable[[], datetime]

    def open_tail_at(self, at_ms: int) -> None: ...

    def export_range(self, start_ms: int, end_ms: int) -> None: ...


class PipelineScreen(Screen[None]):
    """A screen fed from ``app.pipeline`` on its own UI-thread timer; Esc goes back.

    Textual runs every class's ``on_mount``, this one after a subclass's: a subclass
    sets its widgets up in its own and does not call this one (that would tick twice
    per interval, on two timers)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    @property
    def pipeline(self) -> Pipeline:
        return cast(PipelineHost, self.app).pipeline

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(self.pipeline.settings.refresh, self.tick)

    def tick(self) -> None:
        """Redraw from the pipeline; called on mount and on every timer tick."""
        raise NotImplementedError


def trend_text(t: Trend) -> str:
    """``catching up · ~40 s``, ``falling behind 120 msg/s``, ``caught up``..."""
    if t.eta is not None:
        return f"{t.state} · ~{ago(t.eta)}"
    if t.gap is not None:
        return f"{t.state} {rate(t.gap).removesuffix('/s')} msg/s"
    return "measuring rates…" if t.state == "measuring" else t.state


def lag_time(lag: PartitionLag | None) -> str:
    """How old the oldest unread message is (an em dash until it is known)."""
    return "—" if lag is None or lag.seconds is None else ago(lag.seconds)


def _trend_style(t: Trend) -> str:
    return {"falling behind": "bold red", "stalled": "bold yellow",
            "catching up": "yellow"}.get(t.state, "dim")


def partitions_title(status: PipelineStatus) -> str:
    """The partition box's title: total lag in messages and seconds, and its trend
    (in the title, where it fits on a narrow terminal too)."""
    if not status.lag.partitions:  # not measured (the aggregates reader: see the job line)
        return "Partitions"
    total = status.lag.total
    messages = sum(p.lag for p in status.partitions)
    going = trend_text(total.trend)
    return (f"Partitions · total lag [b]{count(messages)}[/] · {lag_time(total)} · "
            f"[{_trend_style(total.trend)}]{going}[/]")


def stream_summary(status: PipelineStatus) -> Text:
    """Topic, brokers, link state, consumed rate: the line above the partition table."""
    parts = status.partitions
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("topic ", style="dim")
    line.append(safe(status.topic), style="bold")
    line.append(*SEPARATOR)
    line.append("brokers ", style="dim")
    line.append(safe(status.broker))
    line.append(*SEPARATOR)
    line.append(f"● {status.link.state}", style="bold green" if status.link.state == "connected"
                else "bold yellow")
    if status.link.detail and status.link.state != "connected":
        line.append(f" ({safe(status.link.detail)})", style="dim")  # in full, unlike the status
    line.append(*SEPARATOR)
    line.append(f"{len(parts)} partitions", style="dim")
    line.append(*SEPARATOR)
    line.append("consumed ", style="dim")
    line.append(rate(sum(p.rate for p in parts)), style="bold")
    if status.duplicates:
        line.append(*SEPARATOR)
        line.append("duplicates dropped ", style="dim")
        line.append(count(status.duplicates), style="bold yellow")
    return line


def notices_text(notices: tuple[str, ...]) -> Text:
    """The stream's notices, newest first."""
    return Text("\n".join(f"⚠ {safe(n)}" for n in reversed(notices)), style="yellow")


def job_summary(job: JobProgress) -> Text:
    """With ``--source aggregates``: the job's lag on the raw topic (its committed
    offsets are the partitions' positions), how old its newest aggregate is, and any
    malformed aggregate messages."""
    line = Text()
    line.append("job ", style="dim")
    line.append(safe(job.aggregates_topic), style="bold cyan")
    line.append(*SEPARATOR)
    line.append("lag ", style="dim")
    if job.lag is None:
        line.append("no committed offsets", style="bold yellow")
    else:
        line.append(count(job.lag), style="bold yellow" if job.lag else "bold")
        if job.lag_s is not None:
            line.append(f" ({ago(job.lag_s)})")
    line.append(*SEPARATOR)
    line.append("newest aggregate ", style="dim")
    line.append("—" if job.newest_age_s is None else f"{ago(job.newest_age_s)} ago",
                style="bold")
    if job.malformed:
        line.append(*SEPARATOR)
        line.append(f"{count(job.malformed)} malformed: {safe(job.last_error)}", style="bold red")
    return line


def partition_row(info: PartitionInfo, lag: PartitionLag | None) -> tuple[Text, ...]:
    """One table row; the lag is highlighted when the consumer is behind, "last message"
    says how long the partition has been quiet, and the trend where its lag is going."""
    cells = (info.partition, info.low, info.high, info.position)
    behind = "bold yellow" if info.lag else ""
    going = trend_text(lag.trend) if lag is not None else "—"
    return (
        *(Text(count(v), justify="right") for v in cells),
        Text(count(info.lag), justify="right", style=behind),
        Text(lag_time(lag) if info.lag else "0 s", justify="right", style=behind),
        Text(rate(info.rate), justify="right"),
        Text("—" if info.idle is None else f"{ago(info.idle)} ago", justify="right"),
        Text(going, style=_trend_style(lag.trend) if lag is not None else "dim"),
    )


class PartitionTable(DataTable[Text]):
    """The partition table: Home and End go to the first and the last partition (a
    row table's own Home and End scroll sideways)."""

    BINDINGS = [
        Binding("home", "scroll_top", "First partition", show=False),
        Binding("end", "scroll_bottom", "Last partition", show=False),
    ]


class StreamScreen(PipelineScreen):
    """Where the data comes from and whether the consumer keeps up; the chart's time
    cursor (Tab to it from the partition table) leads to the messages of a moment."""

    DEFAULT_CSS = """
    StreamScreen #stream-summary { height: 1; background: $panel; padding: 0 1; }
    StreamScreen #job-summary { height: auto; background: $panel; padding: 0 1; display: none; }
    StreamScreen #stream-notices { height: auto; max-height: 4; padding: 0 1; display: none; }
    StreamScreen #partitions-box { height: auto; max-height: 50%; border: round $primary-darken-1; }
    StreamScreen #partitions { height: auto; max-height: 100%; }
    StreamScreen ThroughputChart { height: 1fr; border: round $primary-darken-1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: PipelineStatus | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="stream-summary")
        yield Static(id="job-summary")
        yield Static(id="stream-notices")
        with Vertical(id="partitions-box"):
            yield PartitionTable(id="partitions", cursor_type="row", zebra_stripes=True)
        yield TimeCursorChart(self._wall_now, id="stream-throughput")
        yield FittedFooter()

    def on_mount(self) -> None:
        self._title = BorderTexts(self.query_one("#partitions-box"))
        table = self.query_one("#partitions", DataTable)
        for name in PARTITION_COLUMNS:
            table.add_column(name, key=name)

    def _wall_now(self) -> float:
        return cast(TimeHost, self.app).clock().timestamp()

    def on_time_cursor_chart_chosen(self, event: TimeCursorChart.Chosen) -> None:
        cast(TimeHost, self.app).open_tail_at(event.at_ms)

    def on_time_cursor_chart_range_chosen(self, event: TimeCursorChart.RangeChosen) -> None:
        cast(TimeHost, self.app).export_range(event.start_ms, event.end_ms)

    def tick(self) -> None:
        pipeline = self.pipeline
        pipeline.sample_throughput()
        status = pipeline.status()
        with self.app.batch_update():
            self.query_one(ThroughputChart).show(pipeline.throughput,
                                                 pipeline.store.liveness().rate)
            if status == self._shown:
                return
            self._shown = status
            self.query_one("#stream-summary", Static).update(stream_summary(status))
            if status.job is not None:
                job = self.query_one("#job-summary", Static)
                job.display = True
                job.update(job_summary(status.job))
            self._title.title(partitions_title(status))
            if status.notices:
                notices = self.query_one("#stream-notices", Static)
                notices.display = True
                notices.update(notices_text(status.notices))
            table: DataTable[Text] = self.query_one("#partitions", DataTable)
            row = table.cursor_row
            table.clear()
            for info in status.partitions:
                row_cells = partition_row(info, status.lag.of(info.partition))
                table.add_row(*row_cells, key=str(info.partition))
            if status.partitions:
                table.move_cursor(row=min(row, len(status.partitions) - 1))
