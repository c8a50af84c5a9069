"""A real single-node Apache Kafka (KRaft) for the integration tests, run from Maven jars.

No Docker and no distribution tarball: ``tests/kafka/pom.xml`` resolves the broker
jars from Maven Central once into a cache folder, and ``KafkaServer`` runs
``kafka.Kafka`` from them on free loopback ports with its data and log in a
temporary folder. Without ``java`` or ``mvn`` the tests that need it are skipped,
with the reason; a failing download or start fails them.
"""

from __future__ import annotations

import base64
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

KAFKA_VERSION = "4.1.1"
POM = Path(__file__).parent / "kafka" / "pom.xml"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
JVM_OPTS = ("-Xms256m", "-Xmx768m", "-XX:+UseSerialGC")
log = logging.getLogger(__name__)

LOG4J2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders>
    <File name="file" fileName="{path}">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="info"><AppenderRef ref="file"/></Root>
    <Logger name="kafka.request.logger" level="warn"/>
  </Loggers>
</Configuration>
"""


def jar_dir(version: str = KAFKA_VERSION) -> Path:
    """Where the broker jars live: ``$RTD_KAFKA_JARS`` or the per-user cache."""
    configured = os.environ.get("RTD_KAFKA_JARS")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "rtd-tui" / "kafka-jars" / version


def fetch_command(output: Path, version: str = KAFKA_VERSION) -> list[str]:
    """The Maven command that copies the broker and its dependencies into ``output``."""
    return [
        "mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
        f"-DoutputDirectory={output}", f"-Dkafka.version={version}",
    ]


def ensure_jars(version: str = KAFKA_VERSION) -> Path:
    """The jar folder, fetched with Maven on first use; skips without ``java``/``mvn``."""
    if shutil.which("java") is None:
        pytest.skip("Apache Kafka tests need `java` (17+) on PATH")
    target = jar_dir(version)
    if any(target.glob("kafka_2.13-*.jar")):
        return target
    if shutil.which("mvn") is None:
        pytest.skip(f"Apache Kafka jars missing in {target} and `mvn` is not on PATH to fetch them")
    # Fetch beside the cache and rename, so an interrupted download never looks complete.
    # A folder that already exists (RTD_KAFKA_JARS) is filled in place and never deleted.
    into = target if target.exists() else target.with_name(f"{target.name}.partial-{os.getpid()}")
    into.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    command = fetch_command(into, version)
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        if into != target:
            shutil.rmtree(into, ignore_errors=True)
        output = (result.stdout + result.stderr)[-3000:]
        pytest.fail(f"fetching Kafka {version} jars failed ({shlex.join(command)}):\n{output}")
    if into != target:
        try:
            into.rename(target)
        except OSError:  # another run finished the same download first
            shutil.rmtree(into, ignore_errors=True)
    log.info("fetched Kafka %s jars in %.1f s", version, time.monotonic() - started)
    return target


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (held open together so none repeats)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def random_cluster_id() -> str:
    """A 22-character base64url id, as ``kafka-storage.sh random-uuid`` prints."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):  # Kafka avoids these too: they read as an option
            return text


def _jaas_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


