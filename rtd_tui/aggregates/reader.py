"""The aggregates reader: the whole aggregates topic, from the beginning, read committed.

The job writes with a transactional sink, so only committed aggregates are read
(``isolation.level=read_committed``). Every partition is assigned (no group, no
rebalance), read in batches with bounded polls, decoded message by message (a
malformed one is counted with its error, the rest of its batch is kept) and handed
to the ``AggregateStore``. Beside it, on a thread of its own, the ``RawTail`` re-reads
the newest raw records and the job's offsets. Nothing here touches a widget.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from rtd_tui.aggregates.raw_tail import RawTail
from rtd_tui.aggregates.rows import AggregateError, decode_message
from rtd_tui.aggregates.store import AggregateStore, Update
from rtd_tui.consumer import (
    CONSUMER_DEFAULTS,
    GATHER_S,
    METADATA_EVERY_S,
    METADATA_TIMEOUT_S,
    UNASSIGNED_POLL_S,
    LinkStatus,
    PartitionInfo,
)

log = logging.getLogger(__name__)

READER_DEFAULTS: dict[str, object] = {**CONSUMER_DEFAULTS, "isolation.level": "read_committed"}
BATCH_SIZE = 10_000


class AggregatesLoop:
    """Read ``topic`` (the aggregates) into ``store`` until stopped; ``tail`` runs beside."""

    def __init__(self, config: dict[str, object], topic: str, store: AggregateStore,
                 tail: RawTail) -> None:
        self._config = {**READER_DEFAULTS, **config, "error_cb": self._on_error}
        self.topic = topic
        self.store = store
        self.tail = tail
        self.status = LinkStatus()
        self._assigned: set[int] = set()
        self._lock = threading.Lock()  # replay request against a batch being applied
        self._replay = False
        self._next_metadata = 0.0

    @property
    def partitions(self) -> tuple[PartitionInfo, ...]:
        """The raw topic's partitions, positioned where the job has committed."""
        return self.tail.partitions

    def _set_status(self, state: str, detail: str = "") -> None:
        if (state, detail) != (self.status.state, self.status.detail):
            log.info("aggregates link %s %s", state, detail)
            self.status = LinkStatus(state, detail)

    def _on_error(self, err: KafkaError) -> None:
        log.warning("kafka error (aggregates): %s", err.str())
        if err.fatal() or err.code() in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN,
                                         KafkaError._RESOLVE, KafkaError._AUTHENTICATION):
            self._set_status("unreachable", err.str())

    def clear(self) -> int:
        """Figures since now (a baseline: nothing fetched is dropped, so 0)."""
        self.store.clear()
        return 0

    def request_replay(self) -> int:
        """Forget the aggregates and read the topic again from the beginning; a batch
        fetched before is not applied. Returns 0: aggregates are read again, not lost."""
        with self._lock:
            self._replay = True
            self.store.rewind()
        self.tail.reread()  # the tail view was emptied too: it gets the newest messages again
        return 0

    def run(self, stop: threading.Event) -> None:
        """The loop; returns when ``stop`` is set, with the tail stopped and clients closed."""
        consumer = Consumer(self._config)
        tail = threading.Thread(target=self.tail.run, args=(stop,), name="rtd-raw-tail",
                                daemon=True)
        tail.start()
        try:
            while not stop.is_set():
                self._sync(consumer)
                if not self._assigned:
                    consumer.poll(UNASSIGNED_POLL_S)  # serves error_cb: the reason shows
                    continue
                messages = consumer.consume(BATCH_SIZE, GATHER_S)
                if messages:
                    self._apply(messages)
        finally:
            stop.set()
            tail.join()
            consumer.close()

    def _sync(self, consumer: Consumer) -> None:
        """Between batches: new partitions (metadata every few seconds) and a replay."""
        with self._lock:
            replay, self._replay = self._replay, False
        if replay and self._assigned:
            consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING)
                             for p in sorted(self._assigned)])
        if time.monotonic() < self._next_metadata:
            return
        self._next_metadata = time.monotonic() + METADATA_EVERY_S
        try:
            topic = consumer.list_topics(self.topic, timeout=METADATA_TIMEOUT_S).topics.get(
                self.topic)
        except KafkaException as exc:
            self._set_status("unreachable", exc.args[0].str() if exc.args else str(exc))
            return
        if topic is None or topic.error is not None or not topic.partitions:
            reason = topic.error.str() if topic is not None and topic.error else "no partitions"
            self._set_status("waiting for topic", f"{self.topic}: {reason}; is the job running?")
            return
        self._set_status("connected")
        new = sorted(set(topic.partitions) - self._assigned)
        if new:
            consumer.incremental_assign([TopicPartition(self.topic, p, OFFSET_BEGINNING)
                                         for p in new])
            self._assigned.update(new)

    def _apply(self, messages: Sequence[Message]) -> None:
        """Decode each message on its own: a malformed one is an error, the others count."""
        updates: list[Update] = []
        errors: list[str] = []
        newest: int | None = None
        for m in messages:
            err = m.error()
            if err is not None:
                if err.code() != KafkaError._PARTITION_EOF:
                    self._on_error(err)
                continue
            try:
                decoded = decode_message(m.key(), m.value(),
                                         f"partition {m.partition()} offset {m.offset()}")
            except AggregateError as exc:
                errors.append(str(exc))
                continue
            if decoded is not None:
                updates.append(decoded)
            kind, ts = m.timestamp()
            if kind != TIMESTAMP_NOT_AVAILABLE:
                newest = ts if newest is None else max(newest, ts)
        for error in errors[-3:]:
            log.warning("malformed aggregate: %s", error)
        with self._lock:
            if not self._replay:  # fetched before a replay request: read again instead
                self.store.apply(updates, errors, newest)
