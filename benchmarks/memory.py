"""Memory: peak RSS with records held, and RSS over a long stream through a bounded window.

Every record is generated, encoded and decoded on its own (``RecordSource``), as the
app's are: no row shares its strings with another. Each measurement runs in its own
subprocess (``python -m benchmarks.memory ...``), with the allocator options the app's
entry point sets (``rtd_tui.allocator``), so one cannot inflate the other. The process
imports the whole dashboard (Textual
included), ingests decoded batches as the consumer does, and takes a snapshot the
way each redraw does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import Figure, peak_rss_mb, rss_mb
from benchmarks.terminal import Terminal, clean_env
from benchmarks.terminal import rss_mb as process_rss_mb
from rtd_tui.allocator import ENV, MALLOC_CONF

TARGET_MB = 250.0
TARGET_FLAT = 0.10
BATCH = 10_000
SNAPSHOT_EVERY = 50


def _held(count: int) -> dict[str, float]:
    import rtd_tui.app  # noqa: F401  (the dashboard's imports count)
    from benchmarks.common import RecordSource
    from rtd_tui.store import RecordStore

    source = RecordSource()
    baseline = rss_mb()
    store = RecordStore(window=count)
    for i in range(count // BATCH):
        store.ingest(source.batch(BATCH))
        if not i % SNAPSHOT_EVERY:
            store.snapshot()
    snap = store.snapshot()
    assert snap.window_rows == count, snap.window_rows
    return {"baseline": baseline, "rss": rss_mb(), "peak": peak_rss_mb()}


def _stream(count: int, window: int) -> dict[str, float]:
    import rtd_tui.app  # noqa: F401
    from benchmarks.common import RecordSource
    from rtd_tui.store import RecordStore

    source = RecordSource()
    store = RecordStore(window=window)
    marks = {max(2 * window, count // 10): "start", count // 2: "middle", count: "end"}
    out: dict[str, float] = {"baseline": rss_mb()}
    done = 0
    while done < count:
        store.ingest(source.batch(BATCH))
        done += BATCH
        if not (done // BATCH) % SNAPSHOT_EVERY:
            store.snapshot()
        if done in marks:
            store.snapshot()
            out[marks[done]] = rss_mb()
    out["peak"] = peak_rss_mb()
    assert store.snapshot().count == count
    return out


def _run(*args: str) -> dict[str, float]:
    # The allocator options the app's entry point sets (polars, loaded here, has put
    # its own defaults into this process's environment, where the app has none).
    env = clean_env(**{ENV: MALLOC_CONF})
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", *args],
        capture_output=True, text=True, check=False, env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"memory run {args} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def measure(held: int, stream: int, window: int) -> list[Figure]:
    """Peak RSS with ``held`` records, and start/middle/end RSS over ``stream`` messages."""
    a = _run("held", str(held))
    b = _run("stream", str(stream), str(window))
    section = "memory (RSS, own process each)"
    points = [b["start"], b["middle"], b["end"]]
    spread = max(points) / min(points) - 1
    return [
        Figure(section, "process with the dashboard imported, empty", f"{a['baseline']:.0f} MB"),
        Figure(section, f"peak with {held:,} distinct records held", f"{a['peak']:.0f} MB",
               f"≤ {TARGET_MB:.0f} MB", a["peak"] <= TARGET_MB),
        Figure(section, f"{stream:,}-msg stream, window {window:,}: start/middle/end",
               " / ".join(f"{p:.0f}" for p in points) + " MB"),
        Figure(section, "stream RSS spread (max/min − 1)", f"{spread * 100:.1f} %",
               f"≤ {TARGET_FLAT * 100:.0f} %", spread <= TARGET_FLAT),
    ]


APP_RATE = 10_000
SAMPLE_EVERY_S = 10.0


def app_rss(seconds: float) -> list[Figure]:
    """RSS of the default ``rtd-tui --rate 10000`` (default window) on a pseudo-terminal,
    after ``seconds`` of running, with its peak (``VmHWM``)."""
    term = Terminal(["--rate", str(APP_RATE)])
    samples: list[tuple[float, float]] = []
    try:
        term.wait_output()
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            time.sleep(min(SAMPLE_EVERY_S, seconds - elapsed))
            if not term.alive():
                raise RuntimeError("rtd-tui ended during the memory run")
            samples.append((time.monotonic() - started, process_rss_mb(term.pid)))
        status = Path(f"/proc/{term.pid}/status").read_text()
        peak = next(int(line.split()[1]) * 1024 / 1e6 for line in status.splitlines()
                    if line.startswith("VmHWM:"))
    finally:
        term.close()
    minutes = seconds / 60
    section = f"memory of the running app, rtd-tui --rate {APP_RATE:,}, default window"
    first = samples[min(len(samples) - 1, 5)]
    end = samples[-1][1]
    return [
        Figure(section, f"RSS after {first[0]:.0f} s", f"{first[1]:.0f} MB"),
        Figure(section, f"RSS after {minutes:g} min", f"{end:.0f} MB", f"≤ {TARGET_MB:.0f} MB",
               end <= TARGET_MB),
        Figure(section, f"peak RSS over {minutes:g} min (VmHWM)", f"{peak:.0f} MB"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("mode", choices=["held", "stream"])
    parser.add_argument("count", type=int)
    parser.add_argument("window", type=int, nargs="?", default=200_000)
    args = parser.parse_args()
    out = _held(args.count) if args.mode == "held" else _stream(args.count, args.window)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
