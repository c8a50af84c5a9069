"""What one browser tab of ``rtd-tui serve`` runs: a dashboard on the shared stream.

textual-serve starts ``python -m rtd_tui.tab`` once per tab. Its command line holds
nothing else: the settings (Kafka secrets included) come from ``serve``'s control
socket, named by the inherited ``RTD_SERVE_CONTROL`` variable (``session``), and
never touch the disk. The tab consumes the shared topic into its own
store (so ``c`` clears this tab only) and drives the shared producer through the
control socket (so ``p``, ``+`` and ``-`` act for every tab).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rtd_tui.config import ConfigError
from rtd_tui.control import ControlRefused, RemoteProducerControl, fetch_session
from rtd_tui.kafka_jars import Progress, no_progress
from rtd_tui.pipeline import FLUSH_TIMEOUT_S, Pipeline, PipelineStatus
from rtd_tui.session import SESSION_ENV, Session
from rtd_tui.store import RecordStore

if TYPE_CHECKING:
    from rtd_tui.app import RtdApp

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class TabPipeline(Pipeline):
    """A pipeline whose producer is the shared one: its own loop stays off, the controls
    and the status go to ``serve``; read-only tabs have no publisher at all."""

    def __init__(self, session: Session, store: RecordStore) -> None:
        super().__init__(replace(session.settings, producer_on=False), store)
        self.shared = RemoteProducerControl(session.control)
        self.read_only = session.read_only
        self._broker_label = session.broker

    def start(self, progress: Progress = no_progress) -> None:
        super().start(progress)
        self.control = self.shared  # after the local loop took its own, switched-off control
        if self.read_only:
            self.publisher = None

    @property
    def broker_label(self) -> str:
        """serve's broker (its embedded one is not this tab's, yet it is the one shown)."""
        return self._broker_label

    def status(self) -> PipelineStatus:
        state = self.shared.refresh()
        return replace(
            super().status(), producer_on=state.enabled, rate=state.rate, produced=state.stats
        )

    def close(self, flush_timeout: float = FLUSH_TIMEOUT_S) -> int:
        self.shared.close()
        return super().close(flush_timeout)


def make_tab_app(session: Session, *, start: bool = True) -> RtdApp:
    """The dashboard of one tab (``main`` and the tests build it the same way)."""
    settings = session.settings
    pipeline = TabPipeline(
        session, RecordStore(window=settings.window, window_bytes=settings.window_bytes)
    )
    if start:
        pipeline.start()
    from rtd_tui.app import RtdApp

    return RtdApp(
        pipeline, run_workers=start, handle_signals=True, read_only=session.read_only
    )


def end_with_owner(owner: int) -> bool:
    """Have the kernel kill this process when ``serve`` dies, however it dies (a tab is of
    no use without serve's pipes and broker); False when serve is already gone."""
    with contextlib.suppress(OSError, AttributeError):  # prctl is Linux's
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return os.getppid() == owner


def main() -> int:
    """Run one tab's dashboard under textual-serve's web driver."""
    from rtd_tui.startup import setup_logging

    # Ctrl-C on `serve` reaches its whole process group: serve ends the tabs itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if SESSION_ENV not in os.environ:
        print(f"rtd_tui.tab: run by `rtd-tui serve` only ({SESSION_ENV} is unset)",
              file=sys.stderr)
        return 2
    try:
        session = Session.from_json(fetch_session(Path(os.environ[SESSION_ENV])))
    except (ConfigError, ControlRefused) as exc:
        print(f"rtd_tui.tab: error: cannot read the serve session: {exc}", file=sys.stderr)
        return 2
    if not end_with_owner(session.owner):
        return 1
    setup_logging(session.settings.log_file)
    app = make_tab_app(session)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
