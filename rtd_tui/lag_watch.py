"""Measures lag in seconds off the consume thread: the timestamps of oldest unread messages.

``MessageStamps`` reads one message at a given offset of each partition asked for, on a
small consumer client of its own (assign, a bounded wait, no group): the consume loop
never waits for it. ``LagWatch`` runs beside the consume loop (its own thread): every
``LAG_EVERY_S`` it writes the reader's positions into a ``RateTracker`` and looks up
the timestamps of the messages at those positions, where there is a lag. A report
takes the reader's positions at the time it is read (the same ones the stream view
shows) and the wall clock, so an age grows between two rounds too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Consumer, KafkaException, TopicPartition

from rtd_tui.consumer import CONSUMER_DEFAULTS, PartitionInfo
from rtd_tui.lag import LagReport, Position, RateTracker, in_flight, lag_report

log = logging.getLogger(__name__)

LAG_EVERY_S = 1.0
#: How long one lookup waits for the messages it asked for.
STAMP_TIMEOUT_S = 0.5
STAMP_POLL_S = 0.05
#: One message is wanted per partition: fetch little more than that.
STAMP_CLIENT: dict[str, object] = {
    "max.partition.fetch.bytes": 16 * 1024,
    "queued.max.messages.kbytes": 256,
    "enable.partition.eof": False,
}


class MessageStamps:
    """Timestamps of the messages at given offsets, read on a consumer client of its own."""

    def __init__(self, config: Mapping[str, object], topic: str) -> None:
        self.topic = topic
        self._consumer = Consumer({**CONSUMER_DEFAULTS, **config, **STAMP_CLIENT})

    def read(
        self, offsets: Mapping[int, int], timeout: float = STAMP_TIMEOUT_S
    ) -> dict[int, float]:
        """partition → timestamp (epoch seconds) of the first message at or after its offset
        in ``offsets``; partitions not answered within ``timeout`` are left out."""
        if not offsets:
            return {}
        consumer = self._consumer
        consumer.assign([TopicPartition(self.topic, p, o) for p, o in offsets.items()])
        found: dict[int, float] = {}
        missing = set(offsets)
        deadline = time.monotonic() + timeout
        try:
            while missing and time.monotonic() < deadline:
                for message in consumer.consume(len(offsets), STAMP_POLL_S):
                    partition = message.partition()
                    if message.error() is not None or partition not in missing:
                        continue
                    missing.discard(partition)
                    kind, ms = message.timestamp()
                    if kind != TIMESTAMP_NOT_AVAILABLE:
                        found[partition] = ms / 1000.0
        finally:
            consumer.unassign()
        return found

    def close(self) -> None:
        self._consumer.close()


def positions_of(partitions: Sequence[PartitionInfo]) -> list[Position]:
    """The reader's positions (nothing read yet: the low watermark)."""
    return [Position(p.partition, max(p.position, p.low), p.high) for p in partitions]


class LagWatch:
    """The reader's lag in messages and seconds, and its trend, refreshed on its own thread."""

    def __init__(
        self,
        partitions: Callable[[], Sequence[PartitionInfo]],
        stamps: Callable[[Mapping[int, int]], Mapping[int, float]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._partitions = partitions
        self._stamps = stamps
        self._monotonic = monotonic
        self._wall = wall
        self._rates = RateTracker()
        self._lock = threading.Lock()
        self._oldest: dict[int, tuple[int, float]] = {}  # partition → (offset, timestamp)

    def update(self) -> None:
        """One round: positions into the rates, and timestamps where the reader lags
        (more than messages in flight, whose age the report gives as 0)."""
        positions = positions_of(self._partitions())
        with self._lock:
            self._rates.add(self._monotonic(), positions)
            known = dict(self._oldest)
            behind = [p for p in positions if not in_flight(p.lag, self._produce(p.partition))]
        wanted = {p.partition: p.position for p in behind
                  if known.get(p.partition, (-1, 0.0))[0] != p.position}
        stamps = self._stamps(wanted) if wanted else {}
        oldest: dict[int, tuple[int, float]] = {}
        for p in positions:
            if p.partition in stamps:
                oldest[p.partition] = (p.position, stamps[p.partition])
            elif p.lag and p.partition in known:  # not answered: the last one, an upper bound
                oldest[p.partition] = known[p.partition]
        with self._lock:
            self._oldest = oldest

    def _produce(self, partition: int) -> float | None:
        measured = self._rates.rates(partition)
        return None if measured is None else measured[1]

    def report(self) -> LagReport:
        """The lag as of now: the reader's positions now, the ages on the wall clock now
        (from the last round's timestamps: at most a round behind, never younger)."""
        positions = positions_of(self._partitions())
        with self._lock:
            oldest = {p.partition: self._oldest[p.partition][1] for p in positions
                      if self._oldest.get(p.partition, (p.position + 1, 0.0))[0] <= p.position}
            return lag_report(positions, self._rates, oldest, self._wall())

    def run(self, stop: threading.Event, every: float = LAG_EVERY_S) -> None:
        """Rounds until ``stop`` is set; a failed round is logged, never fatal."""
        while not stop.is_set():
            try:
                self.update()
            except KafkaException:
                log.warning("lag lookup failed", exc_info=True)
            stop.wait(every)
