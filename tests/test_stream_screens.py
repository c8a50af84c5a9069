"""Pilot and snapshot tests of the stream view, the live tail and the record detail."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, Message
from dashboard_kit import filled_store, fixed_history, fixture_values, still_app
from rich.console import Console
from rich.text import Text
from test_app import live_app, wait_until
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Static

from rtd_tui.app import RtdApp
from rtd_tui.consumer import ConsumeLoop, LinkStatus, PartitionInfo
from rtd_tui.lag_watch import LagWatch
from rtd_tui.screens.detail import RecordDetailScreen
from rtd_tui.screens.stream import StreamScreen
from rtd_tui.screens.tail import TAIL_ROWS, TailScreen
from rtd_tui.widgets.status import StatusLine
from rtd_tui.widgets.tail_table import TailTable

SIZE = (160, 50)
T0 = 1_793_628_000_000  # 2026-11-02 14:00:00 UTC, in ms
RED = b"\x1b[31mred\x1b[0m not json"
GOOD = fixture_values(1)[0]
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
PARTITIONS = (  # their msgs/s come from the store: 750 records each, 4 s ago
    PartitionInfo(0, 0, 1_520, 1_500),
    PartitionInfo(1, 120, 1_498, 1_498),
    PartitionInfo(2, 0, 1_507, 1_431),
    PartitionInfo(3, 0, 1_475, 1_475),
)


#: A minute earlier: partition 0 read 8/s while 5/s came (catching up), partition 2
#: 4/s while 5/s came (falling behind); 1 and 3 were idle.
EARLIER = tuple(
    replace(p, high=p.high - 60 * produced, position=p.position - 60 * consumed)
    for p, (consumed, produced) in zip(PARTITIONS, ((8, 5), (0, 0), (4, 5), (0, 0)), strict=True)
)
#: The oldest unread message of partitions 0 and 2: 42 s and 95 s old.
OLDEST = {0: T0 / 1000 - 42, 2: T0 / 1000 - 95}


def fixed_lag() -> LagWatch:
    """A lag watch after two rounds a minute apart, on fixed clocks."""
    now = {"partitions": EARLIER, "mono": 0.0}
    watch = LagWatch(lambda: now["partitions"], lambda offsets: {p: OLDEST[p] for p in offsets},
                     monotonic=lambda: now["mono"], wall=lambda: T0 / 1000)
    watch.update()
    now.update(partitions=PARTITIONS, mono=60.0)
    watch.update()
    return watch


def tail_messages() -> list[Message]:
    """Fixed messages: good records, raw escape sequences, invalid UTF-8, a tombstone."""
    values: list[bytes | None] = list(fixture_values(12))
    values[7] = RED
    values[9] = b"\x9b31m\xff broken"
    values[10] = None
    out = []
    for i, value in enumerate(values):
        key = b"\x1b]0;pwned\x07" if value == RED else str(7891 + i).encode()
        headers: list[tuple[str, str | bytes | None]] | None = None
        if i == 11:
            headers = [("origin", b"rtd-tui form"), ("trace-id", b"\x1b[5mblink")]
        out.append(Message(
            topic="csv-data", partition=i % 4, offset=1_000 + i // 4, key=key, value=value,
            headers=headers, timestamp=(TIMESTAMP_CREATE_TIME, T0 + i * 250),
        ))
    return out


def stream_app() -> RtdApp:
    """The still dashboard with fixed partitions, throughput and tail: no workers at all.

    Timers are slowed right down: screens draw on mount, and tests call ``tick()``.
    """
    now = [100.0]
    app = still_app(store=filled_store(fixture_values(), clock=lambda: now[0]), refresh=60.0)
    now[0] = 104.0
    pipeline = app.pipeline
    consumer = ConsumeLoop({}, pipeline.settings.topic, pipeline.store)
    consumer.partitions = PARTITIONS
    consumer.status = LinkStatus("connected", since=0.0)
    pipeline.consumer = consumer
    pipeline.lag_watch = fixed_lag()
    pipeline.throughput = fixed_history()
    pipeline.tail.add(tail_messages())
    return app


def cells(table: DataTable[Any] | TailTable, row: int) -> list[str]:
    """A row's texts; on the tail, checked against what the row shows on screen."""
    if isinstance(table, TailTable):
        texts = list(table.row_cells(row))
        shown = table.lines[row]
        assert all(t[:8] in shown for t in texts if table.size.width > 150)
        return texts
    return [str(cell) for cell in table.get_row_at(row)]


