"""Command line: the dashboard (default), ``produce`` and ``broker``.

Every option also reads an ``RTD_*`` environment variable; flags win. ``OPTIONS``
is the one table of variables, parsers and defaults behind argparse, ``--help``
and the environment fallback. Bad input ends with one line on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rtd_tui import __version__
from rtd_tui.config import (
    DEFAULT_FLUSH_TIMEOUT,
    DEFAULT_RATE,
    DEFAULT_REFRESH,
    DEFAULT_TOPIC,
    DEFAULT_WINDOW,
    DEFAULT_WINDOW_BYTES,
    ConfigError,
    Settings,
    default_export_dir,
    parse_count,
    parse_engine,
    parse_host,
    parse_int,
    parse_interval,
    parse_partitions,
    parse_port,
    parse_positive,
    parse_properties,
    parse_property,
    parse_rate,
    parse_refresh,
    parse_size,
    parse_start,
    parse_switch,
    parse_topic,
    parse_window,
    read_properties,
)

if TYPE_CHECKING:
    from rtd_tui.app import RtdApp
    from rtd_tui.generator import PoolsBuild, RecordGenerator
    from rtd_tui.store import RecordStore

EXIT_USAGE = 2
EXIT_FAILURE = 1
ENV_NOTE = (
    "Every option also reads the RTD_* variable shown in brackets; a flag wins over its variable."
)
PROPERTIES_NOTE = (
    f"{ENV_NOTE} Kafka properties merge in this order, later winning: -F file, "
    "RTD_KAFKA_PROPERTIES, -X."
)


@dataclass(frozen=True, slots=True)
class Option:
    """Where an option's value comes from when its flag is absent, and how it is read."""

    env: str
    parse: Callable[[str], Any]
    default: Any = None
    shown: str = ""  # the default as --help states it


