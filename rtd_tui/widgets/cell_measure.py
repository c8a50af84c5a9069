"""DataTable cells measured without Rich's console machinery when they are Text.

Textual's ``DataTable`` measures every cell of every new row with ``textual.render.measure``,
which builds console options for each one; the live tail replaces its 200 rows of 7
cells on every refresh at high rates, and that measuring was most of the time between
``t`` and the tail on screen. A ``Text`` is as wide as its widest line (what Rich's own
``Text.__rich_measure__`` says for it); anything else goes to Textual's ``measure``.
"""

from __future__ import annotations

import textual.widgets._data_table as data_table
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.text import Text
from textual.render import measure


def measure_cell(
    console: Console, renderable: RenderableType, default: int,
    *, container_width: int | None = None,
) -> int:
    """The width ``measure`` gives, the short way for ``Text``."""
    if type(renderable) is Text:  # its widest line, as Text.__rich_measure__ has it
        return max(map(cell_len, renderable.plain.splitlines()), default=0)
    return measure(console, renderable, default, container_width=container_width)


data_table.measure = measure_cell  # type: ignore[attr-defined]
