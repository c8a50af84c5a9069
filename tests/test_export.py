"""Export of the records in view: the file polars reads back equals the (filtered) frame."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from dashboard_kit import filled_store, fixture_values, still_app

from rtd_tui.config import Settings
from rtd_tui.export import ExportError, export_frame, timestamps
from rtd_tui.records import STORE_SCHEMA

EXPORT_SCHEMA = {**STORE_SCHEMA, "timestamp": pl.Datetime("us")}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_round_trip(tmp_path: Path, fmt: str) -> None:
    """Everything comes back, the timestamp as a Datetime column (no schema needed)."""
    frame = filled_store(fixture_values(500)).frame()
    path = export_frame(frame, tmp_path, fmt, datetime(2026, 11, 2, 14, 0, 0))
    assert path.name == f"rtd-tui-20261102-140000.{fmt}"
    back = pl.read_parquet(path) if fmt == "parquet" else pl.read_csv(path, try_parse_dates=True)
    assert back.schema["timestamp"] == pl.Datetime("us")
    if fmt == "csv":
        back = back.cast(EXPORT_SCHEMA)  # type: ignore[arg-type]
    expected = frame.with_columns(
        pl.Series("timestamp", [datetime.fromisoformat(t) for t in frame["timestamp"]]))
    assert back.equals(expected)


def test_export_timestamps_with_offsets_are_in_utc() -> None:
    texts = pl.Series("timestamp", ["2026-11-02T14:09:59.800000", "2026-11-02 14:09",
                                    "2026-11-02T14:09:59Z", "2026-11-02T16:09:59+02:00",
                                    "2026-11-02T14:09:59.123456789"])
    assert timestamps(texts).to_list() == [
        datetime(2026, 11, 2, 14, 9, 59, 800000), datetime(2026, 11, 2, 14, 9),
        datetime(2026, 11, 2, 14, 9, 59), datetime(2026, 11, 2, 14, 9, 59),
        datetime(2026, 11, 2, 14, 9, 59, 123456),
    ]


def test_exports_go_to_the_users_data_folder_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert Settings().export_dir == tmp_path / "data" / "rtd-tui" / "exports"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert Settings().export_dir == Path.home() / ".local" / "share" / "rtd-tui" / "exports"
    assert Settings().export_dir.resolve() != Path.cwd()


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
        shown = app.store.frame(app.record_filter)
        assert back.equals(shown.with_columns(timestamps(shown["timestamp"])))
        assert set(back["cidade"].cast(pl.String)) == {"São Paulo"}
