"""The latest-records table and the per-city statistics table."""

from __future__ import annotations

import polars as pl
from rich.text import Text
from textual.widgets import DataTable

from rtd_tui.widgets.format import count, money, safe

LATEST_COLUMNS = ("id", "nome", "idade", "cidade", "valor", "timestamp", "partition", "offset")


class LatestTable(DataTable[Text | str]):
    """The newest records first, as they came off the topic."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for name in LATEST_COLUMNS:
            self.add_column(name, key=name)

    def show(self, latest: pl.DataFrame) -> None:
        """Replace the rows with ``latest`` (already newest-first and bounded)."""
        self.clear()
        for rec in latest.iter_rows(named=True):
            self.add_row(
                Text(str(rec["id"]), justify="right"),
                Text(safe(rec["nome"])),
                Text(str(rec["idade"]), justify="right"),
                Text(str(rec["cidade"])),
                Text(money(rec["valor"]), justify="right"),
                Text(safe(rec["timestamp"][11:19])),
                Text(str(rec["partition"]), justify="right"),
                Text(str(rec["offset"]), justify="right"),
                key=f"{rec['partition']}:{rec['offset']}",
            )


class CityStatsTable(DataTable[Text | str]):
    """Total, mean, count, mean age and share per city, largest total first."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for name in ("cidade", "total", "mean", "count", "mean age", "share"):
            self.add_column(name, key=name)

    def show(self, by_city: pl.DataFrame) -> None:
        self.clear()
        for rec in by_city.iter_rows(named=True):
            self.add_row(
                Text(rec["cidade"]),
                Text(money(rec["total"]), justify="right"),
                Text(money(rec["mean"]), justify="right"),
                Text(count(rec["count"]), justify="right"),
                Text(f"{rec['mean_age']:.1f}", justify="right"),
                Text(f"{rec['share']:.1f}%", justify="right"),
            )
