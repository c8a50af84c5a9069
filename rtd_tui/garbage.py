"""Garbage collection on the app's own timer, not wherever allocations cross a threshold.

Automatic collection landed mostly in the middle of a frame and cost 5-15 ms of each
200x60 redraw (measured A/B). While the app runs, automatic collection is off: the
young generations are collected once a second when enough objects were made since
the last pass, everything once a minute. What exists when the app starts (modules,
classes, styles, widgets) lives as long as the app: it is frozen, no pass looks at it.
"""

from __future__ import annotations

import gc
from typing import Literal

#: How often the app's timer calls ``GarbageTimer.tick``.
GC_EVERY_S = 1.0
#: A full pass every this many ticks.
GC_FULL_EVERY = 60
#: Objects made (net of those freed) since the last pass below which the young pass
#: is skipped: the interpreter's own threshold for generation 0.
GC_MIN_NEW = gc.get_threshold()[0]

Pass = Literal["full", "young", "skipped"]


class GarbageTimer:
    """Takes collection over from the interpreter (``start``) and gives it back (``stop``)."""

    def __init__(self, full_every: int = GC_FULL_EVERY, min_new: int = GC_MIN_NEW) -> None:
        self.full_every = full_every
        self.min_new = min_new
        #: Ticks so far: the full pass runs when it reaches a multiple of ``full_every``.
        self.ticks = 0
        self._was_enabled = True

    def start(self) -> None:
        """Freeze what exists and turn automatic collection off."""
        gc.freeze()
        self._was_enabled = gc.isenabled()
        gc.disable()

    def tick(self) -> Pass:
        """The young generations when at least ``min_new`` objects were made since the
        last pass (a few ms), everything every ``full_every`` ticks. An idle app makes
        few: it skips the young pass, and what little it made waits for the full one."""
        self.ticks += 1
        if self.ticks % self.full_every == 0:
            gc.collect(2)
            return "full"
        if gc.get_count()[0] >= self.min_new:
            gc.collect(1)
            return "young"
        return "skipped"

    def stop(self) -> None:
        """Automatic collection as it was before ``start``; nothing frozen any more."""
        if self._was_enabled:
            gc.enable()
        gc.unfreeze()
