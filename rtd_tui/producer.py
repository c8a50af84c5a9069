"""The produce loop: paced generation, an on/off switch, delivery counting, bounded flush.

Used by the dashboard (in a worker thread) and by ``rtd-tui produce`` (headless).
It never waits on a single delivery: records are queued in librdkafka and
delivery reports are served by ``poll(0)``, so ``--rate max`` runs at the
client's speed. ``ProducerControl`` is the thread-safe switchboard both sides share.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import KafkaError, Message, Producer

from rtd_tui.generator import Encoded, RecordGenerator

MAX_RATE = 1_000_000.0
#: Above ``1 / TICK_S`` records/s the loop wakes once per tick and sends what is due.
TICK_S = 0.02
IDLE_POLL_S = 0.1
#: The longest sleep without a wake-up: a ``stop`` set without ``control.wake()`` is
#: noticed within it.
IDLE_WAIT_S = 0.5
MAX_BATCH = 10_000
MIN_RATE = 0.01
PRODUCER_DEFAULTS: dict[str, object] = {
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 20,
    "message.timeout.ms": 30_000,
}


@dataclass(slots=True)
class ProducerStats:
    """Counters updated from the produce thread; plain ints, read without a lock."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    last_error: str = ""

    @property
    def in_flight(self) -> int:
        return self.sent - self.delivered - self.failed


class RateAtLimit(ValueError):
    """``+`` asked for more than the broker in use can hold."""


class ProducerControl:
    """On/off and rate, changed by the UI or CLI while the loop runs. ``rate=None`` is max."""

    def __init__(self, enabled: bool = True, rate: float | None = 5.0) -> None:
        self._lock = threading.Lock()
        self._enabled = enabled
        self._rate = rate
        self._ceiling = MAX_RATE
        self._ceiling_for = ""  # the broker the ceiling is for, as the refusal names it
        self.changed = threading.Event()  # on/off or rate changed: pacing starts over
        self.woken = threading.Event()  # the produce loop's sleep ends: set with every change

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def rate(self) -> float | None:
        return self._rate

    def set_enabled(self, enabled: bool) -> None:
        with self._lock:
            self._enabled = enabled
        self._changed()

    def toggle(self) -> bool:
        """Flip on/off; returns the new state."""
        with self._lock:
            self._enabled = not self._enabled
            state = self._enabled
        self._changed()
        return state

    def set_ceiling(self, rate: float, broker: str) -> None:
        """The highest rate ``+`` reaches: what ``broker`` holds (the embedded one keeps
        only a few MiB per partition, and drops the oldest data beyond that)."""
        with self._lock:
            self._ceiling, self._ceiling_for = rate, broker

    def scale(self, factor: float) -> float | None:
        """Multiply the rate (``+`` doubles, ``-`` halves), within sane bounds and the
        ceiling; ``RateAtLimit`` when already there."""
        with self._lock:
            if self._rate is not None:
                if factor > 1 and self._rate >= self._ceiling:
                    raise RateAtLimit(f"Rate at its limit for {self._ceiling_for or 'the producer'}"
                                      f" ({self._rate:,.0f} rec/s)")
                self._rate = min(self._ceiling, max(MIN_RATE, self._rate * factor))
            rate = self._rate
        self._changed()
        return rate

    def wake(self) -> None:
        """End the produce loop's sleep now (after a stop, or a send it must report on)."""
        self.woken.set()

    def _changed(self) -> None:
        self.changed.set()
        self.woken.set()


