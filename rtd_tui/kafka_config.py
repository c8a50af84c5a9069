"""The folder and configuration of a single-node Apache Kafka: ports, storage, properties.

One folder holds everything of a broker: ``server.properties``, ``log4j2.xml``,
``server.log``, the JVM's ``console.log`` and the Kafka log itself in ``data/``.
A folder is usable when it is new or empty (it gets formatted) or when it already
holds a ``data/meta.properties`` this code formatted (it is reused, on the ports
recorded in its ``server.properties``, so the address stays the same).
"""

from __future__ import annotations

import base64
import socket
import uuid
from collections.abc import Mapping
from pathlib import Path

from rtd_tui.config import ConfigError

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


def check_port_free(port: int, what: str = "port") -> None:
    """Raise a one-line ``ConfigError`` when ``127.0.0.1:port`` cannot be listened on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As the JVM does: connections of an earlier broker in TIME_WAIT do not block it.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ConfigError(f"{what} {port} on 127.0.0.1 is in use ({exc.strerror})") from None


def random_cluster_id() -> str:
    """A 22-character base64url id, as ``kafka-storage.sh random-uuid`` prints."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):  # Kafka avoids these too: they read as an option
            return text


def prepare_folder(folder: Path) -> bool:
    """Create ``folder`` if needed; True when it already holds formatted storage.

    A file, or a folder with other contents, is a one-line ``ConfigError``.
    """
    if (folder / "data" / "meta.properties").is_file() and (folder / "server.properties").is_file():
        return True
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"data folder {folder} is not a folder")
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(
            f"data folder {folder} is not empty and is not a Kafka log made by rtd-tui "
            "(no data/meta.properties): give a new or empty folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return False


def saved_ports(properties: Path) -> dict[str, int]:
    """Listener name → port from a ``server.properties`` written by ``write_config``."""
    ports: dict[str, int] = {}
    for line in properties.read_text(encoding="utf-8").splitlines():
        if line.startswith("listeners="):
            for listener in line.removeprefix("listeners=").split(","):
                name, _, address = listener.partition("://")
                ports[name] = int(address.rsplit(":", 1)[1])
    return ports


def jaas_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def write_config(
    folder: Path,
    ports: Mapping[str, int],
    *,
    partitions: int,
    sasl_plain_users: Mapping[str, str] | None = None,
) -> None:
    """Write ``server.properties`` (combined broker + controller) and ``log4j2.xml``.

    ``ports`` maps listener names (PLAINTEXT, CONTROLLER, SASL_PLAINTEXT) to ports.
    """
    controller = f"127.0.0.1:{ports['CONTROLLER']}"
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": controller,
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": (
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
        ),
        "log.dirs": str(folder / "data"),
        "num.partitions": str(partitions),  # topics a client makes the broker create
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
    if sasl_plain_users:
        users = " ".join(
            f'user_{name}="{jaas_quote(pw)}"' for name, pw in sasl_plain_users.items()
        )
        props["sasl.enabled.mechanisms"] = "PLAIN"
        props["listener.name.sasl_plaintext.plain.sasl.jaas.config"] = (
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {users};"
        )
    props["listeners"] = ",".join(f"{name}://127.0.0.1:{port}" for name, port in ports.items())
    props["advertised.listeners"] = ",".join(
        f"{name}://127.0.0.1:{port}" for name, port in ports.items() if name != "CONTROLLER"
    )
    text = "".join(f"{k}={v}\n" for k, v in props.items())
    (folder / "server.properties").write_text(text, encoding="utf-8")
    log4j = LOG4J2_XML.format(path=folder / "server.log")
    (folder / "log4j2.xml").write_text(log4j, encoding="utf-8")
