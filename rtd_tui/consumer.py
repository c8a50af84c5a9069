"""The consume loop: assign every partition, read in batches, decode, hand to the store.

It uses ``assign()`` rather than a group subscription (no rebalance pauses, and
``--from`` maps straight onto start offsets); new partitions are picked up by a
periodic metadata refresh. Redelivered messages are dropped by the store, which
remembers the next expected offset of each partition. Connection state is kept in
``LinkStatus`` for the UI to read; nothing here touches a widget.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from rtd_tui.decode import decode_batch
from rtd_tui.ingest import IngestStage
from rtd_tui.store import RecordStore

log = logging.getLogger(__name__)

CONSUMER_DEFAULTS: dict[str, object] = {
    "group.id": "rtd-tui",
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "auto.offset.reset": "earliest",
    "fetch.wait.max.ms": 10,  # low latency: a live view, not a batch job (-X overrides)
}
METADATA_EVERY_S = 2.0
TAIL_KEEP = 500


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """Where the consumer's connection stands; replaced whole, so readers need no lock."""

    state: str = "connecting"  # connecting | connected | waiting for topic | unreachable
    detail: str = ""
    since: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """One partition as the stream view shows it."""

    partition: int
    low: int
    high: int
    position: int
    rate: float = 0.0  # messages/s consumed from this partition

    @property
    def lag(self) -> int:
        """Messages on the broker not yet read (0 while watermarks are unknown)."""
        return max(0, self.high - max(self.position, self.low)) if self.high >= 0 else 0


_UNREACHABLE = {
    KafkaError._TRANSPORT,
    KafkaError._ALL_BROKERS_DOWN,
    KafkaError._RESOLVE,
    KafkaError._AUTHENTICATION,
    KafkaError._SSL,
    KafkaError._TIMED_OUT,
}


