"""``rtd-tui broker``: a local Kafka for other processes, until Ctrl-C or SIGTERM.

The first line on stdout is the bootstrap address, for scripts; everything else
(progress, the notice about the mock engine, errors) goes to stderr, one line each.
Apache Kafka's own output goes to its log file, whose path is printed, never to
the terminal. Exit status 2 for what the user can fix (no Java, no Maven, a port
in use, a foreign data folder; raised as ``ConfigError``), 1 for a runtime failure
(a download that failed, a broker that died).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TextIO

from confluent_kafka import KafkaException

from rtd_tui.broker import (
    MOCK_LIMITS,
    MOCK_PARTITIONS,
    EmbeddedBroker,
    choose_engine,
    start_apache_kafka,
)
from rtd_tui.config import ConfigError
from rtd_tui.kafka_engine import KafkaServer
from rtd_tui.kafka_jars import KAFKA_VERSION, KafkaEngineError

EXIT_FAILURE = 1
WATCH_S = 0.5
Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BrokerOptions:
    """The ``broker`` sub-command's options, as the CLI resolved them."""

    topic: str
    engine: str = "auto"
    partitions: int = MOCK_PARTITIONS
    data_dir: Path | None = None
    port: int | None = None
    bootstrap_file: Path | None = None


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM ends the broker the way Ctrl-C does."""
    raise KeyboardInterrupt


def _check_mock_options(options: BrokerOptions, why: str) -> None:
    """Options only Apache Kafka can honour are a usage error with the mock."""
    asked = [flag for flag, given in (
        ("--partitions", options.partitions != MOCK_PARTITIONS),
        ("--data-dir", options.data_dir is not None),
        ("--port", options.port is not None),
    ) if given]
    if asked:
        verb = "needs" if len(asked) == 1 else "need"
        raise ConfigError(
            f"{', '.join(asked)} {verb} Apache Kafka, and the mock engine runs ({why}); the mock "
            f"always has {MOCK_PARTITIONS} partitions, a random port and no data folder"
        )


def _announce(bootstrap: str, options: BrokerOptions, out: TextIO) -> None:
    """The bootstrap address: first line of stdout, and the --bootstrap-file."""
    if options.bootstrap_file is not None:
        try:
            options.bootstrap_file.write_text(bootstrap + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {options.bootstrap_file}: {exc.strerror}") from None
    print(bootstrap, file=out, flush=True)


def run_broker(options: BrokerOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the chosen engine until SIGINT/SIGTERM; returns the exit status."""
    logging.getLogger().handlers[:] = [logging.NullHandler()]

    def say(line: str) -> None:
        print(f"rtd-tui broker: {line}", file=err, flush=True)

    target = options.bootstrap_file
    if target is not None and not (target.parent.is_dir() and os.access(target.parent, os.W_OK)):
        raise ConfigError(f"cannot write {target}: its folder is missing or read-only")
    engine, fallback = choose_engine(options.engine)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even where a shell ignored it
    try:
        if engine == "mock":
            why = "--engine mock" if fallback is None else f"auto: {fallback}"
            _check_mock_options(options, why)
            return _serve_mock(options, why, out, say)
        return _serve_kafka(options, out, say)
    except KeyboardInterrupt:  # during start-up: whatever started has been stopped
        return 0
    except RuntimeError as exc:  # KafkaEngineError, or the mock that did not start
        say(f"error: {exc}")
        return EXIT_FAILURE
    except KafkaException as exc:  # an admin request to the broker failed
        say(f"error: Apache Kafka did not answer: {exc.args[0].str()}")
        return EXIT_FAILURE


def _serve_mock(options: BrokerOptions, why: str, out: TextIO, say: Say) -> int:
    with EmbeddedBroker(options.topic) as broker:
        _announce(broker.bootstrap_servers, options, out)
        say(f"engine: librdkafka's mock cluster ({why}). {MOCK_LIMITS}. Apache Kafka needs "
            "Java 17+ and its jars (Maven fetches them once): --engine kafka")
        say(f"topic {options.topic!r} ({broker.partitions} partitions) on "
            f"{broker.bootstrap_servers}; use -b {broker.bootstrap_servers}. Ctrl-C stops it.")
        try:
            while True:
                time.sleep(WATCH_S)
        except KeyboardInterrupt:
            return 0


def _serve_kafka(options: BrokerOptions, out: TextIO, say: Say) -> int:
    say(f"engine: Apache Kafka {KAFKA_VERSION}")
    started = time.monotonic()
    server = start_apache_kafka(options.topic, options.partitions, say,
                                data_dir=options.data_dir, port=options.port)
    try:
        _announce(server.bootstrap_servers, options, out)
        kept = "kept" if server.keep_data else "removed on exit; --data-dir keeps it"
        say(f"ready in {time.monotonic() - started:.1f} s: topic {options.topic!r} "
            f"({server.topic_partitions(options.topic)} partitions) on {server.bootstrap_servers};"
            f" use -b {server.bootstrap_servers}. Data in {server.workdir} ({kept}); "
            f"log {server.log_file}. Ctrl-C stops it.")
        while server.running:
            time.sleep(WATCH_S)
        code = server.exit_code
        server.stop()
        raise KafkaEngineError(
            f"Apache Kafka stopped by itself (exit {code}); see {server.log_file}"
        )
    except KeyboardInterrupt:
        _stop(server, say)
        return 0
    except ConfigError:
        server.close()
        raise
    except BaseException:
        server.stop()  # keeps the folder: the log explains the failure
        raise


def _stop(server: KafkaServer, say: Say) -> None:
    """Stop the JVM in order (bounded; SIGKILL after that); more signals cannot cut it short."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    say("stopping Apache Kafka")
    started = time.monotonic()
    server.close()
    say(f"stopped in {time.monotonic() - started:.1f} s")
