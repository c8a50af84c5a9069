"""``rtd-tui broker`` and ``rtd-tui --engine kafka`` as a user meets them: the engine choice,
the mock engine's notice, each failure as one line with its exit status, data kept across
restarts, a broker that dies, and no process left behind."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KafkaTopicPartition
from kafka.errors import KafkaTimeoutError
from test_app import wait_until
from test_client_compat import alive, children, java_client
from test_headless import Lines

from rtd_tui.broker import MOCK_LIMITS, EmbeddedBroker
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.kafka_config import free_ports
from rtd_tui.kafka_engine import KafkaServer
from rtd_tui.kafka_jars import unavailable_reason

Run = Callable[..., subprocess.CompletedProcess[str]]
Start = Callable[..., subprocess.Popen[str]]
NO_JAVA = {"PATH": "/nonexistent"}  # the interpreter is started by its full path


def one_error_line(done: subprocess.CompletedProcess[str], status: int, fragment: str) -> None:
    """Exit ``status`` and exactly one stderr line, the error, containing ``fragment``."""
    assert done.returncode == status, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert lines[-1].startswith("rtd-tui broker: error: "), done.stderr
    assert fragment in lines[-1], lines[-1]
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr


def need_apache_kafka() -> None:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)


# ---- the mock engine ---------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "env", "why"), [
    (["--engine", "mock"], {}, "(--engine mock)"),
    ([], NO_JAVA, "(auto: no Java on PATH"),
])
def test_mock_engine_says_so_and_what_will_not_work(
    start_rtd: Start, argv: list[str], env: dict[str, str], why: str
) -> None:
    broker = start_rtd("broker", *argv, env=env)
    address = Lines(broker.stdout).next()
    Producer({"bootstrap.servers": address}).list_topics("csv-data", timeout=10)
    broker.send_signal(signal.SIGINT)
    _out, err = broker.communicate(timeout=15)
    assert broker.returncode == 0, err
    notice = next(line for line in err.splitlines() if "mock cluster" in line)
    assert why in notice
    for limit in ("Java clients 4.x", "kafka-python 3.x", "api_version=(2, 3)",
                  "consumer groups"):
        assert limit in notice
    assert MOCK_LIMITS in notice


def test_mock_limits_are_true() -> None:
    """What the notice says: kafka-python 3 reaches the mock only with api_version=(2, 3),
    and the mock cannot list consumer groups."""
    with EmbeddedBroker("limits") as broker:
        address = broker.bootstrap_servers
        with pytest.raises(KafkaTimeoutError, match="Unable to bootstrap"):
            KafkaProducer(bootstrap_servers=address, bootstrap_timeout_ms=3000)
        producer = KafkaProducer(bootstrap_servers=address, api_version=(2, 3))
        sent = producer.send("limits", key=b"k", value=b"v").get(timeout=10)
        producer.close()
        consumer = KafkaConsumer(bootstrap_servers=address, api_version=(2, 3),
                                 auto_offset_reset="earliest", consumer_timeout_ms=10_000)
        consumer.assign([KafkaTopicPartition("limits", sent.partition)])
        first = next(consumer)
        assert (first.key, first.value) == (b"k", b"v")
        consumer.close()
        admin = AdminClient({"bootstrap.servers": address, "logger": logging.getLogger("t")})
        listed = admin.list_consumer_groups(request_timeout=5).result(timeout=10)
        assert [e.code() for e in listed.errors] == [KafkaError._UNSUPPORTED_FEATURE]


@pytest.mark.kafka
def test_java_client_cannot_use_the_mock() -> None:
    """The notice's first claim: kafka-clients 4.x never gets the mock's metadata."""
    with EmbeddedBroker("csv-data") as broker:
        done = java_client(broker.bootstrap_servers, "csv-data", "g", [("k", "v")], "5000")
    assert done.returncode != 0
    assert "Topic csv-data not present in metadata after 5000 ms" in done.stderr


# ---- failures: one line each, 2 for usage, 1 for run time ------------------------------
def test_engine_kafka_without_java_is_a_usage_error(run_rtd: Run) -> None:
    done = run_rtd("broker", "--engine", "kafka", env=NO_JAVA)
    one_error_line(done, 2, "cannot run Apache Kafka: no Java on PATH")


def java_only_path(tmp_path: Path) -> str:
    """A PATH with ``java`` and nothing else (so no ``mvn``)."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("needs java on PATH")
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "java").symlink_to(os.path.realpath(java))
    return str(folder)


def test_no_jars_and_no_maven_is_a_usage_error(run_rtd: Run, tmp_path: Path) -> None:
    env = {"PATH": java_only_path(tmp_path), "RTD_KAFKA_JARS": str(tmp_path / "no-jars")}
    done = run_rtd("broker", "--engine", "kafka", env=env)
    one_error_line(done, 2, "Maven (mvn) is not on PATH")


