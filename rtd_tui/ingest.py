"""The ingest stage: decode batches and apply them to the store on a thread of its own.

The consume thread only pulls messages out of librdkafka and hands their columns
over through a small bounded queue; this stage decodes (polars releases the GIL)
and updates the store meanwhile. The bound gives back-pressure: the consumer
never runs more than a few batches ahead, so memory stays flat.

Clear and replay are barriers. Each batch carries the epoch in force when it was
fetched; ``barrier`` starts a new epoch and changes the store in one step, and a
batch of an older epoch is dropped (and counted), never stored: nothing fetched
before the key press is counted after it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence

from rtd_tui.decode import decode_batch
from rtd_tui.store import RecordStore

QUEUE_BATCHES = 4

#: One batch in columns: values, partitions, offsets, keys (None: no tombstone in it).
Columns = tuple[
    Sequence[bytes | None], Sequence[int], Sequence[int], Sequence[bytes | None] | None
]


class IngestStage:
    """Decode and store batches in order, on one background thread."""

    def __init__(self, store: RecordStore, max_batches: int = QUEUE_BATCHES) -> None:
        self.store = store
        self.epoch = 0
        self.dropped = 0  # messages fetched before a barrier, never stored
        self._max = max_batches
        self._queue: deque[tuple[int, Columns] | None] = deque()
        self._busy = 0  # batches taken off the queue and not yet applied
        self._cond = threading.Condition()
        self._apply = threading.Lock()  # a batch is stored, or a barrier passes: not both
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rtd-ingest", daemon=True)
        self._thread.start()

    def put(self, epoch: int, columns: Columns) -> None:
        """Queue one batch fetched in ``epoch`` (blocks while the queue is full);
        re-raises a stage failure. A batch from an older epoch is only counted."""
        self._raise()
        with self._cond:
            if epoch != self.epoch:
                self.dropped += len(columns[0])
                return
            self._cond.wait_for(lambda: len(self._queue) < self._max)
            self._queue.append((epoch, columns))
            self._cond.notify_all()

    def barrier(self, change: Callable[[], None]) -> int:
        """Start a new epoch and apply ``change`` to the store (clear, rewind) at once;
        returns how many fetched messages waiting to be stored were dropped."""
        with self._apply, self._cond:
            self.epoch += 1
            change()
            dropped = sum(len(item[1][0]) for item in self._queue if item is not None)
            self._queue = deque(item for item in self._queue if item is None)
            self.dropped += dropped
            self._cond.notify_all()
        return dropped

    def drain(self) -> None:
        """Wait until every queued batch is in the store (or dropped)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._queue and not self._busy)
        self._raise()

    def close(self) -> None:
        """Apply what is queued, then stop the thread."""
        with self._cond:
            self._queue.append(None)
            self._cond.notify_all()
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError(f"ingest failed: {error}") from error

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue))
                item = self._queue.popleft()
                self._busy += 1
                self._cond.notify_all()
            try:
                if item is None:
                    return
                if self._error is None:  # after a failure, drop batches until it is seen
                    self._store(*item)
            except Exception as exc:
                self._error = exc
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _store(self, epoch: int, columns: Columns) -> None:
        batch = decode_batch(*columns)  # outside the lock: a barrier never waits for it
        with self._apply:
            if epoch == self.epoch:
                self.store.ingest(batch)
                return
        with self._cond:
            self.dropped += len(columns[0])
