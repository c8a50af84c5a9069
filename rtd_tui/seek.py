"""Start reading at a moment: the ``@TIME`` forms and the broker's offsets-for-times lookup.

``--from @2026-12-01T10:00:00`` (ISO-8601, local time unless it carries an offset or
``Z``) or ``--from @-15m`` (relative: s, m, h or d before now). The text is kept as
given (``Settings`` stays plain data) and turned into epoch milliseconds only when
reading starts, so a relative time counts from then, on an injectable clock.

Each partition starts at the first message whose timestamp is at or after that
moment (Kafka's ListOffsets by timestamp, ``Consumer.offsets_for_times``). A moment
after the last message means "new messages only"; one before the first, "from the
beginning". A broker that cannot answer (librdkafka's mock answers "end" for every
time, an old broker answers an error) raises ``TimeLookupError``: never a silent
fallback to another start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from confluent_kafka import (
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from rtd_tui.config import moment_of

#: The lookup is asked this long at a time (so a quit is noticed), at most this many times.
LOOKUP_TIMEOUT_S = 0.5
LOOKUP_ATTEMPTS = 20
#: ``read_from`` gives up after this long, with what it has read.
READ_TIMEOUT_S = 10.0
#: Answers that mean "not now" (a new topic's leader, a restarting broker), not "cannot".
_NOT_READY = frozenset({
    KafkaError._TIMED_OUT, KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN,
    KafkaError._UNKNOWN_PARTITION, KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE, KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError.REQUEST_TIMED_OUT, KafkaError.OFFSET_NOT_AVAILABLE,
    KafkaError.FENCED_LEADER_EPOCH, KafkaError.UNKNOWN_LEADER_EPOCH,
})


class TimeLookupError(Exception):
    """The broker cannot tell which offset a time falls on."""


def start_ms(text: str, now: float) -> int:
    """The moment ``text`` names, in epoch milliseconds; ``now`` (epoch s) anchors @-N."""
    return int(moment_of(text, now).timestamp() * 1000)


def start_label(at_ms: int, now: float) -> str:
    """``from 10:00:00`` (local), with the date when it is not today's."""
    moment = datetime.fromtimestamp(at_ms / 1000).astimezone()
    today = datetime.fromtimestamp(now).astimezone().date()
    shape = "%H:%M:%S" if moment.date() == today else "%Y-%m-%d %H:%M:%S"
    return f"from {moment.strftime(shape)}"


@dataclass(frozen=True, slots=True)
class TimeStart:
    """Where each partition starts for a moment (``OFFSET_END``: no message since)."""

    at_ms: int
    offsets: dict[int, int]


def resolve(
    consumer: Consumer, topic: str, partitions: list[int], at_ms: int, stop: threading.Event
) -> TimeStart:
    """``offsets_at``, asked again while the broker is not ready to answer (a leader being
    elected, a timeout); a set ``stop`` ends the wait early (the result then starts every
    partition at the end: nothing will be read)."""
    last = "no answer"
    for _ in range(LOOKUP_ATTEMPTS):
        if stop.is_set():
            return TimeStart(at_ms, dict.fromkeys(partitions, OFFSET_END))
        try:
            return TimeStart(
                at_ms, offsets_at(consumer, topic, partitions, at_ms, LOOKUP_TIMEOUT_S)
            )
        except KafkaException as exc:  # not ready yet: ask again
            last = _reason(exc)
            stop.wait(LOOKUP_TIMEOUT_S / 5)
    raise TimeLookupError(
        f"the broker did not answer the time lookup within "
        f"{LOOKUP_ATTEMPTS * LOOKUP_TIMEOUT_S:g} s: {last}"
    )


def offsets_at(
    consumer: Consumer, topic: str, partitions: Iterable[int], at_ms: int, timeout: float
) -> dict[int, int]:
    """Per partition, the offset of its first message at or after ``at_ms`` (``OFFSET_END``
    when none is). Raises ``TimeLookupError`` when the broker cannot answer, and
    ``KafkaException`` when it is not ready to (worth asking again)."""
    wanted = sorted(partitions)
    found = _lookup(consumer, topic, wanted, at_ms, timeout)
    ends = [p for p, offset in found.items() if offset < 0]
    if ends:  # "after the last message", or a broker that answers "end" to everything
        _check_answers(consumer, topic, ends, timeout)
    return {p: offset if offset >= 0 else OFFSET_END for p, offset in found.items()}


def _reason(exc: KafkaException) -> str:
    err = exc.args[0] if exc.args else None
    return err.str() if isinstance(err, KafkaError) else str(exc)


def _not_ready(err: KafkaError) -> bool:
    return err.code() in _NOT_READY or err.retriable()


