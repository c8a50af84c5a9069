"""CPU of ``rtd-tui --source aggregates`` at 1,000 and at 100,000 raw messages/s.

Issue 18's target: the same CPU at both rates (within 1.5x), at most 5 % of a core. The
set-up is the one a user runs: ``rtd-tui broker``, ``rtd-tui produce -b ADDR --rate R``
and the dashboard ``rtd-tui -b ADDR --source aggregates`` on a 160 x 50 pseudo-terminal.
No Flink runs here (it would take the two cores from what is measured): a stand-in job
in this process writes what a job with a 1 s checkpoint interval writes, every second,
at its worst (every city x age cell, every reason and every partition row changed), and
commits the job's offsets on the raw topic at the high watermarks. The figure is the
dashboard's CPU time over the producer's window (between two of its progress lines),
with the raw messages delivered in that window beside it; then the same paused (space),
which leaves what reading the aggregates and the raw tail costs without the drawing.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from contextlib import ExitStack

from confluent_kafka import Consumer, Producer, TopicPartition

from benchmarks.common import Figure
from benchmarks.producer_cpu import Producer as ProduceProcess
from benchmarks.report import table
from benchmarks.terminal import Broker, Terminal
from rtd_tui.aggregates.raw_tail import job_group
from rtd_tui.records import AGE_RANGE, CITIES

TOPIC = "csv-data"
RATES = (1_000, 100_000)
TARGET_PERCENT = 5.0
TARGET_RATIO = 1.5
CHECKPOINT_S = 1.0
REASONS = ("not JSON", "unknown city", "out of range: idade")


class StandInJob:
    """Writes the aggregates topic and commits the raw offsets once per checkpoint."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.stop = threading.Event()
        self.checkpoints = 0
        self._thread = threading.Thread(target=self._run, name="stand-in-job", daemon=True)

    def __enter__(self) -> StandInJob:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self._thread.join()

    def _run(self) -> None:
        sink = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 50})
        source = Consumer({"bootstrap.servers": self.bootstrap, "group.id": job_group(TOPIC),
                           "enable.auto.commit": False})
        try:
            while not self.stop.wait(CHECKPOINT_S):
                self._checkpoint(sink, source)
        finally:
            sink.flush(5)
            source.close()

    def _checkpoint(self, sink: Producer, source: Consumer) -> None:
        self.checkpoints += 1
        n = self.checkpoints
        topic = source.list_topics(TOPIC, timeout=2).topics[TOPIC]
        ends = {p: source.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=2)[1]
                for p in topic.partitions}
        out = f"{TOPIC}-aggregates"
        for city in CITIES:
            for age in range(AGE_RANGE[0], AGE_RANGE[1] + 1):
                name = f"{city}|{age}"
                self._send(sink, out, "cell", name, records=n, cents=n * 10_000)
        for reason in REASONS:
            self._send(sink, out, "rejected", reason, records=n)
        now_ms = int(time.time() * 1000)
        for p, end in ends.items():
            self._send(sink, out, "partition", str(p), records=end, max_offset=end - 1,
                       last_ts=now_ms)
        self._send(sink, out, "tombstones", "", records=0)
        sink.flush(5)
        source.commit(offsets=[TopicPartition(TOPIC, p, end) for p, end in ends.items()],
                      asynchronous=False)

    @staticmethod
    def _send(sink: Producer, topic: str, kind: str, name: str, records: int,
              cents: int | None = None, max_offset: int | None = None,
              last_ts: int | None = None) -> None:
        key = json.dumps({"kind": kind, "name": name}, ensure_ascii=False).encode()
        value = json.dumps({"kind": kind, "name": name, "records": records, "cents": cents,
                            "max_offset": max_offset, "last_ts": last_ts},
                           ensure_ascii=False).encode()
        sink.produce(topic, value, key=key)


def at_rate(rate: int, warmup: float, seconds: float) -> tuple[float, float, float]:
    """The dashboard's % of one core live and paused (space: reading goes on, drawing
    stops), and the raw messages/s delivered meanwhile."""
    with ExitStack() as stack:  # each process is closed however a later one fails
        broker = Broker(TOPIC)
        stack.callback(broker.close)
        stack.enter_context(StandInJob(broker.bootstrap))
        prod = ProduceProcess(broker.bootstrap, "--rate", str(rate))
        stack.callback(prod.close)
        term = Terminal(["-b", broker.bootstrap, "--source", "aggregates"])
        stack.callback(term.close)
        term.wait_output()
        time.sleep(warmup)
        prod.watch = [term]
        reading, (live,) = prod.window(seconds)
        term.send(" ")
        time.sleep(1.0)
        _, (paused,) = prod.window(seconds)
    return live, paused, reading.delivered / reading.seconds


def measure(rates: tuple[int, ...] = RATES, warmup: float = 10.0,
            seconds: float = 20.0) -> list[Figure]:
    section = (f"rtd-tui --source aggregates, CPU, % of one core, {seconds:.0f} s windows, "
               "160×50 pseudo-terminal, aggregates rewritten every second")
    figures, percents = [], []
    for rate in rates:
        live, paused, delivered = at_rate(rate, warmup, seconds)
        percents.append(live)
        figures.append(Figure(section, f"raw topic at --rate {rate:,}, live",
                              f"{live:.1f} % · {delivered:,.0f} raw msg/s delivered",
                              f"≤ {TARGET_PERCENT:g} %", live <= TARGET_PERCENT))
        figures.append(Figure(section, f"raw topic at --rate {rate:,}, paused (reading only)",
                              f"{paused:.1f} %"))
    if len(percents) > 1 and min(percents) > 0:
        ratio = max(percents) / min(percents)
        figures.append(Figure(section, "highest / lowest rate's CPU, live", f"{ratio:.2f}×",
                              f"≤ {TARGET_RATIO:g}×", ratio <= TARGET_RATIO))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.aggregates_view",
                                     description=__doc__)
    parser.add_argument("--rates", type=int, nargs="+", default=list(RATES))
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window")
    parser.add_argument("--warmup", type=float, default=10.0)
    args = parser.parse_args()
    print(table(measure(tuple(args.rates), args.warmup, args.seconds)))


if __name__ == "__main__":
    main()
