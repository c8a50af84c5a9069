"""``uv run python -m benchmarks [MODULE…] [--quick]``: run benchmark modules, print a table.

With no module every one runs (about 35 minutes, ten of them the running app's memory).
A run that is not ``--quick`` replaces the rows of the modules it ran in
``benchmarks/results.json`` and rewrites ``benchmarks/RESULTS.md`` and the table in
``docs/performance.md``; the other modules' rows stay, with the date and commit of the
run that made them. Apache Kafka comes from the package's ``KafkaServer`` (Java 17+ and
the Maven-cached jars); ``--no-kafka`` uses the embedded broker instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial

from benchmarks import (
    aggregates_view,
    cpu,
    flink_job,
    ingest,
    latency,
    memory,
    producer,
    redraw,
    store,
)
from benchmarks.common import Figure, Sizes, apache_kafka, java_version, machine
from benchmarks.report import Results, Run, commit, load_now, table, write_pages
from rtd_tui.broker import EmbeddedBroker

MODULES = ("cpu", "ingest", "producer", "redraw", "memory", "latency", "store", "app-memory",
           "aggregates", "flink")


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


def _ingest(sizes: Sizes, kafka: bool) -> list[Figure]:
    figures: list[Figure] = []

    def embedded() -> list[Figure]:
        with EmbeddedBroker("bench-ingest") as broker:
            return ingest.measure("embedded broker", broker.bootstrap_servers, "bench-ingest",
                                  sizes.embedded_backlog)

    def apache() -> list[Figure]:
        out: list[Figure] = []
        with apache_kafka() as server:
            for backlog in sizes.kafka_backlogs:
                topic = f"bench-ingest-{backlog}"
                server.create_topic(topic, partitions=4)
                _guard(out, "ingest, Apache Kafka", partial(
                    ingest.measure, "Apache Kafka 4.1.1", server.bootstrap_servers, topic, backlog))
            _guard(out, "ingest, partitions",
                   lambda: ingest.partition_cost(server, sizes.partitions_backlog))
        return out

    _guard(figures, "ingest, embedded", embedded)
    if kafka:
        _guard(figures, "ingest, Apache Kafka", apache)
    return figures


def _producer(sizes: Sizes, kafka: bool) -> list[Figure]:
    def on(label: str, bootstrap: str) -> list[Figure]:
        return producer.measure(label, bootstrap, "bench-produce", sizes.producer_records,
                                sizes.sync_producer_seconds)

    if kafka:
        with apache_kafka() as server:
            server.create_topic("bench-produce", partitions=4)
            return on("Apache Kafka 4.1.1", server.bootstrap_servers)
    with EmbeddedBroker("bench-produce") as broker:
        return on("embedded broker", broker.bootstrap_servers)


def _runners(sizes: Sizes, kafka: bool) -> dict[str, Callable[[], list[Figure]]]:
    """Each module's measurement at these sizes."""
    return {
        "cpu": lambda: cpu.measure(sizes.cpu_rates, sizes.cpu_warmup, sizes.cpu_seconds),
        "ingest": lambda: _ingest(sizes, kafka),
        "producer": lambda: _producer(sizes, kafka),
        "redraw": lambda: redraw.measure(sizes.redraw_records, sizes.redraw_repeats),
        "memory": lambda: memory.measure(sizes.memory_held, sizes.memory_stream,
                                         sizes.memory_window),
        "latency": lambda: latency.measure(sizes.latency_seconds, sizes.key_repeats),
        "store": store.measure,
        "app-memory": lambda: memory.app_rss(sizes.app_rss_seconds),
        "aggregates": lambda: aggregates_view.measure(seconds=sizes.cpu_seconds),
        "flink": lambda: flink_job.measure(sizes.flink_messages),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help=f"run only these: {', '.join(MODULES)} (default: all)")
    parser.add_argument("--only", nargs="+", default=[], metavar="MODULE",
                        help="the same as naming the modules")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: a smoke run of minutes; writes nothing")
    parser.add_argument("--app-minutes", type=float, default=None,
                        help="how long the running app's memory is watched (full run: 10)")
    parser.add_argument("--no-kafka", action="store_true",
                        help="skip Apache Kafka (ingest and the producer use the embedded broker)")
    args = parser.parse_args(argv)
    chosen = [*args.modules, *args.only] or list(MODULES)
    unknown = sorted(set(chosen) - set(MODULES))
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}: choose from {', '.join(MODULES)}")
    sizes = Sizes.quick() if args.quick else Sizes.full()
    if args.app_minutes is not None:
        sizes = dataclasses.replace(sizes, app_rss_seconds=args.app_minutes * 60)
    runners = _runners(sizes, kafka=not args.no_kafka)
    results = Results.read()
    figures: list[Figure] = []
    for name in (m for m in MODULES if m in chosen):
        date, start = datetime.now().astimezone().isoformat(timespec="seconds"), load_now()
        rows: list[Figure] = []
        _guard(rows, name, runners[name])
        figures += rows
        results.replace(name, Run(date, commit(), start, load_now()), rows)
    print(table(figures))
    if not args.quick:
        results.machine = {**machine(), "java (Apache Kafka)": java_version()}
        results.write(MODULES)
        write_pages(results, MODULES)
        print("rows written to benchmarks/results.json, RESULTS.md and docs/performance.md",
              file=sys.stderr)
    return 1 if any(f.ok is False for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
