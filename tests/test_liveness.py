"""A dead stream never looks alive: every rate on screen falls to 0, the status line says
how long ago the last message came, and "updated" follows the data (Pilot, injected clocks)."""

from __future__ import annotations

from datetime import datetime, timedelta

from dashboard_kit import fixture_values, still_app
from rich.console import Console
from textual.widgets import DataTable, Static

from rtd_tui.consumer import ConsumeLoop, PartitionInfo
from rtd_tui.decode import decode_batch
from rtd_tui.screens.stream import PARTITION_COLUMNS, StreamScreen
from rtd_tui.store import RecordStore
from rtd_tui.store.rates import RATE_SPAN_S
from rtd_tui.throughput import ThroughputHistory
from rtd_tui.widgets.throughput import ThroughputChart

SIZE = (160, 50)
START = datetime(2026, 11, 2, 14, 0, 0)


def text_of(widget: Static) -> str:
    console = Console(width=300, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(widget.content)
    return capture.get()


class Clocks:
    """One fake time for the store, the throughput history and the app's wall clock."""

    def __init__(self) -> None:
        self.t = 1_000.0

    def mono(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return START + timedelta(seconds=self.t - 1_000.0)


async def test_a_stopped_stream_reads_zero_everywhere() -> None:
    clocks = Clocks()
    store = RecordStore(clock=clocks.mono)
    app = still_app(store=store)  # timers tick too: they read the same fake clocks
    app.clock = clocks.wall
    app.pipeline.throughput = ThroughputHistory(clock=clocks.mono)
    consumer = ConsumeLoop({}, app.pipeline.settings.topic, store)
    consumer.partitions = tuple(PartitionInfo(p, 0, 500, 500) for p in range(4))
    app.pipeline.consumer = consumer
    values = fixture_values(400)
    async with app.run_test(size=SIZE) as pilot:
        for second in range(4):  # 100 messages a second over four partitions
            clocks.t += 1.0
            chunk = values[second * 100 : (second + 1) * 100]
            store.ingest(decode_batch(chunk, [i % 4 for i in range(100)],
                                      [second * 25 + i // 4 for i in range(100)]))
            app.redraw()
        await pilot.pause()
        card = app.screen.query_one("#m-rate")
        status = app.screen.query_one("#status", Static)
        chart = app.screen.query_one(ThroughputChart)
        assert card.value == "100 msg/s"  # type: ignore[attr-defined]
        assert "last message" not in text_of(status)
        assert app.updated == START + timedelta(seconds=4)
        assert str(chart.border_title).startswith("Ingest: 100 msg/s · lag ")  # the card's

        clocks.t += 1.5  # a little quiet is normal: nothing said yet
        app.redraw()
        assert "last message" not in text_of(status)

        clocks.t += RATE_SPAN_S  # the producer stopped: no batch, no snapshot, only ticks
        app.redraw()
        await pilot.pause()
        assert card.value == "0.00 msg/s"  # type: ignore[attr-defined]
        assert "last message 6 s ago" in text_of(status)
        assert app.updated == START + timedelta(seconds=4)  # the data did not change
        assert str(chart.border_title).startswith("Ingest: 0.00 msg/s · lag ")
        assert app.pipeline.throughput.samples()[-1].rate == 0.0

        screen = StreamScreen()  # per partition, too
        await app.push_screen(screen)
        await pilot.pause()
        table = screen.query_one("#partitions", DataTable)
        rows = [table.get_row_at(r) for r in range(4)]
        column = PARTITION_COLUMNS.index
        assert [str(row[column("msgs/s")]) for row in rows] == ["0.00/s"] * 4
        assert [str(row[column("last message")]) for row in rows] == ["6 s ago"] * 4
        assert "consumed 0.00/s" in text_of(screen.query_one("#stream-summary", Static))

        clocks.t += 300.0
        app.redraw()
        assert "last message 5 min ago" in text_of(status)
