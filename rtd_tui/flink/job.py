"""Run the rendered job on a local Flink mini-cluster (PyFlink), resumable from checkpoints.

PyFlink is imported only here and only when a job runs: it is the optional ``flink``
extra. Checkpoints go to ``<state dir>/checkpoints`` and are kept when the job is
cancelled or killed; a new run restores the newest complete one, so the aggregates
topic never counts a message twice (the sink writes in Kafka transactions that commit
with each checkpoint).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from rtd_tui.config import ConfigError

INSTALL_HINT = ("rtd-tui aggregate needs the optional Flink extra: `uv sync --extra flink` "
                "or `pip install 'rtd-tui[flink]'`")
Progress = Callable[[str], None]
#: The job's last statement: its INSERTs, planned together.
STATEMENT_SET = "EXECUTE STATEMENT SET"


class FlinkMissing(ConfigError):
    """PyFlink (the ``flink`` extra) is not installed."""


def require_pyflink() -> None:
    """Raise ``FlinkMissing`` with the one-line install hint when PyFlink is absent."""
    try:
        import pyflink.table  # noqa: F401
    except ImportError:
        raise FlinkMissing(INSTALL_HINT) from None


def statements(sql: str) -> Iterator[str]:
    """The job's statements in order, comments and blank lines dropped (each ends at a
    ``;`` at a line's end, as the SQL client splits them; a statement set at its
    ``END;``)."""
    current: list[str] = []
    for line in sql.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("--")):
            continue
        current.append(line)
        in_set = current[0].startswith(STATEMENT_SET)
        if line.rstrip().endswith(";") and (not in_set or line.strip() == "END;"):
            yield "\n".join(current).rstrip().removesuffix(";")
            current = []
    if current:
        raise ValueError(f"unterminated statement: {current[0][:60]!r}")


def latest_checkpoint(state_dir: Path) -> Path | None:
    """The newest complete checkpoint under ``state_dir`` (one with ``_metadata``)."""
    done = (meta.parent for meta in (state_dir / "checkpoints").glob("*/chk-*/_metadata"))
    return max(done, key=lambda chk: (chk.stat().st_mtime, int(chk.name[4:])), default=None)


def flink_config(state_dir: Path, parallelism: int, jar: Path) -> dict[str, str]:
    """The mini-cluster's settings: the connector jar, parallelism and kept checkpoints."""
    config = {
        "pipeline.jars": jar.resolve().as_uri(),
        "parallelism.default": str(parallelism),
        "execution.checkpointing.dir": (state_dir / "checkpoints").resolve().as_uri(),
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "execution.checkpointing.num-retained": "2",
        "rest.bind-port": "0",  # any free port: two local jobs never collide
        "taskmanager.numberOfTaskSlots": str(parallelism),
    }
    restore = latest_checkpoint(state_dir)
    if restore is not None:
        config["execution.state-recovery.path"] = restore.resolve().as_uri()
    return config


def run(sql: str, config: dict[str, str], progress: Progress) -> None:
    """Execute the job until it fails or SIGINT/SIGTERM cancels it (checkpoints kept)."""
    require_pyflink()
    from pyflink.table import EnvironmentSettings, TableEnvironment

    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    table_config = env.get_config()
    for key, value in config.items():
        table_config.set(key, value)
    insert = None
    for statement in statements(sql):
        if statement.startswith("SET "):
            key, _, value = statement.removeprefix("SET ").partition(" = ")
            table_config.set(_unquote(key), _unquote(value))
        elif statement.startswith(("INSERT ", STATEMENT_SET)):
            insert = statement
        else:
            env.execute_sql(statement)
    if insert is None:
        raise ValueError("the job's SQL has no INSERT statement or statement set")
    if "execution.state-recovery.path" in config:
        progress(f"resuming from {config['execution.state-recovery.path']}")
    result = env.execute_sql(insert)
    client = result.get_job_client()
    progress(f"job {client.get_job_id()} running; Ctrl-C stops it (checkpoints are kept)")
    _wait_or_cancel(client, progress)


def _wait_or_cancel(client: Any, progress: Progress) -> None:
    """Block until the job ends; the first SIGINT/SIGTERM cancels it and waits for that."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        future = client.get_job_execution_result()
        while not stop.wait(0.5):
            if future.done():
                future.result()  # raises the job's failure
                return
        progress("stopping the job")
        client.cancel().result()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def default_parallelism(partitions: int) -> int:
    """The topic's partition count, capped at the cores (at least 1)."""
    return max(1, min(partitions, os.cpu_count() or 1))
