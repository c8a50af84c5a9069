"""Latency as a user sees it, on a pseudo-terminal: produce → screen, key → screen, quit.

``rtd-tui -b ADDR`` runs on a 160 x 50 pseudo-terminal, fed at 10,000 msg/s by a
separate ``rtd-tui produce`` (with ``rtd-tui broker`` as the broker). Everything the
app writes to the terminal goes through a terminal emulator (pyte), so "on screen"
means what a terminal would show.

- key → screen: ``t``, ``s`` and ``?`` until their screen shows, Esc until it is gone.
- produce → screen: this process sends valid records of its own (a city, age and amount
  the generated data practically never has together, and an id each) and waits until
  the latest-records table shows each one's id. At 10,000 msg/s a record leaves the
  table's visible rows within a millisecond, so the filter bar is first set to those
  three values, as a user looking for a record would: the table then lists only these
  records, newest first. The delay runs from just before ``produce()`` to the output
  that puts the id on screen.
- quit: ``q`` with an unreachable broker (the producer on, records queued), until the
  process has exited.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from contextlib import ExitStack
from datetime import datetime
from functools import partial

from confluent_kafka import Producer

from benchmarks.common import Figure
from benchmarks.screen import SIZE, Screen
from benchmarks.terminal import Broker, Terminal, produce
from rtd_tui.config import DEFAULT_REFRESH, Settings
from rtd_tui.producer import PRODUCER_DEFAULTS
from rtd_tui.records import encode, key_of

RATE = 10_000
SLACK_MS = 150.0
KEY_TARGET_MS = 100.0
WARMUP_S = 5.0
#: What shows that a key's screen is up (and, for Esc, gone).
KEYS = {"t": "messages shown", "s": "total lag", "?": "rtd-tui — keys"}
ESC = "\x1b"
#: The timed records: valid, and a combination the generator practically never makes.
MARKER = {"nome": "Marcador Latencia", "idade": 79, "cidade": "Palmas", "valor": 1234.56}
#: The filter bar's fields (cities, age, value), typed as a user would.
MARKER_FILTER = ("Palmas", "79-79", "1234.56-1234.56")
FIRST_MARKER_ID = 9000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _filter_markers(term: Terminal, screen: Screen) -> None:
    """Open the filter bar, type the markers' city, age and amount, apply it."""
    cities, age, value = MARKER_FILTER
    for keys in ("/", cities, "\t", age, "\t", value, "\r"):
        term.send(keys)
        time.sleep(0.3)  # a key at a time: the next field has the focus before its text
    screen.wait(lambda lines: "filter" in lines[0] and "Palmas" in lines[0], timeout=10)


def _shows_id(lines: list[str], record_id: int) -> bool:
    """A latest-records row with the marker's name and this id is on screen."""
    pattern = re.compile(rf"(?<![\d,.]){record_id}(?![\d,.])")
    return any("Marcador" in line and pattern.search(line) for line in lines)


def produce_to_screen(screen: Screen, bootstrap: str, seconds: float) -> list[float]:
    """Milliseconds from sending each marker record to the table showing its id."""
    producer = Producer(Settings().client_config(bootstrap, **PRODUCER_DEFAULTS))
    delays = []
    ends = time.monotonic() + seconds
    n = 0
    while time.monotonic() < ends:
        time.sleep(random.uniform(0.1, 0.4))  # off the refresh ticks' phase
        record_id = FIRST_MARKER_ID + n % 1000
        n += 1
        record = {"id": record_id, **MARKER,
                  "timestamp": datetime.now().isoformat(timespec="microseconds")}
        sent = time.monotonic()
        producer.produce("csv-data", encode(record), key_of(record))
        producer.poll(0)
        seen = screen.wait(partial(_shows_id, record_id=record_id))
        delays.append((seen - sent) * 1000)
    producer.flush(5)
    return delays


def _shows(lines: list[str], mark: str) -> bool:
    return mark in "".join(lines)


def _gone(lines: list[str], mark: str) -> bool:
    return mark not in "".join(lines)


def key_to_screen(term: Terminal, screen: Screen, repeats: int) -> dict[str, list[float]]:
    """Milliseconds from each key to the screen showing its result."""
    out: dict[str, list[float]] = {key: [] for key in (*KEYS, ESC)}
    for _ in range(repeats):
        for key, mark in KEYS.items():
            time.sleep(random.uniform(0.3, 0.6))
            pressed = time.monotonic()
            term.send(key)
            out[key].append((screen.wait(partial(_shows, mark=mark)) - pressed) * 1000)
            time.sleep(random.uniform(0.3, 0.6))
            pressed = time.monotonic()
            term.send(ESC)
            out[ESC].append((screen.wait(partial(_gone, mark=mark)) - pressed) * 1000)
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
        keys = key_to_screen(term, screen, key_repeats)
        _filter_markers(term, screen)
        delays = produce_to_screen(screen, broker.bootstrap, seconds)
    quits = quit_unreachable(2)
    section = (f"latency on a {SIZE[0]}×{SIZE[1]} pseudo-terminal, rtd-tui -b at "
               f"{RATE:,} msg/s from rtd-tui produce, refresh {refresh} s")
    target = refresh * 1000 + SLACK_MS
    p99 = _percentile(delays, 0.99)
    figures = [
        Figure(section, f"produce → screen: a valid record's id in the latest table (filter "
               f"bar on its city, age and amount), p50 of {len(delays)}",
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
