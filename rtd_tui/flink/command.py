"""``rtd-tui aggregate``: render the Flink SQL job, print it, or run it on a local mini-cluster.

``--print-sql`` needs nothing but this package (the SQL is for a user's own cluster).
Running needs PyFlink (the optional ``flink`` extra: without it, one line says how to
get it and the exit status is 2), Java and the Kafka connector jar (fetched once).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
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


def admin_client(spec: JobSpec) -> Any:
    """An admin client on the job's cluster, its logs on the Kafka logger."""
    from confluent_kafka.admin import AdminClient

    config: dict[str, Any] = {"bootstrap.servers": spec.brokers, **spec.properties,
                              "logger": logging.getLogger(KAFKA_LOGGER)}
    return AdminClient(config)


def topic_partitions(spec: JobSpec, admin: Any) -> int:
    """The raw topic's partition count, asked of the cluster (a usage error if it is absent)."""
    from confluent_kafka import KafkaException

    try:
        meta = admin.list_topics(timeout=METADATA_TIMEOUT_S)  # by name could create it
    except KafkaException as exc:
        raise ConfigError(f"cannot read the topics of {spec.brokers}: {exc.args[0]}") from None
    topic = meta.topics.get(spec.topic)
    if topic is None or topic.error is not None or not topic.partitions:
        raise ConfigError(f"topic {spec.topic!r} does not exist on {spec.brokers}")
    return len(topic.partitions)


def ensure_sink_topic(spec: JobSpec, admin: Any, say: Callable[[str], None]) -> None:
    """The aggregates topic, compacted (an upsert topic keeps each row's latest value): it
    is created so when absent (one partition, the broker's replication factor); one that
    exists and is not compacted gets a warning line, since its history would grow with
    every checkpoint, and is left as it is."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import ConfigResource, NewTopic  # type: ignore[attr-defined]

    sink = spec.sink_topic
    try:
        # all topics: asking for one by name lets a broker with auto-creation make it,
        # with its default (deleting) policy
        found = admin.list_topics(timeout=METADATA_TIMEOUT_S).topics.get(sink)
        if found is None or found.error is not None:
            futures = admin.create_topics([NewTopic(sink, 1, -1,
                                                    config={"cleanup.policy": "compact"})])
            try:
                futures[sink].result(METADATA_TIMEOUT_S)
                say(f"created {sink} (compacted)")
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
            return
        resource = ConfigResource("topic", sink)
        policy = admin.describe_configs([resource])[resource].result(
            METADATA_TIMEOUT_S)["cleanup.policy"].value
    except KafkaException as exc:
        raise ConfigError(f"cannot prepare the aggregates topic {sink!r}: "
                          f"{exc.args[0].str()}") from None
    if "compact" not in (policy or ""):
        say(f"warning: {sink} has cleanup.policy={policy}, not compact: its history grows "
            "with every checkpoint (kafka-configs.sh --alter --entity-type topics "
            f"--entity-name {sink} --add-config cleanup.policy=compact)")


def run_aggregate(options: AggregateOptions) -> int:
    """Print the SQL, or run the job until Ctrl-C/SIGTERM; ``ConfigError`` for bad input."""
    sql = render(options.spec)
    if options.print_sql:
        sys.stdout.write(sql)
        return 0
    require_pyflink()

    def say(line: str) -> None:
        print(f"rtd-tui aggregate: {line}", file=sys.stderr, flush=True)

    admin = admin_client(options.spec)
    parallelism = options.parallelism or default_parallelism(
        topic_partitions(options.spec, admin))
    ensure_sink_topic(options.spec, admin, say)
    state_dir = options.state_dir or default_state_dir(options.spec.topic)
    state_dir.mkdir(parents=True, exist_ok=True)
    config = flink_config(state_dir, parallelism, connector_jar(say))
    say(f"reading {options.spec.topic} with parallelism {parallelism}, writing "
        f"{options.spec.sink_topic}; checkpoints in {state_dir}")
    run(sql, config, say)
    return 0
