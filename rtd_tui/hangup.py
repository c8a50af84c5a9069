"""A terminal that goes away (its window closed, its ssh session dropped, the program that
held the pseudo-terminal killed) ends the dashboard instead of leaving it running.

It shows in one of two ways: SIGHUP, when the terminal is the process's controlling
terminal; or, when it is not, only the terminal's descriptors failing (EIO), which
Textual does not notice: its input thread reads end-of-file in a loop and its writer
thread dies, so the process spins with no one to see it. Either way the descriptors are
first pointed at /dev/null, so the quit path (which restores the terminal by writing to
them) can neither fail nor block, and then the app quits as on SIGTERM: producer flushed
(bounded), consumer closed.
"""

from __future__ import annotations

import errno
import os
import signal
import termios
from collections.abc import Callable
from types import FrameType
from typing import Any

#: stdin, stdout, stderr: what a terminal program holds of its terminal.
TERMINAL_FDS = (0, 1, 2)


def terminal_gone(fd: int = 0) -> bool:
    """True when ``fd`` was a terminal that has been hung up (ioctls fail with EIO)."""
    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return bool(exc.args) and exc.args[0] in (errno.EIO, errno.ENXIO)
    return False


def detach_terminal() -> None:
    """Point stdin, stdout and stderr at /dev/null: nothing can reach the terminal now."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in TERMINAL_FDS:
            os.dup2(null, fd)
    finally:
        os.close(null)


class HangUpWatch:
    """Calls ``on_hang_up`` once, after detaching, when the terminal on fd 0 goes away."""

    def __init__(self, on_hang_up: Callable[[], Any]) -> None:
        self._on_hang_up = on_hang_up
        self._watching = os.isatty(0)
        self.hung_up = False

    def install(self) -> None:
        """Handle SIGHUP (main thread only): detach at once, before another write fails."""
        signal.signal(signal.SIGHUP, self._signal)

    def _signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._hang_up()

    def check(self) -> None:
        """For a timer: a terminal that is gone without a SIGHUP (not our controlling one)."""
        if self._watching and not self.hung_up and terminal_gone(0):
            self._hang_up()

    def _hang_up(self) -> None:
        if self.hung_up:
            return
        self.hung_up = True
        detach_terminal()
        self._on_hang_up()
