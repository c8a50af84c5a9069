"""Write the records in view to Parquet or CSV, named by time, in the export folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

FORMATS = ("parquet", "csv")


class ExportError(OSError):
    """The export could not be written; the message says where and why."""


def export_frame(frame: pl.DataFrame, folder: Path, fmt: str, now: datetime) -> Path:
    """Write ``frame`` as ``rtd-tui-YYYYmmdd-HHMMSS.<fmt>`` in ``folder``; returns the path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use parquet or csv")
    folder = folder.expanduser()
    stem = f"rtd-tui-{now:%Y%m%d-%H%M%S}"
    path = folder / f"{stem}.{fmt}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.{fmt}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            frame.write_parquet(path)
        else:
            frame.with_columns(pl.col("cidade").cast(pl.String)).write_csv(path)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path.resolve()
