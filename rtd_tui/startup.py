"""What every command does before it starts: logs to a file, the Kafka properties
checked, compiled modules cached."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from rtd_tui.config import ConfigError, Settings


def setup_logging(log_file: Path | None) -> Path:
    """Send all logs (librdkafka's included) to a file: never to the terminal the UI draws on."""
    if log_file is None:
        state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
        log_file = state / "rtd-tui" / "rtd-tui.log"
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write log file {log_file}: {exc.strerror or exc}") from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return log_file


def check_kafka_config(settings: Settings) -> None:
    """Create and drop both clients, so a bad -X/-F property is one line, before any UI."""
    from confluent_kafka import Consumer, Producer

    from rtd_tui.consumer import CONSUMER_DEFAULTS
    from rtd_tui.headless import open_client
    from rtd_tui.producer import PRODUCER_DEFAULTS

    # librdkafka checks names and values when a client is created, not when it connects;
    # with no bootstrap address the check clients connect nowhere (an address, even a
    # placeholder for the embedded broker not started yet, logs a failed connection).
    open_client(Producer, settings.client_config("", **PRODUCER_DEFAULTS))
    open_client(Consumer, settings.client_config("", **CONSUMER_DEFAULTS)).close()


def keep_bytecode() -> None:
    """Let Python cache compiled modules even where ``PYTHONDONTWRITEBYTECODE`` is set: the
    dashboard imports ~2,600 files, and compiling them all again on every start costs about
    2 s. The first start writes the caches (``__pycache__`` in the environment, as any
    Python run without the variable does); later starts read them."""
    sys.dont_write_bytecode = False
