"""What a terminal shows: the app's output fed through a terminal emulator (pyte).

Benchmarks that time something "on screen" or read a figure the app shows use this,
so they see what a user's terminal would, not the bytes the app wrote.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import pyte

SIZE = (160, 50)
_DELIVERED = re.compile(r"([\d,]+) delivered")


class Screen:
    """A terminal emulator fed with the app's output; waits for what it shows."""

    def __init__(self, size: tuple[int, int] = SIZE) -> None:
        self._screen = pyte.Screen(*size)
        self._stream = pyte.ByteStream(self._screen)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._at = 0.0  # arrival time of the output shown now

    def feed(self, chunk: bytes, at: float) -> None:
        with self._lock:
            self._stream.feed(chunk)
            self._at = at
            self._changed.notify_all()

    def wait(self, shown: Callable[[list[str]], bool], timeout: float = 30.0) -> float:
        """The arrival time of the output after which ``shown(lines)`` holds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not shown(self._screen.display):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the screen never showed it:\n" +
                                       "\n".join(self._screen.display))
                self._changed.wait(left)
            return self._at

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._screen.display)


def delivered(lines: list[str]) -> int:
    """The producer's delivered count, as the status line shows it."""
    for line in lines:
        if "producer " in line and (found := _DELIVERED.search(line)):
            return int(found.group(1).replace(",", ""))
    raise RuntimeError("the status line shows no delivered count:\n" + "\n".join(lines[:3]))
