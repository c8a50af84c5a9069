"""``rtd-tui aggregate`` on Apache Kafka: killed midway and restarted, its aggregates give
the dashboard exactly what the raw view shows (cards, city table, histogram, rejections)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import RTD
from flink_kit import Shown, from_aggregates, from_raw, produce_mix, read_all
from kafka_server import KafkaServer

from rtd_tui.flink.connector import connector_jar
from rtd_tui.kafka_jars import KafkaEngineError, KafkaUnavailable, java_major

pytestmark = pytest.mark.kafka
pytest.importorskip("pyflink", reason="the optional flink extra is not installed")
#: Generous: the job's JVM starts in 10-60 s on a loaded 2-core machine.
CATCH_UP_S = 400.0


@pytest.fixture(scope="module")
def jar() -> Path:
    if (java_major() or 0) < 17:
        pytest.skip("Apache Kafka and Flink need Java 17+ on PATH")
    try:
        return connector_jar()
    except KafkaUnavailable as exc:
        pytest.skip(str(exc))
    except KafkaEngineError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def start_job(cli_env: dict[str, str], kafka: KafkaServer,
              tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    """Start ``rtd-tui aggregate`` on a topic in its own process group (so SIGKILL takes
    the JVM with it); teardown kills whatever still runs."""
    started: list[subprocess.Popen[str]] = []

    def start(topic: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [*RTD, "aggregate", "-b", kafka.bootstrap_servers, "-t", topic, "--parallelism",
             "2", "--state-dir", str(tmp_path / "state")],
            env=cli_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(tmp_path / f"job-{len(started)}.log", "w"),  # noqa: SIM115
            text=True, start_new_session=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(kafka: KafkaServer, topic: str, done: Callable[[Shown], bool],
             proc: subprocess.Popen[str]) -> Shown:
    """Read the aggregates topic until ``done`` holds (the job still running); after
    ``CATCH_UP_S`` the last figures read, for the caller's assertion to show."""
    deadline = time.monotonic() + CATCH_UP_S
    while True:
        assert proc.poll() is None, f"the job exited with {proc.returncode}"
        shown = from_aggregates(read_all(kafka.bootstrap_servers, f"{topic}-aggregates"))
        if done(shown) or time.monotonic() > deadline:
            return shown
        time.sleep(2)


def test_killed_and_restarted_job_counts_each_message_once(
    kafka: KafkaServer, jar: Path, start_job: Callable[[str], subprocess.Popen[str]]
) -> None:
    topic = "flink-job-it"
    kafka.create_topic(topic, partitions=4)
    produce_mix(kafka.bootstrap_servers, topic, 3000, seed=11)
    first = start_job(topic)
    # Killed once a checkpoint has committed part of the stream and more is coming.
    assert wait_for(kafka, topic, lambda shown: shown.consumed > 0, first).consumed > 0
    produce_mix(kafka.bootstrap_servers, topic, 3000, seed=12)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()

    second = start_job(topic)
    raw = from_raw(read_all(kafka.bootstrap_servers, topic))
    # Every figure, not only the messages read: the city cells come through more
    # operators than the partition counts, so a checkpoint can commit those first.
    shown = wait_for(kafka, topic, lambda shown: shown == raw, second)
    assert shown == raw
    assert raw.consumed == 6004 and raw.rejected and raw.count < 6000  # the mix is in it
    second.send_signal(signal.SIGINT)
    assert second.wait(120) == 0
