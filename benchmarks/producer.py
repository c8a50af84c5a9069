"""Producer: the ``rtd-tui produce --rate max`` process against the original's way.

``rtd-tui produce -b ADDR --rate max --count N`` runs as a user runs it; its rate is
the one its own summary line prints (records delivered over its run, from the first
record to the last delivery). The original ``fake_data_producer.py`` built each record
and waited for its delivery (``produce`` then ``flush()``) before the next one; that
loop runs here, with the same client settings, against the same broker. A warm-up run
of the process comes first.
"""

from __future__ import annotations

import re
import subprocess
import time

from confluent_kafka import Producer

from benchmarks.common import Figure
from benchmarks.terminal import clean_env, rtd_command
from rtd_tui.config import Settings
from rtd_tui.generator import RecordGenerator
from rtd_tui.producer import PRODUCER_DEFAULTS
from rtd_tui.records import encode, key_of

TARGET = 100_000.0
ROUNDS = 3


def _producer(bootstrap: str) -> Producer:
    return Producer(Settings().client_config(bootstrap, **PRODUCER_DEFAULTS))


_SUMMARY = re.compile(r"delivered ([\d,]+),.*\(([\d,]+) records/s\)")


def process_rate(bootstrap: str, topic: str, count: int) -> float:
    """Records/s that ``rtd-tui produce --rate max --count N`` reports in its summary."""
    done = subprocess.run(
        [*rtd_command(), "produce", "-b", bootstrap, "-t", topic, "--rate", "max",
         "--count", str(count)],
        capture_output=True, text=True, env=clean_env(), timeout=600, check=False,
    )
    found = _SUMMARY.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"rtd-tui produce exited with {done.returncode}: "
                           f"{(done.stderr or done.stdout).strip()[-200:]}")
    delivered = int(found.group(1).replace(",", ""))
    if delivered != count:
        raise RuntimeError(f"rtd-tui produce delivered {delivered:,} of {count:,}")
    return float(found.group(2).replace(",", ""))


def sync_rate(bootstrap: str, topic: str, seconds: float) -> float:
    """Records/s of one synchronous delivery wait per record, as the original producer did."""
    producer = _producer(bootstrap)
    generator = RecordGenerator(seed=4)
    sent = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        record = generator.record()
        producer.produce(topic, value=encode(record), key=key_of(record))
        producer.flush()
        sent += 1
    return sent / (time.perf_counter() - started)


def measure(label: str, bootstrap: str, topic: str, count: int, seconds: float) -> list[Figure]:
    # Warm-up, not counted: Apache Kafka's JVM compiles its hot paths in the first seconds
    # (a cold broker measured 20-30 % slower), and the topic's segments get created.
    process_rate(bootstrap, topic, max(count // 5, 1))
    # Alternated rounds, best of each, as for ingest: other load on a shared machine only
    # ever slows a round down, so the best is the closest to what the code can do.
    ours: list[float] = []
    originals: list[float] = []
    for _ in range(ROUNDS):
        ours.append(process_rate(bootstrap, topic, count))
        originals.append(sync_rate(bootstrap, topic, seconds))
    best, original = max(ours), max(originals)
    section = f"producer, {label}, best of {ROUNDS}"
    rounds = " / ".join(f"{r / 1000:,.0f}k" for r in ours)
    return [
        Figure(section, "original: produce + flush() per record", f"{original:,.0f} rec/s"),
        Figure(section, f"rtd-tui produce --rate max --count {count:,}, its summary's rate "
               f"(rounds: {rounds})",
               f"{best:,.0f} rec/s", f"≥ {TARGET:,.0f} rec/s", best >= TARGET),
        Figure(section, "speed-up", f"{best / original:,.0f}×"),
    ]
