"""Private temporary folders that a killed process does not leave behind.

``serve`` (``rtd-tui-serve-*``) and the Apache Kafka engine (``rtd-kafka-*``) each work
in a folder of the system's temporary directory. On a normal exit their owner removes
it; after a SIGKILL nobody can, so the folder names its owner in ``owner.pid`` (the
process id and its start time, so a recycled pid does not count) and the next start
with the same prefix removes every folder whose owner is gone. Folders without an
``owner.pid`` (being created, or from another program) are never touched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

OWNER_FILE = "owner.pid"
log = logging.getLogger(__name__)


def _start_time(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot, from /proc); None when it is not running."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def _owner_alive(folder: Path) -> bool:
    """True unless ``folder``'s owner file names a process that has ended."""
    try:
        pid_text, _, started = (folder / OWNER_FILE).read_text().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return True  # no owner recorded: not ours to judge
    return _start_time(pid) == started.strip()


def sweep(prefix: str) -> list[Path]:
    """Remove this user's ``prefix*`` folders whose owner process is gone; those removed."""
    removed: list[Path] = []
    if not Path("/proc/self/stat").exists():  # no way to tell a live owner: keep everything
        return removed
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        with contextlib.suppress(OSError):
            if (folder.is_dir() and not folder.is_symlink()
                    and folder.stat().st_uid == os.getuid() and not _owner_alive(folder)):
                shutil.rmtree(folder)
                removed.append(folder)
                log.info("removed %s, left by a process that ended without cleaning up", folder)
    return removed


def make_folder(prefix: str) -> Path:
    """A new private (0700) folder ``prefix*`` owned by this process, after sweeping the
    ones earlier processes left behind."""
    sweep(prefix)
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    pid = os.getpid()
    (folder / OWNER_FILE).write_text(f"{pid} {_start_time(pid)}\n")
    return folder


def remove_folder(folder: Path) -> None:
    """Remove a folder made by ``make_folder`` (nothing when already gone)."""
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def owned_folder(prefix: str) -> Iterator[Path]:
    """``make_folder`` for the length of a ``with`` block, removed at its end."""
    folder = make_folder(prefix)
    try:
        yield folder
    finally:
        remove_folder(folder)
