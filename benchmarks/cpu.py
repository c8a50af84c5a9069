"""Steady-state CPU of the real processes, live and paused, at several rates.

Three set-ups, each run as users run it:

- the default ``rtd-tui --rate R`` (embedded broker, producer and dashboard in one
  process; ``--no-producer`` for rate 0) on a 160 x 50 pseudo-terminal;
- ``rtd-tui -b ADDR`` (the dashboard alone) with ``rtd-tui broker`` and
  ``rtd-tui produce -b ADDR --rate R`` as separate processes;
- ``rtd-tui produce --rate R``, measured in the second set-up, against ``--rate max``.

Each figure is the process's CPU time (``/proc/PID/stat``) over a window after a
warm-up, as % of one core, with the CPU milliseconds per 1,000 messages beside it.
Paused is the same process after a space key sent through the terminal.

``rtd-tui produce`` is read finer (``producer_cpu``): its threads in nanoseconds with
their wake-ups, between two of its progress lines, librdkafka's share apart, and its
idle cost beside. ``--producer-only`` measures just those rows.
"""

from __future__ import annotations

import argparse
import os
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
from benchmarks.terminal import Broker, Process, Terminal, cpu_window

RATES = (0, 5, 100, 1_000, 10_000)
#: Targets from issue 10, % of one core.
TARGET_IDLE = 1.0  # rtd-tui -b, no messages
TARGET_DEFAULT = {5: 5.0, 1_000: 25.0, 10_000: 80.0}
TARGET_PRODUCE = {1_000: 3.0}
TARGET_PER_RECORD = 2.0  # times the cost per record at --rate max


@dataclass(frozen=True, slots=True)
class Reading:
    """One process over one window: % of a core, and messages handled in that window."""

    percent: float
    messages: float
    seconds: float

    @property
    def ms_per_1k(self) -> float | None:
        return self.percent * 10 * self.seconds / self.messages * 1000 if self.messages else None

    def text(self) -> str:
        per = self.ms_per_1k
        return f"{self.percent:.1f} %" + (f" · {per:.1f} ms/1k msgs" if per is not None else "")


def _window(processes: list[Process], seconds: float, rate: float) -> list[Reading]:
    percents = cpu_window(processes, seconds)
    return [Reading(p, rate * seconds, seconds) for p in percents]


def _pause(term: Terminal) -> None:
    term.send(" ")
    time.sleep(1.0)


def default_app(rate: int, warmup: float, seconds: float) -> tuple[Reading, Reading]:
    """The default ``rtd-tui`` at ``rate``: live, then paused."""
    args = ["--rate", str(rate)] if rate else ["--no-producer"]
    term = Terminal(args)
    try:
        term.wait_output()
        time.sleep(warmup)
        live = _window([term], seconds, rate)[0]
        _pause(term)
        paused = _window([term], seconds, rate)[0]
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
        if prod is None:
            live = _window([term], seconds, 0)[0]
        else:
            live, producer = _alongside(term, prod, seconds)
        _pause(term)
        paused = (_window([term], seconds, 0)[0] if prod is None
                  else _alongside(term, prod, seconds)[0])
    return live, paused, producer


def _alongside(term: Terminal, prod: Producer, seconds: float) -> tuple[Reading,
                                                                       ProducerReading]:
    """The dashboard's CPU over exactly the producer's window, with the records delivered."""
    prod.watch = [term]
    try:
        reading, (percent,) = prod.window(seconds)
    finally:
        prod.watch = []
    return Reading(percent, reading.delivered, reading.seconds), reading


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
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    section = f"CPU, % of one core, {seconds:.0f} s windows (load {load} at start)"
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
        target = TARGET_DEFAULT.get(rate)
        figures.append(Figure(
            section, f"rtd-tui --rate {rate}, live" if rate else "rtd-tui --no-producer, live",
            live.text(), f"≤ {target:g} %" if target else "",
            None if target is None else live.percent <= target))
        figures.append(Figure(section, f"rtd-tui --rate {rate}, paused" if rate
                              else "rtd-tui --no-producer, paused", paused.text()))
        dash, dash_paused, prod = external(rate, warmup, seconds)
        idle = rate == 0
        figures.append(Figure(
            section, f"rtd-tui -b, {rate} msg/s from rtd-tui produce, live", dash.text(),
            f"≤ {TARGET_IDLE:g} %" if idle else "", dash.percent <= TARGET_IDLE if idle else None))
        figures.append(Figure(section, f"rtd-tui -b, {rate} msg/s, paused", dash_paused.text()))
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
    from benchmarks.__main__ import table

    print(table(measure(tuple(args.rates), args.warmup, args.seconds, args.producer_only)))


if __name__ == "__main__":
    main()
