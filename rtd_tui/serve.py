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
a 0600 session file, never through a command line or the page.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

from rtd_tui.config import MIN_WINDOW, Settings
from rtd_tui.control import ControlServer
from rtd_tui.pipeline import Pipeline
from rtd_tui.store import RecordStore
from rtd_tui.tab import SESSION_ENV, Session

#: How long Ctrl-C waits for the tabs to quit on their own before they are killed.
STOP_TABS_TIMEOUT_S = 5.0
TAB_MODULE = "rtd_tui.tab"
EXIT_FAILURE = 1
#: The page's stylesheets: textual-serve's own xterm.css (served here, under the page's
#: host) and a web font service's font, which the page works without.
_STYLESHEET = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<href>[^"]*)"\s*/?>')


def _own(link: re.Match[str], host: str) -> str:
    """A stylesheet link kept when it comes from this server, dropped otherwise: nothing
    loads from elsewhere, and xterm.css (which hides xterm's input box) stays."""
    href = urlsplit(link["href"])
    return link[0] if not href.netloc or href.netloc == host else ""


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


def tab_processes(parent: int) -> list[int]:
    """Live ``rtd_tui.tab`` processes started by ``parent`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[1]) == parent and stat[0] != "Z" and TAB_MODULE.encode() in cmdline:
            found.append(int(entry.name))
    return found


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


class DashboardServer(Server):
    """textual-serve's server with a page title, a same-origin websocket and a shutdown
    that ends every tab."""

    def __init__(self, command: str, host: str, port: int, title: str, banner: str) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.banner = banner

    def initialize_logging(self) -> None:
        """Logs already go to rtd-tui's log file (``setup_logging``), never to the console."""

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: the banner is printed once the port is bound (``_run``)."""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, titled, with URLs for the host the browser used (not 0.0.0.0)."""
        self.public_url = f"{request.scheme}://{request.host}"
        response = await super().handle_index(request)
        assert isinstance(response, web.Response)
        title = f"<head>\n    <title>{html.escape(self.title)}</title>"
        page = (response.text or "").replace("<head>", title, 1)
        response.text = _STYLESHEET.sub(lambda m: _own(m, request.host), page)
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Refuse a websocket opened by another site's page (it could drive a dashboard)."""
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            raise web.HTTPForbidden(text="cross-origin websocket refused")
        return await super().handle_websocket(request)

    async def on_shutdown(self, app: web.Application) -> None:
        """Ask every tab to quit (SIGTERM: it flushes and exits), kill what is left."""
        tabs = tab_processes(os.getpid())
        for pid in tabs:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TABS_TIMEOUT_S
        while (tabs := tab_processes(os.getpid())) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for pid in tabs:
            os.kill(pid, signal.SIGKILL)

    def serve(self, debug: bool = False) -> None:
        """Run until SIGINT or SIGTERM (raises ``OSError`` when the port cannot be bound)."""
        asyncio.run(self._run())

    async def _run(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        runner = web.AppRunner(await self._make_app(), shutdown_timeout=STOP_TABS_TIMEOUT_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            print(self.banner, flush=True)  # only now can a browser connect
            await stop.wait()
        finally:
            await runner.cleanup()  # on_shutdown ends the tabs


def run_serve(settings: Settings, host: str, port: int, *, read_only: bool) -> int:
    """Start the shared stream and serve the dashboard until stopped; the exit status."""
    if (warning := exposure_warning(host, port, read_only)) is not None:
        print(warning, file=sys.stderr, flush=True)
    folder = Path(tempfile.mkdtemp(prefix="rtd-tui-serve-"))  # mode 0700
    try:
        try:
            shared = SharedStream(settings, folder, read_only=read_only)
        except RuntimeError as exc:  # the embedded broker did not start
            print(f"rtd-tui serve: error: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        try:
            session_file = folder / "session.json"
            tab_settings = replace(settings, bootstrap_servers=shared.bootstrap)
            Session(tab_settings, shared.control.path, read_only,
                    shared.pipeline.broker_label, os.getpid()).save(session_file)
            os.environ[SESSION_ENV] = str(session_file)  # inherited by every tab
            server = DashboardServer(
                f"exec {shlex.quote(sys.executable)} -m {TAB_MODULE}", host, port,
                title=f"rtd-tui · {settings.topic}",
                banner=_banner(settings, shared.bootstrap, host, port, read_only),
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
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _banner(settings: Settings, bootstrap: str, host: str, port: int, read_only: bool) -> str:
    broker = f"embedded broker {bootstrap}" if settings.embedded else bootstrap
    url_host = f"[{host}]" if ":" in host else host
    mode = ", read-only" if read_only else ""
    return (f"rtd-tui serve: http://{url_host}:{port}/ (topic {settings.topic!r} on {broker}"
            f"{mode}). Ctrl-C stops it.")
