"""Start-up and stop of ``rtd-tui broker`` per engine, as a user runs it.

``uv run python -m benchmarks.broker_startup [--runs N]`` starts ``rtd-tui broker
--engine E`` N times for each engine and prints, per run, the seconds from the command
to the bootstrap address on stdout, and from SIGINT to the exit. The Apache Kafka runs
need Java 17+; with no cached jars the first run includes their download.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.terminal import clean_env, rtd_command

ENGINES = ("mock", "kafka")


def one_run(engine: str) -> tuple[float, float]:
    """(seconds to the address, seconds from SIGINT to the exit) of one broker."""
    started = time.monotonic()
    proc = subprocess.Popen([*rtd_command(), "broker", "--engine", engine],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=clean_env())
    assert proc.stdout is not None
    if not proc.stdout.readline().strip():
        proc.kill()
        raise RuntimeError(f"rtd-tui broker --engine {engine} printed no address")
    up = time.monotonic() - started
    stopping = time.monotonic()
    proc.send_signal(signal.SIGINT)
    if proc.wait(60) != 0:
        raise RuntimeError(f"rtd-tui broker --engine {engine} exited with {proc.returncode}")
    return up, time.monotonic() - stopping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    for engine in ENGINES:
        ups, downs = [], []
        for number in range(1, runs + 1):
            up, down = one_run(engine)
            load = Path("/proc/loadavg").read_text().split()[0]
            print(f"--engine {engine} run {number}: address after {up:.1f} s, stopped "
                  f"{down:.1f} s after SIGINT (load {load})", flush=True)
            ups.append(up)
            downs.append(down)
        print(f"--engine {engine}: address after {min(ups):.1f}–{max(ups):.1f} s "
              f"(median {statistics.median(ups):.1f}), stop {min(downs):.1f}–{max(downs):.1f} s",
              flush=True)


if __name__ == "__main__":
    main()
