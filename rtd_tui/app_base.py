"""The Textual app's running part: wires the pipeline to the screens, runs the workers.

Ingest and render are separate: worker threads run the producer and consumer
loops and never touch a widget; a timer on the UI thread takes a store snapshot
and redraws. ``_needs_redraw`` is the one place that decides whether the data views
are drawn on a tick: only when what they show changed (or a figure that moves with
time, a decaying rate, needs it), the view is not paused and the dashboard is on
screen. An unchanged view costs nothing but the status line, and only when its text
changes.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from rtd_tui.filters import describe
from rtd_tui.garbage import GC_EVERY_S, GarbageTimer
from rtd_tui.hangup import HangUpWatch
from rtd_tui.pipeline import Pipeline, PipelineStatus
from rtd_tui.screens.dashboard import DashboardScreen
from rtd_tui.screens.produce_form import sample_generator
from rtd_tui.store import DashboardStore, RecordFilter
from rtd_tui.widgets.metrics import MetricsBar
from rtd_tui.widgets.status import StatusLine
from rtd_tui.widgets.throughput import ThroughputChart

#: How often the app looks for the first records after start (then: every refresh),
#: and for how long (a topic that stays empty costs no more than the refresh tick).
FIRST_DATA_POLL_S = 0.05
FIRST_DATA_FOR_S = 5.0
#: How often the app checks that its terminal is still there (when it is not the
#: controlling terminal, a hang-up sends no SIGHUP).
HANG_UP_CHECK_S = 1.0
#: The status line says "last message N s ago" after this many quiet refreshes (or 2 s).
STALE_REFRESHES = 4
STALE_MIN_S = 2.0

class DashboardApp(App[int]):
    """The app's running part: the pipeline's workers, the refresh timer and the one
    decision whether a tick draws the data views; ``RtdApp`` adds the keys."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        clock: Callable[[], datetime] = datetime.now,
        run_workers: bool = True,
        handle_signals: bool = False,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.read_only = read_only  # `serve --read-only`: nothing is written to the topic
        self.pipeline = pipeline
        self.store: DashboardStore = pipeline.store
        self.clock = clock
        self.run_workers = run_workers
        self.handle_signals = handle_signals
        self.paused = False
        self.redraws = 0
        self.updated: datetime | None = None
        self._drawn_version: int | None = None
        self._first_data_until = 0.0
        self.record_filter = RecordFilter()
        self._covered: int | None = None  # raw rows the shown filtered figures cover
        self._notices_told = 0  # the stream's notices already shown as a toast
        self._quitting = False
        self.last_export: Path | None = None
        self.loss = ""  # why the exit status is 1: records not delivered
        self._first_data: Timer | None = None
        self.garbage = GarbageTimer()

    async def on_mount(self) -> None:
        await self.push_screen(DashboardScreen())
        self.redraw(force=True)
        self.garbage.start()
        self.set_interval(GC_EVERY_S, self.garbage.tick)
        self.set_interval(self.pipeline.settings.refresh, self.redraw)
        if self.run_workers:
            self._produce()
            self._consume()
            self._watch_lag()
            self._first_data_until = self._loop_time() + FIRST_DATA_FOR_S
            self._first_data = self.set_interval(FIRST_DATA_POLL_S, self._show_first_data)
        if self.handle_signals:
            try:
                loop = asyncio.get_running_loop()
                loop.add_signal_handler(signal.SIGTERM, self._quit_soon)
            except (NotImplementedError, RuntimeError):
                pass
            else:
                watch = HangUpWatch(lambda: loop.call_soon_threadsafe(self._quit_soon))
                watch.install()
                self.set_interval(HANG_UP_CHECK_S, watch.check)

    def _show_first_data(self) -> None:
        """Until the first records are drawn, look for them often: a user who just started
        the app should not wait up to a whole refresh interval to see data arrive."""
        if self._first_data is None:
            return
        if self.store.version != self._drawn_version:
            self._first_data.stop()
            self.redraw()
            if not self.read_only:  # a read-only view has no produce form
                self._build_form_samples()
        elif self._loop_time() > self._first_data_until:
            self._first_data.stop()

    def _loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    @work(thread=True, exit_on_error=False, group="form-sample", name="form-samples")
    def _build_form_samples(self) -> None:
        """Build the produce form's generator once data shows, so the form opens drawn."""
        sample_generator()

    def on_unmount(self) -> None:
        """However the app ends (an error included), the loops stop and the broker goes."""
        self.garbage.stop()
        if not self._quitting:
            self._quitting = True
            self.pipeline.close()

    def _quit_soon(self) -> None:
        self.call_later(self.action_quit)

    @work(thread=True, exit_on_error=False, group="kafka", name="producer")
    def _produce(self) -> None:
        self.pipeline.run_producer()

    @work(thread=True, exit_on_error=False, group="kafka", name="consumer")
    def _consume(self) -> None:
        self.pipeline.run_consumer()

    @work(thread=True, exit_on_error=False, group="kafka", name="lag")
    def _watch_lag(self) -> None:
        self.pipeline.run_lag_watch()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that dies becomes a visible error, never a traceback on screen."""
        if event.state is WorkerState.ERROR and not self._quitting:
            self.notify(
                f"{event.worker.name} stopped: {event.worker.error}", severity="error", timeout=30
            )

    def redraw(self, force: bool = False) -> None:
        """Timer tick: the data views when ``_needs_redraw`` says so (or ``force``);
        the status line every tick, which repaints it only when its text changed."""
        screen = self.dashboard
        if screen is None or self._quitting:
            return
        try:
            status_line = screen.query_one(StatusLine)
        except NoMatches:  # the screen is being built or torn down
            return
        status = self.pipeline.status()
        self._tell(status)
        self.pipeline.sample_throughput()  # at most one sample a second, views or not
        live = self.store.liveness()  # rates on their own clock: they fall when data stops
        with self.batch_update():
            if force or self._needs_redraw(screen):
                snap = self.store.snapshot(self.record_filter)
                screen.show(snap)
                self._covered = snap.covered
                if snap.version != self._drawn_version:  # "updated" follows data, not timers
                    self.updated = self.clock()
                self._drawn_version = snap.version
                self.redraws += 1
            if not self.paused and self._on_screen(screen):
                screen.query_one(MetricsBar).show_rate(live.rate)
                screen.query_one(ThroughputChart).show(self.pipeline.throughput, live.rate)
        stale = live.idle if live.idle is not None and live.idle >= self.stale_after else None
        lag = status.lag.total.seconds
        behind = lag if lag is not None and lag >= self.stale_after else None
        status_line.show(status, self.updated, self.paused, self._filter_text(), idle=stale,
                         behind=behind)

    def _tell(self, status: PipelineStatus) -> None:
        """A toast for the stream's new notices (offsets reused): the newest, and how many
        more the stream view lists."""
        new, self._notices_told = status.notice_count - self._notices_told, status.notice_count
        if new > 0 and status.notices:
            more = f" (and {new - 1} more: s shows them)" if new > 1 else ""
            self.notify(status.notices[-1] + more, severity="warning", timeout=15)

    def _filter_text(self) -> str:
        """The active filter and what its figures cover: the window, not every record."""
        if not self.record_filter.active:
            return ""
        covered = "" if self._covered is None else f" (last {self._covered:,} records)"
        return describe(self.record_filter) + covered

    @property
    def stale_after(self) -> float:
        """Seconds without a message before the status line says how long it has been."""
        return max(STALE_REFRESHES * self.pipeline.settings.refresh, STALE_MIN_S)

    def _needs_redraw(self, screen: DashboardScreen) -> bool:
        """The one decision whether a tick draws the data views."""
        if self.paused or not self._on_screen(screen):
            return False
        return self.store.version != self._drawn_version

    def _on_screen(self, screen: DashboardScreen) -> bool:
        """The dashboard is seen: on top, or under a dialog. Hidden, it is not fed; it
        catches up when it shows again (``pop_screen``)."""
        top = self.screen
        return top is screen or (isinstance(top, ModalScreen) and self.screen_stack[-2] is screen)

    def pop_screen(self) -> AwaitComplete:
        """Close the top screen; a dashboard seen again catches up at once, not a tick later."""
        done = super().pop_screen()
        self.call_next(self.redraw)
        return done

    @property
    def dashboard(self) -> DashboardScreen | None:
        """The dashboard screen, wherever it sits in the stack (None before it mounts)."""
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen) and screen.is_mounted:
                return screen
        return None
