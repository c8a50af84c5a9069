"""The package's Apache Kafka runner (``rtd_tui.kafka_engine``) as the tests use it.

Without Java 17+, or without the jars and Maven to fetch them, the tests that need
it are skipped with the reason; a failing download or start fails them, with the
end of the broker log.
"""

from __future__ import annotations

import pytest

from rtd_tui.kafka_config import free_ports
from rtd_tui.kafka_engine import KafkaServer as EngineServer
from rtd_tui.kafka_jars import (
    KAFKA_VERSION,
    KafkaEngineError,
    KafkaUnavailable,
    Progress,
    ensure_jars,
    no_progress,
)

__all__ = ["KAFKA_VERSION", "KafkaServer", "free_ports", "jars_or_skip"]


def jars_or_skip() -> str:
    """The jar folder (fetched on first use) for ``java -cp``; skips where it cannot exist."""
    try:
        return str(ensure_jars())
    except KafkaUnavailable as exc:
        pytest.skip(str(exc))
    except KafkaEngineError as exc:
        pytest.fail(str(exc))


class KafkaServer(EngineServer):
    """``rtd_tui.kafka_engine.KafkaServer`` whose start skips or fails the test instead."""

    def start(self, progress: Progress = no_progress) -> None:
        try:
            super().start(progress)
        except KafkaUnavailable as exc:
            pytest.skip(str(exc))
        except KafkaEngineError as exc:
            pytest.fail(f"{exc}\n{self.log_tail()}")
