"""The headless producer: ``rtd-tui produce``.

``produce`` is the successor of the original ``fake_data_producer.py``: same
record format and key, but it queues records without waiting on each delivery,
prints progress to stdout, and on Ctrl-C/SIGTERM flushes with a bounded wait and
prints a summary. When nothing was ever delivered and deliveries fail (an
unreachable broker, bad credentials), it gives up after the first message
timeout instead of waiting out the queue. Exit status is 1 if any record was not
delivered; the reason is one line on stderr.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TextIO, TypeVar

from confluent_kafka import KafkaError, KafkaException, Producer

from rtd_tui.config import ConfigError, Settings, redact
from rtd_tui.generator import RecordGenerator
from rtd_tui.producer import PRODUCER_DEFAULTS, ProduceLoop, ProducerControl, ProducerStats

PROGRESS_EVERY_S = 1.0
#: Not a terminal: a progress line at most this often, and only when a count changed.
PIPE_EVERY_S = 5.0
#: The main thread's wake-ups while producing (progress, give-up checks); signals
#: interrupt its wait at once.
TICK_S = 1.0
#: The flush's steps at exit: the second Ctrl-C is noticed within one.
FLUSH_STEP_S = 0.1
EXIT_FAILURE = 1
Client = TypeVar("Client")


def open_client(
    factory: Callable[[dict[str, object]], Client], config: dict[str, object]
) -> Client:
    """Create a Kafka client; a property librdkafka rejects becomes a one-line ``ConfigError``."""
    try:
        return factory(config)
    except KafkaException as exc:
        raise ConfigError(f"invalid Kafka configuration: {exc.args[0].str()}") from None
    except (TypeError, ValueError) as exc:  # e.g. -X error_cb=x: not a callable
        raise ConfigError(f"invalid Kafka configuration: {exc}") from None


def _on_signals(stop: threading.Event, abort: threading.Event, wake: Callable[[], None]) -> None:
    """First SIGINT/SIGTERM stops producing (then flush); a second one also ends the flush."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        (abort if stop.is_set() else stop).set()
        wake()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


class LinkErrors:
    """The last error librdkafka reported about the connection (``error_cb``)."""

    def __init__(self) -> None:
        self.last = ""
        self.fatal = False

    def record(self, err: KafkaError) -> None:
        self.last = err.str()
        self.fatal = self.fatal or err.fatal()


class Meter:
    """Progress lines: totals and the delivered rate since the previous line.

    On a terminal one line is rewritten every second. Into a pipe or a file each line
    stays, so one is written only when a count changed, at most every ``PIPE_EVERY_S``.
    """

    def __init__(self, out: TextIO, started: float) -> None:
        self.out = out
        self.tty = out.isatty()
        self._at, self._delivered = started, 0
        self._counts: tuple[int, int, int] | None = None

    def tick(self, stats: ProducerStats, now: float, *, final: bool = False) -> None:
        """Show progress if it is time to (``final``: the last chance, before the summary)."""
        if self.tty:
            due = final or now - self._at >= PROGRESS_EVERY_S
        else:
            changed = (stats.sent, stats.delivered, stats.failed) != self._counts
            due = changed and (final or now - self._at >= PIPE_EVERY_S)
        if due:
            self._show(stats, now)

    def _show(self, stats: ProducerStats, now: float) -> None:
        rate = (stats.delivered - self._delivered) / max(now - self._at, 1e-9)
        self._at, self._delivered = now, stats.delivered
        self._counts = (stats.sent, stats.delivered, stats.failed)
        line = (f"sent {stats.sent:,}  delivered {stats.delivered:,}  failed {stats.failed:,}  "
                f"{rate:,.0f} records/s")
        if self.tty:
            print(f"\r{line}\033[K", end="", file=self.out, flush=True)
        else:
            print(line, file=self.out, flush=True)

    def done(self) -> None:
        if self.tty:
            print(file=self.out)


def _describe(settings: Settings) -> str:
    pace = "max rate" if settings.rate is None else f"{settings.rate:g} records/s"
    parts = [f"rtd-tui produce: topic {settings.topic!r} on {settings.bootstrap_servers}, {pace}"]
    if settings.count is not None:
        parts.append(f"until {settings.count:,} delivered")
    if settings.kafka:
        props = " ".join(f"{k}={v}" for k, v in redact(settings.kafka).items())
        parts.append(f"with {props}")
    return ", ".join(parts)


def run_produce(settings: Settings, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Produce until ``count`` is delivered, or until interrupted; returns the exit status."""
    logging.getLogger().handlers[:] = [logging.NullHandler()]  # reasons come via error_cb
    link = LinkErrors()
    config = settings.client_config(
        settings.bootstrap_servers or "", **PRODUCER_DEFAULTS, error_cb=link.record
    )
    control = ProducerControl(enabled=True, rate=settings.rate)
    loop = ProduceLoop(
        open_client(Producer, config), settings.topic, RecordGenerator(seed=settings.seed),
        control, count=settings.count,
    )
    stop, abort = threading.Event(), threading.Event()
    _on_signals(stop, abort, control.wake)
    crashed: list[str] = []

    def produce() -> None:
        try:
            loop.run(stop)
        except KafkaException as exc:  # a fatal client error: report it, never a traceback
            crashed.append(exc.args[0].str())

    print(_describe(settings), file=out, flush=True)
    started = time.monotonic()
    meter = Meter(out, started)
    worker = threading.Thread(target=produce, name="produce", daemon=True)
    worker.start()
    gave_up = ""
    while worker.is_alive():
        worker.join(TICK_S)
        now = time.monotonic()
        meter.tick(loop.stats, now, final=not worker.is_alive())
        if not gave_up and loop.stats.failed and not loop.stats.delivered:
            gave_up = loop.stats.last_error  # nothing ever got through: stop retrying
            stop.set()
        if link.fatal:
            stop.set()
        if stop.is_set():
            control.wake()
    meter.done()
    left = _drain(loop, settings.flush_timeout, purge=bool(gave_up or crashed), abort=abort)
    elapsed = time.monotonic() - started
    stats = loop.stats
    print(
        f"rtd-tui produce: sent {stats.sent:,}, delivered {stats.delivered:,}, "
        f"failed {stats.failed:,}, unconfirmed {left:,} in {elapsed:.1f} s "
        f"({stats.delivered / elapsed:,.0f} records/s)",
        file=out, flush=True,
    )
    reason = crashed[0] if crashed else gave_up or stats.last_error
    if stats.failed or left or crashed:
        detail = f" (broker: {link.last})" if link.last and link.last != reason else ""
        what = f"delivery failed: {reason}{detail}" if reason else (
            f"{left:,} records unconfirmed after --flush-timeout {settings.flush_timeout:g} s"
        )
        print(f"rtd-tui produce: error: {what}", file=err, flush=True)
        return EXIT_FAILURE
    return 0


def _drain(loop: ProduceLoop, timeout: float, *, purge: bool, abort: threading.Event) -> int:
    """Flush for at most ``timeout`` s (less if ``abort``); returns the records unconfirmed."""
    if purge:  # the queue would only time out record by record
        loop.producer.purge(in_queue=True, in_flight=False)
    deadline = time.monotonic() + timeout
    left = loop.flush(0)
    while left and not abort.is_set() and (remaining := deadline - time.monotonic()) > 0:
        left = loop.flush(min(FLUSH_STEP_S, remaining))
    return left
