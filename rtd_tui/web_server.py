"""The web side of ``rtd-tui serve``: textual-serve's server, used through its public API.

textual-serve 1.1.3's ``Server`` gives public handlers (``handle_websocket`` runs one
tab's process and relays its terminal, ``handle_download`` serves exports) but builds
its aiohttp application in a private method and renders a page that loads a font from
another site. ``DashboardServer`` keeps the public handlers and carries the rest as an
upstream-shaped change, pinned to that exact version (``TEXTUAL_SERVE_VERSION``; a
test fails on upgrade, so this module is read again then):

- ``make_app`` is upstream's application (same routes and names), public, with a
  Host check in front of every route;
- the page is upstream's template with a ``<title>`` and nothing loaded from elsewhere
  (``web/index.html``), rendered here.

The Host check is the defence against DNS rebinding: a page on ``evil.example`` whose
name resolves to 127.0.0.1 reaches this port with ``Host: evil.example``. Only the
names ``serve`` listens for are answered (``AllowedHosts``); anything else gets 421
before any page or websocket, and a websocket's Origin must be the page's own.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

TEXTUAL_SERVE_VERSION = "1.1.3"
#: How long Ctrl-C waits for the tabs to quit on their own before they are killed.
STOP_TABS_TIMEOUT_S = 5.0
TAB_MODULE = "rtd_tui.tab"
PAGE = Path(__file__).with_name("web") / "index.html"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def host_name(netloc: str) -> str | None:
    """The name in a Host header or an origin's netloc (no port, no brackets, lower case)."""
    try:
        return urlsplit(f"//{netloc}").hostname or None
    except ValueError:
        return None


class AllowedHosts:
    """The Host names ``serve`` answers: loopback, the ``--host`` value, the ``--allow-host``
    names; listening on every address (0.0.0.0 or ::) also admits any IP literal, which a
    rebinding page cannot use (its Host is a name)."""

    def __init__(self, listen_host: str, extra: Iterable[str] = ()) -> None:
        listen = host_name(listen_host) or listen_host
        self.names = frozenset(
            name.lower() for name in (*LOOPBACK_NAMES, listen, *extra)
        )
        self.any_ip = listen in WILDCARDS

    def allows(self, netloc: str) -> bool:
        name = host_name(netloc)
        if name is None:
            return False
        if name in self.names:
            return True
        if not self.any_ip:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


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


class DashboardServer(Server):
    """textual-serve's server with a Host check, a titled page, a same-origin websocket,
    a banner once the port is bound and a shutdown that ends every tab."""

    def __init__(
        self, command: str, host: str, port: int, *, title: str, banner: str,
        allowed: AllowedHosts,
    ) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.banner = banner
        self.allowed = allowed
        self.page = Template(PAGE.read_text(encoding="utf-8"))

    def initialize_logging(self) -> None:
        """Logs already go to rtd-tui's log file (``setup_logging``), never to the console."""

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: the banner is printed once the port is bound (``serve``)."""

    async def make_app(self) -> web.Application:
        """The application: upstream's routes (``handle_index`` names them) behind the Host
        check."""
        app = web.Application(middlewares=[self.check_host])
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def check_host(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """421 for a Host this server does not listen for (DNS rebinding), before any route."""
        host = request.headers.get("Host", "")
        if not self.allowed.allows(host):
            raise web.HTTPMisdirectedRequest(
                text=f"rtd-tui serve does not answer for host {host!r}; "
                "`rtd-tui serve --allow-host NAME` admits a name (e.g. a reverse proxy's)"
            )
        return await handler(request)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, titled, with URLs for the host the browser used (not 0.0.0.0)."""
        base = f"{request.scheme}://{request.host}"
        websocket = ("wss" if request.scheme == "https" else "ws") + f"://{request.host}/ws"
        try:
            font_size = int(request.query.get("fontsize", "16"))
        except ValueError:
            font_size = 16
        page = self.page.substitute(
            title=html.escape(self.title), static=html.escape(f"{base}/static/"),
            websocket=html.escape(websocket), font_size=font_size,
        )
        return web.Response(text=page, content_type="text/html")

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Refuse a websocket opened by another site's page (it could drive a dashboard)."""
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
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
        runner = web.AppRunner(await self.make_app(), shutdown_timeout=STOP_TABS_TIMEOUT_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            print(self.banner, flush=True)  # only now can a browser connect
            await stop.wait()
        finally:
            await runner.cleanup()  # on_shutdown ends the tabs

