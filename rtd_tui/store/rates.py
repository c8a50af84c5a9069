"""Ingest rates that run on their own clock: a stopped stream reads 0 msg/s within the span.

Arrivals are written down when a batch comes in; reading a rate only looks at the
clock and counts what arrived in the last ``span`` seconds, so it changes nothing and
decays to zero whether or not another batch ever arrives.
"""

from __future__ import annotations

from collections import deque

RATE_SPAN_S = 5.0
#: Arrivals closer together than this share one entry (at most span / bucket entries).
BUCKET_S = 0.1


class RateMeter:
    """Messages per second over the last ``span`` seconds; not thread-safe (the store locks)."""

    def __init__(self, started: float, span: float = RATE_SPAN_S) -> None:
        self.started = started
        self.span = span
        self._arrivals: deque[list[float]] = deque()  # [time, messages]
        self.last: float | None = None  # when the last message arrived (None: none yet)

    def add(self, now: float, messages: int) -> None:
        """Write down ``messages`` arriving at ``now``; forget what left the span."""
        self.last = now
        if self._arrivals and now - self._arrivals[-1][0] < BUCKET_S:
            self._arrivals[-1][1] += messages
        else:
            self._arrivals.append([now, messages])
        while now - self._arrivals[0][0] > self.span:
            self._arrivals.popleft()

    def rate(self, now: float) -> float:
        """The rate at ``now``: arrivals in the span over the span (or the time since start,
        at least a second, while the meter is younger than the span)."""
        elapsed = now - self.started
        if elapsed <= 0:
            return 0.0
        n = sum(k for t, k in self._arrivals if now - t <= self.span)
        return n / min(self.span, max(elapsed, 1.0))
