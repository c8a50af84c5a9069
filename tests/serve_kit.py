"""Helpers for the browser tests: `rtd-tui serve` in a subprocess, and a dashboard tab in
headless Chromium whose terminal text is read from xterm.js's buffer.

textual-serve keeps its xterm.js ``Terminal`` in a closure; ``TERMINAL_HOOK`` runs before
the page's scripts and catches it when the page assigns ``this.terminal = new Terminal()``,
so a test reads exactly the characters the browser holds (not pixels, not a canvas).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RTD
from playwright.sync_api import Page

from rtd_tui.web_server import tab_processes

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TERMINAL_HOOK = """
window.__rtdTerminals = [];
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal",
      {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer) window.__rtdTerminals.push(value);
  },
});
"""
READ_SCREEN = """() => {
  const term = window.__rtdTerminals[0];
  if (!term) return "";
  const buffer = term.buffer.active, lines = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}"""
#: Starting a tab costs a few seconds of CPU; the machine running the tests may be busy.
TAB_START_S = 60.0


def require_chromium() -> str:
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: `apt-get install chromium` (.ci/run does)")
    return CHROMIUM


def serve_environment(tmp: Path) -> dict[str, str]:
    """No RTD_* from the developer's shell; logs, exports and serve's folder in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTD_")}
    env.update(XDG_STATE_HOME=str(tmp / "state"), TMPDIR=str(tmp))
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """`rtd-tui serve` on a free port, in its own session (signals reach it alone)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [*RTD, "serve", "--port", str(self.port), *args], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
        )
        assert self.proc.stdout is not None
        self.banner = self.proc.stdout.readline()  # printed once it listens
        if "rtd-tui serve: http" not in self.banner:
            self.proc.kill()
            _out, err = self.proc.communicate()
            raise AssertionError(f"serve did not start: {self.banner!r} {err!r}")
        self.url = f"http://127.0.0.1:{self.port}/"

    def tabs(self) -> list[int]:
        return tab_processes(self.proc.pid)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> tuple[int, str]:
        """Signal serve and wait; its exit status and what it wrote on stderr."""
        self.proc.send_signal(signum)
        try:
            _out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"serve still running {timeout} s after {signum}") from None
        return self.proc.returncode, err

    def close(self) -> None:
        """End serve the way a user does (SIGTERM), so its tabs end too; kill if stuck."""
        if self.proc.poll() is None:
            try:
                self.stop()
            finally:
                self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


class Tab:
    """One browser tab on the dashboard; ``screen()`` is the terminal's text."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        page.add_init_script(TERMINAL_HOOK)
        page.goto(url)

    def screen(self) -> str:
        return str(self.page.evaluate(READ_SCREEN))

    def wait_for(
        self, check: Callable[[str], bool], what: str, timeout: float = TAB_START_S
    ) -> str:
        """Poll the screen until ``check`` holds; fail with the last screen otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout:.0f} s; screen:\n{text}")
            time.sleep(0.25)

    def wait_text(self, needle: str, timeout: float = TAB_START_S) -> str:
        return self.wait_for(lambda text: needle in text, repr(needle), timeout)

    def press(self, *keys: str) -> None:
        """Type into the terminal, as a user with the tab focused does."""
        self.page.locator("textarea.xterm-helper-textarea").focus()
        for key in keys:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def records(self) -> int | None:
        """The Records card's number (None before the dashboard is drawn)."""
        return card_value(self.screen(), "Records")

    def wait_records(self, check: Callable[[int], bool], what: str,
                     timeout: float = TAB_START_S) -> int:
        text = self.wait_for(
            lambda s: (n := card_value(s, "Records")) is not None and check(n), what, timeout
        )
        value = card_value(text, "Records")
        assert value is not None
        return value


def card_value(screen: str, title: str) -> int | None:
    """The number in the metric card titled ``title`` (``╭─ Records ───╮`` above it)."""
    lines = screen.splitlines()
    for row, line in enumerate(lines[:-1]):
        start = line.find(f"─ {title} ")
        if start < 0:
            continue
        end = line.find("╮", start)
        digits = re.sub(r"[^\d]", "", lines[row + 1][start:end])
        return int(digits) if digits else None
    return None


def producer_state(screen: str) -> str | None:
    """``ON 5.0/s``-like or ``OFF``, from the status line."""
    found = re.search(r"producer (ON \S+|OFF)", screen)
    return found.group(1) if found else None


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (children, theirs, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        kids = [pid for pid, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def session_files(tmp: Path) -> list[Path]:
    """serve's private folders under ``tmp`` (TMPDIR of the serve process)."""
    return sorted(tmp.glob("rtd-tui-serve-*"))
