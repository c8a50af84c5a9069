"""Write the records in view to Parquet or CSV, named by time, in the export folder.

``timestamp`` is written as a Datetime column (microseconds), not as text: a value with a
UTC offset is converted to UTC, one without is kept as it was sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl

FORMATS = ("parquet", "csv")
MIME_TYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv"}


class ExportError(OSError):
    """The export could not be written; the message says where and why."""


def export_name(now: datetime, fmt: str, n: int = 1) -> str:
    """``rtd-tui-YYYYmmdd-HHMMSS.<fmt>`` (``-n`` before the suffix from the second on)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use parquet or csv")
    return f"rtd-tui-{now:%Y%m%d-%H%M%S}{f'-{n}' if n > 1 else ''}.{fmt}"


def write_frame(frame: pl.DataFrame, target: Path | BinaryIO, fmt: str) -> None:
    """Write ``frame`` to a file or a binary buffer (a browser download) as ``fmt``."""
    frame = frame.with_columns(timestamps(frame["timestamp"]))
    if fmt == "parquet":
        frame.write_parquet(target)
    else:
        frame.with_columns(pl.col("cidade").cast(pl.String)).write_csv(target)


def export_frame(frame: pl.DataFrame, folder: Path, fmt: str, now: datetime) -> Path:
    """Write ``frame`` as ``export_name(now, fmt)`` in ``folder``; returns the path."""
    folder = folder.expanduser()
    n = 1
    while (path := folder / export_name(now, fmt, n)).exists():
        n += 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_frame(frame, path, fmt)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path.resolve()


def timestamps(texts: pl.Series) -> pl.Series:
    """ISO-8601 texts (as validated: optional seconds, fraction and offset) as datetimes."""
    return pl.Series(texts.name, [_instant(t) for t in texts.to_list()], dtype=pl.Datetime("us"))


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
