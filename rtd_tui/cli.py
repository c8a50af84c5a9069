"""Command line: the dashboard (default), ``produce``, ``broker``, ``serve`` and ``aggregate``.

``command_line`` parses, ``options`` turns flags and ``RTD_*`` variables into
``Settings``; this module starts what was asked. Bad input ends with one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rtd_tui.allocator import configure as configure_allocator
from rtd_tui.command_line import EXIT_USAGE, build_parser
from rtd_tui.config import ConfigError, Settings
from rtd_tui.options import aggregate_options, resolve, settings_from
from rtd_tui.startup import check_kafka_config, keep_bytecode, setup_logging

if TYPE_CHECKING:
    from rtd_tui.aggregates.store import AggregateStore
    from rtd_tui.app import RtdApp
    from rtd_tui.generator import PoolsBuild, RecordGenerator
    from rtd_tui.store import RecordStore

EXIT_FAILURE = 1


def make_app(
    settings: Settings,
    *,
    store: RecordStore | AggregateStore | None = None,
    generator: RecordGenerator | PoolsBuild | None = None,
    clock: Callable[[], datetime] = datetime.now,
    start: bool = True,
    handle_signals: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RtdApp:
    """The app the user gets, with data, clock and workers injectable (tests use it too).

    ``progress`` hears how the start of a local Apache Kafka goes (before any UI).
    With ``--source aggregates`` the store, if given, is an ``AggregateStore``.
    """
    from rtd_tui.pipeline import Pipeline
    from rtd_tui.store import RecordStore

    if settings.source == "aggregates":
        from rtd_tui.aggregates.pipeline import AggregatesPipeline
        from rtd_tui.aggregates.store import AggregateStore

        if store is not None and not isinstance(store, AggregateStore):
            raise TypeError("--source aggregates draws from an AggregateStore")
        pipeline: Pipeline = AggregatesPipeline(settings, store or AggregateStore(), generator)
    else:
        pipeline = Pipeline(settings, store or RecordStore(
            window=settings.window, window_bytes=settings.window_bytes), generator)
    if start:  # before the UI import: the generator builds meanwhile
        pipeline.start(progress) if progress else pipeline.start()
    from rtd_tui.app import RtdApp

    return RtdApp(pipeline, clock=clock, run_workers=start, handle_signals=handle_signals)


def run_dashboard(settings: Settings) -> int:
    """Check the configuration, start the pipeline, run the UI; returns the exit status."""
    setup_logging(settings.log_file)
    from rtd_tui.generator import PoolsBuild

    # First, so Faker loads on another core while this process loads the UI.
    pools = PoolsBuild(settings.seed) if settings.producer_on else None
    check_kafka_config(settings)

    def progress(line: str) -> None:  # Apache Kafka's start, before the UI takes the screen
        print(f"rtd-tui: {line}", file=sys.stderr, flush=True)

    try:
        app = make_app(settings, generator=pools, handle_signals=True, progress=progress)
    except (RuntimeError, ConfigError, KeyboardInterrupt) as exc:  # the broker did not start
        if pools is not None:
            pools.cancel()
        if isinstance(exc, ConfigError):
            raise
        if isinstance(exc, RuntimeError):
            print(f"rtd-tui: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    app.run()
    if app.loss:
        print(f"rtd-tui: error: {app.loss}", file=sys.stderr)
    return app.return_code or 0


def run_serve_command(args: argparse.Namespace, settings: Settings) -> int:
    """``rtd-tui serve``: check the configuration, then serve until Ctrl-C or SIGTERM."""
    if settings.source != "raw":
        raise ConfigError("--source aggregates is for the terminal dashboard, not serve")
    setup_logging(settings.log_file)
    check_kafka_config(settings)
    from rtd_tui.serve import run_serve

    return run_serve(settings, resolve(args, "serve_host"), resolve(args, "serve_port"),
                     read_only=resolve(args, "read_only"),
                     allow_hosts=resolve(args, "allow_hosts"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rtd-tui`` script."""
    configure_allocator()  # before anything loads polars
    keep_bytecode()
    parser = build_parser()
    args = parser.parse_args(argv)
    command = getattr(args, "command", None)
    prog = f"{parser.prog} {command}" if command else parser.prog
    try:
        if command == "broker":
            from rtd_tui.broker_command import BrokerOptions, run_broker

            return run_broker(BrokerOptions(
                topic=resolve(args, "topic"), engine=resolve(args, "engine") or "auto",
                partitions=resolve(args, "partitions"), data_dir=resolve(args, "data_dir"),
                port=resolve(args, "port"), bootstrap_file=resolve(args, "bootstrap_file"),
            ))
        if command == "aggregate":
            from rtd_tui.flink.command import run_aggregate

            return run_aggregate(aggregate_options(args))
        settings = settings_from(args)
        if command == "produce":
            from rtd_tui.headless import run_produce

            return run_produce(settings)
        if command == "serve":
            return run_serve_command(args, settings)
        return run_dashboard(settings)
    except ConfigError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
