"""The Flink job (``rtd-tui aggregate``) on a local mini-cluster, with Apache Kafka on the
same cores: sustained rate, CPU per 1,000 messages, end-to-end delay, parallelism 2 vs 1.

``uv run python -m benchmarks flink`` (or ``-m benchmarks.flink_job [--messages N]``;
needs the ``flink`` extra, Java 17+ and Maven). Issue 18's targets: at least 100,000
msg/s sustained on this 2-core machine, the produce -> aggregate-visible delay at p99,
and the ratio of parallelism 2 to 1 on a 4-partition topic, side by side in one run
(same broker, same pre-filled topic of distinct generated records).

- **Sustained rate**: the topic is filled first; a fresh job (the real ``rtd-tui
  aggregate`` process, its own JVM) then reads it as fast as it can. The rate is the
  messages read between the first and the last committed aggregates it wrote, over that
  time (JVM start and the first checkpoint left out); its CPU is the job's process group
  (Python and JVM) over the same span.
- **Steady rate**: with the job caught up, a producer sends records at a steady rate for
  90 s; the figures come from the last 30 s, after the JVM's first minute (its JIT
  compiling the job's generated code costs more than the records then). A message's delay
  runs from its delivery report to the first committed aggregate whose partition row
  covers its offset (checkpoints every second, so about 1 s is the floor). Then nothing
  is produced for a while: the job's idle CPU.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, Producer

from benchmarks.common import Figure, apache_kafka, fill_topic
from benchmarks.report import table
from rtd_tui.aggregates.rows import PARTITION, decode_message
from rtd_tui.generator import RecordGenerator

TOPIC = "flink-bench"
PARTITIONS = 4
DELAY_RATE = 2_000
DELAY_SECONDS = 90
#: The steady figures leave out the JVM's first minute: its JIT compiles the job's
#: generated code then, which costs more than the records (a job runs for days).
WARM_SECONDS = 60
IDLE_SECONDS = 20
TARGET_RATE = 100_000
SECTION = ("rtd-tui aggregate (Flink SQL job, local mini-cluster), Apache Kafka 4.1.1 on the "
           "same 2 cores, 4-partition topic")


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) of every live process in process group ``pgid``."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "(comm)": state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def job(bootstrap: str, parallelism: int, sink: str, state: Path) -> Iterator[int]:
    """``rtd-tui aggregate`` in its own process group (yielded), stopped with SIGINT."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rtd_tui", "aggregate", "-b", bootstrap, "-t", TOPIC,
         "--aggregates-topic", sink, "--parallelism", str(parallelism), "--state-dir",
         str(state)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
        stderr=open(state.with_suffix(".log"), "w"),  # noqa: SIM115
    )
    try:
        yield proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Progress:
    """Follows the aggregates topic (read_committed): per raw partition, the messages read
    and the highest offset, with when each update was seen."""

    def __init__(self, bootstrap: str, sink: str) -> None:
        self.records: dict[int, int] = {}
        self.max_offset: dict[int, int] = {}
        self.covered: list[tuple[float, int, int]] = []  # seen at, partition, max offset
        self._stop = threading.Event()
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{sink}",
                                   "isolation.level": "read_committed",
                                   "auto.offset.reset": "earliest",
                                   "enable.auto.commit": False})
        self._consumer.subscribe([sink])
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for m in self._consumer.consume(1000, 0.2):
                if m.error():
                    continue
                decoded = decode_message(m.key(), m.value())
                if decoded is None or decoded[0].kind != PARTITION or decoded[1] is None:
                    continue
                partition, row = int(decoded[0].name), decoded[1]
                self.records[partition] = row.records
                self.max_offset[partition] = row.max_offset or 0
                self.covered.append((time.monotonic(), partition, row.max_offset or 0))

    def read(self) -> int:
        return sum(self.records.values())

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._consumer.close()


def catch_up(bootstrap: str, parallelism: int, total: int, folder: Path) -> tuple[float, float]:
    """Messages/s of a fresh job reading ``total`` messages from the filled topic, and its
    CPU milliseconds per 1,000 of them."""
    sink = f"{TOPIC}-aggregates-p{parallelism}"
    progress = Progress(bootstrap, sink)
    try:
        with job(bootstrap, parallelism, sink, folder / f"p{parallelism}") as pgid:
            first: tuple[float, int, float] | None = None
            while progress.read() < total:
                if first is None and progress.read():
                    first = (time.monotonic(), progress.read(), group_cpu(pgid))
                time.sleep(0.05)
            done, cpu = time.monotonic(), group_cpu(pgid)
        assert first is not None
        read = total - first[1]
        return read / (done - first[0]), (cpu - first[2]) * 1e6 / read
    finally:
        progress.close()


@dataclass(frozen=True, slots=True)
class Steady:
    """The caught-up job at a steady rate, then idle."""

    delays: list[float]  # seconds, sorted
    rate: float  # messages/s delivered
    cpu_per_1000_ms: float
    idle_percent: float


