"""The shared producer's control channel, for ``rtd-tui serve``.

``serve`` runs one producer for every browser tab. Each tab's dashboard is its own
process, so ``p``, ``+`` and ``-`` reach that producer through a Unix socket in a
private (0700) folder owned by ``serve``: one JSON line per request, one JSON line
of state per answer. ``ControlServer`` answers with the real ``ProducerControl``
and ``ProducerStats``; ``RemoteProducerControl`` is the tabs' stand-in with the
same interface, so the app's actions do not know where the producer runs.
With ``read_only`` the server refuses every change, whatever a tab asks. A new tab
also gets its settings here (``fetch_session``), so they are never written to disk.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtd_tui.producer import ProducerControl, ProducerStats, RateAtLimit

log = logging.getLogger(__name__)

#: How long a tab waits for an answer; the socket is local, answers take microseconds.
REQUEST_TIMEOUT_S = 1.0


class ControlRefused(RuntimeError):
    """The server refused a change (``serve --read-only``) or could not be reached."""


@dataclass(frozen=True, slots=True)
class ProducerState:
    """What every tab shows of the shared producer."""

    enabled: bool
    rate: float | None
    stats: ProducerStats


def _state_of(control: ProducerControl, stats: ProducerStats) -> dict[str, Any]:
    return {
        "enabled": control.enabled, "rate": control.rate, "sent": stats.sent,
        "delivered": stats.delivered, "failed": stats.failed, "last_error": stats.last_error,
    }


class ControlServer:
    """Serve ``control`` and ``stats`` on ``path`` from a thread until ``close()``."""

    def __init__(
        self, path: Path, control: ProducerControl, stats: ProducerStats, *, read_only: bool,
        session: dict[str, Any] | None = None,
    ) -> None:
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                owner._clients.add(self.connection)
                try:
                    for line in self.rfile:
                        self.wfile.write(json.dumps(owner.answer(line)).encode() + b"\n")
                finally:
                    owner._clients.discard(self.connection)

        self.control = control
        self.stats = stats
        self.read_only = read_only
        self.session = session  # what ``fetch_session`` gets (JSON values)
        self.path = path
        self._clients: set[socket.socket] = set()  # open connections, ended by close()
        self._server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
        self._server.daemon_threads = True
        path.chmod(0o600)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.2,), name="control", daemon=True
        )
        self._thread.start()

    def answer(self, line: bytes) -> dict[str, Any]:
        """One request (``state``, ``session``, ``toggle``, ``scale`` with ``factor``) to its
        answer."""
        try:
            request = json.loads(line)
            op = request["op"]
        except (ValueError, KeyError, TypeError):
            return {"error": "malformed request"}
        if op == "session":
            return {"session": self.session} if self.session else {"error": "no session here"}
        if op != "state":
            if self.read_only:
                return {"error": "read-only: the producer cannot be changed"}
            if op == "toggle":
                self.control.toggle()
            elif op == "scale" and isinstance(request.get("factor"), int | float):
                try:
                    self.control.scale(float(request["factor"]))
                except RateAtLimit as exc:
                    return {"error": str(exc)}
            else:
                return {"error": f"unknown request {op!r}"}
        return _state_of(self.control, self.stats)

    def close(self) -> None:
        """Stop accepting, end the open connections, remove the socket file."""
        self._server.shutdown()
        self._server.server_close()
        for client in list(self._clients):
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        self.path.unlink(missing_ok=True)


def fetch_session(path: Path) -> Any:
    """The session the ``ControlServer`` at ``path`` holds; ``ControlRefused`` if none."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(REQUEST_TIMEOUT_S)
            sock.connect(str(path))
            sock.sendall(b'{"op": "session"}\n')
            answer = json.loads(sock.makefile("rb").readline() or b"{}")
    except (OSError, ValueError) as exc:
        raise ControlRefused(f"cannot reach serve at {path}: {exc}") from None
    if "session" not in answer:
        raise ControlRefused(answer.get("error", "no answer from serve"))
    return answer["session"]


class RemoteProducerControl(ProducerControl):
    """A tab's view of the shared producer: reads and changes go over the socket.

    The last state received is kept, so a status line drawn while ``serve`` is
    shutting down shows the last known state instead of failing.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(enabled=False, rate=None)
        self.path = path
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self._lock_io = threading.Lock()
        self.state = ProducerState(False, None, ProducerStats())

    def _request(self, **request: Any) -> ProducerState:
        with self._lock_io:
            try:
                if self._sock is None:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    sock.settimeout(REQUEST_TIMEOUT_S)
                    sock.connect(str(self.path))
                    self._sock, self._reader = sock, sock.makefile("rb")
                self._sock.sendall(json.dumps(request).encode() + b"\n")
                answer = json.loads(self._reader.readline() or b"{}")
            except (OSError, ValueError) as exc:
                self._drop()
                raise ControlRefused(f"shared producer unreachable: {exc}") from None
        if "error" in answer or "enabled" not in answer:
            raise ControlRefused(answer.get("error", "no answer from the shared producer"))
        stats = ProducerStats(answer["sent"], answer["delivered"], answer["failed"],
                              answer["last_error"])
        self.state = ProducerState(answer["enabled"], answer["rate"], stats)
        return self.state

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = self._reader = None

    def refresh(self) -> ProducerState:
        """Ask for the current state; the last known one if ``serve`` does not answer."""
        try:
            return self._request(op="state")
        except ControlRefused as exc:
            log.debug("%s", exc)
            return self.state

    @property
    def enabled(self) -> bool:
        return self.state.enabled

    @property
    def rate(self) -> float | None:
        return self.state.rate

    def set_enabled(self, enabled: bool) -> None:
        if self.refresh().enabled != enabled:
            self.toggle()

    def toggle(self) -> bool:
        """Flip the shared producer; raises ``ControlRefused`` when refused."""
        return self._request(op="toggle").enabled

    def scale(self, factor: float) -> float | None:
        """Scale the shared producer's rate; raises ``ControlRefused`` when refused."""
        return self._request(op="scale", factor=factor).rate

    def close(self) -> None:
        with self._lock_io:
            self._drop()
