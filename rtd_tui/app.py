"""The Textual app: wires the pipeline to the screens, runs the workers, binds the keys.

Ingest and render are separate: worker threads run the producer and consumer
loops and never touch a widget; a timer on the UI thread takes a store snapshot
and redraws, only when the store changed and the view is not paused.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from rtd_tui.pipeline import Pipeline
from rtd_tui.screens.dashboard import DashboardScreen
from rtd_tui.screens.help import HelpScreen
from rtd_tui.store import RecordStore
from rtd_tui.widgets.status import StatusLine


class RtdApp(App[int]):
    """rtd-tui's dashboard application. Its return code is 1 when records were lost."""

    TITLE = "rtd-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    BINDINGS = [
        Binding("c", "clear", "Clear"),
        Binding("p", "toggle_producer", "Producer on/off"),
        Binding("plus", "faster", "Rate ×2"),
        Binding("minus", "slower", "Rate ÷2"),
        Binding("space", "pause", "Pause"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        clock: Callable[[], datetime] = datetime.now,
        run_workers: bool = True,
        handle_signals: bool = False,
    ) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.store: RecordStore = pipeline.store
        self.clock = clock
        self.run_workers = run_workers
        self.handle_signals = handle_signals
        self.paused = False
        self.redraws = 0
        self.updated: datetime | None = None
        self._drawn_version: int | None = None
        self._quitting = False

    async def on_mount(self) -> None:
        await self.push_screen(DashboardScreen())
        self.redraw(force=True)
        self.set_interval(self.pipeline.settings.refresh, self.redraw)
        if self.run_workers:
            self._produce()
            self._consume()
        if self.handle_signals:
            try:
                loop = asyncio.get_running_loop()
                loop.add_signal_handler(signal.SIGTERM, self._quit_soon)
            except (NotImplementedError, RuntimeError):
                pass

    def on_unmount(self) -> None:
        """However the app ends (an error included), the loops stop and the broker goes."""
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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that dies becomes a visible error, never a traceback on screen."""
        if event.state is WorkerState.ERROR and not self._quitting:
            self.notify(
                f"{event.worker.name} stopped: {event.worker.error}", severity="error", timeout=30
            )

    def redraw(self, force: bool = False) -> None:
        """Timer tick: status every time; data views only when the store changed."""
        screen = self.dashboard
        if screen is None:
            return
        status = self.pipeline.status()
        changed = self.store.version != self._drawn_version
        if (changed and not self.paused) or force:
            snap = self.store.snapshot()
            with self.batch_update():
                screen.show(snap)
            self._drawn_version = snap.version
            self.updated = self.clock()
            self.redraws += 1
        screen.query_one(StatusLine).show(status, self.updated, self.paused)

    @property
    def dashboard(self) -> DashboardScreen | None:
        """The dashboard screen, wherever it sits in the stack (None before it mounts)."""
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen) and screen.is_mounted:
                return screen
        return None

    # ---- actions --------------------------------------------------------------------
    def action_clear(self) -> None:
        """Forget everything shown so far; consumption continues where it is."""
        self.store.clear()
        self.redraw(force=True)
        self.notify("Cache cleared", timeout=2)

    def action_toggle_producer(self) -> None:
        on = self.pipeline.control.toggle()
        self.notify(f"Producer {'ON' if on else 'OFF'}", timeout=2)
        self.redraw()

    def action_faster(self) -> None:
        self.pipeline.control.scale(2.0)
        self.redraw()

    def action_slower(self) -> None:
        self.pipeline.control.scale(0.5)
        self.redraw()

    def action_pause(self) -> None:
        """Freeze the view; ingest goes on, and resuming shows everything that came in."""
        self.paused = not self.paused
        self.redraw()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

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
        self.call_from_thread(self.exit, return_code=1 if lost else 0)