def steady(bootstrap: str, folder: Path) -> Steady:
    """Delivery-to-committed-aggregate delays at a steady rate, the CPU meanwhile, and
    the CPU of the idle job afterwards (the catch-up run's checkpoint restored)."""
    sink = f"{TOPIC}-aggregates-p2"
    progress = Progress(bootstrap, sink)
    delivered: list[tuple[float, int, int]] = []
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})

    def report(err: object, msg: object) -> None:
        if err is None:
            delivered.append((time.monotonic(), msg.partition(), msg.offset()))  # type: ignore[attr-defined]

    generator = RecordGenerator(seed=3)
    try:
        with job(bootstrap, 2, sink, folder / "p2") as pgid:
            # the restored job runs once it has counted a few new records (its JVM start
            # and restore are no part of the steady figures)
            for _ in range(100):
                record = generator.encoded()
                producer.produce(TOPIC, record.value, record.key, on_delivery=report)
            producer.flush(30)
            _wait_covered(progress, delivered, 300)
            time.sleep(5)
            delivered.clear()
            started = time.monotonic()
            warm: tuple[float, float, int] | None = None  # time, CPU, records sent
            for i in range(DELAY_RATE * DELAY_SECONDS):
                while time.monotonic() < started + i / DELAY_RATE:
                    producer.poll(0.0005)
                if warm is None and i >= DELAY_RATE * WARM_SECONDS:
                    warm = (time.monotonic(), group_cpu(pgid), i)
                record = generator.encoded()
                producer.produce(TOPIC, record.value, record.key, on_delivery=report)
            producer.flush(30)
            assert warm is not None
            sent, count = time.monotonic() - warm[0], DELAY_RATE * DELAY_SECONDS - warm[2]
            busy = group_cpu(pgid) - warm[1]
            _wait_covered(progress, delivered, 120)
            time.sleep(10)
            idle_from, idle_cpu = time.monotonic(), group_cpu(pgid)
            time.sleep(IDLE_SECONDS)
            idle = (group_cpu(pgid) - idle_cpu) / (time.monotonic() - idle_from) * 100
    finally:
        progress.close()
    result = []
    covered = sorted(progress.covered)
    for at, partition, offset in delivered:
        if at < started + WARM_SECONDS:
            continue
        seen = next(t for t, p, o in covered if p == partition and o >= offset and t >= at)
        result.append(seen - at)
    return Steady(sorted(result), count / sent, busy * 1e6 / count, idle)


def _wait_covered(progress: Progress, delivered: list[tuple[float, int, int]],
                  seconds: float) -> None:
    """Wait until committed aggregates cover every delivered message."""
    last = {p: o for _, p, o in delivered}
    deadline = time.monotonic() + seconds
    while any(progress.max_offset.get(p, -1) < o for p, o in last.items()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the job did not count the delivered records in {seconds:.0f} s")
        time.sleep(0.1)


def measure(messages: int = 1_000_000) -> list[Figure]:
    """Fill a topic, time fresh jobs at parallelism 1 and 2 on it, then the steady rate."""
    with apache_kafka() as kafka, tempfile.TemporaryDirectory(prefix="rtd-flink-bench-") as tmp:
        bootstrap = kafka.bootstrap_servers
        kafka.create_topic(TOPIC, PARTITIONS)
        fill_topic(bootstrap, TOPIC, messages)
        folder = Path(tmp)
        runs = {p: catch_up(bootstrap, p, messages, folder) for p in (1, 2)}
        calm = steady(bootstrap, folder)
    figures = []
    for p, (rate, cpu) in runs.items():
        figures.append(Figure(SECTION, f"sustained rate, parallelism {p}, {messages:,} queued "
                              "records", f"{rate:,.0f} msg/s", f"≥ {TARGET_RATE:,}",
                              rate >= TARGET_RATE))
        figures.append(Figure(SECTION, f"CPU at that rate, parallelism {p}",
                              f"{cpu:,.0f} ms per 1,000 msg"))
    figures.append(Figure(SECTION, "parallelism 2 / 1, side by side",
                          f"{runs[2][0] / runs[1][0]:.2f}×"))
    p50, p99 = calm.delays[len(calm.delays) // 2], calm.delays[int(len(calm.delays) * 0.99)]
    figures.append(Figure(SECTION, f"delivery → committed aggregate at {calm.rate:,.0f} msg/s "
                          f"(1 s checkpoints), after the first {WARM_SECONDS} s",
                          f"p50 {p50:.2f} s · p99 {p99:.2f} s · max {calm.delays[-1]:.2f} s"))
    figures.append(Figure(SECTION, f"CPU at {calm.rate:,.0f} msg/s, parallelism 2, after "
                          f"the first {WARM_SECONDS} s",
                          f"{calm.cpu_per_1000_ms:,.0f} ms per 1,000 msg"))
    figures.append(Figure(SECTION, "CPU idle (caught up, nothing produced)",
                          f"{calm.idle_percent:.1f} % of one core"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flink_job",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    print(table(measure(parser.parse_args().messages)))


if __name__ == "__main__":
    main()
