"""The export dialog: choose Parquet or CSV and the folder; the app writes the file.

Without a folder (in a browser, under ``serve``) the file becomes a download."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class ExportScreen(ModalScreen[tuple[str, Path | None] | None]):
    """Returns (format, folder or None for a download), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 80; height: auto; border: thick $primary; background: $surface; padding: 1 2;
    }
    ExportScreen Horizontal { height: auto; margin-top: 1; }
    ExportScreen Button { margin-right: 2; }
    """

    def __init__(self, folder: Path | None, rows: int, filtered: bool) -> None:
        super().__init__()
        self.folder = folder
        self.rows = rows
        self.filtered = filtered

    def compose(self) -> ComposeResult:
        what = "filtered records" if self.filtered else "records"
        with Vertical() as box:
            box.border_title = "Export"
            if self.folder is None:
                yield Label(f"Download the {self.rows:,} {what} in view as a file:")
            else:
                yield Label(f"Write the {self.rows:,} {what} in view to a file in this folder:")
                yield Input(str(self.folder), id="export-folder")
            with Horizontal():
                yield Button("Parquet", id="parquet", variant="primary")
                yield Button("CSV", id="csv")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        if self.folder is None:
            self.dismiss((str(event.button.id), None))
            return
        folder = self.query_one("#export-folder", Input).value.strip() or "."
        self.dismiss((str(event.button.id), Path(folder)))

    def action_cancel(self) -> None:
        self.dismiss(None)