def plain(widget: Static) -> str:
    """What a Static shows, as the terminal would get it (styles dropped)."""
    console = Console(width=200, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(widget.content)
    return capture.get()


# ---- pilot: fixed data --------------------------------------------------------------

async def test_stream_view_lists_partitions_and_totals() -> None:
    app = stream_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StreamScreen())
        await pilot.pause()
        table = app.screen.query_one("#partitions", DataTable)
        assert table.row_count == 4
        assert cells(table, 2) == ["2", "0", "1,507", "1,431", "76", "95 s", "188/s", "4 s ago",
                                   "falling behind 1.0 msg/s"]
        assert cells(table, 0)[5:] == ["42 s", "188/s", "4 s ago", "catching up · ~7 s"]
        assert cells(table, 1)[4:6] == ["0", "0 s"] and cells(table, 1)[-1] == "caught up"
        summary = str(app.screen.query_one("#stream-summary", Static).content)
        title = Text.from_markup(str(app.screen.query_one("#partitions-box").border_title))
        assert title.plain == "Partitions · total lag 96 · 95 s · catching up · ~48 s"
        assert "localhost:9092" in summary
        assert "csv-data" in summary
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "DashboardScreen"


async def test_tail_follows_holds_freezes_and_opens_the_detail() -> None:
    app = stream_app()
    tail = app.pipeline.tail
    async with app.run_test(size=SIZE) as pilot:
        screen = TailScreen()
        await app.push_screen(screen)
        await pilot.pause()
        table = screen.table
        assert table.row_count == 12 and screen.following
        assert table.cursor_row == 11 and cells(table, 11)[:2] == ["3", "1002"]  # newest last
        assert cells(table, 7)[2] == "\\x1b]0;pwned\\x07"  # the key, made inert
        assert cells(table, 7)[5:] == ["rejected", "not JSON: Expecting value: line 1 column 1 "
                                       "(char 0)"]

        await pilot.press("up")  # the user reads: new messages must not move the rows
        assert screen.held and not screen.following
        tail.add([Message(topic="csv-data", partition=0, offset=2_000, value=RED,
                          timestamp=(TIMESTAMP_CREATE_TIME, T0))])
        screen.tick()
        assert table.row_count == 12 and table.cursor_row == 10
        assert "HELD" in str(screen.query_one("#tail-marker", Static).content)

        await pilot.press("f")  # follow again: the new message is at the bottom
        assert screen.following and table.row_count == 13
        assert table.cursor_row == 12 and cells(table, 12)[:2] == ["0", "2000"]

        await pilot.press("f")  # freeze
        assert screen.frozen and "FROZEN" in str(screen.query_one("#tail-marker").content)
        tail.add([Message(topic="csv-data", partition=0, offset=2_001, value=RED)])
        screen.tick()
        assert table.row_count == 13

        await pilot.press("up", "up", "enter")
        detail = app.screen
        assert isinstance(detail, RecordDetailScreen) and detail.entry is not None
        assert (detail.entry.partition, detail.entry.offset) == (2, 1002)
        await pilot.press("escape")
        assert app.screen is screen


