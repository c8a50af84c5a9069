"""Steady-state CPU of the real processes, live and paused, at several rates.

Three set-ups, each run as users run it:

- the default ``rtd-tui --rate R`` (embedded broker, producer and dashboard in one
  process; ``--no-producer`` for rate 0) on a 160 x 50 pseudo-terminal;
- ``rtd-tui -b ADDR`` (the dashboard alone) with ``rtd-tui broker`` and
  ``rtd-tui produce -b ADDR --rate R`` as separate processes;
- ``rtd-tui produce --rate R``, measured in the second set-up, against ``--rate max``.

Each figure is the process's CPU time (``/proc/PID/stat``) over a window after a
warm-up, as % of one core, with the CPU milliseconds per 1,000 messages beside it,
counted from the messages delivered in that window, never from the nominal rate: for
``rtd-tui -b`` the delivered counts of ``rtd-tui produce``'s own progress lines at the
window's ends, for the default ``rtd-tui`` the delivered count its status line shows
(read through a terminal emulator). Paused is the same process after a space key sent
through the terminal. The dashboard's main thread (the UI thread: Textual's event loop,
which draws) is read apart beside its process.

``rtd-tui produce`` is read finer (``producer_cpu``): its threads in nanoseconds with
their wake-ups, between two of its progress lines, librdkafka's share apart, and its
idle cost beside. ``--producer-only`` measures just those rows.
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from dataclasses import dataclass

from benchmarks.common import Figure
from benchmarks.producer_cpu import (
    IDLE_INTERVAL,
    Producer,
    ProducerReading,
    produce_at,
    produce_idle,
    produce_max,
)
from benchmarks.report import table
from benchmarks.screen import Screen, delivered
from benchmarks.terminal import Broker, MainThread, Terminal, cpu_window

RATES = (0, 5, 100, 1_000, 10_000)
#: Targets for ``rtd-tui -b`` fed by ``rtd-tui produce`` (issue 20), % of one core.
TARGET_DASHBOARD = {0: 0.5, 5: 2.0, 10_000: 20.0}
#: Targets for ``rtd-tui produce`` (issue 10).
TARGET_PRODUCE = {1_000: 3.0}
TARGET_PER_RECORD = 2.0  # times the cost per record at --rate max


@dataclass(frozen=True, slots=True)
class Reading:
    """One process over one window: % of a core, and messages handled in that window."""

    percent: float
    ui_percent: float  # its main thread: Textual's event loop, which draws
    messages: float
    seconds: float

    @property
    def ms_per_1k(self) -> float | None:
        return self.percent * 10 * self.seconds / self.messages * 1000 if self.messages else None

    def text(self) -> str:
        per = self.ms_per_1k
        return (f"{self.percent:.1f} % (UI thread {self.ui_percent:.1f} %)"
                + (f" · {per:.1f} ms/1k msgs" if per is not None else ""))


def _pause(term: Terminal) -> None:
    term.send(" ")
    time.sleep(1.0)


def _counted(term: Terminal, screen: Screen, seconds: float) -> Reading:
    """The CPU of ``term`` over ``seconds``, with the records its status line says were
    delivered meanwhile."""
    before = delivered(screen.lines())
    percent, ui = cpu_window([term, MainThread(term)], seconds)
    return Reading(percent, ui, delivered(screen.lines()) - before, seconds)


def default_app(rate: int, warmup: float, seconds: float) -> tuple[Reading, Reading]:
    """The default ``rtd-tui`` at ``rate``: live, then paused."""
    args = ["--rate", str(rate)] if rate else ["--no-producer"]
    screen = Screen()
    term = Terminal(args, on_output=screen.feed)
    try:
        screen.wait(lambda lines: " delivered" in "".join(lines))
        time.sleep(warmup)
        live = _counted(term, screen, seconds)
        _pause(term)
        paused = _counted(term, screen, seconds)
    finally:
        term.close()
    return live, paused


def external(rate: int, warmup: float, seconds: float) -> tuple[Reading, Reading,
                                                                ProducerReading | None]:
    """``rtd-tui -b`` fed by ``rtd-tui produce --rate``: dashboard live, paused, producer."""
    with ExitStack() as stack:  # each process is closed however a later one fails
        broker = Broker()
        stack.callback(broker.close)
        prod = Producer(broker.bootstrap, "--rate", str(rate)) if rate else None
        if prod is not None:
            stack.callback(prod.close)
        term = Terminal(["-b", broker.bootstrap])
        stack.callback(term.close)
        term.wait_output()
        time.sleep(warmup)
        producer: ProducerReading | None = None
        live, producer = _idle(term, seconds) if prod is None else _alongside(term, prod, seconds)
        _pause(term)
        paused = (_idle(term, seconds) if prod is None else _alongside(term, prod, seconds))[0]
    return live, paused, producer


def _idle(term: Terminal, seconds: float) -> tuple[Reading, None]:
    """The dashboard's CPU over ``seconds`` with no messages sent."""
    percent, ui = cpu_window([term, MainThread(term)], seconds)
    return Reading(percent, ui, 0, seconds), None


