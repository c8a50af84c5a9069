"""Polars' memory allocator (its own jemalloc), tuned for a long-running dashboard.

jemalloc reads ``_RJEM_MALLOC_CONF`` once, when polars is loaded. Polars puts its own
defaults first (``dirty_decay_ms:500,muzzy_decay_ms:1000``) and appends what the
variable already holds, the later options winning; so ``configure()`` runs first thing
in the entry point, before anything imports polars. A setting the user exported is
kept as it is.

- ``narenas:1``: by default every thread (the polars pool, ingest, UI, producer) frees
  into one of eight arenas, and pages freed in one are not reused by another: ~7 MB
  more resident with a million rows held.
- ``muzzy_decay_ms:0``: pages polars' default lets go after half a second are only
  marked free (``MADV_FREE``) for another second, and stay in the RSS meanwhile; they
  are now returned at once. Freeing every page at once (``dirty_decay_ms:0``) would
  cost ~2 µs of CPU per message (measured); neither of these costs anything measurable.
"""

from __future__ import annotations

import os

ENV = "_RJEM_MALLOC_CONF"
MALLOC_CONF = "narenas:1,muzzy_decay_ms:0"


def configure(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """Set the allocator's options unless the user set their own (an empty value is
    none, as polars reads it); returns those in effect."""
    if not environ.get(ENV):
        environ[ENV] = MALLOC_CONF
    return environ[ENV]