OPTIONS: dict[str, Option] = {
    "bootstrap_servers": Option("RTD_BOOTSTRAP_SERVERS", str.strip),
    "topic": Option("RTD_TOPIC", parse_topic, DEFAULT_TOPIC, DEFAULT_TOPIC),
    "props": Option("RTD_KAFKA_PROPERTIES", parse_properties, {}),
    "config": Option("RTD_CONFIG", Path),
    "rate": Option("RTD_RATE", parse_rate, DEFAULT_RATE, f"{DEFAULT_RATE:g}"),
    "interval": Option("RTD_INTERVAL", parse_interval),
    "seed": Option("RTD_SEED", parse_int),
    "start_from": Option("RTD_FROM", parse_start, "earliest", "earliest"),
    "producer": Option("RTD_PRODUCER", parse_switch),
    "refresh": Option("RTD_REFRESH", parse_refresh, DEFAULT_REFRESH, f"{DEFAULT_REFRESH:g}"),
    "window": Option("RTD_WINDOW", parse_window, DEFAULT_WINDOW, f"{DEFAULT_WINDOW:,}"),
    "window_bytes": Option(
        "RTD_WINDOW_BYTES", parse_size, DEFAULT_WINDOW_BYTES, f"{DEFAULT_WINDOW_BYTES >> 20}M"
    ),
    "export_dir": Option("RTD_EXPORT_DIR", Path, None, "rtd-tui/exports in the user's data "
                         "folder, ~/.local/share or $XDG_DATA_HOME"),
    "log_file": Option("RTD_LOG_FILE", Path, None, "rtd-tui.log in the user's state folder"),
    "count": Option("RTD_COUNT", parse_count),
    "flush_timeout": Option(
        "RTD_FLUSH_TIMEOUT", parse_positive, DEFAULT_FLUSH_TIMEOUT, f"{DEFAULT_FLUSH_TIMEOUT:g}"
    ),
    "bootstrap_file": Option("RTD_BOOTSTRAP_FILE", Path),
    "engine": Option("RTD_ENGINE", parse_engine),  # its default depends on the command
    "partitions": Option("RTD_PARTITIONS", parse_partitions, 4, "4"),
    "data_dir": Option("RTD_DATA_DIR", Path, None, "a temporary folder, removed on exit"),
    "port": Option("RTD_PORT", parse_port, None, "a free port"),
    "serve_host": Option("RTD_SERVE_HOST", parse_host, "127.0.0.1", "127.0.0.1"),
    "serve_port": Option("RTD_SERVE_PORT", parse_port, 8501, "8501"),
    "read_only": Option("RTD_READ_ONLY", parse_switch, False),
}


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) and exit status 2."""

    commands: dict[str, argparse.ArgumentParser]

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """As argparse, but an unknown argument after a sub-command is that sub-command's
        error (``rtd-tui broker: error: ...``), not the top level's."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            command = getattr(parsed, "command", None)
            where = getattr(self, "commands", {}).get(command or "", self)
            where.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _flag(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An option parser for argparse: its one-line ``ConfigError`` becomes the error text."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _add(group: Any, *flags: str, dest: str, help: str, **kwargs: Any) -> None:
    """Add one option; its help names its default and its ``RTD_*`` variable."""
    option = OPTIONS[dest]
    if "action" not in kwargs:
        kwargs["type"] = _flag(option.parse)
    default = f"default {option.shown}; " if option.shown else ""
    group.add_argument(*flags, dest=dest, help=f"{help} [{default}{option.env}]", **kwargs)


def _kafka_options(parser: argparse.ArgumentParser, bootstrap_help: str, topic_help: str) -> None:
    group = parser.add_argument_group("Kafka connection")
    _add(group, "-b", "--bootstrap-servers", dest="bootstrap_servers",
         metavar="HOST:PORT[,...]", help=bootstrap_help)
    _add(group, "-t", "--topic", dest="topic", help=topic_help)
    _add(group, "-X", dest="props", metavar="KEY=VALUE", action="append",
         type=_flag(parse_property),
         help="librdkafka property, repeatable (e.g. -X security.protocol=SASL_SSL); "
         "wins over the -F file; the variable holds ';'-separated key=value pairs")
    _add(group, "-F", "--config", dest="config", metavar="FILE",
         help="librdkafka properties file: key=value lines, # comments")


def _rate_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("generated data")
    pace = group.add_mutually_exclusive_group()
    _add(pace, "--rate", dest="rate", metavar="R|max",
         help="records per second, or 'max' for as fast as the client goes")
    _add(pace, "--interval", dest="interval", metavar="SECONDS",
         help="one record every SECONDS, instead of --rate")
    _add(group, "--seed", dest="seed", metavar="N", help="seed for reproducible data")


def _dashboard_options(parser: argparse.ArgumentParser) -> None:
    view = parser.add_argument_group("dashboard")
    _add(view, "--from", dest="start_from", metavar="earliest|latest|-N",
         help="where reading starts: the beginning, new records only, or the last N "
         "messages of each partition")
    producer = view.add_mutually_exclusive_group()
    _add(producer, "--no-producer", dest="producer", action="store_false",
         help="start with the producer off (the default with --bootstrap-servers); "
         "the variable takes on/off")
    _add(producer, "--producer", dest="producer", action="store_true",
         help="start with the producer on (the default with the embedded broker)")
    _add(view, "--refresh", dest="refresh", metavar="SECONDS", help="redraw interval")
    _add(view, "--window", dest="window", metavar="ROWS",
         help="raw rows kept for the table, scatter and exports; the metrics cover every "
         "record, except under a filter (/), which applies to these rows")
    _add(view, "--window-bytes", dest="window_bytes", metavar="SIZE",
         help="also bound those rows by their size in bytes (K, M, G suffixes)")
    _add(view, "--export-dir", dest="export_dir", metavar="DIR", help="folder for exports")
    _add(view, "--log-file", dest="log_file", metavar="PATH",
         help="where logs go (librdkafka's included)")
    _add(view, "--engine", dest="engine", metavar="mock|kafka|auto",
         help="the local broker when there is no -b: librdkafka's mock (the default, starts at "
         "once) or Apache Kafka as a child process (Java 17+; 10-15 s to start)")


def build_parser() -> Parser:
    """The whole command line, subcommands included (``--help`` documents all of it)."""
    parser = Parser(
        prog="rtd-tui",
        argument_default=argparse.SUPPRESS,  # absent flags stay absent: the env is asked next
        description="Real-time sales data monitor for Kafka, in the terminal. With no "
        "arguments it starts an embedded broker, a producer of realistic Brazilian sales "
        "records, and the live dashboard.",
        epilog=f"{PROPERTIES_NOTE} See `rtd-tui produce --help`, `rtd-tui broker --help` "
        "and `rtd-tui serve --help`.",
    )
    parser.add_argument("--version", action="version", version=f"rtd-tui {__version__}")
    _kafka_options(parser, "connect to this cluster instead of the embedded broker",
                   "topic the dashboard reads (and its producer writes to)")
    _rate_options(parser)
    _dashboard_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="{produce,broker,serve}")
    produce = sub.add_parser(
        "produce", argument_default=argparse.SUPPRESS,
        help="headless producer (the successor of fake_data_producer.py)",
        description="Send generated sales records to a topic, without the dashboard. "
        "Progress goes to stdout; Ctrl-C or SIGTERM flushes (bounded) and prints a "
        "summary. Exit status 1 if any record was not delivered.",
        epilog=PROPERTIES_NOTE,
    )
    _kafka_options(produce, "the cluster to send to (required; `rtd-tui broker` starts one)",
                   "topic to write the records to")
    _rate_options(produce)
    limits = produce.add_argument_group("when to stop")
    _add(limits, "--count", dest="count", metavar="N", help="stop after N records are delivered")
    _add(limits, "--flush-timeout", dest="flush_timeout", metavar="SECONDS",
         help="how long to wait for outstanding deliveries on exit")
    broker = sub.add_parser(
        "broker", argument_default=argparse.SUPPRESS,
        help="run a local Kafka for other processes and print its bootstrap.servers",
        description="Run a local Kafka broker until Ctrl-C or SIGTERM, for other processes: "
        "Apache Kafka (KRaft, one node, a child JVM) when Java 17+ and its jars (or Maven to "
        "fetch them once) are there, else librdkafka's mock cluster, which Java clients 4.x "
        "and kafka-python 3.x cannot talk to. The first line on stdout is its "
        "bootstrap.servers; progress and notices go to stderr; the broker's log goes to a "
        "file whose path is printed. Exit status 2 for a usage problem (no Java, a port in "
        "use, a bad data folder), 1 for a runtime failure.",
        epilog=ENV_NOTE,
    )
    _add(broker, "-t", "--topic", dest="topic", help="topic to create")
    _add(broker, "--engine", dest="engine", metavar="kafka|mock|auto",
         help="Apache Kafka, librdkafka's mock cluster, or Apache Kafka when it can run here "
         "and the mock otherwise (default auto)")
    _add(broker, "--partitions", dest="partitions", metavar="N",
         help="partitions of the topic (Apache Kafka only; the mock always has 4)")
    _add(broker, "--data-dir", dest="data_dir", metavar="DIR",
         help="keep the topics in DIR across restarts (Apache Kafka only): a new or empty "
         "folder is formatted, one from an earlier run is reused")
    _add(broker, "--port", dest="port", metavar="PORT",
         help="listen on 127.0.0.1:PORT (Apache Kafka only)")
    _add(broker, "--bootstrap-file", dest="bootstrap_file", metavar="PATH",
         help="also write the bootstrap.servers to PATH")
    _serve_parser(sub)
    parser.commands = dict(sub.choices)
    return parser


