"""Write the records in view to Parquet or CSV, named by time, in the export folder."""

from __future__ import annotations

from datetime import datetime
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
