"""Shared pieces: result rows, sizes, machine description, brokers and topic filling."""

from __future__ import annotations

import logging
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from rtd_tui.decode import DecodedBatch, decode_batch
from rtd_tui.generator import PoolsBuild, RecordGenerator

LOGGER = logging.getLogger("benchmarks.kafka")


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of the table: what was measured, the value, the target and the verdict."""

    section: str
    name: str
    value: str
    target: str = ""
    ok: bool | None = None  # None: informational, no target

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "MISS")


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big and long each benchmark runs; ``quick`` is a smoke run of a few minutes."""

    embedded_backlog: int
    kafka_backlogs: tuple[int, ...]
    partitions_backlog: int
    redraw_records: tuple[int, ...]
    redraw_repeats: int
    memory_held: int
    memory_stream: int
    memory_window: int
    producer_records: int
    sync_producer_seconds: float
    latency_seconds: float
    key_repeats: int
    cpu_rates: tuple[int, ...]
    cpu_warmup: float
    cpu_seconds: float
    app_rss_seconds: float
    flink_messages: int

    @classmethod
    def full(cls) -> Sizes:
        return cls(100_000, (200_000, 2_000_000), 200_000, (1_000, 100_000, 1_000_000), 15,
                   1_000_000, 5_000_000, 200_000, 1_000_000, 3.0, 30.0, 12,
                   (0, 5, 100, 1_000, 10_000), 5.0, 20.0, 600.0, 1_000_000)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(50_000, (100_000,), 50_000, (1_000, 100_000), 3,
                   200_000, 400_000, 50_000, 100_000, 1.0, 5.0, 2,
                   (0, 1_000), 3.0, 5.0, 30.0, 200_000)


class RecordSource:
    """Decoded batches of freshly generated records, each one encoded and decoded on its
    own (no slices of a shared pool: every row owns its strings, as in the app), on
    ``partition`` with consecutive offsets. Faker draws the pools in a helper process,
    as the app's does: its ~55 MB never sit in the measured process."""

    def __init__(self, seed: int = 11, partition: int = 0) -> None:
        self.generator = RecordGenerator(pools=PoolsBuild(seed).result())
        self.partition = partition
        self.next_offset = 0

    def batch(self, n: int) -> DecodedBatch:
        encoded = self.generator.encoded
        values = [encoded().value for _ in range(n)]
        first = self.next_offset
        self.next_offset += n
        return decode_batch(values, [self.partition] * n, list(range(first, first + n)))

    def fill(self, store: Any, count: int, batch: int = 10_000) -> None:
        while count > 0:
            n = min(count, batch)
            store.ingest(self.batch(n))
            count -= n


def rss_mb() -> float:
    """Current resident set size of this process, in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux: VmHWM, in KiB).

    Not ``getrusage().ru_maxrss``: Linux carries it over from the parent through
    fork and exec, so a subprocess started by a 335 MB runner reported 335 MB.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except OSError:
        ram = "?"
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("polars", "confluent-kafka", "textual", "plotext")
    )
    import confluent_kafka

    return {
        "cpus": f"{os.cpu_count()} (nproc), {cpu}",
        "ram": ram,
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "libraries": f"{versions}, librdkafka {confluent_kafka.libversion()[0]}",
        "os": platform.platform(),
    }


def java_version() -> str:
    """``java -version`` in one line, or why there is none."""
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    return (out.stderr or out.stdout).splitlines()[0] if (out.stderr or out.stdout) else "?"


@contextmanager
def apache_kafka() -> Iterator[Any]:
    """A single-node Apache Kafka from the package's own runner (Maven-cached jars)."""
    from rtd_tui.kafka_engine import KafkaServer

    with KafkaServer() as server:
        yield server


def fill_topic(bootstrap: str, topic: str, count: int, seed: int = 7) -> float:
    """Write ``count`` generated records to ``topic``; returns the seconds it took."""
    producer = Producer({
        "bootstrap.servers": bootstrap, "linger.ms": 20, "batch.size": 1_000_000,
        "queue.buffering.max.messages": 500_000, "logger": LOGGER,
    })
    generator = RecordGenerator(seed=seed)
    started = time.perf_counter()
    for i in range(count):
        record = generator.encoded()
        while True:
            try:
                producer.produce(topic, record.value, record.key)
                break
            except BufferError:
                producer.poll(0.01)
        if not i % 5000:
            producer.poll(0)
    left = producer.flush(60)
    if left:
        raise RuntimeError(f"{left} records not delivered while filling {topic}")
    return time.perf_counter() - started
