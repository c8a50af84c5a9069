"""The Textual app as the user drives it: the keys and what they do, on top of
``app_base.DashboardApp`` (workers, refresh timer, the redraw decision).

Keys act on the store and pipeline (clear, replay, producer controls, filter, pause)
or open a view over the dashboard (help, stream, tail, produce form, record detail,
export); views never pile up on each other.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl
from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.keys import key_to_character
from textual.notifications import SeverityLevel
from textual.screen import Screen

from rtd_tui.actions import ACTIONS
from rtd_tui.control import ControlRefused
from rtd_tui.export import MIME_TYPES, ExportError, export_frame, export_name, write_frame
from rtd_tui.producer import ProducerControl, RateAtLimit
from rtd_tui.screens.dashboard import DashboardScreen
from rtd_tui.screens.detail import RecordDetailScreen
from rtd_tui.screens.export import ExportScreen
from rtd_tui.screens.groups import GroupsScreen
from rtd_tui.screens.help import HelpScreen
from rtd_tui.screens.produce_form import ProduceFormScreen
from rtd_tui.screens.stream import StreamScreen
from rtd_tui.screens.tail import TailScreen
from rtd_tui.store import RecordFilter
from rtd_tui.time_travel import TimeTravelApp, dropped_note
from rtd_tui.widgets.filter_bar import FilterBar
from rtd_tui.widgets.tables import LatestTable

#: Actions that only mean something on the dashboard itself.
DASHBOARD_ONLY = frozenset({"cycle_view", "filter"})
#: Actions that write to the topic or change the producer: none in a read-only view.
WRITES = frozenset({"toggle_producer", "faster", "slower", "produce", "reproduce"})
#: Each action's key, and the characters of the keys whose names Textual does not map.
ACTION_KEYS = {a.action: a.key for a in ACTIONS}
TYPED_CHARACTERS = {"plus": "+", "minus": "-", "slash": "/"}
#: Below this many rows one notice at a time is shown (the dashboard's smallest layout).
SHORT_TERMINAL = 30


class RtdApp(TimeTravelApp):
    """rtd-tui's dashboard application. Its return code is 1 when records were lost."""

    TITLE = "rtd-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    BINDINGS = [
        *(Binding(a.key, a.action, a.label, show=a.show, tooltip=a.description,
                  priority=a.priority) for a in ACTIONS),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def notify(
        self, message: str, *, title: str = "", severity: SeverityLevel = "information",
        timeout: float | None = None, markup: bool = True,
    ) -> None:
        """Where the terminal is short, the newest notice replaces the others: stacked,
        they covered the main panel."""
        if self.size.height < SHORT_TERMINAL:
            self.clear_notifications()
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ---- actions --------------------------------------------------------------------
    def action_clear(self) -> None:
        """Forget everything shown so far; consumption continues where it is. Records
        fetched before the key press and not yet stored are dropped, and counted."""
        dropped = self.pipeline.clear()
        self.redraw(force=True)
        self.notify(f"Cache cleared{dropped_note(dropped)}", timeout=3)

    def refuse_write(self, what: str) -> bool:
        """In a read-only view, say so (``what``: what is refused); True when refused."""
        if self.read_only:
            self.notify(f"Read-only view: {what}", severity="warning", timeout=4)
        return self.read_only

    def _change_producer(self, change: Callable[[ProducerControl], object]) -> bool:
        """Apply a producer control (the shared producer's, under ``serve``); True when done."""
        if self.refuse_write("no producer controls"):
            return False
        try:
            change(self.pipeline.control)
        except RateAtLimit as exc:
            self.notify(str(exc), severity="warning", timeout=5)
            return False
        except ControlRefused as exc:
            self.notify(str(exc), severity="error", timeout=5)
            return False
        self.redraw()
        return True

    def action_toggle_producer(self) -> None:
        if self._change_producer(lambda control: control.toggle()):
            self.notify(f"Producer {'ON' if self.pipeline.control.enabled else 'OFF'}",
                        timeout=2)

    def action_faster(self) -> None:
        self._change_producer(lambda control: control.scale(2.0))

    def action_slower(self) -> None:
        self._change_producer(lambda control: control.scale(0.5))

    def action_pause(self) -> None:
        """Freeze the view; ingest goes on, and resuming shows everything that came in."""
        self.paused = not self.paused
        self.redraw()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer shows the keys that act now: the dashboard's own panel and filter keys
        are left out of other screens; writes in a read-only view; ``v`` only where panels
        take turns;
        a key that the focused text field takes as typing does not act (``/``, bound
        with priority, included)."""
        screen = self.screen
        if action in DASHBOARD_ONLY and not isinstance(screen, DashboardScreen):
            return False
        if self.read_only and action in WRITES:
            return False  # ``serve --read-only``: not offered, so the footer leaves them out
        if self._typed(action):
            return False  # typed into the focused field, not acted on
        return not (action == "cycle_view" and isinstance(screen, DashboardScreen)
                    and not screen.cycles)

    def action_cycle_view(self) -> None:
        if (screen := self.dashboard) is not None:
            screen.cycle()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_filter(self) -> None:
        if (screen := self.dashboard) is not None:
            screen.query_one(FilterBar).open()

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        self.record_filter = event.record_filter
        self.redraw(force=True)
        self._focus_board()

    def action_clear_filter(self) -> None:
        """Esc on the dashboard: drop the filter and close its bar."""
        if (screen := self.dashboard) is None:
            return
        bar = screen.query_one(FilterBar)
        if self.record_filter.active or bar.display:
            bar.clear()

    def on_filter_bar_cleared(self, _event: FilterBar.Cleared) -> None:
        self.record_filter = RecordFilter()
        self.redraw(force=True)
        self._focus_board()

    def _focus_board(self) -> None:
        """Keys act on the dashboard again: the latest records take the focus."""
        if (screen := self.dashboard) is not None:
            screen.set_focus(screen.query_one(LatestTable))

    def action_export(self) -> None:
        """Ask for format and folder, then write the records in view (filtered); in a
        browser (``serve``) the file is a download instead."""
        self.ask_export(self.store.frame(self.record_filter), self.record_filter.active)

    def ask_export(self, frame: pl.DataFrame, filtered: bool) -> None:
        """The export dialog for ``frame`` (the records in view, or a range of the chart),
        then the file or the download."""
        folder = None if self.is_web else self.pipeline.settings.export_dir
        screen = ExportScreen(folder, frame.height, filtered)

        def write(choice: tuple[str, Path | None] | None) -> None:
            if choice is None:
                return
            fmt, folder = choice
            if folder is None:
                self._download(frame, fmt)
                return
            try:
                path = export_frame(frame, folder, fmt, self.clock())
            except ExportError as exc:
                self.notify(str(exc), severity="error", timeout=10)
                return
            self.last_export = path
            self.notify(f"Exported {frame.height:,} records to {path}", timeout=10)

        self.push_screen(screen, write)

    def _download(self, frame: pl.DataFrame, fmt: str) -> None:
        """Hand the export to the browser as a download."""
        buffer = io.BytesIO()
        write_frame(frame, buffer, fmt)
        buffer.seek(0)
        name = export_name(self.clock(), fmt)
        self.deliver_binary(buffer, save_filename=name, mime_type=MIME_TYPES[fmt])
        self.notify(f"Downloading {frame.height:,} records as {name}", timeout=10)

    def _open(self, screen: Screen[Any]) -> None:
        """Show a view over the dashboard; views never pile up on each other."""
        if type(self.screen) is type(screen):
            return
        while len(self.screen_stack) > 1 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()
        self.push_screen(screen)

    def action_stream(self) -> None:
        self._open(StreamScreen())

    def action_groups(self) -> None:
        self._open(GroupsScreen(live=self.run_workers))

    def action_tail(self) -> None:
        self._open(TailScreen())

    def action_produce(self) -> None:
        """Open the produce form, pre-filled from the generator."""
        self.open_form()

    def open_form(self, prefill: dict[str, Any] | None = None) -> None:
        """The produce form (empty, or to re-produce ``prefill``), unless read-only."""
        if not self.refuse_write("no produce form, no delete"):
            self._open(ProduceFormScreen(self.pipeline, prefill=prefill))

    def _selected(self) -> tuple[int, int] | None:
        """(partition, offset) of the latest-records row under the cursor, if any."""
        if (screen := self.dashboard) is None:
            return None
        row = screen.query_one(LatestTable).selected()
        return None if row is None else (row["partition"], row["offset"])

    def on_frame_table_row_selected(self, event: LatestTable.RowSelected) -> None:
        if isinstance(event.table, LatestTable):
            self.action_detail()

    def action_detail(self) -> None:
        if (where := self._selected()) is not None:
            self.push_screen(RecordDetailScreen.for_row(self, *where))

    def action_reproduce(self) -> None:
        """Open the form pre-filled with the selected stored record, to edit and send again."""
        if self.refuse_write("no re-produce") or (where := self._selected()) is None:
            return
        at = (pl.col("partition") == where[0]) & (pl.col("offset") == where[1])
        rows = self.store.frame().filter(at)
        if rows.height:
            record = rows.row(0, named=True)
            record["cidade"] = str(record["cidade"])
            self.open_form(record)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:  # type: ignore[type-arg]
        """The command palette offers every action of the help, plus Textual's own, each
        once; where both have one (Quit), ours, which says what it does."""
        ours = [a for a in ACTIONS if not (self.read_only and a.action in WRITES)]
        labels = {a.label for a in ours}
        yield from (c for c in super().get_system_commands(screen) if c.title not in labels)
        for action in ours:
            yield SystemCommand(
                action.label,
                action.description,
                lambda name=action.action: self._run_chosen(name),
            )

    async def _run_chosen(self, action: str) -> None:
        """A command chosen in the palette: where a text field has the focus (its key
        would be typed there, see ``check_action``), the field gives the focus up first."""
        if self._typed(action):
            self.screen.set_focus(None)
        await self.run_action(action)

    def _typed(self, action: str) -> bool:
        """Whether the action's key goes into the focused text field as typing."""
        focused, key = self.screen.focused, ACTION_KEYS.get(action)
        if focused is None or key is None:
            return False
        return focused.check_consume_key(key, TYPED_CHARACTERS.get(key) or key_to_character(key))

    def action_quit(self) -> None:  # type: ignore[override]
        """Stop the loops, flush the producer (bounded), stop the broker, then exit."""
        if self._quitting:
            return
        self._quitting = True
        self.pipeline.stop()
        self._close_pipeline()

    @work(thread=True, exit_on_error=False, group="shutdown", name="close-pipeline")
    def _close_pipeline(self) -> None:
        lost = self.pipeline.close()
        if lost:
            self.loss = self.pipeline.loss_report(lost)
        self.call_from_thread(self.exit, return_code=1 if lost else 0)

