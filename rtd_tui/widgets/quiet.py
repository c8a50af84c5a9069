"""Border titles that repaint their widget only when their text changes.

Textual repaints a widget on every ``border_title`` or ``border_subtitle`` assignment,
even of the text it already shows; the dashboard sets them on every refresh tick.
"""

from __future__ import annotations

from textual.widget import Widget


class BorderTexts:
    """One widget's border title and subtitle, set through ``title`` and ``subtitle``
    (only: a direct assignment would not be seen here)."""

    def __init__(self, widget: Widget) -> None:
        self._widget = widget
        self._title: str | None = None
        self._subtitle: str | None = None

    def title(self, text: str | None) -> None:
        """Set the border title; an unchanged one repaints nothing."""
        if text != self._title:
            self._title = text
            self._widget.border_title = text

    def subtitle(self, text: str | None) -> None:
        """Set the border subtitle; an unchanged one repaints nothing."""
        if text != self._subtitle:
            self._subtitle = text
            self._widget.border_subtitle = text