def test_failed_jar_download_is_a_runtime_error(run_rtd: Run, tmp_path: Path) -> None:
    """Real Maven, offline with an empty local repository: the download cannot happen."""
    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("needs java and mvn on PATH")
    home = tmp_path / "home"
    (home / ".m2").mkdir(parents=True)
    (home / ".m2" / "settings.xml").write_text(
        "<settings><offline>true</offline></settings>\n", encoding="utf-8"
    )
    env = {"HOME": str(home), "MAVEN_OPTS": f"-Duser.home={home}"}  # Java ignores $HOME
    done = run_rtd("broker", "--engine", "kafka", env=env, timeout=180)
    one_error_line(done, 1, "fetching the Apache Kafka 4.1.1 jars failed (mvn exit 1: No plugin")
    assert "fetching the Apache Kafka 4.1.1 jars through Maven" in done.stderr  # progress
    assert not list((home / ".cache" / "rtd-tui" / "kafka-jars").glob("4.1.1*")), (
        "a failed download must not leave a folder that looks complete"
    )


def test_port_in_use_is_a_usage_error(run_rtd: Run) -> None:
    need_apache_kafka()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_rtd("broker", "--engine", "kafka", "--port", str(port), timeout=60)
    one_error_line(done, 2, f"port {port} on 127.0.0.1 is in use")


@pytest.mark.parametrize("kind", ["file", "foreign folder"])
def test_bad_data_dir_is_a_usage_error(run_rtd: Run, tmp_path: Path, kind: str) -> None:
    need_apache_kafka()
    target = tmp_path / "data"
    if kind == "file":
        target.write_text("x", encoding="utf-8")
        fragment = "is not a folder"
    else:
        target.mkdir()
        (target / "notes.txt").write_text("mine", encoding="utf-8")
        fragment = "is not empty and is not a Kafka log made by rtd-tui"
    done = run_rtd("broker", "--engine", "kafka", "--data-dir", str(target), timeout=60)
    one_error_line(done, 2, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


# ---- Apache Kafka: data kept, a broker that dies, a clean stop ----------------------------
def count_messages(address: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": address, "group.id": "count"})
    try:
        parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                   for p in parts)
    finally:
        consumer.close()


@pytest.mark.kafka
def test_data_dir_survives_a_dead_broker_and_restarts(start_rtd: Start, tmp_path: Path) -> None:
    """A broker that dies is exit 1; the same folder serves the data again, on the same
    address; SIGINT stops it in order; a killed ``rtd-tui broker`` takes its JVM along."""
    need_apache_kafka()
    data = tmp_path / "kafka"
    (port,) = free_ports(1)
    first = start_rtd("broker", "--engine", "kafka", "--data-dir", str(data), "-t", "kept",
                      "--port", str(port))
    address = Lines(first.stdout).next(timeout=180)
    assert address == f"127.0.0.1:{port}"
    producer = Producer({"bootstrap.servers": address})
    for i in range(25):
        producer.produce("kept", value=f"m{i}".encode())
    assert producer.flush(30) == 0
    (jvm,) = children(first.pid)
    os.kill(jvm, signal.SIGKILL)  # the broker dies under rtd-tui
    _out, err = first.communicate(timeout=30)
    assert first.returncode == 1, err
    assert f"starting Apache Kafka 4.1.1; its log: {data / 'server.log'}" in err
    assert err.splitlines()[-1].startswith(
        "rtd-tui broker: error: Apache Kafka stopped by itself (exit -9); see "
    ), err
    assert "Exception" not in err and "Traceback" not in err

    second = start_rtd("broker", "--engine", "kafka", "--data-dir", str(data), "-t", "kept")
    assert Lines(second.stdout).next(timeout=180) == address  # same folder, same address
    assert count_messages(address, "kept") == 25
    (jvm,) = children(second.pid)
    second.send_signal(signal.SIGINT)
    _out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "formatting" not in err  # reused, not formatted again
    assert not alive(jvm)
    assert (data / "data" / "meta.properties").is_file()

    third = start_rtd("broker", "--engine", "kafka", "--data-dir", str(data), "-t", "kept")
    assert Lines(third.stdout).next(timeout=180) == address
    assert count_messages(address, "kept") == 25
    (jvm,) = children(third.pid)
    third.kill()  # no chance to stop the JVM itself: the kernel tells the JVM instead
    third.wait(10)
    deadline = time.monotonic() + 30
    while alive(jvm) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(jvm), "the JVM outlived a killed `rtd-tui broker`"


@pytest.mark.kafka
def test_dashboard_engine_kafka_runs_and_stops_its_own_broker() -> None:
    need_apache_kafka()
    settings = Settings(engine="kafka", rate=200.0, refresh=0.1, seed=3)
    lines: list[str] = []
    app = make_app(settings, progress=lines.append)
    broker = app.pipeline.broker
    assert isinstance(broker, KafkaServer) and broker.running and broker.pid is not None
    jvm = broker.pid

    async def run() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_until(lambda: app.store.snapshot().count >= 20, "records", 60)
            assert app.pipeline.status().broker.startswith("Apache Kafka @ 127.0.0.1:")
            await pilot.press("q")
            await wait_until(lambda: app.return_code is not None, "the app to exit", 60)

    asyncio.run(run())
    assert app.return_code == 0
    assert not broker.running
    assert not alive(jvm)
    assert any(line.startswith("starting Apache Kafka") for line in lines), lines
    assert not broker.workdir.exists()