class KafkaServer:
    """One combined broker + controller on loopback; ``start()`` formats, ``restart()`` not."""

    def __init__(
        self,
        sasl_plain_users: dict[str, str] | None = None,
        version: str = KAFKA_VERSION,
    ) -> None:
        self.version = version
        self.sasl_plain_users = sasl_plain_users
        ports = free_ports(3 if sasl_plain_users else 2)
        self.port, self.controller_port = ports[0], ports[1]
        self.sasl_port = ports[2] if sasl_plain_users else None
        self.workdir = Path(tempfile.mkdtemp(prefix="rtd-kafka-"))
        self.log_file = self.workdir / "server.log"
        self.properties = self.workdir / "server.properties"
        self.startup_seconds = 0.0
        self._jars: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_bootstrap_servers(self) -> str:
        if self.sasl_port is None:
            raise AttributeError("this KafkaServer has no SASL_PLAINTEXT listener")
        return f"127.0.0.1:{self.sasl_port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # ---- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        """Write the config, format fresh storage and start the broker."""
        self._jars = ensure_jars(self.version)
        self._write_config()
        cluster_id = random_cluster_id()
        self._java("kafka.tools.StorageTool", "format", "-t", cluster_id,
                   "-c", str(self.properties), "--standalone")
        self._launch()

    def restart(self) -> None:
        """Start again on the same ports and data (after ``stop()`` or ``kill()``)."""
        self.stop()
        self._launch()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM, then SIGKILL if the broker has not shut down within ``timeout``."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def kill(self) -> None:
        """SIGKILL: a crash, for fault tests."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """Stop and remove the data and log."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> KafkaServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- admin helpers -------------------------------------------------------------
    def admin(self) -> AdminClient:
        """An admin client on the PLAINTEXT listener, logging through Python logging."""
        config: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers, "logger": log}
        return AdminClient(config)

    def create_topic(self, name: str, partitions: int = 1, timeout: float = 30.0) -> None:
        """Create ``name`` and wait until its metadata shows every partition with a leader."""
        admin = self.admin()
        futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=timeout)
        futures[name].result(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            topic = admin.list_topics(name, timeout=5).topics.get(name)
            leaders = [] if topic is None or topic.error else topic.partitions.values()
            if len(leaders) == partitions and all(p.leader >= 0 for p in leaders):
                return
            time.sleep(0.1)
        raise TimeoutError(f"topic {name} has no leaders after {timeout} s")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the broker log (and of its console output), for failure messages."""
        parts = []
        for path in (self.log_file, self.workdir / "console.log"):
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                parts.append(f"--- {path.name} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(parts) or "(no broker log)"

    # ---- internals ---------------------------------------------------------------
    def _write_config(self) -> None:
        listeners = [
            f"PLAINTEXT://127.0.0.1:{self.port}", f"CONTROLLER://127.0.0.1:{self.controller_port}"
        ]
        advertised = [f"PLAINTEXT://127.0.0.1:{self.port}"]
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": (
                "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
            ),
            "log.dirs": str(self.workdir / "data"),
            "num.partitions": "1",
            "offsets.topic.num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # After a kill(), restart() waits for the old registration to expire (default 9 s).
            "broker.heartbeat.interval.ms": "500",
            "broker.session.timeout.ms": "4000",
        }
        if self.sasl_plain_users:
            listeners.append(f"SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}")
            advertised.append(f"SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}")
            users = " ".join(
                f'user_{name}="{_jaas_quote(pw)}"' for name, pw in self.sasl_plain_users.items()
            )
            props["sasl.enabled.mechanisms"] = "PLAIN"
            props["listener.name.sasl_plaintext.plain.sasl.jaas.config"] = (
                f"org.apache.kafka.common.security.plain.PlainLoginModule required {users};"
            )
        props["listeners"] = ",".join(listeners)
        props["advertised.listeners"] = ",".join(advertised)
        self.properties.write_text(
            "".join(f"{k}={v}\n" for k, v in props.items()), encoding="utf-8"
        )
        (self.workdir / "log4j2.xml").write_text(
            LOG4J2_XML.format(path=self.log_file), encoding="utf-8"
        )

    def _jvm(self, main: str, *args: str) -> list[str]:
        assert self._jars is not None
        log4j = f"-Dlog4j2.configurationFile={self.workdir / 'log4j2.xml'}"
        return ["java", *JVM_OPTS, log4j, "-cp", f"{self._jars}/*", main, *args]

    def _java(self, main: str, *args: str) -> None:
        result = subprocess.run(
            self._jvm(main, *args), capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            pytest.fail(f"{main} {args[0]} failed:\n{(result.stdout + result.stderr)[-3000:]}")

    def _launch(self) -> None:
        started = time.monotonic()
        with open(self.workdir / "console.log", "ab") as console:
            self._proc = subprocess.Popen(
                self._jvm("kafka.Kafka", str(self.properties)),
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(started + START_TIMEOUT_S)
        self.startup_seconds = time.monotonic() - started

    def _wait_ready(self, deadline: float) -> None:
        admin = self.admin()
        while True:
            assert self._proc is not None
            code = self._proc.poll()
            if code is not None:
                self._proc = None
                pytest.fail(f"Kafka exited with code {code} while starting:\n{self.log_tail()}")
            try:
                if admin.list_topics(timeout=1).brokers:
                    return
            except KafkaException:
                pass
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"Kafka not ready after {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")
            time.sleep(0.2)
