"""The embedded broker: librdkafka's mock cluster, a real Kafka-protocol listener on loopback.

The cluster lives inside the client that creates it, so ``EmbeddedBroker`` keeps
that owner client for its whole lifetime and hands out ``bootstrap.servers``.
Limits of the mock: auto-created topics have 4 partitions, about 5 MiB are kept
per partition, and it dies with this process.
"""

from __future__ import annotations

import logging
from types import TracebackType

from confluent_kafka import KafkaException, Producer

from rtd_tui.config import KAFKA_LOGGER


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
