"""A bounded tail of the raw topic, and the job's committed offsets on it.

Every refresh the newest messages of each partition are read (``TAIL_MESSAGES`` in all,
shared among the partitions: from the high watermark minus a partition's share, or from
where the last read stopped when that is later), then the partitions are unassigned so
nothing is fetched between reads: the cost follows the tail's size, not the raw rate.
The held messages are decoded exactly as the raw view decodes them (rows an in-tail
tombstone deletes are dropped) and handed to the store, newest last. The same client
reads the committed offsets of the job's consumer group (it never commits, nor joins
the group), which give the job's lag on each partition.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

import polars as pl
from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from rtd_tui.aggregates.store import AggregateStore
from rtd_tui.consumer import CONSUMER_DEFAULTS, METADATA_TIMEOUT_S, PartitionInfo
from rtd_tui.decode import decode_batch
from rtd_tui.store.record_store import drop_deleted

log = logging.getLogger(__name__)

#: Raw messages held, shared among the partitions: the latest-records table and the
#: scatter's sample; a partition's share is at least ``MIN_PER_PARTITION``.
TAIL_MESSAGES = 2_000
MIN_PER_PARTITION = 50
#: A read of the tail gives up after this long (the rest waits for the next refresh).
READ_TIMEOUT_S = 1.0
TAIL_DEFAULTS: dict[str, object] = {
    **CONSUMER_DEFAULTS,
    "enable.partition.eof": True,
    # Small fetches: a tail is a few hundred messages, not the stream going by meanwhile.
    "max.partition.fetch.bytes": 256 * 1024,
    "queued.max.messages.kbytes": 1024,
}


def job_group(topic: str) -> str:
    """The consumer group the aggregating job commits its raw-topic offsets under."""
    return f"rtd-tui-aggregate-{topic}"


class RawTail:
    """The newest raw messages of each partition, read again every ``every`` seconds."""

    def __init__(
        self, config: dict[str, object], topic: str, store: AggregateStore, every: float,
        messages: int = TAIL_MESSAGES,
        on_tail: Callable[[list[Message]], None] | None = None,
    ) -> None:
        self.config = {**TAIL_DEFAULTS, **config, "group.id": job_group(topic)}
        self.topic = topic
        self.store = store
        self.every = every
        self.messages = messages
        self.on_tail = on_tail
        self.partitions: tuple[PartitionInfo, ...] = ()  # position: the job's committed offset
        self.committed = False  # whether the job has committed any offset yet
        self._held: dict[int, deque[Message]] = {}
        self._reread = threading.Event()  # set by a replay: hand the whole tail over again

    def run(self, stop: threading.Event) -> None:
        """Read the tail every ``every`` seconds until ``stop``; a failed read is logged
        and tried again next time (the aggregates go on being shown)."""
        consumer = Consumer(self.config)
        try:
            while not stop.is_set():
                try:
                    self.refresh(consumer, stop)
                except KafkaException as exc:
                    log.warning("raw tail: %s", exc)
                stop.wait(self.every)
        finally:
            consumer.close()

    def reread(self) -> None:
        """Read the whole tail again at the next refresh (after a replay emptied the views)."""
        self._reread.set()

    def refresh(self, consumer: Consumer, stop: threading.Event) -> None:
        """One read: watermarks, the new tail messages, the job's committed offsets."""
        if self._reread.is_set():
            self._reread.clear()
            self._held.clear()
        topic = consumer.list_topics(self.topic, timeout=METADATA_TIMEOUT_S).topics.get(self.topic)
        if topic is None or topic.error is not None:
            return
        marks = {p: consumer.get_watermark_offsets(TopicPartition(self.topic, p),
                                                   timeout=METADATA_TIMEOUT_S)
                 for p in sorted(topic.partitions)}
        share = max(MIN_PER_PARTITION, self.messages // max(1, len(marks)))
        for p, held in list(self._held.items()):
            if p not in marks or self._next(p) > marks[p][1]:  # gone, or made again
                del self._held[p]
            elif held.maxlen != share:  # the partitions changed: every share too
                self._held[p] = deque(held, maxlen=share)
        starts = {p: max(low, high - share, self._next(p)) for p, (low, high) in marks.items()}
        wanted = {p: high for p, (_low, high) in marks.items() if starts[p] < high}
        if wanted:
            fresh = self._read(consumer, starts, wanted, share, stop)
            if fresh and self.on_tail is not None:
                self.on_tail(fresh)
            self.store.set_tail(self._rows())
        committed = consumer.committed([TopicPartition(self.topic, p) for p in marks],
                                       timeout=METADATA_TIMEOUT_S)
        positions = {tp.partition: tp.offset for tp in committed if tp.offset >= 0}
        self.committed = bool(positions)
        self.partitions = tuple(
            PartitionInfo(p, low, high, positions.get(p, low)) for p, (low, high) in marks.items()
        )

    def _next(self, partition: int) -> int:
        held = self._held.get(partition)
        return (held[-1].offset() or 0) + 1 if held else 0

    def _read(self, consumer: Consumer, starts: dict[int, int], wanted: dict[int, int],
              share: int, stop: threading.Event) -> list[Message]:
        """The messages from ``starts`` up to the ``wanted`` high watermarks, bounded in time."""
        consumer.assign([TopicPartition(self.topic, p, starts[p]) for p in wanted])
        fresh: list[Message] = []
        pending = set(wanted)
        deadline = time.monotonic() + READ_TIMEOUT_S
        try:
            while pending and not stop.is_set() and time.monotonic() < deadline:
                for m in consumer.consume(1000, 0.1):
                    p, offset, err = m.partition() or 0, m.offset() or 0, m.error()
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:
                            pending.discard(p)
                        continue
                    if p not in wanted or offset >= wanted[p]:  # came in after the watermark
                        pending.discard(p)
                        continue
                    self._held.setdefault(p, deque(maxlen=share)).append(m)
                    fresh.append(m)
                    if offset == wanted[p] - 1:
                        pending.discard(p)
        finally:
            consumer.unassign()  # nothing is fetched until the next read
        return fresh

    def _rows(self) -> pl.DataFrame:
        """The held messages as the raw view's rows, ordered by message time, newest last."""
        return tail_rows([m for messages in self._held.values() for m in messages])


def tail_rows(messages: Sequence[Message]) -> pl.DataFrame:
    """Valid records of ``messages``, minus those a later tombstone deletes, oldest first."""
    partitions = [m.partition() or 0 for m in messages]
    offsets = [m.offset() or 0 for m in messages]
    batch = decode_batch([m.value() for m in messages], partitions, offsets,
                         [m.key() for m in messages])
    rows = drop_deleted(batch.rows, batch.tombstones)
    order = pl.DataFrame(
        {"partition": partitions, "offset": offsets,
         "ts": [m.timestamp()[1] for m in messages]},
        schema={"partition": rows.schema["partition"], "offset": pl.Int64, "ts": pl.Int64},
    )
    return (rows.join(order, on=["partition", "offset"], how="left")
            .sort("ts", "partition", "offset").drop("ts"))
