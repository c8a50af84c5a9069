"""The local brokers rtd-tui can start, and the choice between them (``--engine``).

``mock``: librdkafka's mock cluster, a Kafka-protocol listener on loopback inside
this process. It starts at once, but only speaks old protocol versions: see
``MOCK_LIMITS``. Its topics have 4 partitions, it keeps about 5 MiB per partition,
and it dies with this process. The cluster lives inside the client that creates
it, so ``EmbeddedBroker`` keeps that owner client for its whole lifetime.

``kafka``: Apache Kafka as a child JVM (``kafka_engine``), which every client
speaks to. ``auto``: Apache Kafka when it can run here, else the mock.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType

from confluent_kafka import KafkaException, Producer

from rtd_tui.config import KAFKA_LOGGER, ConfigError
from rtd_tui.kafka_engine import KafkaServer
from rtd_tui.kafka_jars import (
    KafkaEngineError,
    Progress,
    no_progress,
    require,
    unavailable_reason,
)

MOCK_PARTITIONS = 4
#: The producer rate ``+`` stops at with the mock: its 4 partitions keep about 5 MiB
#: each, some 150,000 records of ~135 bytes, so at 2,500 records/s it still holds the
#: last minute (a replay reads it whole); above, it drops the oldest data within seconds.
MOCK_RATE_CEILING = 2_500.0
MOCK_LIMITS = (
    "Java clients 4.x and kafka-python 3.x (unless given api_version=(2, 3)) cannot use "
    "it, and it cannot list or describe consumer groups"
)


def choose_engine(requested: str) -> tuple[str, str | None]:
    """The engine to run for ``kafka``/``mock``/``auto``, and why ``auto`` fell back to the mock.

    ``kafka`` where Apache Kafka cannot run raises ``KafkaUnavailable`` (a usage error).
    """
    if requested == "mock":
        return "mock", None
    if requested == "kafka":
        require()
        return "kafka", None
    reason = unavailable_reason()
    return ("mock", reason) if reason else ("kafka", None)


def start_apache_kafka(
    topic: str,
    partitions: int,
    progress: Progress = no_progress,
    *,
    data_dir: Path | None = None,
    port: int | None = None,
) -> KafkaServer:
    """Apache Kafka with ``topic`` present (created with ``partitions`` when new).

    A failed start stops the JVM but keeps its folder, so the log it names stays readable;
    an interrupted one, or a usage error (a port in use), cleans up as a stop does.
    """
    server = KafkaServer(partitions=partitions, data_dir=data_dir, port=port)
    try:
        server.start(progress)
        try:
            if server.topic_partitions(topic) == 0:
                server.create_topic(topic, partitions)
        except KafkaException as exc:
            raise KafkaEngineError(f"Apache Kafka did not answer: {exc.args[0].str()}") from None
    except (KeyboardInterrupt, ConfigError):  # nothing worth keeping: clean up as on a stop
        server.close()
        raise
    except BaseException:
        server.stop()
        if not (server.log_file.exists() or server.console_file.exists()):
            server.close()  # the JVM never ran (e.g. the download failed): nothing to read
        raise
    return server


def start_local_broker(
    engine: str, topic: str, progress: Progress = no_progress
) -> EmbeddedBroker | KafkaServer:
    """The dashboard's own broker: the mock, or Apache Kafka with a 4-partition topic."""
    if choose_engine(engine)[0] == "kafka":
        return start_apache_kafka(topic, MOCK_PARTITIONS, progress)
    return EmbeddedBroker(topic)


class EmbeddedBroker:
    """Start a mock cluster, create ``topic`` on it, and expose its bootstrap servers."""

    def __init__(self, topic: str, brokers: int = 1) -> None:
        self.topic = topic
        self._owner: Producer | None = Producer(
            {"test.mock.num.brokers": brokers, "logger": logging.getLogger(KAFKA_LOGGER)}
        )
        try:
            # A metadata request for the topic makes the mock cluster create it.
            metadata = self._owner.list_topics(topic, timeout=10)
        except KafkaException as exc:
            self._owner = None
            raise RuntimeError(f"embedded broker did not start: {exc}") from None
        self.bootstrap_servers = ",".join(
            f"{b.host}:{b.port}" for b in sorted(metadata.brokers.values(), key=lambda b: b.id)
        )
        self.partitions = len(metadata.topics[topic].partitions)

    @property
    def running(self) -> bool:
        return self._owner is not None

    def close(self) -> None:
        """Stop the cluster (idempotent)."""
        owner, self._owner = self._owner, None
        if owner is not None:
            owner.flush(0)
            del owner

    def __enter__(self) -> EmbeddedBroker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
