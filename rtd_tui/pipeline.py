"""Wires broker, producer, consumer and store into one running data path.

The dashboard and the tests build a ``Pipeline``; its two loops are run by
whoever owns the threads (Textual workers in the app, plain threads elsewhere).
``close()`` is the single shutdown path: stop, flush with a bounded wait,
report what was not delivered, stop the embedded broker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from confluent_kafka import Producer

from rtd_tui.broker import MOCK_RATE_CEILING, EmbeddedBroker, start_local_broker
from rtd_tui.config import Settings
from rtd_tui.consumer import CLUSTER_FETCH_WAIT_MS, ConsumeLoop, LinkStatus, PartitionInfo
from rtd_tui.generator import PoolsBuild, RecordGenerator
from rtd_tui.kafka_engine import KafkaServer
from rtd_tui.kafka_jars import Progress, no_progress
from rtd_tui.lag import NO_LAG, LagReport
from rtd_tui.lag_watch import LagWatch, MessageStamps
from rtd_tui.producer import PRODUCER_DEFAULTS, ProduceLoop, ProducerControl, ProducerStats
from rtd_tui.publish import Publisher
from rtd_tui.store import DashboardStore, RecordStore
from rtd_tui.tail import TailBuffer
from rtd_tui.throughput import ThroughputHistory

FLUSH_TIMEOUT_S = 1.0
LOOP_EXIT_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class JobProgress:
    """The aggregating job, as ``--source aggregates`` sees it (None fields: not known yet)."""

    aggregates_topic: str
    lag: int | None  # raw messages the job has not read (None: it committed no offsets yet)
    lag_s: float | None  # age of the oldest raw message it has not read (None: not known)
    newest_age_s: float | None  # seconds since the newest aggregate was written
    malformed: int = 0  # aggregate messages that broke the contract
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class PipelineStatus:
    """What the status line shows; a plain value, safe to hand to the UI thread."""

    broker: str
    topic: str
    link: LinkStatus
    producer_on: bool
    rate: float | None
    produced: ProducerStats
    partitions: tuple[PartitionInfo, ...]
    start: str = ""  # "from 10:00:00" for a @TIME start
    job: JobProgress | None = None  # set when the dashboard shows a job's aggregates
    lag: LagReport = NO_LAG  # the raw reader's lag in seconds and trend
    notices: tuple[str, ...] = ()  # offsets reused and the like: the last few, oldest first
    notice_count: int = 0  # how many notices there have been
    duplicates: int = 0  # redelivered messages dropped since the last clear


class StreamReader(Protocol):
    """The loop that fills the store: ``ConsumeLoop`` (raw) or the aggregates reader."""

    status: LinkStatus

    @property
    def partitions(self) -> tuple[PartitionInfo, ...]: ...

    def clear(self) -> int: ...

    def request_replay(self) -> int: ...

    def run(self, stop: threading.Event) -> None: ...


class Pipeline:
    """Everything between the generator and the store, for one topic."""

    def __init__(
        self,
        settings: Settings,
        store: DashboardStore,
        generator: RecordGenerator | PoolsBuild | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.control = ProducerControl(enabled=settings.producer_on, rate=settings.rate)
        self._generator = generator
        self.stop_event = threading.Event()
        self._loops_running: dict[str, threading.Event] = {}
        self.broker: EmbeddedBroker | KafkaServer | None = None
        self.bootstrap = settings.bootstrap_servers or ""
        self.producer: ProduceLoop | None = None
        self.publisher: Publisher | None = None  # one-off sends (form), same client
        self.consumer: StreamReader | None = None
        self.lag_watch: LagWatch | None = None  # lag in seconds, on a thread and client of its own
        self._stamps: MessageStamps | None = None
        self.tail = TailBuffer()  # fed by the consumer thread, read by the tail views
        self.throughput = ThroughputHistory()  # sampled by UI timers: sample_throughput()

    def start(self, progress: Progress = no_progress) -> None:
        """Start the local broker (if any) and create the clients; loops run separately."""
        settings = self.settings
        if settings.embedded:
            self.broker = start_local_broker(settings.engine, settings.topic, progress)
            self.bootstrap = self.broker.bootstrap_servers
        if self._generator is None and settings.producer_on:
            self._generator = PoolsBuild(settings.seed)  # Faker runs in a helper meanwhile
        generator: RecordGenerator | Callable[[], RecordGenerator]
        if isinstance(self._generator, PoolsBuild):
            pools = self._generator
            generator = lambda: RecordGenerator(pools=pools.result())  # noqa: E731
        elif self._generator is None:  # off at start (a serve tab, --no-producer): no helper;
            seed = settings.seed  # built in the producer's thread if it is ever turned on
            generator = lambda: RecordGenerator(seed)  # noqa: E731
        else:
            generator = self._generator
        self.producer = ProduceLoop(
            Producer(settings.client_config(self.bootstrap, **PRODUCER_DEFAULTS)),
            settings.topic, generator, self.control,
        )
        self.publisher = Publisher(self.producer.producer, settings.topic,
                                   on_queued=self.control.wake)
        mock = isinstance(self.broker, EmbeddedBroker)  # answers a fetch only after the wait
        if mock:
            self.control.set_ceiling(MOCK_RATE_CEILING, "the embedded broker")
        fetch = {} if mock else {"fetch.wait.max.ms": CLUSTER_FETCH_WAIT_MS}
        self.consumer = self.reader(settings.client_config(self.bootstrap, **fetch))
        # Lag in seconds on the raw topic, at the reader's positions (with --source
        # aggregates: the job's committed offsets, which its reader's partitions carry).
        reader = self.consumer
        self._stamps = MessageStamps(settings.client_config(self.bootstrap), settings.topic)
        self.lag_watch = LagWatch(lambda: reader.partitions, self._stamps.read)

    def reader(self, config: dict[str, object]) -> StreamReader:
        """The loop that reads the topic into the store: every raw message, here."""
        if not isinstance(self.store, RecordStore):
            raise TypeError(f"the raw topic is read into a RecordStore, not {self.store!r}")
        return ConsumeLoop(config, self.settings.topic, self.store,
                           start_from=self.settings.start_from, on_tail=self.tail.add)

    @property
    def broker_label(self) -> str:
        if isinstance(self.broker, KafkaServer):
            return f"Apache Kafka @ {self.bootstrap}"
        if self.settings.embedded:
            return f"embedded @ {self.bootstrap}" if self.bootstrap else "embedded (not started)"
        return self.bootstrap

    def status(self) -> PipelineStatus:
        """A consistent-enough picture of the live parts, for the status line."""
        consumer = self.consumer
        return PipelineStatus(
            broker=self.broker_label,
            topic=self.settings.topic,
            link=consumer.status if consumer else LinkStatus("idle", "workers not started"),
            producer_on=self.control.enabled,
            rate=self.control.rate,
            produced=self.producer.stats if self.producer else ProducerStats(),
            partitions=self._partitions_now(),
            start=consumer.started_from if isinstance(consumer, ConsumeLoop) else "",
            lag=self.lag_watch.report() if self.lag_watch else NO_LAG,
            notices=consumer.notices if isinstance(consumer, ConsumeLoop) else (),
            notice_count=consumer.notice_count if isinstance(consumer, ConsumeLoop) else 0,
            duplicates=self.store.duplicates if isinstance(self.store, RecordStore) else 0,
        )

    def _partitions_now(self) -> tuple[PartitionInfo, ...]:
        """The consumer's partitions with the store's rates: those run on the clock, so a
        partition that stops sending reads 0 msgs/s within the rate span, and says since when."""
        if self.consumer is None:
            return ()
        live = self.store.liveness()
        return tuple(replace(p, rate=live.partition_rates.get(p.partition, 0.0),
                             idle=live.partition_idle.get(p.partition))
                     for p in self.consumer.partitions)

    def sample_throughput(self) -> None:
        """Add a point to the throughput history (at most one a second; any timer may call)."""
        lag = sum(p.lag for p in self.consumer.partitions) if self.consumer else 0
        self.throughput.record(self.store.consumed, lag)

    def clear(self) -> int:
        """Forget what the store holds, as a barrier (see ``ConsumeLoop.clear``);
        returns how many fetched messages were dropped rather than stored after it."""
        if self.consumer is None:
            self.store.clear()
            return 0
        return self.consumer.clear()

    def run_producer(self) -> None:
        """Body of the producer thread."""
        if self.producer is not None:
            self._run_loop("producer", self.producer.run)

    def run_consumer(self) -> None:
        """Body of the consumer thread."""
        if self.consumer is not None:
            self._run_loop("consumer", self.consumer.run)

    def run_lag_watch(self) -> None:
        """Body of the lag thread (beside the consumer's, never in its way)."""
        if self.lag_watch is not None:
            self._run_loop("lag", self.lag_watch.run)

    def _run_loop(self, name: str, loop: Callable[[threading.Event], None]) -> None:
        done = threading.Event()
        self._loops_running[name] = done
        try:
            loop(self.stop_event)
        finally:
            done.set()

    def stop(self) -> None:
        """Ask both loops to return; they notice within one poll interval."""
        self.stop_event.set()
        self.control.wake()

    def close(self, flush_timeout: float = FLUSH_TIMEOUT_S) -> int:
        """Stop the loops, flush, stop the broker; returns the records not delivered."""
        self.stop()
        if isinstance(self._generator, PoolsBuild):
            self._generator.cancel()
        # The producer is flushed while the consumer winds down: the two waits overlap.
        if (producing := self._loops_running.get("producer")) is not None:
            producing.wait(LOOP_EXIT_TIMEOUT_S)
        lost = 0
        if self.producer is not None:
            # No broker answers: a flush could only wait out its timeout (records are
            # reported lost either way), so the process ends without that wait.
            wait = 0.0 if self._unreachable() else flush_timeout
            lost = self.producer.flush(wait) + self.producer.stats.failed
        for name in ("consumer", "lag"):
            if (running := self._loops_running.get(name)) is not None:
                running.wait(LOOP_EXIT_TIMEOUT_S)
        if self._stamps is not None:
            self._stamps.close()
        if self.broker is not None:
            self.broker.close()
        return lost

    def _unreachable(self) -> bool:
        return self.consumer is not None and self.consumer.status.state == "unreachable"

    def loss_report(self, lost: int, flush_timeout: float = FLUSH_TIMEOUT_S) -> str:
        """One line: how many records were not delivered, and why (for stderr on exit)."""
        stats = self.producer.stats if self.producer else ProducerStats()
        link = self.consumer.status if self.consumer else None
        if stats.last_error:
            why = stats.last_error
        elif link is not None and link.state != "connected":
            why = f"broker {link.state}" + (f": {link.detail}" if link.detail else "")
        else:
            why = f"not confirmed within the {flush_timeout:g} s flush"
        return f"{lost:,} record{'s' if lost != 1 else ''} not delivered ({why})"
