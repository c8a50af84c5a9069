"""The Flink job (``rtd-tui aggregate``) on a local mini-cluster, with Apache Kafka on the
same cores: sustained rate, end-to-end delay, and parallelism 2 against 1.

``uv run python -m benchmarks.flink_job [--messages N]`` (needs the ``flink`` extra, Java
17+ and Maven). Issue 18's targets: at least 100,000 msg/s sustained on this 2-core machine,
the produce → aggregate-visible delay at p99, and the ratio of parallelism 2 to 1 on a
4-partition topic, measured side by side in one run (same broker, same pre-filled topic).

- **Sustained rate**: the topic is filled first; the job then reads it as fast as it can.
  The rate is the messages read between the first and the last committed aggregates the
  job wrote, over that time (JVM start and the first checkpoint left out).
- **Delay**: with the job caught up, a producer sends records at a steady rate; a message's
  delay runs from its delivery report to the first committed aggregate whose partition row
  covers its offset (checkpoints every second, so about 1 s is the floor).
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
from pathlib import Path

from confluent_kafka import Consumer, Producer

from benchmarks.common import apache_kafka, fill_topic
from rtd_tui.aggregates.rows import PARTITION, decode_message
from rtd_tui.generator import RecordGenerator

TOPIC = "flink-bench"
PARTITIONS = 4
DELAY_RATE = 2_000
DELAY_SECONDS = 20
TARGET_RATE = 100_000


@contextmanager
def job(bootstrap: str, parallelism: int, sink: str, state: Path) -> Iterator[None]:
    """``rtd-tui aggregate`` in its own process group, stopped with SIGINT at the end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rtd_tui", "aggregate", "-b", bootstrap, "-t", TOPIC,
         "--aggregates-topic", sink, "--parallelism", str(parallelism), "--state-dir",
         str(state)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
        stderr=open(state.with_suffix(".log"), "w"),  # noqa: SIM115
    )
    try:
        yield
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


def catch_up(bootstrap: str, parallelism: int, total: int, folder: Path) -> float:
    """Messages/s of a fresh job reading ``total`` messages from the filled topic."""
    sink = f"{TOPIC}-aggregates-p{parallelism}"
    progress = Progress(bootstrap, sink)
    try:
        with job(bootstrap, parallelism, sink, folder / f"p{parallelism}"):
            first: tuple[float, int] | None = None
            while progress.read() < total:
                if first is None and progress.read():
                    first = (time.monotonic(), progress.read())
                time.sleep(0.05)
            done = time.monotonic()
        assert first is not None
        return (total - first[1]) / (done - first[0]) if done > first[0] else float("nan")
    finally:
        progress.close()


def delays(bootstrap: str, folder: Path) -> list[float]:
    """Seconds from delivery to a committed aggregate covering the message, at a steady rate."""
    sink = f"{TOPIC}-aggregates-p2"
    progress = Progress(bootstrap, sink)
    delivered: list[tuple[float, int, int]] = []
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})

    def report(err: object, msg: object) -> None:
        if err is None:
            delivered.append((time.monotonic(), msg.partition(), msg.offset()))  # type: ignore[attr-defined]

    generator = RecordGenerator(seed=3)
    try:
        with job(bootstrap, 2, sink, folder / "p2"):  # restores the catch-up run's checkpoint
            while not progress.read():
                time.sleep(0.1)
            started = time.monotonic()
            for i in range(DELAY_RATE * DELAY_SECONDS):
                while time.monotonic() < started + i / DELAY_RATE:
                    producer.poll(0.0005)
                record = generator.encoded()
                producer.produce(TOPIC, record.value, record.key, on_delivery=report)
            producer.flush(30)
            last = {p: o for _, p, o in delivered}
            deadline = time.monotonic() + 120
            while any(progress.max_offset.get(p, -1) < o for p, o in last.items()):
                if time.monotonic() > deadline:
                    raise RuntimeError("the job did not catch up with the steady producer")
                time.sleep(0.1)
    finally:
        progress.close()
    result = []
    covered = sorted(progress.covered)
    for sent, partition, offset in delivered:
        seen = next(t for t, p, o in covered if p == partition and o >= offset and t >= sent)
        result.append(seen - sent)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    args = parser.parse_args()
    with apache_kafka() as kafka, tempfile.TemporaryDirectory(prefix="rtd-flink-bench-") as tmp:
        bootstrap = kafka.bootstrap_servers
        kafka.create_topic(TOPIC, PARTITIONS)
        filled = fill_topic(bootstrap, TOPIC, args.messages)
        print(f"filled {TOPIC} ({PARTITIONS} partitions) with {args.messages:,} records "
              f"in {filled:.0f} s", flush=True)
        folder = Path(tmp)
        rates = {p: catch_up(bootstrap, p, args.messages, folder) for p in (1, 2)}
        for p, rate in rates.items():
            verdict = "PASS" if rate >= TARGET_RATE else "MISS"
            print(f"sustained rate, parallelism {p}: {rate:,.0f} msg/s "
                  f"(target >= {TARGET_RATE:,}: {verdict})", flush=True)
        print(f"parallelism 2 / 1 on {PARTITIONS} partitions: {rates[2] / rates[1]:.2f}x",
              flush=True)
        seconds = sorted(delays(bootstrap, folder))
        p50, p99 = seconds[len(seconds) // 2], seconds[int(len(seconds) * 0.99)]
        print(f"end-to-end delay at {DELAY_RATE:,} msg/s (delivery -> committed aggregate): "
              f"p50 {p50:.2f} s, p99 {p99:.2f} s, max {seconds[-1]:.2f} s", flush=True)


if __name__ == "__main__":
    main()
