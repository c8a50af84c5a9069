"""The Flink Kafka SQL connector jar: found in the per-user cache, or fetched once with
Maven by ``kafka_jars.fetch_with_maven`` (the same cache and download as Kafka's jars)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from rtd_tui.flink.render import CONNECTOR
from rtd_tui.kafka_jars import KafkaUnavailable, Progress, fetch_with_maven, no_progress


def connector_dir() -> Path:
    """Where the connector jar lives: ``$RTD_FLINK_JARS`` or the per-user cache."""
    configured = os.environ.get("RTD_FLINK_JARS")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "rtd-tui" / "flink-jars" / CONNECTOR[2]


def connector_jar(progress: Progress = no_progress) -> Path:
    """The connector jar, fetched through Maven on first use."""
    group, artifact, version = CONNECTOR
    folder = connector_dir()
    jar = folder / f"{artifact}-{version}.jar"
    if jar.is_file():
        return jar
    if shutil.which("mvn") is None:
        raise KafkaUnavailable(f"cannot run the Flink job: {jar} is missing and Maven (mvn) is "
                               f"not on PATH to fetch {group}:{artifact}:{version}")
    fetch_with_maven(folder, [CONNECTOR], f"the Flink Kafka connector {version}", "about 11 MB",
                     progress)
    if not jar.is_file():
        raise KafkaUnavailable(f"Maven ran but {jar} is not there; see {folder.parent}")
    return jar
