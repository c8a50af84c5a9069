"""The status line: broker, topic, connection, producer, last update, paused marker."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from rtd_tui.pipeline import PipelineStatus
from rtd_tui.widgets.format import count, rate, safe

_LINK_STYLE = {
    "connected": "bold green",
    "unreachable": "bold red",
    "waiting for topic": "bold yellow",
}


class StatusLine(Static):
    """One line that says where the data comes from and whether it is flowing."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; padding: 0 1; }
    """

    def show(
        self, status: PipelineStatus, updated: datetime | None, paused: bool, filtered: str = ""
    ) -> None:
        line = Text()
        if paused:
            line.append(" PAUSED ", style="bold black on yellow")
            line.append(" ")
        link = status.link
        line.append("● ", style=_LINK_STYLE.get(link.state, "bold yellow"))
        line.append(link.state, style=_LINK_STYLE.get(link.state, "yellow"))
        if link.detail and link.state != "connected":
            line.append(f" ({safe(link.detail)})", style="dim")
        line.append("  broker ", style="dim")
        line.append(status.broker)
        line.append("  topic ", style="dim")
        line.append(status.topic)
        line.append("  producer ", style="dim")
        if status.producer_on:
            line.append(f"ON {rate(status.rate)}", style="bold green")
        else:
            line.append("OFF", style="bold red")
        produced = status.produced
        line.append(f"  delivered {count(produced.delivered)}", style="dim")
        if produced.failed:
            line.append(f"  failed {count(produced.failed)}", style="bold red")
        if filtered:
            line.append("  filter ", style="dim")
            line.append(filtered, style="bold magenta")
        line.append("  updated ", style="dim")
        line.append(updated.strftime("%H:%M:%S") if updated else "—")
        self.update(line)
