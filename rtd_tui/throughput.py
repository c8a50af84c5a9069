"""Ingest rate and consumer lag over the last minutes: what the throughput chart shows.

The UI thread samples the store's consumed counter and the lag (at most once a
second, views or not); the chart reads the samples.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

HISTORY_SPAN_S = 600.0
SAMPLE_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class ThroughputSample:
    """One point of the throughput chart."""

    at: float  # seconds, monotonic
    rate: float  # messages ingested per second since the previous sample
    lag: int  # messages on the broker not yet read, all partitions


class ThroughputHistory:
    """Ingest rate and total lag over the last minutes, one sample a second at most."""

    def __init__(
        self,
        span: float = HISTORY_SPAN_S,
        every: float = SAMPLE_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.span = span
        self.every = every
        self.clock = clock
        self._lock = threading.Lock()
        self._samples: deque[ThroughputSample] = deque()
        self._last_consumed: tuple[float, int] | None = None
        self.version = 0

    def add(self, sample: ThroughputSample) -> None:
        """Append a sample and drop those older than the span."""
        with self._lock:
            self._samples.append(sample)
            while self._samples and sample.at - self._samples[0].at > self.span:
                self._samples.popleft()
            self.version += 1

    def record(self, consumed: int, lag: int) -> bool:
        """Sample from the store's consumed counter; skipped (False) within ``every`` s."""
        now = self.clock()
        last = self._last_consumed
        if last is not None and now - last[0] < self.every:
            return False
        self._last_consumed = (now, consumed)
        if last is None:
            return False  # a rate needs two readings
        # a cleared store counts from zero again: what it holds now came in since then
        delta = consumed - last[1] if consumed >= last[1] else consumed
        self.add(ThroughputSample(now, delta / (now - last[0]), lag))
        return True

    def samples(self) -> tuple[ThroughputSample, ...]:
        """The held samples, oldest first."""
        with self._lock:
            return tuple(self._samples)
