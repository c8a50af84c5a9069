"""Static checks of compose/compose.yaml: no Docker engine is needed (nor used) here."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka_server import KAFKA_VERSION

from rtd_tui.flink.render import CONNECTOR, JobSpec, render

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


# ---- the Flink session cluster and the aggregates job ------------------------------
FLINK_IMAGE = "flink:2.2.0-scala_2.12-java17"
FLINK_SERVICES = ("jobmanager", "taskmanager", "aggregate")
CONNECTOR_JAR = f"{CONNECTOR[1]}-{CONNECTOR[2]}.jar"  # the one `rtd-tui aggregate` uses
SUBMITTED = COMPOSE.parent / "aggregates.sql"


def flink_properties(service: dict[str, Any]) -> dict[str, str]:
    """The ``FLINK_PROPERTIES`` block as key -> value (the image appends it to its config)."""
    lines = env(service)["FLINK_PROPERTIES"].strip().splitlines()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source (volume name or host path) of a service's mounts."""
    out = {}
    for entry in service.get("volumes", []):
        source, target = str(entry).split(":")[:2]
        out[target] = source
    return out


def test_flink_services_share_one_pinned_image(services: dict[str, Any]) -> None:
    for name in FLINK_SERVICES:
        assert services[name]["image"] == FLINK_IMAGE, name
    assert services["jobmanager"]["command"] == "jobmanager"
    assert services["taskmanager"]["command"] == "taskmanager"
    # Flink's minor version is the connector's suffix (5.0.0-2.2 is built for Flink 2.2).
    assert FLINK_IMAGE.split(":")[1].startswith(CONNECTOR[2].rsplit("-", 1)[1] + ".")


def test_every_flink_process_finds_the_jobmanager_and_the_connector(
    services: dict[str, Any],
) -> None:
    jobmanager = services["jobmanager"].get("hostname", "jobmanager")
    fetched = services["flink-connector"]
    jar_volume = mounts(fetched)["/jars"]
    script = fetched["command"][0]
    assert f"jar={CONNECTOR_JAR}" in script and "sha1sum -c" in script
    maven = "https://repo1.maven.org/maven2/" + "/".join(
        [CONNECTOR[0].replace(".", "/"), CONNECTOR[1], CONNECTOR[2]])
    assert f"url={maven}/$$jar" in script
    for name in FLINK_SERVICES:
        service = services[name]
        assert flink_properties(service)["jobmanager.rpc.address"] == jobmanager, name
        libs = {path: src for path, src in mounts(service).items() if src == jar_volume}
        assert [p for p in libs if p.startswith("/opt/flink/lib/")], name  # on the classpath
    assert services["jobmanager"]["depends_on"]["flink-connector"]["condition"] == (
        "service_completed_successfully")


def test_checkpoints_live_where_both_jobmanager_and_taskmanager_see_them(
    services: dict[str, Any],
) -> None:
    for name in ("jobmanager", "taskmanager"):
        where = flink_properties(services[name])["execution.checkpointing.dir"]
        assert where.startswith("file://")
        assert mounts(services[name])[where.removeprefix("file://")] == "flink-checkpoints"
    assert "/checkpoints" in mounts(services["flink-connector"])  # chowned for the flink user


def test_the_job_can_run_one_subtask_per_raw_partition(services: dict[str, Any]) -> None:
    partitions = int(env(services["kafka"])["KAFKA_NUM_PARTITIONS"])
    created = services["topics"]["command"][0]
    assert f"--topic csv-data --partitions {partitions}" in created
    assert "--topic csv-data-aggregates" in created and "cleanup.policy=compact" in created
    slots = int(flink_properties(services["taskmanager"])["taskmanager.numberOfTaskSlots"])
    assert slots >= partitions


def test_the_job_is_submitted_once_the_cluster_and_topics_are_ready(
    services: dict[str, Any],
) -> None:
    submit = services["aggregate"]
    assert submit["command"][:2] == ["bin/sql-client.sh", "-f"]
    assert submit["restart"] == "no"
    properties = flink_properties(submit)
    assert properties["rest.address"] == "jobmanager"
    assert properties["rest.port"] == str(published(services["jobmanager"])[8082])
    waits = {k: v["condition"] for k, v in submit["depends_on"].items()}
    assert waits == {"topics": "service_completed_successfully",
                     "jobmanager": "service_healthy", "taskmanager": "service_started"}
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_shell_dollars_survive_compose_interpolation() -> None:
    """Compose replaces ``$name`` itself; a shell variable must be written ``$$name``."""
    text = COMPOSE.read_text(encoding="utf-8").replace("$$", "")
    assert "$" not in text


def test_host_ports_do_not_collide(services: dict[str, Any]) -> None:
    ports = [port for service in services.values() for port in published(service)]
    assert len(ports) == len(set(ports))


def test_the_submitted_job_is_the_packaged_sql_rendered_for_this_stack(
    services: dict[str, Any],
) -> None:
    """compose/aggregates.sql is `rtd-tui aggregate --print-sql -b kafka:29092 -t csv-data`
    (render it again when rtd_tui/flink/aggregates.sql changes), on the internal listener."""
    brokers = "kafka:29092"
    assert SUBMITTED.read_text(encoding="utf-8") == render(JobSpec("csv-data", brokers))
    advertised = listeners(env(services["kafka"])["KAFKA_ADVERTISED_LISTENERS"])
    host, _, port = brokers.partition(":")
    assert (host, int(port)) in advertised.values()
    submit = services["aggregate"]
    assert mounts(submit)[submit["command"][2]] == "./aggregates.sql"
