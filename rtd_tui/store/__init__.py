"""The record store: a bounded window of raw rows plus exact running aggregates.

``RecordStore`` (``record_store``) is the one entry point; its parts live beside it:
``offsets`` (redeliveries counted once), ``window`` (the newest raw rows, bounded in
rows and bytes), ``totals`` (exact aggregates), ``rates`` (ingest rates on their own
clock), ``view`` (filters and snapshots) and ``source`` (the reads every dashboard
store answers).
"""

from __future__ import annotations

from rtd_tui.records import STORE_SCHEMA
from rtd_tui.store.record_store import Liveness, RecordStore
from rtd_tui.store.source import DashboardStore
from rtd_tui.store.view import RecordFilter, Snapshot

__all__ = [
    "STORE_SCHEMA", "DashboardStore", "Liveness", "RecordFilter", "RecordStore", "Snapshot",
]