async def test_tail_keeps_a_bounded_table_while_following() -> None:
    app = stream_app()
    tail = app.pipeline.tail
    async with app.run_test(size=SIZE) as pilot:
        screen = TailScreen()
        await app.push_screen(screen)
        for start in range(0, TAIL_ROWS * 2, TAIL_ROWS // 10):
            tail.add([Message(topic="csv-data", partition=1, offset=5_000 + start + i,
                              value=GOOD) for i in range(TAIL_ROWS // 10)])
            screen.tick()
            await pilot.pause()
        table = screen.table
        assert table.row_count == TAIL_ROWS and screen.following
        assert cells(table, TAIL_ROWS - 1)[1] == str(5_000 + TAIL_ROWS * 2 - 1)
        assert cells(table, 0)[1] == str(5_000 + TAIL_ROWS)


async def test_detail_shows_json_headers_and_never_a_raw_escape() -> None:
    app = stream_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordDetailScreen.for_row(app, 3, 1002))
        await pilot.pause()
        value = plain(app.screen.query_one("#detail-value", Static))
        assert json.loads(value) == json.loads(fixture_values(12)[11])
        headers = plain(app.screen.query_one("#detail-headers", Static))
        assert "rtd-tui form" in headers and "\\x1b[5mblink" in headers
        await pilot.press("escape")

        await app.push_screen(RecordDetailScreen.for_row(app, 3, 1001))  # RED, rejected
        await pilot.pause()
        texts = [plain(w) for w in app.screen.query(Static)]
        assert not any(CONTROL.search(t.replace("\n", "")) for t in texts)
        meta = plain(app.screen.query_one("#detail-meta", Static))
        assert "rejected  not JSON" in meta and "\\x1b]0;pwned\\x07" in meta
        value = plain(app.screen.query_one("#detail-value", Static))
        assert "\\x1b[31mred\\x1b[0m not json" in value
        await pilot.press("escape")


async def test_detail_falls_back_to_the_stored_row_or_says_it_is_gone() -> None:
    app = stream_app()
    async with app.run_test(size=SIZE):
        stored = app.store.frame().row(-1, named=True)
        screen = RecordDetailScreen.for_row(app, stored["partition"], stored["offset"])
        assert screen.entry is not None and "stored record" in screen.note
        assert json.loads(screen.entry.value or b"")["id"] == stored["id"]
        missing = RecordDetailScreen.for_row(app, 9, 99)
        assert missing.entry is None and "no longer held" in missing.note


# ---- pilot: live workers ------------------------------------------------------------

async def test_live_stream_view_shows_watermarks_and_the_tail_fills() -> None:
    app = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StreamScreen())
        table = app.screen.query_one("#partitions", DataTable)

        def watermarks() -> bool:
            return table.row_count == 4 and all(
                int(cells(table, r)[2].replace(",", "")) > 0 for r in range(4)
            )

        await wait_until(watermarks, "four partitions with high watermarks > 0")
        await pilot.press("escape")
        screen = TailScreen()
        await app.push_screen(screen)
        await wait_until(lambda: screen.table.row_count >= 20, "messages in the tail")
        assert cells(screen.table, 0)[5] == "valid"
        await pilot.press("escape")  # the app's redraw timer races a teardown under a screen


# ---- snapshots ----------------------------------------------------------------------

def pushing(make: Callable[[Any], Screen[None]]) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A ``run_before`` that pushes the screen ``make(app)`` builds."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.app.push_screen(make(pilot.app))
        await pilot.pause()

    return run_before


SIZES = pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=lambda s: "x".join(map(str, s)))


@SIZES
def test_stream_view_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    stream = pushing(lambda _: StreamScreen())
    assert snap_compare(stream_app(), terminal_size=size, run_before=stream)


@SIZES
def test_tail_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    tail = pushing(lambda _: TailScreen())
    assert snap_compare(stream_app(), terminal_size=size, run_before=tail)


@SIZES
def test_record_detail_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    detail = pushing(lambda app: RecordDetailScreen.for_row(app, 3, 1002))
    assert snap_compare(stream_app(), terminal_size=size, run_before=detail)


def test_rejected_record_detail_snapshot(snap_compare: Any) -> None:
    detail = pushing(lambda app: RecordDetailScreen.for_row(app, 3, 1001))
    assert snap_compare(stream_app(), terminal_size=SIZE, run_before=detail)


async def test_tail_reproduces_a_valid_message_and_refuses_a_rejected_one() -> None:
    from textual.widgets import Input

    from rtd_tui.screens.produce_form import ProduceFormScreen

    app = stream_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = TailScreen()
        await app.push_screen(screen)
        await pilot.pause()
        table = screen.table
        statuses = [cells(table, row)[5] for row in range(table.row_count)]
        rejected, valid = statuses.index("rejected"), statuses.index("valid")
        table.move_to(rejected)
        await pilot.press("R")
        assert app.screen is screen  # nothing to re-produce: a notice, no form
        table.move_to(valid)
        entry = app.pipeline.tail.entries()[valid]
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ProduceFormScreen)
        nome = json.loads(entry.value or b"{}")["nome"]
        assert app.screen.query_one("#field-nome", Input).value == nome


async def test_a_long_broker_reason_is_cut_on_the_status_line_and_whole_in_the_stream_view(
) -> None:
    app = stream_app()
    reason = "Failed to resolve 'nohost:1': Name or service not known (after 1ms in state CONNECT)"
    assert app.pipeline.consumer is not None
    app.pipeline.consumer.status = LinkStatus("unreachable", reason)
    async with app.run_test(size=(80, 24)) as pilot:
        app.redraw(force=True)
        await pilot.pause()
        line = plain(app.screen.query_one(StatusLine))
        assert "unreachable: name or service not known (nohost:1)" in line
        assert reason not in line
        await pilot.press("s")
        await pilot.pause()
        assert f"unreachable ({reason})" in plain(app.screen.query_one("#stream-summary", Static))


async def test_the_status_line_shows_the_lag_in_seconds_past_a_few_refreshes() -> None:
    wall = [T0 / 1000]
    app = still_app(refresh=1.0)  # said from 4 s on
    partitions = (PartitionInfo(0, 0, 100, 40),)
    watch = LagWatch(lambda: partitions, lambda offsets: dict.fromkeys(offsets, T0 / 1000 - 3),
                     wall=lambda: wall[0])
    app.pipeline.lag_watch = watch
    watch.update()
    async with app.run_test(size=SIZE) as pilot:
        app.redraw(force=True)
        await pilot.pause()
        assert "lag" not in plain(app.screen.query_one(StatusLine))  # 3 s: a refresh or so
        wall[0] += 92
        app.redraw()
        await pilot.pause()
        assert ") · lag 95 s  │  producer" in plain(app.screen.query_one(StatusLine))


@pytest.mark.parametrize("screen_type", [StreamScreen, TailScreen])
async def test_a_view_draws_once_when_it_opens(
    screen_type: type[StreamScreen | TailScreen], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One draw on opening, then one per refresh: not two (each on its own timer)."""
    ticks: list[str] = []
    tick = screen_type.tick
    monkeypatch.setattr(screen_type, "tick", lambda self: ticks.append("tick") or tick(self))
    app = stream_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen_type())
        await pilot.pause()
        assert ticks == ["tick"]
