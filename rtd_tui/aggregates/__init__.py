"""The dashboard on top of a stream processor: ``rtd-tui --source aggregates``.

A Flink SQL job (``rtd-tui aggregate``) keeps exact running aggregates of the raw
topic in an upsert topic; this package reads them instead of every raw message:
``rows`` decodes the topic's messages (the contract in docs/flink.md), ``table``
keeps the latest row per key and turns them into the raw view's figures, ``store``
serves the dashboard's snapshots, ``reader`` consumes the topic, ``raw_tail``
re-reads a bounded tail of the raw topic (latest records, scatter) and the job's
committed offsets, and ``pipeline`` wires them in place of the raw consumer.
"""

from __future__ import annotations

from rtd_tui.aggregates.rows import AggregateError, AggregateKey, AggregateRow, decode_message

__all__ = ["AggregateError", "AggregateKey", "AggregateRow", "decode_message"]
