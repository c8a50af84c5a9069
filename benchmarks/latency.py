"""Latency as a user sees it, on a pseudo-terminal: produce → screen, key → screen, quit.

``rtd-tui -b ADDR`` runs on a 160 x 50 pseudo-terminal, fed at 10,000 msg/s by a
separate ``rtd-tui produce`` (with ``rtd-tui broker`` as the broker). Everything the
app writes to the terminal goes through a terminal emulator (pyte), so "on screen"
means what a terminal would show.

- produce → screen: this process sends a marker message (not a record: the app
  counts it as rejected) and waits until the Rejected card shows it; the delay runs
  from just before ``produce()`` to the output that puts the new count on screen.
- key → screen: ``t``, ``s`` and ``?`` until their screen shows, Esc until it is gone.
- quit: ``q`` with an unreachable broker (the producer on, records queued), until the
  process has exited.
"""

from __future__ import annotations

import random
import re
import statistics
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack

import pyte
from confluent_kafka import Producer

from benchmarks.common import Figure
from benchmarks.terminal import Broker, Terminal, produce
from rtd_tui.config import DEFAULT_REFRESH, Settings
from rtd_tui.producer import PRODUCER_DEFAULTS

RATE = 10_000
SIZE = (160, 50)
SLACK_MS = 150.0
KEY_TARGET_MS = 150.0
WARMUP_S = 5.0
#: What shows that a key's screen is up (and, for Esc, gone).
KEYS = {"t": "messages shown", "s": "total lag", "?": "rtd-tui — keys"}
ESC = "\x1b"
_NUMBER = re.compile(r"[\d,]+")


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

    def text(self) -> str:
        with self._lock:
            return "\n".join(self._screen.display)


def card_value(lines: list[str], label: str) -> int | None:
    """The number in the metric card titled ``label`` (None while it shows none)."""
    for row, line in enumerate(lines[:-1]):
        col = line.find(f" {label} ")
        if col < 0:
            continue
        left = line.rfind("╭", 0, col)
        right = line.find("╮", col)
        found = _NUMBER.search(lines[row + 1][left + 1:right])
        return int(found.group().replace(",", "")) if found else None
    return None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def produce_to_screen(term: Terminal, screen: Screen, bootstrap: str,
                      seconds: float) -> list[float]:
    """Milliseconds from sending each marker to the screen showing it."""
    producer = Producer(Settings().client_config(bootstrap, **PRODUCER_DEFAULTS))
    base = card_value(screen.text().splitlines(), "Rejected") or 0
    delays = []
    ends = time.monotonic() + seconds
    n = 0
    while time.monotonic() < ends:
        time.sleep(random.uniform(0.1, 0.4))  # off the refresh ticks' phase
        n += 1
        sent = time.monotonic()
        producer.produce("csv-data", f"latency marker {n}".encode())
        producer.poll(0)
        seen = screen.wait(lambda lines, n=n: (card_value(lines, "Rejected") or 0) >= base + n)
        delays.append((seen - sent) * 1000)
    producer.flush(5)
    return delays


def key_to_screen(term: Terminal, screen: Screen, repeats: int) -> dict[str, list[float]]:
    """Milliseconds from each key to the screen showing its result."""
    out: dict[str, list[float]] = {key: [] for key in (*KEYS, ESC)}
    for _ in range(repeats):
        for key, mark in KEYS.items():
            time.sleep(random.uniform(0.3, 0.6))
            pressed = time.monotonic()
            term.send(key)
            out[key].append((screen.wait(lambda lines, m=mark: m in "".join(lines)) - pressed)
                            * 1000)
            time.sleep(random.uniform(0.3, 0.6))
            pressed = time.monotonic()
            term.send(ESC)
            out[ESC].append((screen.wait(lambda lines, m=mark: m not in "".join(lines))
                             - pressed) * 1000)
    return out


def quit_unreachable(repeats: int) -> list[float]:
    """Seconds from ``q`` to the end of the process, the broker unreachable."""
    times = []
    for _ in range(repeats):
        screen = Screen()
        term = Terminal(["-b", "127.0.0.1:9", "--producer", "--rate", "100"],
                        size=SIZE, on_output=screen.feed)
        try:
            screen.wait(lambda lines: "unreachable" in "".join(lines), timeout=30)
            time.sleep(1.0)  # records pile up in the producer's queue
            pressed = time.monotonic()
            term.send("q")
            term.proc.wait(30)
            times.append(time.monotonic() - pressed)
        finally:
            term.close()
    return times


def measure(seconds: float, key_repeats: int, refresh: float = DEFAULT_REFRESH) -> list[Figure]:
    with ExitStack() as stack:  # each process is closed however a later one fails
        broker = Broker()
        stack.callback(broker.close)
        feeder = produce(broker.bootstrap, "--rate", str(RATE))
        stack.callback(feeder.close)
        screen = Screen()
        term = Terminal(["-b", broker.bootstrap], size=SIZE, on_output=screen.feed)
        stack.callback(term.close)
        screen.wait(lambda lines: "Rejected" in "".join(lines), timeout=30)
        time.sleep(WARMUP_S)
        delays = produce_to_screen(term, screen, broker.bootstrap, seconds)
        keys = key_to_screen(term, screen, key_repeats)
    quits = quit_unreachable(2)
    section = (f"latency on a {SIZE[0]}×{SIZE[1]} pseudo-terminal, rtd-tui -b at "
               f"{RATE:,} msg/s from rtd-tui produce, refresh {refresh} s")
    target = refresh * 1000 + SLACK_MS
    p99 = _percentile(delays, 0.99)
    figures = [
        Figure(section, f"produce → screen, p50 ({len(delays)} markers)",
               f"{statistics.median(delays):.0f} ms"),
        Figure(section, "produce → screen, p99", f"{p99:.0f} ms", f"≤ {target:.0f} ms",
               p99 <= target),
    ]
    for key, times in keys.items():
        name = "Esc (screen closed)" if key == ESC else f"key {key} (screen shown)"
        p95 = _percentile(times, 0.95)
        figures.append(Figure(section, f"{name}, p95 of {len(times)}", f"{p95:.0f} ms",
                              f"≤ {KEY_TARGET_MS:.0f} ms", p95 <= KEY_TARGET_MS))
    figures.append(Figure(section, "q with an unreachable broker → process ended, worst of "
                          f"{len(quits)}", f"{max(quits):.2f} s", "< 2 s", max(quits) < 2.0))
    return figures
