"""The help screen: every key and what it does."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rtd_tui.actions import ACTIONS, VIEW_KEYS, key_text


class HelpScreen(ModalScreen[None]):
    """A modal list of key bindings, scrolling where the terminal is short; any of Esc,
    Enter, ? or q closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: auto; max-height: 100%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    HelpScreen Static { width: 100%; height: auto; }
    """

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", max_width=14)  # long key lists wrap
        table.add_column()
        for action in ACTIONS:
            table.add_row(key_text(action), action.description)
        table.add_row("ctrl+p", "Command palette: every action above, and the theme choice")
        table.add_row("ctrl+c", "Quit, as q")
        view = ""
        for key in VIEW_KEYS:
            if key.view != view:
                view = key.view
                table.add_row("", "")
                table.add_row(f"[bold]{view}[/]", "")
            table.add_row(key_text(key), key.description)
        with VerticalScroll() as box:
            box.border_title = "rtd-tui — keys"
            box.border_subtitle = "↑↓ scroll · Esc closes"
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
