"""``rtd-tui aggregate`` prepares its upsert topic: created compacted when absent, and a
warning (never a change) for an existing one that is not compacted."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import ConfigResource, NewTopic  # type: ignore[attr-defined]
from kafka_server import KafkaServer

from rtd_tui.config import ConfigError
from rtd_tui.flink.command import admin_client, ensure_sink_topic
from rtd_tui.flink.render import JobSpec

pytestmark = pytest.mark.kafka


def cleanup_policy(kafka: KafkaServer, topic: str) -> str:
    resource, admin = ConfigResource("topic", topic), kafka.admin()  # alive until answered
    config = admin.describe_configs([resource])[resource].result(30)
    return str(config["cleanup.policy"].value)


def test_an_absent_aggregates_topic_is_created_compacted(kafka: KafkaServer) -> None:
    spec = JobSpec("agg-topic-raw", kafka.bootstrap_servers)
    said: list[str] = []
    ensure_sink_topic(spec, admin_client(spec), said.append)
    assert said == ["created agg-topic-raw-aggregates (compacted)"]
    assert cleanup_policy(kafka, "agg-topic-raw-aggregates") == "compact"
    ensure_sink_topic(spec, admin_client(spec), said.append)  # there now: nothing to say
    assert len(said) == 1


def test_an_existing_topic_that_is_not_compacted_is_named_and_left_alone(
    kafka: KafkaServer,
) -> None:
    admin = kafka.admin()
    admin.create_topics([NewTopic("agg-topic-plain", 1, 1)])["agg-topic-plain"].result(30)
    spec = JobSpec("agg-topic-raw2", kafka.bootstrap_servers, "agg-topic-plain")
    said: list[str] = []
    ensure_sink_topic(spec, admin_client(spec), said.append)
    assert len(said) == 1 and said[0].startswith(
        "warning: agg-topic-plain has cleanup.policy=delete, not compact")
    assert cleanup_policy(kafka, "agg-topic-plain") == "delete"


def test_an_unreachable_cluster_is_a_usage_error() -> None:
    spec = JobSpec("t", "127.0.0.1:1")
    with pytest.raises(ConfigError, match="cannot prepare the aggregates topic 't-aggregates'"):
        ensure_sink_topic(spec, admin_client(spec), print)
