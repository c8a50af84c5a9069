"""Export of the records in view: the file polars reads back equals the (filtered) frame."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from dashboard_kit import filled_store, fixture_values, still_app

from rtd_tui.export import ExportError, export_frame
from rtd_tui.records import STORE_SCHEMA


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_round_trip(tmp_path: Path, fmt: str) -> None:
    frame = filled_store(fixture_values(500)).frame()
    path = export_frame(frame, tmp_path, fmt, datetime(2026, 11, 2, 14, 0, 0))
    assert path.name == f"rtd-tui-20261102-140000.{fmt}"
    back = pl.read_parquet(path) if fmt == "parquet" else pl.read_csv(path, schema=STORE_SCHEMA)
    assert back.equals(frame)


def test_export_never_overwrites(tmp_path: Path) -> None:
    frame = filled_store(fixture_values(10)).frame()
    now = datetime(2026, 11, 2, 14, 0, 0)
    first = export_frame(frame, tmp_path, "csv", now)
    second = export_frame(frame, tmp_path, "csv", now)
    assert first != second and first.exists() and second.exists()


def test_export_to_an_unwritable_place_says_where(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="cannot write"):
        export_frame(pl.DataFrame(), blocker / "sub", "csv", datetime(2026, 1, 1))


async def test_e_exports_the_filtered_view(tmp_path: Path) -> None:
    app = still_app(export_dir=tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("slash", *"são paulo", "enter")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await pilot.click("#parquet")
        await pilot.pause()
        assert app.last_export is not None and app.last_export.parent == tmp_path
        back = pl.read_parquet(app.last_export)
        assert back.equals(app.store.frame(app.record_filter))
        assert set(back["cidade"].cast(pl.String)) == {"São Paulo"}
