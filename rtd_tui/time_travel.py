"""The app's moves in time: replay from the beginning, a time or the last N (``r``), and
the messages at a moment of the stream view's chart (Enter on its cursor).

A time is looked up on a consumer of its own (``seek.lookup``) in a worker thread, so
the dashboard keeps reading and drawing meanwhile; the worker only hands the offsets
back to the UI thread, which asks the reader to replay from them. A broker that cannot
answer is one error toast, and nothing is replayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, cast

import polars as pl
from confluent_kafka import OFFSET_BEGINNING
from textual import work

from rtd_tui import seek
from rtd_tui.app_base import DashboardApp
from rtd_tui.broker import EmbeddedBroker
from rtd_tui.config import is_time
from rtd_tui.consumer import ConsumeLoop, tail_offset
from rtd_tui.decode import decode_batch
from rtd_tui.screens.replay import ReplayScreen
from rtd_tui.screens.tail import TAIL_ROWS
from rtd_tui.screens.tail_at import TailAtScreen
from rtd_tui.tail import TailBuffer


class TimeTravelApp(DashboardApp):
    """``DashboardApp`` with the replay dialog and the time lookups behind it."""

    def action_replay(self) -> None:
        """Open the replay dialog (a reader of aggregates replays from the beginning)."""
        consumer = self.pipeline.consumer
        if consumer is None:
            self.notify("Replay needs a running consumer", severity="warning")
            return
        if not isinstance(consumer, ConsumeLoop):
            self.replay({}, "", "the topic from the beginning")
            return
        mock = isinstance(self.pipeline.broker, EmbeddedBroker)
        note = "not on the embedded mock broker" if mock else ""
        self.push_screen(ReplayScreen(note), self._replay_chosen)

    def _replay_chosen(self, start: str | int | None) -> None:
        if start is None:
            return
        if isinstance(start, int):
            self.replay({}, "", f"the last {-start:,} messages of each partition",
                        default=tail_offset(-start))
        elif is_time(start):
            self._replay_at(start)
        else:
            self.replay({}, "", "the topic from the beginning")

    def replay(
        self, offsets: Mapping[int, int], label: str, what: str, default: int = OFFSET_BEGINNING
    ) -> None:
        """Empty the view and read again from ``offsets`` (``default`` elsewhere)."""
        consumer = self.pipeline.consumer
        if consumer is None:
            return
        # from the beginning: what the broker dropped (below its low watermarks) is gone
        gone = 0 if offsets or default != OFFSET_BEGINNING else sum(
            max(0, p.low) for p in consumer.partitions)
        if isinstance(consumer, ConsumeLoop):
            dropped = consumer.request_replay(offsets, label, default)
        else:
            dropped = consumer.request_replay()
        self.pipeline.tail.clear()
        self.redraw(force=True)
        self.notify(f"Replaying {what}{dropped_note(dropped)}{gone_note(gone)}",
                    severity="warning" if gone else "information", timeout=8 if gone else 3)

    @work(thread=True, exit_on_error=False, group="seek", exclusive=True, name="time-lookup")
    def _replay_at(self, start: str) -> None:
        """Look ``start`` up on a client of its own, then replay from there (UI thread)."""
        pipeline = self.pipeline
        now = self.clock().timestamp()
        at_ms = seek.start_ms(start, now)
        config = pipeline.settings.client_config(pipeline.bootstrap)
        try:
            found = seek.lookup(config, pipeline.settings.topic, at_ms, pipeline.stop_event)
        except seek.TimeLookupError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10)
            return
        label = seek.start_label(at_ms, now)
        self.call_from_thread(self.replay, found.offsets, label, f"{label} on")

    def open_tail_at(self, at_ms: int) -> None:
        """The tail at a moment: its own buffer, filled by a bounded reader of its own."""
        buffer = TailBuffer(TAIL_ROWS)
        self.push_screen(TailAtScreen(buffer, seek.start_label(at_ms, self.clock().timestamp())))
        self._read_at(at_ms, buffer)

    @work(thread=True, exit_on_error=False, group="read-at", exclusive=True, name="read-at")
    def _read_at(self, at_ms: int, buffer: TailBuffer) -> None:
        """Look the moment up, read the first ``TAIL_ROWS`` messages from there."""
        pipeline = self.pipeline
        config = pipeline.settings.client_config(pipeline.bootstrap)
        topic = pipeline.settings.topic
        try:
            found = seek.lookup(config, topic, at_ms, pipeline.stop_event)
            buffer.add(seek.read_from(config, topic, found.offsets, TAIL_ROWS,
                                      pipeline.stop_event))
        except seek.TimeLookupError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10)

    def export_range(self, start_ms: int, end_ms: int) -> None:
        """The messages between two moments of the chart, through the export dialog."""
        self._read_range(start_ms, end_ms)

    @work(thread=True, exit_on_error=False, group="read-at", exclusive=True, name="read-range")
    def _read_range(self, start_ms: int, end_ms: int) -> None:
        """Look both moments up, read what lies between (at most ``--window`` rows), decode
        it as the store does, and hand the valid records to the export dialog."""
        pipeline = self.pipeline
        config = pipeline.settings.client_config(pipeline.bootstrap)
        topic, stop = pipeline.settings.topic, pipeline.stop_event
        try:
            first = seek.lookup(config, topic, start_ms, stop)
            last = seek.lookup(config, topic, end_ms, stop)
            messages = seek.read_from(config, topic, first.offsets, pipeline.settings.window,
                                      stop, until=last.offsets)
        except seek.TimeLookupError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10)
            return
        batch = decode_batch([m.value() for m in messages], [m.partition() or 0 for m in messages],
                             [m.offset() or 0 for m in messages], [m.key() for m in messages])
        self.call_from_thread(cast(ExportHost, self).ask_export, batch.rows, True)


class ExportHost(Protocol):
    """The app's export dialog (``RtdApp.ask_export``)."""

    def ask_export(self, frame: pl.DataFrame, filtered: bool) -> None: ...


def dropped_note(count: int) -> str:
    """The toast's note on records fetched before a clear or replay and never stored."""
    if not count:
        return ""
    return f"; {count:,} record{'s' if count != 1 else ''} fetched before it dropped"


def gone_note(count: int) -> str:
    """The replay toast's note on records the broker dropped (retention, or the embedded
    broker's few MiB per partition): a replay cannot read them."""
    if not count:
        return ""
    return f"; {count:,} older record{'s are' if count != 1 else ' is'} gone from the broker"
