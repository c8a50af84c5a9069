"""Shared fixtures. Apache Kafka ones live in ``kafka_server.py``; tests using them need
``@pytest.mark.kafka`` (so ``-m "not kafka"`` leaves Java and Maven out of a run)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka_server import KafkaServer

#: The command line of ``rtd-tui`` in a subprocess, with this interpreter.
RTD = (sys.executable, "-m", "rtd_tui")

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


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for an ``rtd-tui`` subprocess: no RTD_* leaks in, logs stay in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTD_")}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


@pytest.fixture
def run_rtd(cli_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m rtd_tui *args`` to completion (``env=`` adds variables)."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*RTD, *args], env={**cli_env, **(env or {})}, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout, check=False,
        )

    return run


@pytest.fixture
def start_rtd(cli_env: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``python -m rtd_tui *args`` in the background; teardown kills any still running."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [*RTD, *args], env={**cli_env, **(env or {})}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture
def no_generator_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting the Faker helper process (``PoolsBuild``) fails the test."""
    from rtd_tui import pipeline
    from rtd_tui.generator import PoolsBuild

    class NoHelper(PoolsBuild):
        def __init__(self, seed: int | None, name_pool: int = 0) -> None:
            raise AssertionError(f"a generator helper was started (seed {seed})")

    monkeypatch.setattr(pipeline, "PoolsBuild", NoHelper)
