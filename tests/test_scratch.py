"""Temporary folders: removed on exit, and after a SIGKILL by the next start (``scratch``);
for ``rtd-tui broker --engine kafka`` end to end (serve's case is in test_serve)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import RTD
from test_client_compat import alive, children
from test_headless import Lines

from rtd_tui.kafka_jars import unavailable_reason
from rtd_tui.scratch import OWNER_FILE

MAKE = ("from rtd_tui.scratch import make_folder; print(make_folder('rtd-scratch-test-'),"
        " flush=True); import time; time.sleep(600)")


def start_owner(tmp: Path) -> tuple[subprocess.Popen[str], Path]:
    """A process that made a folder in ``tmp`` and keeps running; and the folder."""
    proc = subprocess.Popen([sys.executable, "-c", MAKE], env={**os.environ, "TMPDIR": str(tmp)},
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_the_next_start_removes_only_folders_whose_owner_is_gone(tmp_path: Path) -> None:
    killed, left = start_owner(tmp_path)
    living, kept = start_owner(tmp_path)
    foreign = tmp_path / "rtd-scratch-test-foreign"  # no owner file: not ours to judge
    foreign.mkdir()
    recycled = tmp_path / "rtd-scratch-test-recycled"  # a live pid, another start time
    recycled.mkdir()
    (recycled / OWNER_FILE).write_text(f"{living.pid} 1\n")
    try:
        assert (left / OWNER_FILE).read_text().split()[0] == str(killed.pid)
        assert left.stat().st_mode & 0o077 == 0
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert left.is_dir()  # a SIGKILL leaves it
        following, new = start_owner(tmp_path)
        following.kill()
        following.wait()
    finally:
        living.kill()
        living.wait()
    assert not left.exists() and not recycled.exists()
    assert kept.is_dir() and foreign.is_dir() and new.is_dir()


@pytest.mark.kafka
def test_a_killed_kafka_broker_leaves_a_folder_the_next_one_removes(tmp_path: Path) -> None:
    if reason := unavailable_reason():
        pytest.skip(reason)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTD_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), TMPDIR=str(tmp_path))

    def start() -> tuple[subprocess.Popen[str], Path]:
        before = set(tmp_path.glob("rtd-kafka-*"))
        proc = subprocess.Popen([*RTD, "broker", "--engine", "kafka"], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        Lines(proc.stdout).next(timeout=180)  # the address: it runs
        (folder,) = set(tmp_path.glob("rtd-kafka-*")) - before
        return proc, folder

    first, left = start()
    (jvm,) = children(first.pid)
    first.kill()
    first.communicate()
    deadline = time.monotonic() + 30
    while alive(jvm) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (left / "broker" / "server.properties").is_file()  # SIGKILL: nothing cleaned
    second, mine = start()
    try:
        assert not left.exists()
    finally:
        second.send_signal(signal.SIGINT)
        _out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert not mine.exists()  # removed on exit