class ConsumeLoop:
    """Consume ``topic`` into ``store`` until stopped."""

    def __init__(
        self,
        config: dict[str, object],
        topic: str,
        store: RecordStore,
        start_from: str | int = "earliest",
        batch_size: int = 10_000,
        poll_timeout: float = 0.02,
        on_tail: Callable[[list[Message]], None] | None = None,
    ) -> None:
        self._config = {**CONSUMER_DEFAULTS, **config, "error_cb": self._on_error}
        self.topic = topic
        self.store = store
        self.start_from = start_from
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.on_tail = on_tail
        self.status = LinkStatus()
        self.partitions: tuple[PartitionInfo, ...] = ()
        self._assigned: set[int] = set()
        self._start_offsets: dict[int, int] = {}
        self._watermarks_at = time.monotonic()
        self._first_assignment = True
        self._replay = threading.Event()
        self._stage: IngestStage | None = None

    def _set_status(self, state: str, detail: str = "") -> None:
        if (state, detail) != (self.status.state, self.status.detail):
            log.info("link %s %s", state, detail)
            self.status = LinkStatus(state, detail)

    def _on_error(self, err: KafkaError) -> None:
        log.warning("kafka error: %s", err.str())
        if err.code() in _UNREACHABLE or err.fatal():
            self._set_status("unreachable", err.str())

    def request_replay(self) -> None:
        """Ask the loop to clear the store and read the topic again from the beginning."""
        self._replay.set()

    def run(self, stop: threading.Event) -> None:
        """The loop itself; returns when ``stop`` is set. Closes the consumer on the way out."""
        consumer = Consumer(self._config)
        self._stage = IngestStage(self.store)  # decode + store run beside the fetching
        try:
            next_metadata = 0.0
            while not stop.is_set():
                now = time.monotonic()
                if self._replay.is_set():
                    self._replay.clear()
                    self._rewind(consumer)
                if now >= next_metadata:
                    self._refresh(consumer)
                    next_metadata = now + METADATA_EVERY_S
                if not self._assigned:
                    consumer.poll(self.poll_timeout)  # serves error_cb: the reason shows
                    continue
                messages = consumer.consume(self.batch_size, self.poll_timeout)
                if messages:
                    self._ingest(messages)
        finally:
            stage, self._stage = self._stage, None
            stage.close()
            consumer.close()

    def _ingest(self, messages: list) -> None:  # type: ignore[type-arg]
        """Columns out of the messages (few calls each), then off to the ingest stage."""
        good = [m for m in messages if m.error() is None]
        if len(good) != len(messages):
            for m in messages:
                err = m.error()
                if err is not None and err.code() != KafkaError._PARTITION_EOF:
                    self._on_error(err)
        if not good:
            return
        values: list[bytes | None] = [m.value() for m in good]
        partitions = [m.partition() for m in good]
        offsets = [m.offset() for m in good]
        keys = [m.key() for m in good] if None in values else None  # tombstones need keys
        if self.status.state != "connected":
            self._set_status("connected")
        if self._stage is not None:
            self._stage.put((values, partitions, offsets, keys))
        else:
            self.store.ingest(decode_batch(values, partitions, offsets, keys))
        if self.on_tail is not None:
            self.on_tail(good[-TAIL_KEEP:])  # the tail copies what it keeps

    def _refresh(self, consumer: Consumer) -> None:
        """Health check, new partitions, watermarks and lag for the stream view."""
        try:
            metadata = consumer.list_topics(self.topic, timeout=1.0)
        except KafkaException as exc:
            self._set_status("unreachable", exc.args[0].str() if exc.args else str(exc))
            return
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None or not topic.partitions:
            reason = topic.error.str() if topic is not None and topic.error else "no partitions"
            self._set_status("waiting for topic", reason)
            return
        if self.status.state != "connected":
            self._set_status("connected")
        new = sorted(set(topic.partitions) - self._assigned)
        if new:
            starts = [self._start(consumer, p) for p in new]
            self._start_offsets.update((tp.partition, tp.offset) for tp in starts)
            consumer.incremental_assign(starts)
            self._assigned.update(new)
            self._first_assignment = False
        self._watermarks(consumer)

    def _start(self, consumer: Consumer, partition: int) -> TopicPartition:
        """Where to start reading a partition, following ``--from`` on first assignment."""
        tp = TopicPartition(self.topic, partition, OFFSET_BEGINNING)
        if not self._first_assignment or self.start_from == "earliest":
            return tp
        if self.start_from == "latest":
            tp.offset = OFFSET_END
            return tp
        assert isinstance(self.start_from, int)
        low, high = consumer.get_watermark_offsets(tp, timeout=5.0)
        tp.offset = max(low, high + self.start_from)
        return tp

    def _watermarks(self, consumer: Consumer) -> None:
        """Low/high watermarks from the broker, our position, and per-partition rates."""
        now = time.monotonic()
        previous = {info.partition: info for info in self.partitions}
        elapsed = now - self._watermarks_at
        infos = []
        tps = [TopicPartition(self.topic, p) for p in sorted(self._assigned)]
        for tp in consumer.position(tps):
            try:
                low, high = consumer.get_watermark_offsets(tp, timeout=1.0)
            except KafkaException:
                return
            position = tp.offset
            if position < 0:  # nothing read yet: we sit at the start we were given
                position = high if self._start_offsets.get(tp.partition) == OFFSET_END else low
            before = previous.get(tp.partition)
            rate = (position - before.position) / elapsed if before and elapsed > 0 else 0.0
            infos.append(PartitionInfo(tp.partition, low, high, position, max(rate, 0.0)))
        self.partitions = tuple(infos)
        self._watermarks_at = now

    def _rewind(self, consumer: Consumer) -> None:
        if self._stage is not None:
            self._stage.drain()  # batches read before the rewind must not land after it
        self.store.rewind()
        self._start_offsets = dict.fromkeys(self._assigned, OFFSET_BEGINNING)
        consumer.assign([
            TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in sorted(self._assigned)
        ])
