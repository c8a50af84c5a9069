"""plotext through its public functions: one drawing at a time, as lines of text.

plotext's functions (``plotext.bar``, ``plotext.build`` ...) act on its one module-level
figure, so a drawing clears it first and runs to its end on the UI thread
(``draw_figure``); the figure is never left for another chart to inherit. plotext
orders x tick labels through a ``set`` (whose order follows the hash seed), so of two
labels that collide a different one showed on each start: the labels are placed here
instead (``place_labels``), left to right, as plotext places each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import plotext
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip


class Figure:
    """One drawing's access to plotext: the ``plotext`` module (``plt``) and the x tick
    labels, which plotext would place in the order of a ``set`` (the hash seed's) and
    so drop a different one of two that collide on each start; ``xticks`` keeps them
    and the drawing places them left to right, as plotext places each."""

    def __init__(self) -> None:
        self.plt = plotext
        self.x_labels: list[list[str]] = []  # per x axis, top first

    def xticks(self, ticks: Sequence[float], labels: list[str]) -> None:
        """The active plot's x ticks and their labels."""
        plotext.xticks(ticks, [""] * len(ticks))
        self.x_labels.append(labels)


@dataclass(frozen=True, slots=True)
class PrintedLine:
    """One line of plotext's printout: runs of text and the style each is printed in."""

    runs: tuple[tuple[str, Style | None], ...]

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.runs)


def draw_figure(width: int, height: int, draw: Callable[[Figure], None]) -> list[PrintedLine]:
    """plotext's figure, cleared, sized ``width`` x ``height`` (not limited by the
    process's terminal) and drawn by ``draw``, as lines of styled text."""
    plotext.main()  # the whole figure, not the subplot a previous drawing left active
    plotext.clear_figure()
    plotext.limit_size(False, False)
    plotext.plot_size(width, height)
    plotext.theme("clear")
    figure = Figure()
    draw(figure)
    plotext.main()
    lines = [printed_line(line) for line in plotext.build().rstrip("\n").split("\n")]
    axes = [i for i, line in enumerate(lines) if "└" in line.plain and i + 1 < len(lines)]
    for row, labels in zip(axes, figure.x_labels, strict=False):
        axis, under = place_labels(lines[row].plain, labels)
        lines[row] = PrintedLine(((axis, None),))
        lines[row + 1] = PrintedLine(((under, None),))
    return lines


_SGR = re.compile("\x1b\\[([0-9;]*)m")
_STYLES: dict[tuple[str, ...], Style | None] = {(): None}


def sgr_style(*codes: str) -> Style | None:
    """The style of these SGR codes (as Rich reads them; cached: a chart uses a few)."""
    if codes not in _STYLES:
        text = Text.from_ansi("".join(f"\x1b[{code}m" for code in codes) + "x")
        styles = [span.style for span in text.spans if isinstance(span.style, Style)]
        _STYLES[codes] = Style.chain(*styles) if styles else None
    return _STYLES[codes]


def printed_line(line: str) -> PrintedLine:
    """A line of plotext's printout as styled runs. plotext prints only SGR sequences:
    colours and styles, each ended by a reset."""
    parts = _SGR.split(line)
    runs: list[tuple[str, Style | None]] = []
    codes: tuple[str, ...] = ()
    for i, part in enumerate(parts):
        if i % 2:
            codes = () if part in ("", "0") else (*codes, part)
        elif part:
            runs.append((part, sgr_style(*codes)))
    return PrintedLine(tuple(runs))


def place_labels(axis: str, labels: list[str]) -> tuple[str, str]:
    """An x axis line and the row of its tick labels: label ``i`` under tick mark ``i``
    (``┬``), placed as plotext places one (centred, moved inside the row's free cells,
    a blank cell from any other), left to right. A label that finds no room is left
    out, and so is its tick mark, as plotext does."""
    marks = [i for i, ch in enumerate(axis) if ch == "┬"]
    row = [" "] * len(axis)
    line = list(axis)
    for col, label in zip(marks, labels, strict=False):
        size = len(label)
        free = [i for i in range(max(col - size + 1, 0), min(col + size, len(row) - 1))
                if row[i] == " "]
        low, high = min(free, default=col - size + 1), max(free, default=col + size)
        start = (low + high - size + 1) // 2
        around = range(max(start - 1, 0), min(start + size + 1, len(row)))
        if start >= 0 and start + size <= len(row) and all(row[i] == " " for i in around):
            row[start:start + size] = label
        else:
            line[col] = "─"
    return "".join(line), "".join(row)


def text_strips(lines: list[PrintedLine], base: Style, width: int) -> list[Strip]:
    """One strip per line, over the widget's ``base`` style, ``width`` cells."""
    return [Strip([Segment(text, base + style if style else base) for text, style in line.runs])
            .simplify().crop_extend(0, width, base) for line in lines]
