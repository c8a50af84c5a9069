"""The consumer groups view (``g``): every group that reads the topic, and how far behind.

While it is open, a worker thread of its own refreshes a ``GroupsWatch`` on an
``AdminClient`` and a message-timestamp client of its own; the screen's timer draws
the watch's latest report. The thread stops when the view closes.
"""

from __future__ import annotations

import threading
from typing import Any

from confluent_kafka.admin import AdminClient
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from rtd_tui.groups import GroupLag, GroupsReport, GroupsWatch
from rtd_tui.lag_watch import MessageStamps
from rtd_tui.screens.stream import PipelineScreen
from rtd_tui.widgets.footer import FittedFooter
from rtd_tui.widgets.format import ago, count, safe

GROUP_COLUMNS = ("group", "state", "members", "partition", "committed", "lag", "lag time")
_STATE_STYLE = {"stable": "bold green", "empty": "dim", "dead": "bold red"}


def _number(value: int | None) -> Text:
    return Text("—" if value is None else count(value), justify="right")


def _age(seconds: float | None, lag: int | None) -> Text:
    style = "bold yellow" if lag else ""
    return Text("—" if seconds is None else ago(seconds), justify="right", style=style)


def group_rows(group: GroupLag) -> list[tuple[Text, ...]]:
    """A group's rows: its name, state and members once, then one row per partition."""
    rows: list[tuple[Text, ...]] = []
    for i, part in enumerate(group.partitions):
        first = i == 0
        rows.append((
            Text(safe(group.group_id) if first else "", style="bold"),
            Text(group.state if first else "", style=_STATE_STYLE.get(group.state, "yellow")),
            Text(count(group.members) if first else "", justify="right"),
            Text(str(part.partition), justify="right"),
            _number(part.committed),
            Text("—" if part.lag is None else count(part.lag), justify="right",
                 style="bold yellow" if part.lag else ""),
            _age(part.seconds, part.lag),
        ))
    return rows


def groups_summary(report: GroupsReport, topic: str) -> Text:
    """The line above the table: what is shown, or why nothing is."""
    line = Text(no_wrap=True, overflow="ellipsis")
    if report.notice:
        line.append(report.notice, style="bold yellow")
        return line
    if not report.loaded:
        line.append(f"Looking for the consumer groups of {safe(topic)}…", style="dim")
        return line
    n = len(report.groups)
    line.append(f"{n} consumer group{'s' if n != 1 else ''} read ", style="dim")
    line.append(safe(topic), style="bold")
    behind = [g for g in report.groups if g.lag]
    if behind:
        worst = max(behind, key=lambda g: g.seconds or 0.0)
        line.append("  │  ", style="dim")
        line.append(f"furthest behind {safe(worst.group_id)}: {count(worst.lag or 0)}",
                    style="bold yellow")
        if worst.seconds is not None:
            line.append(f" · {ago(worst.seconds)}", style="bold yellow")
    if report.error:
        line.append("  │  ", style="dim")
        line.append(f"refresh failed: {safe(report.error)}", style="bold red")
    return line


class GroupsScreen(PipelineScreen):
    """Consumer groups of the topic; Esc goes back. ``report`` fixes what it shows (tests);
    without one, a worker refreshes it while the view is open (``live``)."""

    DEFAULT_CSS = """
    GroupsScreen #groups-summary { height: 1; background: $panel; padding: 0 1; }
    GroupsScreen #groups-box { height: 1fr; border: round $primary-darken-1; }
    GroupsScreen #groups { height: auto; max-height: 100%; }
    """

    def __init__(self, report: GroupsReport | None = None, *, live: bool = True) -> None:
        super().__init__()
        self._fixed = report
        self._live = live and report is None
        self._stop = threading.Event()
        self._watch: GroupsWatch | None = None
        self._shown: GroupsReport | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="groups-summary")
        with Vertical(id="groups-box"):
            yield DataTable[Text](id="groups", cursor_type="row", zebra_stripes=True)
        yield FittedFooter()

    def on_mount(self) -> None:
        self.query_one("#groups-box").border_title = "Consumer groups"
        table = self.query_one("#groups", DataTable)
        for name in GROUP_COLUMNS:
            table.add_column(name, key=name)
        if self._live:
            self._refresh_groups()

    def on_unmount(self) -> None:
        self._stop.set()

    @property
    def report(self) -> GroupsReport:
        """What the view shows now."""
        if self._fixed is not None:
            return self._fixed
        return self._watch.report if self._watch is not None else GroupsReport()

    @work(thread=True, exit_on_error=False, group="groups", name="groups")
    def _refresh_groups(self) -> None:
        """The worker: admin and timestamp clients of its own, closed when the view goes."""
        pipeline = self.pipeline
        config: dict[str, Any] = pipeline.settings.client_config(pipeline.bootstrap)
        stamps = MessageStamps(config, pipeline.settings.topic)
        try:
            self._watch = GroupsWatch(AdminClient(config), pipeline.settings.topic, stamps.read)
            self._watch.run(self._stop)
        finally:
            stamps.close()

    def tick(self) -> None:
        report = self.report
        if report == self._shown:
            return
        self._shown = report
        with self.app.batch_update():
            self.query_one("#groups-summary", Static).update(
                groups_summary(report, self.pipeline.settings.topic))
            table: DataTable[Text] = self.query_one("#groups", DataTable)
            row = table.cursor_row
            table.clear()
            for group in report.groups:
                for cells in group_rows(group):
                    table.add_row(*cells)
            if table.row_count:
                table.move_cursor(row=min(row, table.row_count - 1))
