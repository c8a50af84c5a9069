"""Clients nobody here wrote, against ``rtd-tui broker --engine kafka`` run as its own process.

One broker process serves the module. Each client (confluent-kafka, kafka-python 3.x,
aiokafka, the Java kafka-clients) produces generated records, reads them back as a
consumer group, and then the dashboard's app, given ``-b`` and the topic, must hold
exactly those records. The broker is stopped with SIGTERM at the end: exit status 0,
its JVM gone, its temporary folder removed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]
from conftest import RTD
from kafka import KafkaConsumer, KafkaProducer
from kafka_server import jars_or_skip
from test_app import wait_until
from test_headless import Lines

from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.generator import RecordGenerator
from rtd_tui.kafka_jars import unavailable_reason

pytestmark = pytest.mark.kafka

N = 40
PARTITIONS = 3
JAVA_CLIENT = Path(__file__).parent / "clients" / "RoundTrip.java"
Message = tuple[str, str]  # key, value as text
Run = Callable[..., subprocess.CompletedProcess[str]]


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``rtd-tui broker --engine kafka --partitions 3`` in its own process; its address."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTD_")}
    env["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    proc = subprocess.Popen(
        [*RTD, "broker", "--engine", "kafka", "--partitions", str(PARTITIONS)], env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        address = Lines(proc.stdout).next(timeout=180)
    except BaseException:
        proc.kill()
        raise AssertionError(f"no bootstrap line: {proc.communicate()[1]}") from None
    jvms = children(proc.pid)
    assert len(jvms) == 1, jvms
    yield address
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Exception" not in err, err
    assert not alive(jvms[0]), "the JVM outlived `rtd-tui broker`"
    folder = re.search(r"Data in (\S+) \(removed on exit", err)
    assert folder is not None, err
    assert not Path(folder.group(1)).exists()


def records(seed: int) -> list[Message]:
    """``N`` generated records as the original producer sends them: key = id, JSON value."""
    generator = RecordGenerator(seed=seed)
    out = []
    for _ in range(N):
        record = generator.record()
        out.append((str(record["id"]), json.dumps(record)))
    return out


def shown_by_dashboard(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """The records the dashboard (``rtd-tui -b BOOTSTRAP -t TOPIC``) holds once it has N."""
    settings = Settings(bootstrap_servers=bootstrap, topic=topic, producer_on=False, refresh=0.1)

    async def run() -> list[dict[str, Any]]:
        app = make_app(settings)
        async with app.run_test(size=(160, 50)):
            await wait_until(lambda: app.store.snapshot().count >= N, f"{N} records", 60)
            await wait_until(lambda: app.redraws >= 1, "a redraw")
            await asyncio.sleep(0.5)  # nothing more may arrive
            assert app.store.snapshot().rejected == 0
            assert app.pipeline.status().link.state == "connected"
            return app.store.frame().to_dicts()

    return asyncio.run(run())


def assert_round_trip(bootstrap: str, topic: str, sent: list[Message], got: list[Message]) -> None:
    """The client read back exactly what it sent, and the dashboard shows exactly that."""
    assert Counter(got) == Counter(sent)
    fields = ("id", "nome", "idade", "cidade", "valor")
    expected = sorted(tuple(json.loads(v)[f] for f in fields) for _k, v in sent)
    shown = shown_by_dashboard(bootstrap, topic)
    assert sorted(tuple(r[f] for f in fields) for r in shown) == expected


def fresh(client: str) -> tuple[str, str]:
    """A topic and a consumer group no other test uses."""
    tag = uuid.uuid4().hex[:8]
    return f"compat-{client}-{tag}", f"group-{client}-{tag}"


def test_confluent_kafka_on_the_created_topic(bootstrap: str) -> None:
    topic, group = "csv-data", fresh("confluent")[1]
    sent = records(seed=101)
    producer = Producer({"bootstrap.servers": bootstrap})
    assert len(producer.list_topics(topic, timeout=10).topics[topic].partitions) == PARTITIONS
    for key, value in sent:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got: list[Message] = []
    try:
        for _ in range(120):
            for m in consumer.consume(100, 0.5):
                assert m.error() is None, m.error()
                got.append((m.key().decode(), m.value().decode()))
            if len(got) >= N:
                break
    finally:
        consumer.close()
    assert_round_trip(bootstrap, topic, sent, got)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    listed = admin.list_consumer_groups(request_timeout=10).result(timeout=15)
    assert listed.errors == []
    assert group in {g.group_id for g in listed.valid}


def test_kafka_python_3(bootstrap: str) -> None:
    topic, group = fresh("kafka-python")
    sent = records(seed=102)
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for key, value in sent:
        producer.send(topic, key=key.encode(), value=value.encode()).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                             auto_offset_reset="earliest", consumer_timeout_ms=30_000)
    got = []
    for m in consumer:
        got.append((m.key.decode(), m.value.decode()))
        if len(got) >= N:
            break
    assert len(consumer.partitions_for_topic(topic)) == PARTITIONS  # --partitions, auto-created
    consumer.close()
    assert_round_trip(bootstrap, topic, sent, got)


def test_aiokafka(bootstrap: str) -> None:
    topic, group = fresh("aiokafka")
    sent = records(seed=103)

    async def round_trip() -> list[Message]:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for key, value in sent:
                await producer.send_and_wait(topic, key=key.encode(), value=value.encode())
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                                    auto_offset_reset="earliest")
        await consumer.start()
        got: list[Message] = []
        try:
            async with asyncio.timeout(60):
                async for m in consumer:
                    assert m.key is not None and m.value is not None
                    got.append((m.key.decode(), m.value.decode()))
                    if len(got) >= N:
                        break
        finally:
            await consumer.stop()
        return got

    assert_round_trip(bootstrap, topic, sent, asyncio.run(round_trip()))


def java_client(
    bootstrap: str, topic: str, group: str, sent: list[Message], *extra: str
) -> subprocess.CompletedProcess[str]:
    """``tests/clients/RoundTrip.java`` with kafka-clients from the Maven cache."""
    jars = jars_or_skip()
    return subprocess.run(
        ["java", "-Dlog4j2.level=error", "-cp", f"{jars}/*", str(JAVA_CLIENT), bootstrap, topic,
         group, *extra],
        input="".join(f"{k}\t{v}\n" for k, v in sent), capture_output=True, text=True,
        timeout=240, check=False,
    )


def test_java_kafka_clients(bootstrap: str) -> None:
    topic, group = fresh("java")
    sent = records(seed=104)
    done = java_client(bootstrap, topic, group, sent)
    assert done.returncode == 0, done.stderr[-3000:]
    got: list[Message] = []
    for line in done.stdout.splitlines():  # the client's own log lines are mixed in
        tag, _, message = line.partition("\t")
        if tag == "got":
            key, _, value = message.partition("\t")
            got.append((key, value))
    assert_round_trip(bootstrap, topic, sent, got)


def test_rtd_tui_produce(bootstrap: str, run_rtd: Run) -> None:
    """``rtd-tui produce -b`` (librdkafka) into the broker process, shown by ``rtd-tui -b``."""
    topic, _group = fresh("rtd-tui")
    done = run_rtd("produce", "-b", bootstrap, "-t", topic, "--count", str(N), "--rate", "max",
                   "--seed", "105", timeout=120)
    assert done.returncode == 0, done.stderr
    sent = records(seed=105)
    fields = ("id", "nome", "idade", "cidade", "valor")
    expected = sorted(tuple(json.loads(v)[f] for f in fields) for _k, v in sent)
    shown = shown_by_dashboard(bootstrap, topic)
    assert sorted(tuple(r[f] for f in fields) for r in shown) == expected
