"""``rtd-tui produce`` and ``rtd-tui broker`` as processes, against the embedded broker and
Apache Kafka: exit statuses, signals, summaries, and what actually lands on the broker.

Expected records come from the broker (read back with a plain confluent-kafka client)
or from the generator with the same seed, never from constants.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import select
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from kafka_server import KafkaServer, free_ports
from test_kafka_integration import (
    assert_matches,
    caught_up,
    consuming,
    new_topic,
    read_back,
    wait_for,
)

from rtd_tui.broker import EmbeddedBroker
from rtd_tui.config import KAFKA_LOGGER
from rtd_tui.generator import RecordGenerator
from rtd_tui.headless import Meter
from rtd_tui.producer import ProducerStats
from rtd_tui.records import FIELDS, ID_RANGE

Run = Callable[..., subprocess.CompletedProcess[str]]
Start = Callable[..., subprocess.Popen[str]]
DEADLINE_S = 30.0
SUMMARY = re.compile(
    r"rtd-tui produce: sent ([\d,]+), delivered ([\d,]+), failed ([\d,]+), unconfirmed ([\d,]+)"
)


class Lines:
    """Lines from a child's pipe with a deadline: no reader thread, no stuck ``readline``."""

    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None
        self._fd = stream.fileno()
        self._buffer = b""

    def next(self, timeout: float = DEADLINE_S) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no complete line within {timeout:.0f} s (got {self._buffer!r})")
            if select.select([self._fd], [], [], remaining)[0]:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    pytest.fail(f"the process closed its output (got {self._buffer!r})")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()


def summary(stdout: str) -> tuple[int, int, int, int]:
    """(sent, delivered, failed, unconfirmed) from the summary line, which must be there."""
    found = SUMMARY.search(stdout)
    assert found is not None, stdout[-1000:]
    sent, delivered, failed, left = (int(g.replace(",", "")) for g in found.groups())
    return sent, delivered, failed, left


def read_topic(bootstrap: str, topic: str, **config: Any) -> list[tuple[bytes | None, bytes]]:
    """Every (key, value) in ``topic``, up to the high watermarks, with a plain consumer."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{uuid.uuid4().hex}",
                         "logger": logging.getLogger(KAFKA_LOGGER), **config})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        tps = [TopicPartition(topic, p) for p in partitions]
        total = sum(consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in tps)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        messages: list[tuple[bytes | None, bytes]] = []
        deadline = time.monotonic() + DEADLINE_S
        while len(messages) < total and time.monotonic() < deadline:
            for m in consumer.consume(1000, 0.2):
                value = m.value()
                assert m.error() is None and value is not None, m.error()
                messages.append((m.key(), value))
        assert len(messages) == total
        return messages
    finally:
        consumer.close()


def assert_generated(messages: list[tuple[bytes | None, bytes]], seed: int) -> None:
    """The messages are exactly the first ``len(messages)`` records of ``seed``, on the wire
    format of the original producer: the six fields, key = id as text."""
    generator = RecordGenerator(seed=seed)
    expected = sorted(
        tuple(r[f] for f in FIELDS[:-1]) for r in (generator.record() for _ in messages)
    )
    got = []
    for key, value in messages:
        record = json.loads(value)
        assert list(record) == list(FIELDS)
        assert ID_RANGE[0] <= record["id"] <= ID_RANGE[1]
        assert key == str(record["id"]).encode()
        datetime.fromisoformat(record["timestamp"])
        got.append(tuple(record[f] for f in FIELDS[:-1]))
    assert sorted(got) == expected


@pytest.fixture
def embedded() -> Iterator[tuple[str, str]]:
    """An embedded broker in this process and a fresh topic on it: (bootstrap, topic)."""
    topic = f"rtd-cli-{uuid.uuid4().hex[:8]}"
    with EmbeddedBroker(topic) as broker:
        yield broker.bootstrap_servers, topic


def test_broker_serves_another_process_and_a_consumer(
    start_rtd: Start, run_rtd: Run, tmp_path: Path
) -> None:
    bootstrap_file = tmp_path / "bootstrap.txt"
    broker = start_rtd("broker", "--engine", "mock", "--bootstrap-file", str(bootstrap_file))
    bootstrap = Lines(broker.stdout).next()
    assert re.fullmatch(r"127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*", bootstrap), bootstrap
    assert bootstrap_file.read_text(encoding="utf-8") == f"{bootstrap}\n"

    done = run_rtd("produce", "-b", bootstrap, "--count", "200", "--rate", "max", "--seed", "5",
                   timeout=60)
    assert done.returncode == 0, done.stderr
    assert summary(done.stdout) == (200, 200, 0, 0)
    assert done.stderr == ""
    assert_generated(read_topic(bootstrap, "csv-data"), seed=5)

    broker.send_signal(signal.SIGTERM)
    assert broker.wait(timeout=10) == 0


def test_broker_stops_on_ctrl_c(start_rtd: Start) -> None:
    broker = start_rtd("broker", "--engine", "mock", "-t", "other-topic")
    Lines(broker.stdout).next()
    broker.send_signal(signal.SIGINT)
    assert broker.wait(timeout=10) == 0
    assert "Traceback" not in (broker.stderr.read() if broker.stderr else "")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_produce_stops_on_signal_flushes_and_summarises(
    start_rtd: Start, embedded: tuple[str, str], signum: signal.Signals
) -> None:
    bootstrap, topic = embedded
    producer = start_rtd("produce", "-b", bootstrap, "-t", topic, "--rate", "200")
    lines = Lines(producer.stdout)
    assert lines.next().startswith(f"rtd-tui produce: topic {topic!r}")
    progress = lines.next()  # the first progress line: after about a second
    assert re.match(r"sent [\d,]+ +delivered [\d,]+ +failed 0 ", progress), progress
    producer.send_signal(signum)
    out, err = producer.communicate(timeout=15)
    assert producer.returncode == 0, err
    sent, delivered, failed, left = summary(out)
    assert sent == delivered > 0
    assert (failed, left) == (0, 0)
    assert len(read_topic(bootstrap, topic)) == delivered  # what it says is what landed


def test_produce_against_an_unreachable_broker_fails_within_the_message_timeout(
    run_rtd: Run,
) -> None:
    (closed_port,) = free_ports(1)
    # The subprocess timeout is the bound: 3 s of message timeout plus a margin.
    done = run_rtd("produce", "-b", f"127.0.0.1:{closed_port}", "-X", "message.timeout.ms=3000",
                   timeout=15)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("rtd-tui produce: error: delivery failed: Local: Message timed out")
    assert "Connection refused" in line
    sent, delivered, failed, left = summary(done.stdout)
    assert delivered == 0 and failed == sent > 0 and left == 0


@pytest.mark.kafka
def test_produce_count_into_apache_kafka_reaches_the_dashboard_store(
    kafka: KafkaServer, run_rtd: Run
) -> None:
    n = 1500
    topic = new_topic(kafka, partitions=3)
    done = run_rtd("produce", "-b", kafka.bootstrap_servers, "-t", topic, "--count", str(n),
                   "--rate", "max", "--seed", "17", timeout=60)
    assert done.returncode == 0, done.stderr
    assert summary(done.stdout) == (n, n, 0, 0)
    records = read_back(kafka, topic)
    with consuming(kafka.bootstrap_servers, topic) as (loop, store):
        wait_for(lambda: store.snapshot().count >= n, f"{n} records in the store")
        wait_for(lambda: caught_up(loop, 3), "all 3 partitions read to the end")
        assert_matches(store, records)
        assert sum(p.high for p in loop.partitions) == n


SASL_FLAGS = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN"]


def sasl_credentials(kafka_sasl: KafkaServer, how: str, tmp_path: Path) -> list[str]:
    """The user's credentials as ``-X`` flags or as a ``-F`` properties file."""
    assert kafka_sasl.sasl_plain_users is not None
    ((user, password),) = kafka_sasl.sasl_plain_users.items()
    if how == "-X":
        return [*SASL_FLAGS, "-X", f"sasl.username={user}", "-X", f"sasl.password={password}"]
    path = tmp_path / "client.properties"
    path.write_text(
        "# SASL/PLAIN\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\n"
        f"sasl.username={user}\nsasl.password={password}\n",
        encoding="utf-8",
    )
    return ["-F", str(path)]


