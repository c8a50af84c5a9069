"""The headless commands: ``rtd-tui produce`` and ``rtd-tui broker``.

``produce`` is the successor of the original ``fake_data_producer.py``: same
record format and key, but it queues records without waiting on each delivery,
shows progress, and on Ctrl-C/SIGTERM flushes with a bounded wait and prints a
summary. Exit status is 1 if any record was not delivered.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TextIO

from confluent_kafka import KafkaException, Producer

from rtd_tui.broker import EmbeddedBroker
from rtd_tui.config import Settings
from rtd_tui.producer import PRODUCER_DEFAULTS, ProduceLoop, ProducerControl, ProducerStats
from rtd_tui.records import RecordGenerator

log = logging.getLogger(__name__)


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _configure_stderr_logging() -> None:
    """librdkafka warnings go to stderr once, in our format (not the UI: there is none)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("rtd-tui: %(levelname)s %(message)s"))
    handler.setLevel(logging.ERROR)
    logging.getLogger().handlers[:] = [handler]


def run_produce(settings: Settings, flush_timeout: float, out: TextIO = sys.stderr) -> int:
    """Produce until ``--count`` is delivered, or until interrupted; returns the exit status."""
    if settings.embedded:
        print(
            "rtd-tui: error: produce needs --bootstrap-servers (or RTD_BOOTSTRAP_SERVERS); "
            "start a broker with `rtd-tui broker` or use a real cluster",
            file=out,
        )
        return 2
    _configure_stderr_logging()
    try:
        producer = Producer(settings.client_config(settings.bootstrap_servers or "",
                                                   **PRODUCER_DEFAULTS))
    except KafkaException as exc:
        print(f"rtd-tui: error: invalid Kafka configuration: {exc.args[0].str()}", file=out)
        return 2
    loop = ProduceLoop(
        producer, settings.topic, RecordGenerator(seed=settings.seed),
        ProducerControl(enabled=True, rate=settings.rate), count=settings.count,
    )
    stop = threading.Event()
    _stop_on_signals(stop)
    worker = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    started = time.monotonic()
    worker.start()
    interactive = out.isatty()
    while worker.is_alive():
        worker.join(1.0)
        line = progress_line(loop.stats, time.monotonic() - started)
        print(f"\r{line}" if interactive else line, end="" if interactive else "\n",
              file=out, flush=True)
        if loop.stats.failed and not loop.stats.delivered:
            stop.set()  # nothing ever got through: the broker is unreachable, give up
    if interactive:
        print(file=out)
    stop.set()
    left = loop.flush(flush_timeout)
    return _summary(loop.stats, left, time.monotonic() - started, out)


def progress_line(stats: ProducerStats, elapsed: float) -> str:
    """One progress line: sent, delivered, failed and the delivered rate so far."""
    speed = stats.delivered / elapsed if elapsed > 0 else 0.0
    return (
        f"sent {stats.sent:,}  delivered {stats.delivered:,}  failed {stats.failed:,}  "
        f"{speed:,.0f} records/s"
    )


def _summary(stats: ProducerStats, left: int, elapsed: float, out: TextIO) -> int:
    lost = stats.failed + left
    print(
        f"rtd-tui produce: sent {stats.sent:,}, delivered {stats.delivered:,}, "
        f"failed {stats.failed:,}, undelivered at exit {left:,} in {elapsed:.1f}s",
        file=out,
    )
    if stats.failed:
        print(f"rtd-tui produce: delivery failed: {stats.last_error}", file=out)
    return 1 if lost else 0


def run_broker(topic: str, bootstrap_file: Path | None, out: TextIO = sys.stdout) -> int:
    """Run the embedded broker until Ctrl-C/SIGTERM; print (and write) its bootstrap servers."""
    logging.getLogger().handlers[:] = [logging.NullHandler()]
    stop = threading.Event()
    _stop_on_signals(stop)
    with EmbeddedBroker(topic) as broker:
        if bootstrap_file is not None:
            try:
                bootstrap_file.write_text(broker.bootstrap_servers + "\n", encoding="utf-8")
            except OSError as exc:
                print(f"rtd-tui: error: cannot write {bootstrap_file}: {exc.strerror}",
                      file=sys.stderr)
                return 2
        print(broker.bootstrap_servers, file=out, flush=True)
        print(
            f"rtd-tui broker: topic {topic!r} ({broker.partitions} partitions) on "
            f"{broker.bootstrap_servers}; use -b {broker.bootstrap_servers}. Ctrl-C stops it.",
            file=sys.stderr, flush=True,
        )
        while not stop.wait(0.5):
            pass
    return 0
