"""The consume loop: assign every partition, read in batches, decode, hand to the store.

It uses ``assign()`` rather than a group subscription (no rebalance pauses, and
``--from`` maps straight onto start offsets, ``-N`` as librdkafka's tail offset, no
round trip; ``@TIME`` takes one lookup, ``seek.resolve``, before the assignment). A
watcher thread refreshes metadata (one request for the topic, on a client of its own:
confluent-kafka serializes calls on one consumer, so a metadata request on it would
wait for the fetching and hold it up). Watermarks come from the
consumer's cache, kept up to date by every fetch response: no request at all. So
the consume thread never waits on the broker for either, and every call is bounded
by a timeout. Redelivered messages are dropped by
the store, which remembers the next expected offset of each partition. When a
partition's offsets go back (the topic was deleted and recreated, or the broker lost
its data), that partition starts a new epoch in the store and a notice says so
(``notices``, and the log). Connection state is kept in ``LinkStatus`` for the UI to
read; nothing here touches a widget.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from rtd_tui import seek
from rtd_tui.config import is_time
from rtd_tui.ingest import Columns, IngestStage
from rtd_tui.store import RecordStore
from rtd_tui.store.offsets import OffsetRestarts, Restart

log = logging.getLogger(__name__)

CONSUMER_DEFAULTS: dict[str, object] = {
    "group.id": "rtd-tui",
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "auto.offset.reset": "earliest",
    "fetch.wait.max.ms": 10,  # low latency: a live view, not a batch job (-X overrides)
}
#: With a cluster of the user's, the broker waits up to this long for data before an
#: empty fetch answer, and answers as soon as data comes (a real broker does; the
#: embedded mock answers only after the wait, so it keeps the 10 ms above): far fewer
#: idle round trips, no added latency.
CLUSTER_FETCH_WAIT_MS = 100
METADATA_EVERY_S = 2.0
METADATA_TIMEOUT_S = 0.5
#: Watermarks are first read this long after an assignment: by then fetch answers
#: have filled the client's cache.
FIRST_WATERMARKS_S = 0.5
#: A batch is what arrives within ``GATHER_S`` (or ``batch_size`` messages, if sooner):
#: a batch costs ~2.5 ms whatever its size (decode and store), so at most 10 a second.
GATHER_S = 0.1
#: After a full batch (a backlog is being read) the next one waits at most this long:
#: the end of a backlog is not held back for a whole ``GATHER_S``.
BACKLOG_GATHER_S = 0.01
#: Before any partition is assigned: how often the loop looks for the assignment.
UNASSIGNED_POLL_S = 0.05
TAIL_KEEP = 500
#: librdkafka's logical offset "N messages before the end" (RD_KAFKA_OFFSET_TAIL).
OFFSET_TAIL_BASE = -2000
NOTICES_KEPT = 20


def tail_offset(n: int) -> int:
    """The logical offset "``n`` messages before the end": librdkafka looks the end up."""
    return OFFSET_TAIL_BASE - n


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """Where the consumer's connection stands; replaced whole, so readers need no lock."""

    state: str = "connecting"  # connecting | connected | waiting for topic | unreachable
    # | cannot start (a ``@TIME`` the broker cannot look up)
    detail: str = ""
    since: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """One partition as the stream view shows it."""

    partition: int
    low: int
    high: int
    position: int
    rate: float = 0.0  # messages/s consumed from it (``Pipeline.status`` fills it in)
    idle: float | None = None  # seconds since its last new message (None: none yet)

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
        poll_timeout: float = GATHER_S,
        on_tail: Callable[[list[Message]], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` (epoch seconds) anchors a relative ``@-15m`` start."""
        self._config = {**CONSUMER_DEFAULTS, **config, "error_cb": self._on_error}
        self.topic = topic
        self.store = store
        self.start_from = start_from
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.on_tail = on_tail
        self.clock = clock
        self.started_from = ""  # "from 10:00:00" once a @TIME start is resolved
        self.status = LinkStatus()
        self.partitions: tuple[PartitionInfo, ...] = ()
        self._assigned: set[int] = set()
        self._start_offsets: dict[int, int] = {}
        self._by_time: set[int] = set()  # partitions whose @TIME start is not looked up yet
        self._first_assignment = True
        self._lock = threading.Lock()  # epoch, replay request and new partitions
        self._replay: dict[int, int] | None = None  # start offsets of a requested replay
        self._to_assign: list[TopicPartition] = []
        self._next_watermarks = 0.0
        self._stage: IngestStage | None = None
        self._restarts = OffsetRestarts()
        #: What happened to the stream that the user must know (offsets reused): the last
        #: ``NOTICES_KEPT``, oldest first, replaced whole (readers need no lock); and how
        #: many there have been.
        self.notices: tuple[str, ...] = ()
        self.notice_count = 0

    def _set_status(self, state: str, detail: str = "") -> None:
        if (state, detail) != (self.status.state, self.status.detail):
            log.info("link %s %s", state, detail)
            self.status = LinkStatus(state, detail)

    def _on_error(self, err: KafkaError) -> None:
        log.warning("kafka error: %s", err.str())
        if err.code() in _UNREACHABLE or err.fatal():
            self._set_status("unreachable", err.str())

    @property
    def dropped(self) -> int:
        """Messages fetched before a clear or replay and therefore never stored."""
        return self._stage.dropped if self._stage is not None else 0

    def clear(self) -> int:
        """Clear the store as a barrier: batches fetched before it are dropped, not stored.
        Returns how many fetched messages waiting to be stored were dropped."""
        with self._lock:
            if self._stage is None:
                self.store.clear()
                return 0
            return self._stage.barrier(self.store.clear)

    def request_replay(
        self, offsets: Mapping[int, int] | None = None, label: str = "",
        default: int = OFFSET_BEGINNING,
    ) -> int:
        """Empty the store and read the topic again (a barrier too): from ``offsets`` (per
        partition; logical ones such as ``OFFSET_END`` or ``tail_offset(n)`` too), ``default``
        for any other partition; ``label`` says where (``from 10:00:00``). Returns how many
        fetched messages waiting to be stored were dropped."""
        with self._lock:
            self._replay = {**dict.fromkeys(self._assigned, default), **(offsets or {})}
            self.started_from = label
            if self._stage is None:
                self.store.rewind()
                return 0
            return self._stage.barrier(self.store.rewind)

    def run(self, stop: threading.Event) -> None:
        """The loop itself; returns when ``stop`` is set. Closes the consumer on the way out."""
        consumer = Consumer(self._config)
        with self._lock:
            self._stage = IngestStage(self.store)  # decode + store run beside the fetching
        admin_config: dict[str, Any] = {
            k: v for k, v in self._config.items() if k not in CONSUMER_DEFAULTS
        }
        admin = AdminClient(admin_config)
        watcher = threading.Thread(target=self._watch, args=(admin, stop),
                                   name="rtd-partitions", daemon=True)
        watcher.start()
        halted = ""
        try:
            self._connect(consumer)
            gather = self.poll_timeout
            while not stop.is_set():
                epoch = self._sync(consumer, stop)
                if not self._assigned:
                    consumer.poll(UNASSIGNED_POLL_S)  # serves error_cb: the reason shows
                    continue
                messages = consumer.consume(self.batch_size, gather)
                full = len(messages) >= self.batch_size
                gather = min(BACKLOG_GATHER_S, self.poll_timeout) if full else self.poll_timeout
                if messages:
                    self._ingest(epoch, messages)
        except seek.TimeLookupError as exc:
            halted = str(exc)
            raise
        finally:
            stop.set()
            watcher.join()  # within METADATA_TIMEOUT_S
            if halted:  # after the watcher, which could have said "connected" again
                self.status = LinkStatus("cannot start", halted)
            with self._lock:
                stage, self._stage = self._stage, None
            if stage is not None:
                stage.close()
            consumer.close()

    def _connect(self, consumer: Consumer) -> None:
        """One metadata request on the consumer itself, once, bounded: it connects, learns
        the partition leaders and the first assignment now, so fetching starts at once
        (without it, the first fetch came about a second later)."""
        self._refresh(consumer)

    def _sync(self, consumer: Consumer, stop: threading.Event) -> int:
        """Between batches: assign new partitions, rewind for a replay; returns the epoch
        the next batch belongs to (read with the replay request, so they always agree)."""
        with self._lock:
            assign, self._to_assign = self._to_assign, []
            replay, self._replay = self._replay, None
            epoch = self._stage.epoch if self._stage is not None else 0
            self._assigned.update(tp.partition for tp in assign)
        if assign:
            self._seek_times(consumer, assign, stop)
            consumer.incremental_assign(assign)
            self._next_watermarks = time.monotonic() + FIRST_WATERMARKS_S  # after a fetch
        if replay is not None:
            self._restarts.forget()
            self._start_offsets = {p: replay.get(p, OFFSET_BEGINNING) for p in self._assigned}
            consumer.assign([
                TopicPartition(self.topic, p, o) for p, o in sorted(self._start_offsets.items())
            ])
        if time.monotonic() >= self._next_watermarks:
            self._next_watermarks = time.monotonic() + METADATA_EVERY_S
            self._watermarks(consumer)
        return epoch

    def _seek_times(
        self, consumer: Consumer, assign: list[TopicPartition], stop: threading.Event
    ) -> None:
        """Set the start offsets of a ``@TIME`` start (a relative one counts from now)."""
        timed = [tp for tp in assign if tp.partition in self._by_time]
        if not timed:
            return
        assert isinstance(self.start_from, str)
        start = seek.resolve(consumer, self.topic, [tp.partition for tp in timed],
                             seek.start_ms(self.start_from, self.clock()), stop)
        for tp in timed:
            tp.offset = start.offsets[tp.partition]
            self._start_offsets[tp.partition] = tp.offset
            self._by_time.discard(tp.partition)
        self.started_from = seek.start_label(start.at_ms, self.clock())

    def _ingest(self, epoch: int, messages: list[Any]) -> None:
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
        start = 0
        for restart in self._restarts.scan(partitions, offsets):
            cut = slice(start, restart.index)
            self._put(epoch, (values[cut], partitions[cut], offsets[cut], keys and keys[cut]))
            self._new_epoch(restart)
            start = restart.index
        rest = slice(start, None)
        self._put(epoch, (values[rest], partitions[rest], offsets[rest], keys and keys[rest]))
        if self.on_tail is not None:
            self.on_tail(good[-TAIL_KEEP:])  # the tail keeps references, copies on reading

    def _put(self, epoch: int, columns: Columns) -> None:
        if columns[0] and self._stage is not None:
            self._stage.put(epoch, columns)

    def _new_epoch(self, restart: Restart) -> None:
        """Offsets of a partition went back: what was read before is stored first, then
        the store accepts the partition's offsets again, and a notice says so."""
        if self._stage is not None:
            self._stage.drain()
        self.store.restart_partition(restart.partition)
        notice = (f"{self.topic} recreated: partition {restart.partition} restarted at "
                  f"offset {restart.offset:,} (had reached {restart.previous:,})")
        log.warning("%s", notice)
        self.notices = (*self.notices, notice)[-NOTICES_KEPT:]
        self.notice_count += 1

    def _watch(self, admin: AdminClient, stop: threading.Event) -> None:
        """The watcher thread: metadata every ``METADATA_EVERY_S``."""
        while not stop.is_set():
            try:
                self._refresh(admin)
            except Exception:  # a watcher failure must not stop consumption
                log.exception("partition refresh failed")
            stop.wait(METADATA_EVERY_S)

    def _refresh(self, client: AdminClient | Consumer) -> None:
        """Health check and new partitions (handed to the consume thread to assign)."""
        try:
            metadata = client.list_topics(self.topic, timeout=METADATA_TIMEOUT_S)
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
        with self._lock:
            known = self._assigned | {tp.partition for tp in self._to_assign}
            new = sorted(set(topic.partitions) - known)
            if new:
                starts = [self._start(p) for p in new]
                self._start_offsets.update((tp.partition, tp.offset) for tp in starts)
                self._to_assign.extend(starts)
                self._first_assignment = False

    def _start(self, partition: int) -> TopicPartition:
        """Where to start reading a partition, following ``--from`` on first assignment."""
        tp = TopicPartition(self.topic, partition, OFFSET_BEGINNING)
        if not self._first_assignment or self.start_from == "earliest":
            return tp
        if self.start_from == "latest":
            tp.offset = OFFSET_END
            return tp
        if is_time(self.start_from):
            self._by_time.add(partition)  # looked up on the consume thread, in _sync
            return tp
        assert isinstance(self.start_from, int)
        tp.offset = tail_offset(-self.start_from)
        return tp

    def _watermarks(self, consumer: Consumer) -> None:
        """Low/high watermarks from the client's cache and our position (local calls on the
        consume thread, no round trip to the broker). Rates come from the store's clock."""
        previous = {info.partition: info for info in self.partitions}
        infos = []
        tps = [TopicPartition(self.topic, p) for p in sorted(self._assigned)]
        for tp in consumer.position(tps) if tps else []:
            low, high = consumer.get_watermark_offsets(tp, cached=True)
            before = previous.get(tp.partition)
            if high < 0:  # no fetch response for it yet: the last known, else unknown
                low, high = (before.low, before.high) if before else (0, -1)
            position = self._restarts.next_offset(tp.partition)
            if position is None:
                position = tp.offset
            if position < 0:  # nothing read yet: we sit at the start we were given
                start = self._start_offsets.get(tp.partition, OFFSET_BEGINNING)
                position = high if start == OFFSET_END else max(start, low)
            infos.append(PartitionInfo(tp.partition, low, high, position))
            if 0 <= high < position and before is not None and before.high == high:
                self._read_again(consumer, tp.partition, high, position)
        self.partitions = tuple(infos)

    def _read_again(self, consumer: Consumer, partition: int, high: int, position: int) -> None:
        """The broker's log ends before our position on two looks running: it started again
        (a recreated topic, a broker without its data) and the client did not notice (it
        does not always). Read the partition from its beginning: the offsets going back
        then start its new epoch (``_new_epoch``)."""
        log.warning("%s [%d]: the log ends at %d, before our position %d: reading it again "
                    "from the beginning", self.topic, partition, high, position)
        try:
            consumer.seek(TopicPartition(self.topic, partition, OFFSET_BEGINNING))
        except KafkaException as exc:
            log.warning("seek failed (%s): assigning the partition again", exc)
            consumer.incremental_unassign([TopicPartition(self.topic, partition)])
            consumer.incremental_assign([TopicPartition(self.topic, partition, OFFSET_BEGINNING)])