def _serve_parser(sub: Any) -> None:
    serve = sub.add_parser(
        "serve", argument_default=argparse.SUPPRESS,
        help="the dashboard in a web browser, one shared stream for every tab",
        description="Serve the dashboard over HTTP: each browser tab runs a dashboard on one "
        "shared stream (the embedded broker and one producer, or -b). p, + and - act on the "
        "shared producer for every tab; c, r, / and the views are per tab.",
        epilog=PROPERTIES_NOTE,
    )
    _kafka_options(serve, "connect to this cluster instead of the embedded broker",
                   "topic the dashboards read (and the producer writes to)")
    _rate_options(serve)
    _dashboard_options(serve)
    web = serve.add_argument_group("web")
    _add(web, "--host", dest="serve_host", metavar="HOST",
         help="address to listen on; anything but loopback lets others produce and delete")
    _add(web, "--port", dest="serve_port", metavar="PORT", help="TCP port to listen on")
    _add(web, "--read-only", dest="read_only", action="store_true",
         help="no producer controls, produce form, delete or re-produce; the variable "
         "takes on/off")


def _from_env(dest: str) -> Any:
    """The option's ``RTD_*`` variable, parsed, or its default when unset or empty."""
    option = OPTIONS[dest]
    raw = os.environ.get(option.env, "")
    if not raw.strip():
        return option.default
    try:
        return option.parse(raw)
    except ConfigError as exc:
        raise ConfigError(f"{option.env}: {exc}") from None


def resolve(args: argparse.Namespace, dest: str) -> Any:
    """Flag, else ``RTD_*`` variable, else default."""
    return getattr(args, dest) if hasattr(args, dest) else _from_env(dest)


def _pace(args: argparse.Namespace) -> float | None:
    """Records/s from --rate or --interval, else RTD_RATE or RTD_INTERVAL (not both)."""
    for dest in ("rate", "interval"):
        if hasattr(args, dest):
            return getattr(args, dest)  # type: ignore[no-any-return]
    if os.environ.get("RTD_RATE", "").strip() and os.environ.get("RTD_INTERVAL", "").strip():
        raise ConfigError("RTD_RATE and RTD_INTERVAL are both set: use one")
    if os.environ.get("RTD_INTERVAL", "").strip():
        return _from_env("interval")  # type: ignore[no-any-return]
    return _from_env("rate")  # type: ignore[no-any-return]


