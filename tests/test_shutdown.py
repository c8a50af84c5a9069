"""The dashboard in a real terminal (a pty): q, Ctrl-C and SIGTERM all end it cleanly.

Each run starts `rtd-tui` exactly as a user does (embedded broker, producer, consumer),
waits until records are on screen, asks it to stop, and checks the exit status, the time
it took, that the terminal was restored, that no child process is left, and that no
secret ever reached the screen or the log.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import subprocess
import termios
import time
from pathlib import Path

import pytest
from conftest import RTD

SECRET = "s3cr3t-Pa55word"


class Terminal:
    """`rtd-tui` on a pseudo-terminal, with everything it draws kept as bytes."""

    def __init__(self, args: list[str], env: dict[str, str], controlling: bool = False) -> None:
        master, slave = pty.openpty()
        os.set_blocking(master, False)
        env = {**env, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "50"}
        self.proc = subprocess.Popen(
            [*RTD, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
            start_new_session=True, preexec_fn=_take_terminal if controlling else None,
        )
        os.close(slave)
        self.master = master
        self.screen = b""

    def read(self, timeout: float) -> None:
        if self.master < 0:  # hung up: nothing more to read
            time.sleep(timeout)
            return
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                while chunk := os.read(self.master, 65536):
                    self.screen += chunk
            except (BlockingIOError, OSError):
                pass

    def wait_for(self, text: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{text!r} not on screen; tail: {self.screen[-500:]!r}")
            self.read(0.2)

    def wait_exit(self, timeout: float) -> tuple[int, float]:
        started = time.monotonic()
        while self.proc.poll() is None:
            if time.monotonic() - started > timeout:
                self.proc.kill()
                raise AssertionError(f"still running after {timeout}s")
            self.read(0.05)
        self.read(0.1)
        return self.proc.returncode, time.monotonic() - started

    def hang_up(self) -> None:
        """Close our end of the pty, as a terminal window that is closed does."""
        os.close(self.master)
        self.master = -1

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.master >= 0:
            os.close(self.master)


def _take_terminal() -> None:
    """In the child, already in a session of its own: the pty becomes its controlling
    terminal, so closing the master sends it SIGHUP."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def in_session(sid: int) -> list[int]:
    """Processes in session ``sid`` (from /proc): what a dashboard left behind."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[3]) == sid:
                found.append(int(entry.name))
    return found


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


@pytest.mark.parametrize("how", ["q", "ctrl+c", "SIGTERM"])
def test_quit_is_clean_fast_and_leaves_nothing(
    how: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "rtd.log"
    term = Terminal(
        ["--log-file", str(log), "--rate", "20", "-X", f"sasl.password={SECRET}",
         "-X", "client.id=rtd-test"],
        cli_env,
    )
    try:
        term.wait_for(b"connected", timeout=30)
        term.wait_for(b"R$", timeout=30)
        time.sleep(1.0)  # let a few redraws happen with data on screen
        assert children_of(term.proc.pid) == []
        if how == "q":
            os.write(term.master, b"q")
        elif how == "ctrl+c":
            os.write(term.master, b"\x03")
        else:
            term.proc.send_signal(signal.SIGTERM)
        code, _took = term.wait_exit(timeout=10)  # the time is measured by benchmarks/
    finally:
        term.close()
    assert code == 0
    assert b"Traceback" not in term.screen
    assert b"\x1b[?1049l" in term.screen  # the alternate screen was left: terminal restored
    assert SECRET.encode() not in term.screen
    assert SECRET not in log.read_text(encoding="utf-8")


def test_quit_with_an_unreachable_broker_ends_and_says_so(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Nothing waits on a broker that never answers (the time is a benchmark figure)."""
    term = Terminal(["--log-file", str(tmp_path / "rtd.log"), "-b", "127.0.0.1:9",
                     "--producer", "--rate", "50"], cli_env)
    try:
        term.wait_for(b"unreachable", timeout=30)
        os.write(term.master, b"q")
        code, _took = term.wait_exit(timeout=10)
    finally:
        term.close()
    assert code == 1  # records were queued and never delivered
    assert b"Traceback" not in term.screen


def test_records_lost_to_an_unreachable_broker_are_reported_on_exit(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """`p` then `q` against a broker nobody listens on: exit status 1 and one line on
    stderr (after the terminal is restored) saying how many records and why."""
    term = Terminal(["-b", "127.0.0.1:9", "--rate", "50", "--log-file",
                     str(tmp_path / "rtd.log")], cli_env)
    try:
        term.wait_for(b"unreachable", timeout=30)
        os.write(term.master, b"p")
        term.wait_for(b"ON 50.0/s", timeout=10)
        time.sleep(1.0)  # some records queue up that can never be delivered
        os.write(term.master, b"q")
        code, _took = term.wait_exit(timeout=15)
    finally:
        term.close()
    assert code == 1
    after = term.screen.rpartition(b"\x1b[?1049l")[2].decode()  # what follows the TUI
    after = re.sub(r"\x1b\[[?0-9;]*[A-Za-z]", "", after)  # mode resets, not text
    lines = [line for line in after.replace("\r", "").split("\n") if line.strip()]
    assert len(lines) == 1, lines
    assert re.fullmatch(
        r"rtd-tui: error: [1-9][0-9,]* records? not delivered \(broker unreachable: .+\)",
        lines[0].strip()), lines


@pytest.mark.parametrize("controlling", [True, False], ids=["sighup", "eio-only"])
def test_a_terminal_that_goes_away_ends_the_app(
    controlling: bool, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The terminal closed under a running dashboard: as its controlling terminal (SIGHUP)
    or not (only its descriptors fail), the app quits through its normal path."""
    log = tmp_path / "rtd.log"
    term = Terminal(["--log-file", str(log), "--rate", "5"], cli_env, controlling=controlling)
    try:
        term.wait_for(b"R$", timeout=30)
        term.hang_up()
        code, _took = term.wait_exit(timeout=20)  # a bound on the wait, not a timing check
    finally:
        term.close()
    assert code == 0  # quit as on SIGTERM; not killed by the signal (-1)
    assert in_session(term.proc.pid) == []
    assert "Traceback" not in log.read_text(encoding="utf-8")