@pytest.mark.kafka
@pytest.mark.parametrize("how", ["-X", "-F"])
def test_produce_over_sasl_plain(
    kafka_sasl: KafkaServer, run_rtd: Run, tmp_path: Path, how: str
) -> None:
    assert kafka_sasl.sasl_plain_users is not None
    ((_, password),) = kafka_sasl.sasl_plain_users.items()
    topic = new_topic(kafka_sasl, partitions=2)
    done = run_rtd("produce", "-b", kafka_sasl.sasl_bootstrap_servers, "-t", topic,
                   *sasl_credentials(kafka_sasl, how, tmp_path),
                   "--count", "50", "--seed", "3", "--rate", "max", timeout=60)
    assert done.returncode == 0, done.stderr
    assert summary(done.stdout) == (50, 50, 0, 0)
    assert password not in done.stdout + done.stderr
    assert "sasl.password=***" in done.stdout  # the header lists the properties, redacted
    assert_generated(read_topic(kafka_sasl.bootstrap_servers, topic), seed=3)


def test_progress_into_a_pipe_is_written_only_when_it_changed() -> None:
    """Not a terminal: no repeated lines (a stuck producer prints nothing new), and at most
    one line every PIPE_EVERY_S however often the loop ticks."""
    out = io.StringIO()
    meter = Meter(out, started=0.0)
    stats = ProducerStats()
    for tick in range(1, 301):  # 30 s of 0.1 s ticks; counts move during the first 12 s
        now = tick * 0.1
        if now <= 12.0:
            stats.sent = stats.delivered = tick
        meter.tick(stats, now)
    meter.tick(stats, 30.1, final=True)
    lines = out.getvalue().splitlines()
    assert [line.split("  ")[0] for line in lines] == ["sent 50", "sent 100", "sent 120"]
    assert len(set(lines)) == len(lines)


def test_progress_on_a_terminal_is_rewritten_every_second() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    meter = Meter(out, started=0.0)
    stats = ProducerStats()
    for tick in range(1, 31):
        meter.tick(stats, tick * 0.1)
    meter.done()
    assert out.getvalue().count("\r") == 3 and out.getvalue().endswith("\n")
