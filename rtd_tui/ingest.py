"""The ingest stage: decode batches and apply them to the store on a thread of its own.

The consume thread only pulls messages out of librdkafka and hands their columns
over through a small bounded queue; this stage decodes (polars releases the GIL)
and updates the store meanwhile. The bound gives back-pressure: the consumer
never runs more than a few batches ahead, so memory stays flat.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence

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
        self._queue: queue.Queue[Columns | None] = queue.Queue(max_batches)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rtd-ingest", daemon=True)
        self._thread.start()

    def put(self, columns: Columns) -> None:
        """Queue one batch (blocks while the queue is full); re-raises a stage failure."""
        self._raise()
        self._queue.put(columns)

    def drain(self) -> None:
        """Wait until every queued batch is in the store."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        """Apply what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError(f"ingest failed: {error}") from error

    def _run(self) -> None:
        while True:
            columns = self._queue.get()
            try:
                if columns is None:
                    return
                if self._error is None:  # after a failure, drop batches until it is seen
                    self.store.ingest(decode_batch(*columns))
            except Exception as exc:
                self._error = exc
            finally:
                self._queue.task_done()
