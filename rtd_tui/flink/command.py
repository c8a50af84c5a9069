"""``rtd-tui aggregate``: render the Flink SQL job, print it, or run it on a local mini-cluster.

``--print-sql`` needs nothing but this package (the SQL is for a user's own cluster).
Running needs PyFlink (the optional ``flink`` extra: without it, one line says how to
get it and the exit status is 2), Java and the Kafka connector jar (fetched once).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtd_tui.config import KAFKA_LOGGER, ConfigError
from rtd_tui.flink.connector import connector_jar
from rtd_tui.flink.job import default_parallelism, flink_config, require_pyflink, run
from rtd_tui.flink.render import JobSpec, render

METADATA_TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class AggregateOptions:
    """The ``aggregate`` sub-command's options, as the CLI resolved them."""

    spec: JobSpec
    print_sql: bool = False
    parallelism: int | None = None
    state_dir: Path | None = None


def default_state_dir(topic: str) -> Path:
    """Checkpoints of the job on ``topic``, in the user's state folder."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "rtd-tui" / "flink" / topic


def topic_partitions(spec: JobSpec) -> int:
    """The raw topic's partition count, asked of the cluster (a usage error if it is absent)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    config: dict[str, Any] = {"bootstrap.servers": spec.brokers, **spec.properties,
                                 "logger": logging.getLogger(KAFKA_LOGGER)}
    try:
        meta = AdminClient(config).list_topics(spec.topic, timeout=METADATA_TIMEOUT_S)
    except KafkaException as exc:
        raise ConfigError(f"cannot read the topics of {spec.brokers}: {exc.args[0]}") from None
    topic = meta.topics.get(spec.topic)
    if topic is None or topic.error is not None or not topic.partitions:
        raise ConfigError(f"topic {spec.topic!r} does not exist on {spec.brokers}")
    return len(topic.partitions)


def run_aggregate(options: AggregateOptions) -> int:
    """Print the SQL, or run the job until Ctrl-C/SIGTERM; ``ConfigError`` for bad input."""
    sql = render(options.spec)
    if options.print_sql:
        sys.stdout.write(sql)
        return 0
    require_pyflink()

    def say(line: str) -> None:
        print(f"rtd-tui aggregate: {line}", file=sys.stderr, flush=True)

    parallelism = options.parallelism or default_parallelism(topic_partitions(options.spec))
    state_dir = options.state_dir or default_state_dir(options.spec.topic)
    state_dir.mkdir(parents=True, exist_ok=True)
    config = flink_config(state_dir, parallelism, connector_jar(say))
    say(f"reading {options.spec.topic} with parallelism {parallelism}, writing "
        f"{options.spec.sink_topic}; checkpoints in {state_dir}")
    run(sql, config, say)
    return 0