def _kafka_properties(args: argparse.Namespace) -> dict[str, str]:
    """The -F file (or RTD_CONFIG), then RTD_KAFKA_PROPERTIES, then -X: later wins."""
    props: dict[str, str] = {}
    config_file = resolve(args, "config")
    if config_file is not None:
        props.update(read_properties(config_file))
    props.update(_from_env("props"))
    props.update(getattr(args, "props", []))
    return props


def settings_from(args: argparse.Namespace) -> Settings:
    """Turn parsed arguments into ``Settings`` (raises ``ConfigError`` on bad values)."""
    command = getattr(args, "command", None)
    bootstrap = resolve(args, "bootstrap_servers") or None
    common: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "topic": resolve(args, "topic"),
        "kafka": _kafka_properties(args),
        "rate": _pace(args),
        "seed": resolve(args, "seed"),
    }
    if command == "produce":
        if bootstrap is None:
            raise ConfigError(
                "needs -b/--bootstrap-servers (or RTD_BOOTSTRAP_SERVERS): start a broker "
                "with `rtd-tui broker` or point it at a cluster"
            )
        return Settings(
            **common, count=resolve(args, "count"), flush_timeout=resolve(args, "flush_timeout")
        )
    producer_on = resolve(args, "producer")
    engine = resolve(args, "engine")
    if engine is not None and bootstrap is not None:
        raise ConfigError(
            "--engine chooses the local broker, and -b/--bootstrap-servers replaces it: use one"
        )
    export_dir: Path = resolve(args, "export_dir") or default_export_dir()
    if export_dir.exists() and not export_dir.is_dir():
        raise ConfigError(f"--export-dir {export_dir} is not a folder")
    return Settings(
        **common,
        start_from=resolve(args, "start_from"),
        producer_on=bootstrap is None if producer_on is None else producer_on,
        refresh=resolve(args, "refresh"),
        window=resolve(args, "window"),
        window_bytes=resolve(args, "window_bytes"),
        export_dir=export_dir,
        log_file=resolve(args, "log_file"),
        engine=engine or "mock",
    )


def setup_logging(log_file: Path | None) -> Path:
    """Send all logs (librdkafka's included) to a file: never to the terminal the UI draws on."""
    if log_file is None:
        state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
        log_file = state / "rtd-tui" / "rtd-tui.log"
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write log file {log_file}: {exc.strerror or exc}") from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return log_file


def check_kafka_config(settings: Settings) -> None:
    """Create and drop both clients, so a bad -X/-F property is one line, before any UI."""
    from confluent_kafka import Consumer, Producer

    from rtd_tui.consumer import CONSUMER_DEFAULTS
    from rtd_tui.headless import open_client
    from rtd_tui.producer import PRODUCER_DEFAULTS

    # librdkafka checks names and values when a client is created, not when it connects;
    # with no bootstrap address the check clients connect nowhere (an address, even a
    # placeholder for the embedded broker not started yet, logs a failed connection).
    open_client(Producer, settings.client_config("", **PRODUCER_DEFAULTS))
    open_client(Consumer, settings.client_config("", **CONSUMER_DEFAULTS)).close()


def make_app(
    settings: Settings,
    *,
    store: RecordStore | None = None,
    generator: RecordGenerator | PoolsBuild | None = None,
    clock: Callable[[], datetime] = datetime.now,
    start: bool = True,
    handle_signals: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RtdApp:
    """The app the user gets, with data, clock and workers injectable (tests use it too).

    ``progress`` hears how the start of a local Apache Kafka goes (before any UI).
    """
    from rtd_tui.pipeline import Pipeline
    from rtd_tui.store import RecordStore

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
    setup_logging(settings.log_file)
    check_kafka_config(settings)
    from rtd_tui.serve import run_serve

    return run_serve(settings, resolve(args, "serve_host"), resolve(args, "serve_port"),
                     read_only=resolve(args, "read_only"))


def keep_bytecode() -> None:
    """Let Python cache compiled modules even where ``PYTHONDONTWRITEBYTECODE`` is set: the
    dashboard imports ~2,600 files, and compiling them all again on every start costs about
    2 s. The first start writes the caches (``__pycache__`` in the environment, as any
    Python run without the variable does); later starts read them."""
    sys.dont_write_bytecode = False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rtd-tui`` script."""
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
