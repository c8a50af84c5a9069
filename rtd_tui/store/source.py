"""What the dashboard reads from a store, whichever source fills it.

``RecordStore`` (every raw message) and ``aggregates.AggregateStore`` (a stream
processor's aggregates plus a raw tail) both answer these reads.
"""

from __future__ import annotations

from typing import Protocol

import polars as pl

from rtd_tui.store.record_store import Liveness
from rtd_tui.store.view import RecordFilter, Snapshot


class DashboardStore(Protocol):
    """The reads and commands the app and the pipeline use."""

    @property
    def version(self) -> int: ...

    @property
    def consumed(self) -> int: ...

    def liveness(self) -> Liveness: ...

    def frame(self, record_filter: RecordFilter | None = None) -> pl.DataFrame: ...

    def snapshot(self, record_filter: RecordFilter | None = None) -> Snapshot: ...

    def clear(self) -> None: ...
