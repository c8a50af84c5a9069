"""The export dialog: choose Parquet or CSV and the folder; the app writes the file.

Without a folder (in a browser, under ``serve``) the file becomes a download. Enter
exports (in the focused button's format, Parquet from the folder field), Esc cancels;
the folder is not pre-selected, so a stray key adds to it rather than replacing it."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from rtd_tui.widgets.footer import FittedFooter


class ExportScreen(ModalScreen[tuple[str, Path | None] | None]):
    """Returns (format, folder or None for a download), or None when cancelled."""

    BINDINGS = [
        Binding("enter", "export", "Export", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
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
                yield Input(str(self.folder), id="export-folder", select_on_focus=False)
            with Horizontal():
                yield Button("Parquet", id="parquet", variant="primary")
                yield Button("CSV", id="csv")
                yield Button("Cancel", id="cancel")
        yield FittedFooter()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._choose(str(event.button.id))

    def action_export(self) -> None:
        """Enter: the focused button's choice; from the folder field, Parquet."""
        focused = self.focused
        self._choose(str(focused.id) if isinstance(focused, Button) else "parquet")

    def _choose(self, choice: str) -> None:
        if choice == "cancel":
            self.dismiss(None)
        elif self.folder is None:
            self.dismiss((choice, None))
        else:
            folder = self.query_one("#export-folder", Input).value.strip() or "."
            self.dismiss((choice, Path(folder)))

    def action_cancel(self) -> None:
        self.dismiss(None)
