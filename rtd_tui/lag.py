"""Lag in messages and seconds, and whether a reader is catching up: plain arithmetic.

The consume rate is the growth of the reader's position, the produce rate the growth
of the high watermark, both over the last minute (``RATE_SPAN_S``), on a clock the
caller injects. With both, a lag either shrinks (catching up, and in how long) or
grows (falling behind, by how many messages a second). The age of the oldest unread
message is measured elsewhere (``lag_watch``) and handed in as a timestamp.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

RATE_SPAN_S = 60.0
#: A rate needs samples at least this far apart; before that it is unknown.
MIN_RATE_SPAN_S = 2.0
#: Rates closer than this (under one message a minute) count as equal, and so do rates
#: within this share of the produce rate (the noise of a live stream).
RATE_EPSILON = 1.0 / RATE_SPAN_S
PACE_SHARE = 0.05
#: A lag of at most this long's worth of produced messages is in flight, not behind.
IN_FLIGHT_S = 1.0

TrendState = Literal["caught up", "catching up", "falling behind", "keeping pace", "stalled",
                     "measuring"]


@dataclass(frozen=True, slots=True)
class Trend:
    """Where a lag is going: ``eta`` (seconds to catch up) when catching up, ``gap``
    (messages/s it grows by) when falling behind."""

    state: TrendState
    eta: float | None = None
    gap: float | None = None


def in_flight(messages: int, produce: float | None) -> bool:
    """No lag, or at most ``IN_FLIGHT_S`` worth of what is produced: the reader keeps up
    (its positions are sampled every few seconds: a finer age would be noise)."""
    return messages <= 0 or (produce is not None and messages <= produce * IN_FLIGHT_S)


def trend(messages: int, consume: float | None, produce: float | None) -> Trend:
    """The trend of a lag of ``messages`` read at ``consume`` msg/s while ``produce``
    msg/s arrive (None: not measured yet)."""
    if in_flight(messages, produce):
        return Trend("caught up")
    if consume is None or produce is None:
        return Trend("measuring")
    net = consume - produce
    equal = max(RATE_EPSILON, PACE_SHARE * produce)
    if net > equal:
        return Trend("catching up", eta=messages / net)
    if net < -equal:
        return Trend("falling behind", gap=-net)
    return Trend("keeping pace" if consume > RATE_EPSILON else "stalled")


@dataclass(frozen=True, slots=True)
class PartitionLag:
    """One partition's lag (``partition`` is None for the total over all of them)."""

    partition: int | None
    messages: int
    seconds: float | None  # age of the oldest unread message (None: not known yet)
    consume: float | None  # msg/s over the last minute (None: not measured yet)
    produce: float | None

    @property
    def trend(self) -> Trend:
        return trend(self.messages, self.consume, self.produce)


@dataclass(frozen=True, slots=True)
class LagReport:
    """Every partition's lag and the total; a plain value, safe to hand to the UI thread."""

    partitions: tuple[PartitionLag, ...] = ()

    @property
    def total(self) -> PartitionLag:
        """All partitions: messages and rates add up; the age is the oldest one's."""
        parts = self.partitions
        return PartitionLag(
            None,
            sum(p.messages for p in parts),
            _oldest([p.seconds for p in parts if p.messages]),
            _sum([p.consume for p in parts]),
            _sum([p.produce for p in parts]),
        )

    def of(self, partition: int) -> PartitionLag | None:
        """The lag of ``partition``, if it is known."""
        return next((p for p in self.partitions if p.partition == partition), None)


NO_LAG = LagReport()


def _oldest(ages: list[float | None]) -> float | None:
    """The largest age; None when one is unknown (the oldest could be that one)."""
    known = [a for a in ages if a is not None]
    return None if len(known) < len(ages) else max(known, default=0.0)


def _sum(rates: list[float | None]) -> float | None:
    """The sum; None when one is unknown, or there is none."""
    known = [r for r in rates if r is not None]
    return None if not rates or len(known) < len(rates) else sum(known)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a reader stands in a partition: next offset to read, and the high watermark."""

    partition: int
    position: int
    high: int

    @property
    def lag(self) -> int:
        return max(0, self.high - self.position) if self.high >= 0 else 0


class RateTracker:
    """Consume and produce rates per partition over the last ``span`` seconds.

    A position or watermark that goes back (a replay, a topic made again) starts that
    partition's history over: a rate across it would mean nothing. Not thread-safe."""

    def __init__(self, span: float = RATE_SPAN_S) -> None:
        self.span = span
        self._samples: dict[int, deque[tuple[float, int, int]]] = {}

    def add(self, now: float, positions: Iterable[Position]) -> None:
        """Write down where every partition stands at ``now`` (unknown watermarks skipped)."""
        for p in positions:
            if p.high < 0:
                continue
            samples = self._samples.setdefault(p.partition, deque())
            if samples and (p.position < samples[-1][1] or p.high < samples[-1][2]):
                samples.clear()
            samples.append((now, p.position, p.high))
            while now - samples[0][0] > self.span:
                samples.popleft()

    def rates(self, partition: int) -> tuple[float, float] | None:
        """(consume, produce) msg/s of ``partition``, None until samples span long enough."""
        samples = self._samples.get(partition)
        if not samples:
            return None
        (t0, read0, high0), (t1, read1, high1) = samples[0], samples[-1]
        elapsed = t1 - t0
        if elapsed < MIN_RATE_SPAN_S:
            return None
        return (read1 - read0) / elapsed, (high1 - high0) / elapsed


def lag_report(
    positions: Iterable[Position],
    rates: RateTracker,
    oldest: Mapping[int, float],
    now: float,
) -> LagReport:
    """The report at wall-clock time ``now`` (epoch seconds): ``oldest`` maps a partition
    to the timestamp (epoch seconds) of its oldest unread message, where known."""
    parts = []
    for p in positions:
        measured = rates.rates(p.partition)
        consume, produce = measured if measured is not None else (None, None)
        stamp = oldest.get(p.partition)
        seconds = (0.0 if in_flight(p.lag, produce)
                   else None if stamp is None else max(0.0, now - stamp))
        parts.append(PartitionLag(p.partition, p.lag, seconds, consume, produce))
    return LagReport(tuple(parts))