class ProduceLoop:
    """Generate and send records at the controlled rate until stopped or ``count`` delivered."""

    def __init__(
        self,
        producer: Producer,
        topic: str,
        generator: RecordGenerator | Callable[[], RecordGenerator],
        control: ProducerControl,
        count: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.producer = producer
        self.topic = topic
        self._generator = generator
        self.control = control
        self.count = count
        self.stats = ProducerStats()
        self._clock = clock

    def generator(self) -> RecordGenerator:
        """The generator, built on first use: in the producer's thread, not at start-up."""
        if not isinstance(self._generator, RecordGenerator):
            self._generator = self._generator()
        return self._generator

    def _on_delivery(self, err: KafkaError | None, _msg: Message) -> None:
        if err is None:
            self.stats.delivered += 1
        else:
            self.stats.failed += 1
            self.stats.last_error = err.str()

    def _quota_left(self) -> int | None:
        if self.count is None:
            return None
        return self.count - self.stats.sent

    def run(self, stop: threading.Event) -> None:
        """Produce until ``stop`` is set (or ``count`` is reached); never blocks long.

        One wake-up sends every record due by then: at rates above ``1 / TICK_S`` the
        loop wakes every ``TICK_S`` (librdkafka's ``linger.ms``), below that once per
        record, at its due time. Between wake-ups it sleeps on ``control.woken``, not
        in ``poll()``: a delivery report would wake ``poll()``, so serving them with
        ``poll(0)`` on each wake-up keeps the wake-ups to one per batch. ``stop`` is
        noticed at the next wake-up, at once if ``control.wake()`` is called with it.
        """
        pending: Encoded | None = None
        epoch, sent_at_epoch = self._clock(), self.stats.sent
        while not stop.is_set():
            self.control.woken.clear()
            if self.control.changed.is_set():
                self.control.changed.clear()
                epoch, sent_at_epoch = self._clock(), self.stats.sent
            left = self._quota_left()
            if left is not None and left <= 0:
                if self.stats.in_flight == 0:
                    return
                self.producer.poll(IDLE_POLL_S)  # woken by the reports it waits for
                continue
            if not self.control.enabled:
                self._idle()
                continue
            rate = self.control.rate
            if rate is None:
                due = MAX_BATCH
            else:
                sent = self.stats.sent - sent_at_epoch
                due = int((self._clock() - epoch) * rate) + 1 - sent
                if due > max(rate, 1.0):  # stalled (full queue, broker down): no burst after
                    epoch, sent_at_epoch = self._clock(), self.stats.sent
                    due = 1
                if due <= 0:
                    self.control.woken.wait(self._wait(rate, epoch + sent / rate))
                    continue
            if left is not None:
                due = min(due, left)
            pending = self._send_many(min(due, MAX_BATCH), pending)
            self.producer.poll(0)

    def _idle(self) -> None:
        """Switched off: serve the reports still due (this loop's, or the publisher's on the
        same client) as they come, else sleep until the control changes."""
        if len(self.producer):
            self.producer.poll(IDLE_POLL_S)
        else:
            self.control.woken.wait(IDLE_WAIT_S)

    def _wait(self, rate: float, next_due: float) -> float:
        """Seconds to sleep before the next record: at least ``TICK_S`` at high rates
        (records then go out in batches), at most ``IDLE_WAIT_S`` (stop is noticed)."""
        wait = next_due - self._clock()
        if rate * TICK_S > 1.0:
            wait = max(wait, TICK_S)
        return min(max(wait, 0.0), IDLE_WAIT_S)

    def _send_many(self, n: int, pending: Encoded | None) -> Encoded | None:
        """Queue up to ``n`` records (the hot loop: names bound once, no call per record
        beyond generate and produce); returns the record left over when the queue is full."""
        produce, encoded = self.producer.produce, self.generator().encoded
        topic, on_delivery = self.topic, self._on_delivery
        sent = 0
        try:
            for _ in range(n):
                record = pending or encoded()
                key, value = record
                try:
                    produce(topic, value, key, on_delivery=on_delivery)
                except BufferError:
                    self.stats.sent += sent  # before poll() serves delivery reports
                    sent = 0
                    self.producer.poll(0.05)
                    return record
                pending = None
                sent += 1
        finally:
            self.stats.sent += sent
        return None

    def flush(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for outstanding deliveries; returns what is left."""
        return int(self.producer.flush(timeout))
