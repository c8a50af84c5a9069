"""``rtd-tui serve``: the dashboard in a browser, every tab on one shared stream.

``serve`` owns the data source: the embedded broker (or ``-b`` for a cluster) and one
producer, with its control socket. textual-serve (aiohttp + xterm.js) starts one
dashboard process per browser tab (``rtd_tui.tab``) and relays its terminal over a
websocket. The rules when several people watch:

- ``p``, ``+`` and ``-`` act on the shared producer; every tab's status line shows it.
- ``c``, ``r``, ``/``, ``space`` and the views are per tab: each tab has its own store.
- ``--read-only`` refuses the producer controls, the produce form, delete and
  re-produce, in the tabs and in the control socket.

Closing a tab ends its dashboard; Ctrl-C or SIGTERM ends every tab, then the producer
(flushed, bounded) and the broker. Secrets from ``-X``/``-F`` go to the tabs through
the control socket (``session``): never on disk, a command line or the page. The
socket's private folder is removed on exit, or by the next ``serve`` after a SIGKILL
(``scratch``). Only the Host names ``serve`` listens for are answered
(``web_server``).
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rtd_tui.config import MIN_WINDOW, Settings
from rtd_tui.control import ControlServer
from rtd_tui.pipeline import Pipeline
from rtd_tui.scratch import owned_folder
from rtd_tui.session import SESSION_ENV, Session
from rtd_tui.store import RecordStore
from rtd_tui.web_server import TAB_MODULE, AllowedHosts, DashboardServer

EXIT_FAILURE = 1
FOLDER_PREFIX = "rtd-tui-serve-"


def is_loopback(host: str) -> bool:
    """True when only this machine can reach ``host`` (``localhost`` or a loopback IP)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int, read_only: bool) -> str | None:
    """The warning ``serve`` prints when it listens beyond loopback (None on loopback)."""
    if is_loopback(host):
        return None
    what = "watch the stream" if read_only else "produce and delete records"
    return (f"rtd-tui serve: warning: listening on {host}:{port}: anyone who can reach this "
            f"port can {what}, without a password")


class SharedStream:
    """The broker and the one producer every tab watches, with the producer's control socket."""

    def __init__(self, settings: Settings, folder: Path, *, read_only: bool) -> None:
        # The pipeline's consumer and store stay unused: each tab consumes on its own.
        self.pipeline = Pipeline(settings, RecordStore(window=MIN_WINDOW))
        self.pipeline.start(lambda line: print(f"rtd-tui serve: {line}", file=sys.stderr))
        producer = self.pipeline.producer
        assert producer is not None
        self._thread = threading.Thread(
            target=self.pipeline.run_producer, name="shared-producer", daemon=True
        )
        self._thread.start()
        self.control = ControlServer(
            folder / "control.sock", self.pipeline.control, producer.stats, read_only=read_only
        )

    @property
    def bootstrap(self) -> str:
        return self.pipeline.bootstrap

    def close(self) -> int:
        """Stop the socket, flush the producer, stop the broker; returns records lost."""
        self.control.close()
        return self.pipeline.close()


def run_serve(
    settings: Settings, host: str, port: int, *, read_only: bool, allow_hosts: Sequence[str] = ()
) -> int:
    """Start the shared stream and serve the dashboard until stopped; the exit status."""
    if (warning := exposure_warning(host, port, read_only)) is not None:
        print(warning, file=sys.stderr, flush=True)
    with owned_folder(FOLDER_PREFIX) as folder:  # mode 0700
        try:
            shared = SharedStream(settings, folder, read_only=read_only)
        except RuntimeError as exc:  # the embedded broker did not start
            print(f"rtd-tui serve: error: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        try:
            tab_settings = replace(settings, bootstrap_servers=shared.bootstrap)
            shared.control.session = Session(
                tab_settings, shared.control.path, read_only, shared.pipeline.broker_label,
                os.getpid(),
            ).to_json()
            os.environ[SESSION_ENV] = str(shared.control.path)  # inherited by every tab
            server = DashboardServer(
                f"exec {shlex.quote(sys.executable)} -m {TAB_MODULE}", host, port,
                title=f"rtd-tui · {settings.topic}",
                banner=_banner(settings, shared.bootstrap, host, port, read_only),
                allowed=AllowedHosts(host, allow_hosts),
            )
            try:
                server.serve()
            except OSError as exc:
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                print(f"rtd-tui serve: error: cannot listen on {host}:{port}: {reason}",
                      file=sys.stderr)
                return EXIT_FAILURE
        finally:
            lost = shared.close()
        return EXIT_FAILURE if lost else 0


def _banner(settings: Settings, bootstrap: str, host: str, port: int, read_only: bool) -> str:
    broker = f"embedded broker {bootstrap}" if settings.embedded else bootstrap
    url_host = f"[{host}]" if ":" in host else host
    mode = ", read-only" if read_only else ""
    return (f"rtd-tui serve: http://{url_host}:{port}/ (topic {settings.topic!r} on {broker}"
            f"{mode}). Ctrl-C stops it.")
