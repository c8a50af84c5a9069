"""``rtd-tui produce`` as a measured process: its threads' CPU time and wake-ups.

Its threads' run time is read in nanoseconds (``/proc/PID/task/*/schedstat``, not the
10 ms ticks of ``/proc/PID/stat``: at 5 records/s a 20 s window holds a few ms) with
their wake-ups (voluntary context switches), at each of its own progress lines, so a
window runs between two lines and counts exactly the records delivered in it.
librdkafka's threads (``rdk:*``) are counted apart: what a wake-up costs shows beside
what a record costs. The idle producer (``--interval 3600``: one record, then nothing
due for an hour) is what being there at all costs.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.terminal import Broker, MainThread, Process, rtd_command

#: The idle producer: one record at the start, then nothing due for an hour.
IDLE_INTERVAL = "3600"
_DELIVERED = re.compile(rb"delivered ([\d,]+)")
_SWITCHES = re.compile(r"^voluntary_ctxt_switches:\s+(\d+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Threads:
    """A process's threads at one moment: run time (ns) and wake-ups, librdkafka's apart."""

    ns: int
    rdkafka_ns: int
    wakeups: int

    @classmethod
    def read(cls, pid: int) -> Threads:
        ns = rdkafka_ns = wakeups = 0
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                run = int((task / "schedstat").read_text().split()[0])
                name = (task / "comm").read_text()
                found = _SWITCHES.search((task / "status").read_text())
            except (OSError, IndexError):  # the thread ended meanwhile
                continue
            ns += run
            rdkafka_ns += run if name.startswith("rdk:") else 0
            wakeups += int(found.group(1)) if found else 0
        return cls(ns, rdkafka_ns, wakeups)


@dataclass(frozen=True, slots=True)
class ProducerReading:
    """``rtd-tui produce`` between two of its progress lines."""

    seconds: float
    delivered: int
    ns: int
    rdkafka_ns: int
    wakeups: int

    @property
    def percent(self) -> float:
        return self.ns / 1e7 / self.seconds

    @property
    def ms_per_1k(self) -> float | None:
        return self.ns / 1e3 / self.delivered if self.delivered else None

    def text(self) -> str:
        per = self.ms_per_1k
        per_text = f" · {per:.1f} ms/1k msgs" if per is not None else ""
        wakeups = self.wakeups / self.seconds
        per_wakeup = self.ns / 1e3 / self.wakeups if self.wakeups else 0.0
        return (f"{self.percent:.2f} %{per_text} · {wakeups:,.0f} wake-ups/s, "
                f"{per_wakeup:.0f} µs each · librdkafka {self.rdkafka_ns / self.ns:.0%}")


class Producer(Process):
    """``rtd-tui produce``: at each of its progress lines, the records delivered so far and
    its threads' CPU time, read as the line arrives (lines come every 5 s into a pipe)."""

    def __init__(self, bootstrap: str, *args: str) -> None:
        super().__init__([*rtd_command(), "produce", "-b", bootstrap, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.delivered = 0
        #: Processes whose CPU time is read with each line (the dashboard it feeds).
        self.watch: list[Process | MainThread] = []
        self.marks: list[tuple[float, int, Threads, list[float]]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if found := _DELIVERED.search(line):
                self.delivered = int(found.group(1).replace(b",", b""))
                try:
                    self.marks.append((time.monotonic(), self.delivered, Threads.read(self.pid),
                                       [p.cpu() for p in self.watch]))
                except OSError:  # a process ended: its closing summary line, no mark
                    return

    def wait_mark(self, index: int, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while len(self.marks) <= index:
            if not self.alive() or time.monotonic() > deadline:
                raise RuntimeError("rtd-tui produce stopped printing its progress")
            time.sleep(0.05)
        return index

    def window(self, seconds: float) -> tuple[ProducerReading, list[float]]:
        """From its next progress line to the first one at least ``seconds`` later; with
        the watched processes' CPU over the same span, as % of one core."""
        first = self.wait_mark(len(self.marks))
        started = self.marks[first][0]
        last = first
        while self.marks[last][0] - started < seconds:
            last = self.wait_mark(last + 1)
        (t0, d0, a, w0), (t1, d1, b, w1) = self.marks[first], self.marks[last]
        if len(w0) != len(w1):
            raise RuntimeError("the watched processes changed during the window")
        watched = [(after - before) / (t1 - t0) * 100
                   for before, after in zip(w0, w1, strict=True)]
        return ProducerReading(t1 - t0, d1 - d0, b.ns - a.ns, b.rdkafka_ns - a.rdkafka_ns,
                               b.wakeups - a.wakeups), watched

    def idle_window(self, seconds: float) -> ProducerReading:
        """Nothing due: its threads over ``seconds`` of wall time, no lines needed."""
        a, started = Threads.read(self.pid), time.monotonic()
        time.sleep(seconds)
        b, elapsed = Threads.read(self.pid), time.monotonic() - started
        return ProducerReading(elapsed, 0, b.ns - a.ns, b.rdkafka_ns - a.rdkafka_ns,
                               b.wakeups - a.wakeups)


@contextmanager
def _producing(*args: str) -> Iterator[Producer]:
    """``rtd-tui broker`` and ``rtd-tui produce -b ADDR ARGS``, both closed afterwards."""
    with ExitStack() as stack:  # each process is closed however a later one fails
        broker = Broker()
        stack.callback(broker.close)
        prod = Producer(broker.bootstrap, *args)
        stack.callback(prod.close)
        yield prod


def produce_max(warmup: float, seconds: float) -> ProducerReading:
    """``rtd-tui produce --rate max``: its CPU per record is the yardstick for every rate."""
    return produce_at("max", warmup, seconds)


def produce_at(rate: int | str, warmup: float, seconds: float) -> ProducerReading:
    """``rtd-tui produce --rate R`` alone."""
    with _producing("--rate", str(rate)) as prod:
        time.sleep(warmup)
        return prod.window(seconds)[0]


def produce_idle(warmup: float, seconds: float) -> ProducerReading:
    """``rtd-tui produce`` with nothing due: what it costs to be there at all."""
    with _producing("--interval", IDLE_INTERVAL) as prod:
        prod.wait_mark(0)  # its one record was delivered
        time.sleep(warmup)
        return prod.idle_window(seconds)
