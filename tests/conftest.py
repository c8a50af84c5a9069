"""Shared fixtures. Apache Kafka ones live in ``kafka_server.py``; tests using them need
``@pytest.mark.kafka`` (so ``-m "not kafka"`` leaves Java and Maven out of a run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kafka_server import KafkaServer

KAFKA_FIXTURES = frozenset({"kafka", "kafka_sasl"})


def pytest_runtest_setup(item: pytest.Item) -> None:
    used = KAFKA_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    if used and item.get_closest_marker("kafka") is None:
        pytest.fail(f"{item.nodeid} uses {', '.join(sorted(used))}: mark it @pytest.mark.kafka")


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaServer]:
    """A single-node Apache Kafka on loopback (PLAINTEXT), shared by the session."""
    with KafkaServer() as server:
        yield server


@pytest.fixture(scope="session")
def kafka_sasl() -> Iterator[KafkaServer]:
    """Apache Kafka with a SASL_PLAINTEXT/PLAIN listener for user alice / alice-secret."""
    with KafkaServer(sasl_plain_users={"alice": "alice-secret"}) as server:
        yield server
