"""``uv run python -m benchmarks [--quick]``: run every benchmark and print one table.

A full run (about 30 minutes, ten of them the running app's memory) also writes the
table, with the machine it ran on, to ``benchmarks/RESULTS.md`` and ``docs/performance.md``.
Apache Kafka comes from the package's ``KafkaServer`` (Java 17+ and the Maven-cached
jars); without it those rows say why they are missing. ``--app-minutes`` shortens the
running app's memory figure (10 in a full run).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import cpu, ingest, latency, memory, producer, redraw, store
from benchmarks.common import Figure, Sizes, apache_kafka, java_version, machine
from rtd_tui.broker import EmbeddedBroker

RESULTS = Path(__file__).with_name("RESULTS.md")
PAGE = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
#: docs/performance.md shows the latest full table between these two lines.
PAGE_MARKERS = ("<!-- benchmark results: written by `python -m benchmarks` -->",
                  "<!-- end of benchmark results -->")
SECTIONS = ("cpu", "ingest", "producer", "redraw", "memory", "latency", "store", "app-memory")


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table (readable as plain text too)."""
    rows = [("section", "figure", "value", "target", "")]
    rows += [(f.section, f.name, f.value, f.target, f.verdict) for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _guard(figures: list[Figure], section: str, run: Callable[[], list[Figure]]) -> None:
    """Run one benchmark; a failure becomes a row rather than ending the whole run."""
    started = time.perf_counter()
    print(f"… {section}", file=sys.stderr, flush=True)
    try:
        figures.extend(run())
    except BaseException as exc:  # pytest.skip() from KafkaServer is a BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        figures.append(Figure(section, "not measured", f"{type(exc).__name__}: {exc}"[:120]))
    print(f"  done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def run(sizes: Sizes, only: set[str], kafka: bool) -> list[Figure]:
    figures: list[Figure] = []
    if "cpu" in only:
        _guard(figures, "cpu", lambda: cpu.measure(sizes.cpu_rates, sizes.cpu_warmup,
                                                   sizes.cpu_seconds))
    if "ingest" in only:
        def embedded() -> list[Figure]:
            with EmbeddedBroker("bench-ingest") as broker:
                return ingest.measure("embedded broker", broker.bootstrap_servers,
                                      "bench-ingest", sizes.embedded_backlog)
        _guard(figures, "ingest, embedded", embedded)
    if kafka and only & {"ingest", "producer"}:
        def apache() -> list[Figure]:
            out: list[Figure] = []
            with apache_kafka() as server:
                if "ingest" in only:
                    for backlog in sizes.kafka_backlogs:
                        topic = f"bench-ingest-{backlog}"
                        server.create_topic(topic, partitions=4)
                        _guard(out, "ingest, Apache Kafka", lambda t=topic, n=backlog:
                               ingest.measure("Apache Kafka 4.1.1", server.bootstrap_servers,
                                              t, n))
                    _guard(out, "ingest, partitions", lambda: ingest.partition_cost(
                        server, sizes.partitions_backlog))
                if "producer" in only:
                    server.create_topic("bench-produce", partitions=4)
                    _guard(out, "producer, Apache Kafka", lambda: producer.measure(
                        "Apache Kafka 4.1.1", server.bootstrap_servers, "bench-produce",
                        sizes.producer_records, sizes.sync_producer_seconds))
            return out
        _guard(figures, "Apache Kafka", apache)
    elif "producer" in only:
        def embedded_producer() -> list[Figure]:
            with EmbeddedBroker("bench-produce") as broker:
                return producer.measure("embedded broker", broker.bootstrap_servers,
                                        "bench-produce", sizes.producer_records,
                                        sizes.sync_producer_seconds)
        _guard(figures, "producer, embedded", embedded_producer)
    if "redraw" in only:
        _guard(figures, "redraw",
               lambda: redraw.measure(sizes.redraw_records, sizes.redraw_repeats))
    if "memory" in only:
        _guard(figures, "memory", lambda: memory.measure(
            sizes.memory_held, sizes.memory_stream, sizes.memory_window))
    if "latency" in only:
        _guard(figures, "latency", lambda: latency.measure(sizes.latency_seconds,
                                                           sizes.key_repeats))
    if "store" in only:
        _guard(figures, "store", store.measure)
    if "app-memory" in only:
        _guard(figures, "app-memory", lambda: memory.app_rss(sizes.app_rss_seconds))
    return figures


def report(figures: list[Figure], sizes_label: str, load_at_start: str) -> str:
    info = machine()
    info["load average (1/5/15 min, at the start)"] = load_at_start
    info["java (Apache Kafka)"] = java_version()
    lines = [
        "# rtd-tui benchmark results", "",
        f"`uv run python -m benchmarks` ({sizes_label}). Each ratio is measured side by side "
        "in the same run. CPU figures are each process's own CPU time from /proc (one core "
        "= 100 %); the machine may be shared, so the load average is given at the start "
        "and the end.", "",
        *[f"- **{k}**: {v}" for k, v in info.items()], "",
        table(figures), "",
    ]
    return "\n".join(lines)


def update_page(page: Path, results: str) -> None:
    """Put the machine and the table of ``results`` between the page's markers."""
    start, end = PAGE_MARKERS
    text = page.read_text(encoding="utf-8")
    head, found, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not (found and found_end):
        raise RuntimeError(f"{page.name} lacks the benchmark markers")
    body = results.split("\n", 2)[2].strip()  # without the title line
    page.write_text(f"{head}{start}\n{body}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of minutes")
    parser.add_argument("--app-minutes", type=float, default=None,
                        help="how long the running app's memory is watched (full run: 10)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        help="run only these benchmarks")
    parser.add_argument("--no-kafka", action="store_true",
                        help="skip Apache Kafka (the producer then uses the embedded broker)")
    parser.add_argument("--write", action="store_true",
                        help=f"write {RESULTS.name} even for a quick or partial run")
    args = parser.parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes.full()
    if args.app_minutes is not None:
        sizes = dataclasses.replace(sizes, app_rss_seconds=args.app_minutes * 60)
    label = "--quick" if args.quick else "full run"
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    figures = run(sizes, set(args.only), kafka=not args.no_kafka)
    text = report(figures, label, load)
    print(text)
    full = (not args.quick and set(args.only) == set(SECTIONS) and not args.no_kafka
            and args.app_minutes is None)
    if full or args.write:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written to {RESULTS}", file=sys.stderr)
    if full:
        update_page(PAGE, text)
        print(f"table copied into {PAGE}", file=sys.stderr)
    misses = [f for f in figures if f.ok is False]
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
