"""A footer that shows only the keys its width holds, never one cut in half.

Textual's ``Footer`` composes one widget per key; their class is not part of
Textual's public API, so a key is told apart by the attributes it shows (``key``,
``key_display``, ``description``, ``action``) and read through them only.
"""

from __future__ import annotations

from typing import Protocol, TypeVar, runtime_checkable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer

#: Always shown: the help lists every key, so a narrow footer still leads to all of them.
HELP_ACTION = "app.help"


@runtime_checkable
class FooterKey(Protocol):
    """What the footer shows of one key binding."""

    key: str
    key_display: str
    description: str
    action: str


K = TypeVar("K", bound=FooterKey)


def key_width(key: FooterKey) -> int:
    """Cells a key takes in the compact footer: key, space, label, one cell of margin."""
    label = f" {key.description}" if key.description else ""
    return cell_len(key.key_display + label) + 1


def fitting(keys: list[K], room: int) -> list[K]:
    """The keys, in order, that fit ``room`` cells; the help key is kept in any case."""
    helps = [k for k in keys if k.action in (HELP_ACTION, "help")]
    room -= sum(key_width(k) for k in helps)
    kept: list[K] = []
    for key in keys:
        if key in helps:
            kept.append(key)
        elif key_width(key) <= room:
            kept.append(key)
            room -= key_width(key)
        else:
            room = 0  # keep the order: nothing after a key that did not fit
    return kept


class FittedFooter(Footer):
    """Textual's compact footer, keeping the first keys that fit its width (``?`` among
    them) and the command palette key."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._composed_width = 0

    def compose(self) -> ComposeResult:
        widgets: list[Widget] = list(super().compose())
        keys = [w for w in widgets
                if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        others = [w for w in widgets if w not in keys]
        width = self.size.width or self.app.size.width
        self._composed_width = width
        room = width - sum(key_width(w) + 1 for w in others if isinstance(w, FooterKey))
        yield from fitting(keys, room)
        yield from others

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)
