"""The status line: connection, producer, last update, paused marker, broker and topic."""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from rtd_tui.pipeline import PipelineStatus
from rtd_tui.widgets.format import ago, count, rate, safe

_LINK_STYLE = {
    "connected": "bold green",
    "unreachable": "bold red",
    "waiting for topic": "bold yellow",
}
SEPARATOR = ("  │  ", "dim")
#: A broker's reason is cut to this many cells here; the stream view and the log hold it all.
REASON_CELLS = 40
#: librdkafka's ``HOST:PORT/bootstrap: `` (or ``/<broker id>: ``) prefix.
_BROKER_PREFIX = re.compile(r"^(?P<broker>[^\s/]+:\d+)/(?:bootstrap|\d+): ")
#: A ``'HOST:PORT'`` quoted in the reason (``Failed to resolve 'nohost:1': ...``).
_QUOTED_BROKER = re.compile(r"'(?P<broker>[^'\s]+:\d+)'")
#: librdkafka's ``(after 0ms in state CONNECT)``-style suffix.
_STATE_SUFFIX = re.compile(r"\s*\(after [^()]*\)\s*$")


def shorten(text: str, cells: int = REASON_CELLS) -> str:
    """``text`` cut to ``cells`` with an ellipsis when longer."""
    return text if len(text) <= cells else text[: cells - 1] + "…"


def cause(detail: str) -> str:
    """A broker's reason cut to its cause and where: ``connection refused (127.0.0.1:1)``
    from ``127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused
    (after 0ms in state CONNECT)``; the stream view shows the whole text."""
    text = _STATE_SUFFIX.sub("", detail.strip())
    where = ""
    if (prefix := _BROKER_PREFIX.match(text)) is not None:
        where = f" ({prefix['broker']})"
        text = text[prefix.end():]
    elif (quoted := _QUOTED_BROKER.search(text)) is not None:
        where = f" ({quoted['broker']})"
    last = text.rsplit(": ", 1)[-1].strip() or text
    return (last[:1].lower() + last[1:]) + where


class StatusLine(Static):
    """One line that says where the data comes from and whether it is flowing."""

    DEFAULT_CSS = """
    StatusLine { width: 1fr; height: 1; background: $panel; padding: 0 1; }
    """

    _shown: Text | None = None

    def show(
        self, status: PipelineStatus, updated: datetime | None, paused: bool, filtered: str = "",
        *, idle: float | None = None, behind: float | None = None,
    ) -> None:
        """``idle``: seconds since the last message, ``behind``: the age of the oldest
        unread one (lag in seconds), each when it is long enough to say so."""
        line = Text(no_wrap=True, overflow="ellipsis")
        if paused:
            line.append(" PAUSED ", style="bold black on yellow")
            line.append(" ")
        link = status.link
        style = _LINK_STYLE.get(link.state, "bold yellow")
        line.append(f"● {link.state}", style=style)
        if link.detail and link.state != "connected":
            if link.state == "unreachable":  # a broker's error: its cause and where
                line.append(f": {shorten(safe(cause(link.detail)))}", style="dim")
            else:
                line.append(f" ({shorten(safe(link.detail))})", style="dim")
        if status.start:
            line.append(f" · {status.start}", style="bold")
        if idle is not None:  # beside the link state: a quiet stream never looks alive
            line.append(f" · last message {ago(idle)} ago", style="bold yellow")
        if behind is not None:
            line.append(f" · lag {ago(behind)}", style="bold yellow")
        if status.job is not None:  # which source the figures come from
            line.append(*SEPARATOR)
            line.append("source ", style="dim")
            line.append(f"aggregates {status.job.aggregates_topic}", style="bold cyan")
            if status.job.malformed:
                line.append(f" {count(status.job.malformed)} malformed", style="bold red")
        line.append(*SEPARATOR)
        line.append("producer ", style="dim")
        if status.producer_on:
            line.append(f"ON {rate(status.rate)}", style="bold green")
        else:
            line.append("OFF", style="bold red")
        produced = status.produced
        line.append(f" {count(produced.delivered)} delivered", style="dim")
        if produced.failed:
            line.append(f" {count(produced.failed)} failed", style="bold red")
        if filtered:
            line.append(*SEPARATOR)
            line.append(f"filter {filtered}", style="bold magenta")
        line.append(*SEPARATOR)
        line.append("updated ", style="dim")
        line.append(updated.strftime("%H:%M:%S") if updated else "—")
        # Last: where a narrow terminal cuts the line, it cuts the least needed part.
        line.append(*SEPARATOR)
        line.append(status.broker)
        line.append(" › ", style="dim")
        line.append(status.topic, style="bold")
        if line != self._shown:  # an unchanged line is not repainted
            self._shown = line
            self.update(line, layout=False)  # one line, full width: never resizes it
