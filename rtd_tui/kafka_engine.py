"""A single-node Apache Kafka (KRaft, combined broker + controller) as a child JVM.

``rtd-tui broker --engine kafka``, ``rtd-tui --engine kafka`` and the integration
tests all run this class. It runs ``kafka.Kafka`` from the jars of ``kafka_jars``
on loopback ports, with its data, configuration and log in one folder (see
``kafka_config``): a temporary one (removed by ``close()``), or a given
``data_dir`` that keeps the topics across restarts. A temporary folder left by a
killed process is removed by the next start (``scratch``). The JVM's own output and the
broker log go to files in that folder, never to the terminal. On Linux the JVM
gets SIGTERM if the thread that started it dies, so a killed parent leaves no
broker behind.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from rtd_tui.config import KAFKA_LOGGER
from rtd_tui.kafka_config import (
    check_port_free,
    free_ports,
    prepare_folder,
    random_cluster_id,
    saved_ports,
    write_config,
)
from rtd_tui.kafka_jars import (
    KAFKA_VERSION,
    KafkaEngineError,
    Progress,
    ensure_jars,
    no_progress,
    require,
)
from rtd_tui.scratch import make_folder, remove_folder

START_TIMEOUT_S = 120.0  # CPU-bound: 6-9 s on 2 cores at load 4-8, 30 s at load 16
STOP_TIMEOUT_S = 20.0
PROGRESS_EVERY_S = 5.0
JVM_OPTS = ("-Xms256m", "-Xmx768m", "-XX:+UseSerialGC")
#: For the short tool runs (formatting) only: the quick compiler alone starts ~0.8 s sooner.
TOOL_OPTS = ("-XX:TieredStopAtLevel=1",)
PR_SET_PDEATHSIG = 1
SCRATCH_PREFIX = "rtd-kafka-"
log = logging.getLogger(KAFKA_LOGGER)


def _death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking for SIGTERM when the starting thread dies (Linux), else None.

    ``prctl`` is looked up here, in the parent: between fork and exec the child must not
    load libraries (another thread may hold a lock the loader needs).
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None).prctl

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))

    return set_death_signal


class KafkaServer:
    """One Apache Kafka node on loopback; ``start()`` formats new storage, ``restart()`` not."""

    def __init__(
        self,
        sasl_plain_users: dict[str, str] | None = None,
        version: str = KAFKA_VERSION,
        *,
        data_dir: Path | None = None,
        port: int | None = None,
        partitions: int = 1,
    ) -> None:
        self.version = version
        self.sasl_plain_users = sasl_plain_users
        self.partitions = partitions  # for topics the broker creates by itself
        self.keep_data = data_dir is not None
        self.scratch: Path | None = None  # the temporary folder, removed by close()
        if data_dir is None:
            self.scratch = make_folder(SCRATCH_PREFIX)
            data_dir = self.scratch / "broker"
        self.workdir = data_dir
        self.log_file = self.workdir / "server.log"
        self.console_file = self.workdir / "console.log"
        self.properties = self.workdir / "server.properties"
        self.formatted = prepare_folder(self.workdir)
        ports = free_ports(3)
        saved = saved_ports(self.properties) if self.formatted else {}
        self.port = port or saved.get("PLAINTEXT", ports[0])
        self.controller_port = saved.get("CONTROLLER", ports[1])
        self.sasl_port = saved.get("SASL_PLAINTEXT", ports[2]) if sasl_plain_users else None
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

    @property
    def pid(self) -> int | None:
        """The JVM's process id while it was started and not stopped by us."""
        return None if self._proc is None else self._proc.pid

    @property
    def exit_code(self) -> int | None:
        """The JVM's exit status once it has ended by itself, else None."""
        return None if self._proc is None else self._proc.poll()

    # ---- lifecycle ---------------------------------------------------------------
    def start(self, progress: Progress = no_progress) -> None:
        """Fetch the jars if needed, write the config, format new storage, start the broker."""
        require(self.version)
        self._jars = ensure_jars(self.version, progress)
        listeners = {"PLAINTEXT": self.port, "CONTROLLER": self.controller_port}
        if self.sasl_port is not None:
            listeners["SASL_PLAINTEXT"] = self.sasl_port
        for name, port in listeners.items():
            check_port_free(port, "port" if name == "PLAINTEXT" else f"{name} port")
        write_config(self.workdir, listeners, partitions=self.partitions,
                     sasl_plain_users=self.sasl_plain_users)
        if not self.formatted:
            progress(f"formatting new Kafka storage in {self.workdir / 'data'}")
            self._java("kafka.tools.StorageTool", "format", "-t", random_cluster_id(),
                       "-c", str(self.properties), "--standalone")
            self.formatted = True
        self._launch(progress)

    def restart(self) -> None:
        """Start again on the same ports and data (after ``stop()`` or ``kill()``)."""
        self.stop()
        self._launch(no_progress)

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
        """SIGKILL: a crash, for fault tests and for a start that went wrong."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """Stop, and remove the data and log unless they live in a given ``data_dir``."""
        self.stop()
        if self.scratch is not None:
            remove_folder(self.scratch)

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

    def topic_partitions(self, name: str) -> int:
        """How many partitions ``name`` has; 0 when it does not exist."""
        # All topics: a metadata request for one would make the broker auto-create it.
        topic = self.admin().list_topics(timeout=10).topics.get(name)
        return 0 if topic is None or topic.error else len(topic.partitions)

    def create_topic(self, name: str, partitions: int = 1, timeout: float = 30.0) -> None:
        """Create ``name`` and wait until its metadata shows every partition with a leader."""
        admin = self.admin()
        futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=timeout)
        try:
            futures[name].result(timeout)
        except KafkaException as exc:
            raise KafkaEngineError(f"cannot create topic {name}: {exc.args[0].str()}") from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            topic = admin.list_topics(name, timeout=5).topics.get(name)
            leaders = [] if topic is None or topic.error else topic.partitions.values()
            if len(leaders) == partitions and all(p.leader >= 0 for p in leaders):
                return
            time.sleep(0.1)
        raise KafkaEngineError(f"topic {name} has no leaders after {timeout:.0f} s")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the broker log (and of its console output), for failure messages."""
        parts = []
        for path in (self.log_file, self.console_file):
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                parts.append(f"--- {path.name} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(parts) or "(no broker log)"

    # ---- internals ---------------------------------------------------------------
    def _jvm(self, main: str, *args: str, tool: bool = False) -> list[str]:
        assert self._jars is not None
        log4j = f"-Dlog4j2.configurationFile={self.workdir / 'log4j2.xml'}"
        opts = (*JVM_OPTS, *TOOL_OPTS) if tool else JVM_OPTS
        return ["java", *opts, log4j, "-cp", f"{self._jars}/*", main, *args]

    def _java(self, main: str, *args: str) -> None:
        with open(self.console_file, "ab") as console:
            try:
                code = subprocess.run(self._jvm(main, *args, tool=True), stdin=subprocess.DEVNULL,
                                      stdout=console, stderr=subprocess.STDOUT, timeout=120,
                                      check=False).returncode
            except subprocess.TimeoutExpired:
                raise KafkaEngineError(f"{main} {args[0]} took over 120 s") from None
        if code != 0:
            raise KafkaEngineError(
                f"{main} {args[0]} failed (exit {code}); see {self.console_file}"
            )

    def _launch(self, progress: Progress) -> None:
        started = time.monotonic()
        progress(f"starting Apache Kafka {self.version}; its log: {self.log_file}")
        with open(self.console_file, "ab") as console:
            self._proc = subprocess.Popen(
                self._jvm("kafka.Kafka", str(self.properties)),
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop the JVM in order
                preexec_fn=_death_signal(),
            )
        try:
            self._wait_ready(started, progress)
        except BaseException:  # a failed or interrupted start leaves no JVM behind
            self.kill()
            raise
        self.startup_seconds = time.monotonic() - started

    def _wait_ready(self, started: float, progress: Progress) -> None:
        admin = self.admin()
        said = started
        while True:
            assert self._proc is not None
            code = self._proc.poll()
            if code is not None:
                raise KafkaEngineError(
                    f"Apache Kafka exited with code {code} while starting; see {self.log_file} "
                    f"and {self.console_file}"
                )
            try:
                if admin.list_topics(timeout=1).brokers:
                    return
            except KafkaException:
                pass
            now = time.monotonic()
            if now - started > START_TIMEOUT_S:
                raise KafkaEngineError(
                    f"Apache Kafka not ready after {START_TIMEOUT_S:.0f} s; see {self.log_file}"
                )
            if now - said >= PROGRESS_EVERY_S:
                said = now
                progress(f"still starting ({now - started:.0f} s)")
            time.sleep(0.2)
