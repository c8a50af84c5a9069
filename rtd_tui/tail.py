"""The live tail: the newest raw messages, each with its verdict when it is read.

The consumer thread hands each batch's last messages to ``TailBuffer.add``, which only
keeps references to them (a few microseconds per batch). Copying their fields out and
deciding whether each is valid, rejected or a tombstone happen later, when a reader
asks, by the same ``decode_batch`` the store uses, on just the entries it reads and
only once each: the consume path pays for neither, a tail nobody looks at costs nothing,
and one that shows 200 rows classifies 200, not the 2,000 held for lookups.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Literal

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message

from rtd_tui.decode import decode_batch
from rtd_tui.records import MAX_MESSAGE_BYTES

TAIL_CAPACITY = 2_000
#: Bytes of a value kept: one past the limit still decides "message too large", and
#: bounds the buffer (at worst 2,000 times 64 KiB) whatever the broker lets through.
VALUE_KEEP = MAX_MESSAGE_BYTES + 1

Status = Literal["valid", "rejected", "tombstone"]
Headers = tuple[tuple[str, bytes | None], ...]

@dataclass(frozen=True, slots=True)
class TailEntry:
    """One consumed message as the tail and the record detail show it."""

    partition: int
    offset: int
    key: bytes | None
    timestamp_ms: int  # -1 when the broker gave none
    size: int  # value bytes on the wire (0 for a tombstone)
    value: bytes | None  # at most VALUE_KEEP bytes of it
    status: Status = "valid"
    reason: str = ""
    headers: Headers = ()
    seq: int = -1  # arrival number in its buffer: tells a re-read apart from the first read


def _as_bytes(data: bytes | str | None) -> bytes | None:
    return data.encode("utf-8") if isinstance(data, str) else data


def _entry(m: Message, seq: int) -> TailEntry:
    value = _as_bytes(m.value())
    kind, ts = m.timestamp()
    headers = m.headers() or ()
    if isinstance(headers, dict):
        headers = list(headers.items())
    return TailEntry(
        partition=m.partition() or 0,
        offset=m.offset() or 0,
        key=_as_bytes(m.key()),
        timestamp_ms=ts if kind != TIMESTAMP_NOT_AVAILABLE else -1,
        size=len(value) if value is not None else 0,
        value=value[:VALUE_KEEP] if value is not None and len(value) > VALUE_KEEP else value,
        headers=tuple((k, _as_bytes(v)) for k, v in headers),
        seq=seq,
    )


def classify(entries: Sequence[TailEntry]) -> list[TailEntry]:
    """The same entries with status and reason, decided exactly as the store decides them."""
    batch = decode_batch(
        [e.value for e in entries], [e.partition for e in entries],
        [e.offset for e in entries], [e.key for e in entries],
    )
    verdicts: dict[tuple[int, int], tuple[Status, str]] = {
        (p, o): ("tombstone", f"deletes id {ident}") for p, o, ident in batch.tombstones
    }
    for r in batch.rejections:
        verdicts[(r.partition, r.offset)] = ("rejected", f"{r.reason}: {r.detail}"
                                             if r.detail else r.reason)
    out = []
    for e in entries:
        status, reason = verdicts.get((e.partition, e.offset), ("valid", ""))
        if e.value is not None and e.size > len(e.value):  # cut short: say how big it was
            reason = f"message too large: {e.size} bytes > {MAX_MESSAGE_BYTES}"
        out.append(TailEntry(e.partition, e.offset, e.key, e.timestamp_ms, e.size, e.value,
                             status, reason, e.headers, e.seq))
    return out


class TailBuffer:
    """A bounded, thread-safe window on the newest messages, oldest first."""

    def __init__(self, capacity: int = TAIL_CAPACITY) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._items: deque[TailEntry | Message] = deque(maxlen=capacity)
        self._added = 0

    def add(self, messages: Sequence[Message]) -> None:
        """Keep the last messages of a batch (consumer thread). A message read again
        after a replay is held again: it is what the consumer is reading now."""
        kept = messages[-self.capacity:]
        with self._lock:
            self._items.extend(kept)
            self._added += len(kept)

    @property
    def added(self) -> int:
        """Changes whenever the content does: readers redraw only then."""
        return self._added

    def entries(self, newest: int | None = None) -> list[TailEntry]:
        """A snapshot of the held messages (the ``newest`` last ones when given), newest
        last, each with its verdict.

        Only the messages returned are copied and classified, each once (the result
        replaces the raw message under the lock): a tail that shows 200 rows pays for
        200, not for the whole buffer.
        """
        with self._lock:
            items = self._items
            start = 0 if newest is None else max(len(items) - newest, 0)
            raw = [i for i in range(start, len(items)) if not isinstance(items[i], TailEntry)]
            if raw:
                first = self._added - len(items)  # arrival number of the oldest held
                done = classify([_entry(items[i], first + i) for i in raw])  # type: ignore[arg-type]
                for i, entry in zip(raw, done, strict=True):
                    items[i] = entry
            return list(islice(items, start, None))  # type: ignore[arg-type]  # classified above

    def find(self, partition: int, offset: int) -> TailEntry | None:
        """The held message at ``partition``/``offset``, if it is still in the buffer."""
        with self._lock:
            items = self._items
            for i in range(len(items) - 1, -1, -1):
                item = items[i]
                if isinstance(item, TailEntry):
                    if (item.partition, item.offset) == (partition, offset):
                        return item
                elif (item.partition(), item.offset()) == (partition, offset):
                    (entry,) = classify([_entry(item, self._added - len(items) + i)])
                    items[i] = entry
                    return entry
        return None

    def clear(self) -> None:
        """Forget every held message."""
        with self._lock:
            self._items.clear()
            self._added += 1  # readers see a change