def _alongside(term: Terminal, prod: Producer, seconds: float) -> tuple[Reading,
                                                                       ProducerReading]:
    """The dashboard's CPU over exactly the producer's window, with the records delivered."""
    prod.watch = [term, MainThread(term)]
    try:
        reading, (percent, ui) = prod.window(seconds)
    finally:
        prod.watch = []
    return Reading(percent, ui, reading.delivered, reading.seconds), reading


def _producer_figure(section: str, rate: int, prod: ProducerReading, base_ms: float) -> Figure:
    target = TARGET_PRODUCE.get(rate)
    per = prod.ms_per_1k or 0.0
    return Figure(
        section, f"rtd-tui produce --rate {rate}", prod.text(),
        (f"≤ {target:g} %, " if target else "")
        + f"≤ {TARGET_PER_RECORD:g}× max's {base_ms:.1f} ms/1k",
        (target is None or prod.percent <= target) and per <= TARGET_PER_RECORD * base_ms)


def measure(rates: tuple[int, ...] = RATES, warmup: float = 5.0,
            seconds: float = 20.0, producer_only: bool = False) -> list[Figure]:
    section = f"CPU, % of one core, {seconds:.0f} s windows, 160×50 pseudo-terminal"
    base = produce_max(warmup, seconds)
    base_ms = base.ms_per_1k or 0.0
    figures = [
        Figure(section, "rtd-tui produce --rate max", base.text()),
        Figure(section, f"rtd-tui produce, idle (--interval {IDLE_INTERVAL})",
               produce_idle(warmup, seconds).text()),
    ]
    for rate in rates:
        if producer_only:
            if rate:
                figures.append(_producer_figure(section, rate, produce_at(rate, warmup, seconds),
                                                base_ms))
            continue
        live, paused = default_app(rate, warmup, seconds)
        default = f"rtd-tui --rate {rate}" if rate else "rtd-tui --no-producer"
        figures.append(Figure(section, f"{default}, live", live.text()))
        figures.append(Figure(section, f"{default}, paused", paused.text()))
        dash, dash_paused, prod = external(rate, warmup, seconds)
        target = TARGET_DASHBOARD.get(rate)
        figures.append(Figure(
            section, f"rtd-tui -b, {rate:,} msg/s from rtd-tui produce, live", dash.text(),
            f"≤ {target:g} %" if target is not None else "",
            None if target is None else dash.percent <= target))
        figures.append(Figure(section, f"rtd-tui -b, {rate:,} msg/s, paused", dash_paused.text()))
        if prod is not None:
            figures.append(_producer_figure(section, rate, prod, base_ms))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cpu", description=__doc__)
    parser.add_argument("--rates", type=int, nargs="+", default=list(RATES))
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--producer-only", action="store_true",
                        help="only rtd-tui produce: max, idle and each rate, alone")
    args = parser.parse_args()
    print(table(measure(tuple(args.rates), args.warmup, args.seconds, args.producer_only)))


if __name__ == "__main__":
    main()