def _lookup(
    consumer: Consumer, topic: str, partitions: list[int], at_ms: int, timeout: float
) -> dict[int, int]:
    try:
        answer = consumer.offsets_for_times(
            [TopicPartition(topic, p, at_ms) for p in partitions], timeout=timeout
        )
    except KafkaException as exc:
        err = exc.args[0] if exc.args else None
        if isinstance(err, KafkaError) and _not_ready(err):
            raise
        raise TimeLookupError(
            f"the broker cannot look offsets up by time: {_reason(exc)}"
        ) from None
    for tp in answer:
        if tp.error is not None:
            if _not_ready(tp.error):
                raise KafkaException(tp.error)
            raise TimeLookupError(
                f"the broker cannot look offsets up by time for partition "
                f"{tp.partition}: {tp.error.str()}"
            )
    return {tp.partition: tp.offset for tp in answer}


def _check_answers(consumer: Consumer, topic: str, partitions: list[int], timeout: float) -> None:
    """A partition that holds messages must have one at or after time 0: a broker that says
    otherwise (librdkafka's mock does) does not look offsets up by time at all."""
    first = _lookup(consumer, topic, partitions, 0, timeout)
    for p in partitions:
        if first[p] >= 0:
            continue
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
        if high > low:
            raise TimeLookupError(
                f"the broker cannot look offsets up by time (partition {p} holds offsets "
                f"{low}-{high - 1} but none is at or after time 0): librdkafka's mock "
                "cluster and brokers before Kafka 0.10.1 cannot"
            )


def _own_consumer(config: dict[str, object]) -> Consumer:
    """A consumer of its own (the dashboard's reader goes on meanwhile); never commits."""
    return Consumer({**config, "group.id": "rtd-tui-seek", "enable.auto.commit": False})


def lookup(config: dict[str, object], topic: str, at_ms: int, stop: threading.Event) -> TimeStart:
    """``resolve`` for every partition of ``topic``, on a consumer of its own, closed
    before returning."""
    consumer = _own_consumer(config)
    try:
        try:
            metadata = consumer.list_topics(topic, timeout=LOOKUP_ATTEMPTS * LOOKUP_TIMEOUT_S)
        except KafkaException as exc:
            why = _reason(exc)
            raise TimeLookupError(f"cannot list the partitions of {topic}: {why}") from None
        found = metadata.topics.get(topic)
        if found is None or found.error is not None or not found.partitions:
            why = found.error.str() if found is not None and found.error else "no partitions"
            raise TimeLookupError(f"cannot look times up in {topic}: {why}")
        return resolve(consumer, topic, sorted(found.partitions), at_ms, stop)
    finally:
        consumer.close()


def read_from(
    config: dict[str, object], topic: str, offsets: Mapping[int, int], limit: int,
    stop: threading.Event, timeout: float = READ_TIMEOUT_S,
    until: Mapping[int, int] | None = None,
) -> list[Message]:
    """The first ``limit`` messages from ``offsets`` (partitions at ``OFFSET_END`` have
    none), oldest first by timestamp, read on a consumer of its own: at most ``limit`` of
    each partition, up to its end as it was when reading began, or before its ``until``
    offset when given (``OFFSET_END`` there: the end); ``stop`` or ``timeout`` ends the
    reading early with what was read."""
    consumer = _own_consumer(config)
    try:
        ends = {p: _end(consumer, topic, p, (until or {}).get(p, OFFSET_END))
                for p, start in offsets.items() if start >= 0}
        left = {p: min(limit, end - offsets[p]) for p, end in ends.items() if end > offsets[p]}
        consumer.assign([TopicPartition(topic, p, offsets[p]) for p in sorted(left)])
        read: list[Message] = []
        deadline = time.monotonic() + timeout
        while left and not stop.is_set() and time.monotonic() < deadline:
            for m in consumer.consume(limit, LOOKUP_TIMEOUT_S):
                p = m.partition()
                if m.error() is not None or p not in left:
                    continue
                read.append(m)
                left[p] -= 1
                if left[p] == 0 or (m.offset() or 0) + 1 >= ends[p]:
                    del left[p]
    except KafkaException as exc:
        raise TimeLookupError(f"cannot read {topic} from that time: {_reason(exc)}") from None
    finally:
        consumer.close()
    read.sort(key=lambda m: (m.timestamp()[1], m.partition() or 0, m.offset() or 0))
    return read[:limit]


def _end(consumer: Consumer, topic: str, partition: int, until: int) -> int:
    """Where reading a partition stops: ``until``, or its end now (``OFFSET_END``)."""
    high = consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                          timeout=LOOKUP_TIMEOUT_S * 4)[1]
    return high if until < 0 else min(until, high)
