"""Static checks of compose/compose.yaml: no Docker engine is needed (nor used) here."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka_server import KAFKA_VERSION

COMPOSE = Path(__file__).parent.parent / "compose" / "compose.yaml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services: dict[str, Any] = doc["services"]
    return services


def env(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as strings, whichever compose syntax it uses."""
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {k: str(v) for k, v in raw.items()}


def published(service: dict[str, Any]) -> dict[int, int]:
    """Host port -> container port, from short (``"H:C"``) or long port syntax."""
    ports: dict[int, int] = {}
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports[int(entry["published"])] = int(entry["target"])
        else:
            host, _, container = str(entry).rpartition(":")
            ports[int(host.rpartition(":")[2])] = int(container.split("/")[0])
    return ports


def listeners(text: str) -> dict[str, tuple[str, int]]:
    """``NAME://host:port,...`` -> {NAME: (host, port)}."""
    parsed = {}
    for item in text.split(","):
        name, _, address = item.strip().partition("://")
        host, _, port = address.rpartition(":")
        parsed[name] = (host, int(port))
    return parsed


def protocol_map(text: str) -> dict[str, str]:
    return dict(item.strip().split(":", 1) for item in text.split(","))


def test_both_services_with_pinned_images(services: dict[str, Any]) -> None:
    assert set(services) >= {"kafka", "kafka-ui"}
    assert services["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"  # what the tests run
    ui_image, _, ui_tag = services["kafka-ui"]["image"].partition(":")
    assert ui_image == "kafbat/kafka-ui"
    assert ui_tag and ui_tag != "latest"


def test_host_ports(services: dict[str, Any]) -> None:
    assert 9092 in published(services["kafka"])
    assert published(services["kafka-ui"]) == {8081: 8080}


def test_kraft_single_node(services: dict[str, Any]) -> None:
    e = env(services["kafka"])
    assert set(e["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any("ZOOKEEPER" in k for k in e)
    controller = e["KAFKA_CONTROLLER_LISTENER_NAMES"]
    _host, controller_port = listeners(e["KAFKA_LISTENERS"])[controller]
    voters = e["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    assert voters == [f"{e['KAFKA_NODE_ID']}@{services['kafka']['hostname']}:{controller_port}"]
    for key, value in e.items():
        if key.endswith(("_REPLICATION_FACTOR", "_MIN_ISR")):
            assert value == "1", key
    cluster_id = e["CLUSTER_ID"]
    assert len(cluster_id) == 22
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_listeners_are_consistent(services: dict[str, Any]) -> None:
    e = env(services["kafka"])
    bound = listeners(e["KAFKA_LISTENERS"])
    advertised = listeners(e["KAFKA_ADVERTISED_LISTENERS"])
    protocols = protocol_map(e["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"])
    assert set(bound) <= set(protocols)
    for name, (_host, port) in advertised.items():
        assert name in bound and name in protocols, name
        assert bound[name][1] == port, name
    assert e["KAFKA_CONTROLLER_LISTENER_NAMES"] not in advertised
    assert e["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised


def test_host_listener_is_localhost_9092(services: dict[str, Any]) -> None:
    e = env(services["kafka"])
    advertised = listeners(e["KAFKA_ADVERTISED_LISTENERS"])
    container_port = published(services["kafka"])[9092]
    on_host = [addr for addr in advertised.values() if addr[1] == container_port]
    assert on_host == [("localhost", 9092)]


def test_ui_uses_the_internal_listener(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    advertised = listeners(env(kafka)["KAFKA_ADVERTISED_LISTENERS"])
    ui = env(services["kafka-ui"])
    assert ui["KAFKA_CLUSTERS_0_NAME"]
    host, _, port = ui["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"].rpartition(":")
    assert host in {"kafka", kafka.get("hostname")}
    assert (host, int(port)) in advertised.values()
    assert host != "localhost"


def test_healthchecks(services: dict[str, Any]) -> None:
    kafka_check = " ".join(services["kafka"]["healthcheck"]["test"])
    assert "kafka-broker-api-versions.sh" in kafka_check
    assert services["kafka-ui"]["healthcheck"]["test"]
    assert services["kafka-ui"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_readme_never_runs_the_producer_behind_the_dashboard() -> None:
    """A producer started with `&` in the dashboard's terminal draws its progress over it."""
    text = (COMPOSE.parent / "README.md").read_text(encoding="utf-8")
    commands = [line.split("#")[0].strip() for block in text.split("```sh")[1:]
                for line in block.split("```")[0].splitlines()]
    rtd = [c for c in commands if "rtd-tui" in c]
    assert rtd and not [c for c in rtd if c.endswith("&")]
    assert "its own terminal" in text
