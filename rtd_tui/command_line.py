"""The argparse parser: the dashboard's options and the ``produce``, ``broker``, ``serve``
and ``aggregate`` sub-commands, built from the ``options.OPTIONS`` table.

Bad input ends with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from rtd_tui import __version__
from rtd_tui.config import ConfigError, parse_host, parse_property
from rtd_tui.options import OPTIONS

EXIT_USAGE = 2
ENV_NOTE = (
    "Every option also reads the RTD_* variable shown in brackets; a flag wins over its variable."
)
PROPERTIES_NOTE = (
    f"{ENV_NOTE} Kafka properties merge in this order, later winning: -F file, "
    "RTD_KAFKA_PROPERTIES, -X."
)

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
    _add(view, "--from", dest="start_from", metavar="earliest|latest|-N|@TIME",
         help="where reading starts: the beginning, new records only, the last N "
         "messages of each partition, or each partition's first message at or after "
         "@TIME: @2026-12-01T10:00:00 (local time unless +HH:MM or Z is given) or "
         "@-15m, @-2h, @-1d (s, m, h, d before now); @TIME needs Apache Kafka "
         "(-b or --engine kafka), not the embedded mock")
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
    _add(view, "--source", dest="source", metavar="raw|aggregates",
         help="what the figures come from: every raw message, or the aggregates a Flink job "
         "(`rtd-tui aggregate`) keeps of them (see docs/flink.md)")
    _add(view, "--aggregates-topic", dest="aggregates_topic", metavar="TOPIC",
         help="the job's upsert topic, with --source aggregates")
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
    sub = parser.add_subparsers(dest="command", metavar="{produce,broker,serve,aggregate}")
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
    _aggregate_parser(sub)
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
    _add(web, "--allow-host", dest="allow_hosts", metavar="NAME", action="append",
         type=_flag(parse_host),
         help="also answer requests for this Host name (e.g. a reverse proxy's), repeatable; "
         "only 127.0.0.1, localhost, ::1 and --host are answered otherwise; the variable "
         "takes a comma-separated list")
    _add(web, "--read-only", dest="read_only", action="store_true",
         help="no producer controls, produce form, delete or re-produce; the variable "
         "takes on/off")


def _aggregate_parser(sub: Any) -> None:
    aggregate = sub.add_parser(
        "aggregate", argument_default=argparse.SUPPRESS,
        help="the Flink SQL job that keeps the dashboard's aggregates in a topic",
        description="Render the Flink SQL job that reads the raw topic, validates each message "
        "as the dashboard does and keeps exact running aggregates in an upsert topic "
        "(exactly-once), for `rtd-tui --source aggregates`. --print-sql prints it for your own "
        "Flink cluster (sql-client.sh -f); otherwise it runs on a local Flink mini-cluster "
        "(the optional extra: uv sync --extra flink) until Ctrl-C, and a restart resumes from "
        "its last checkpoint. See docs/flink-job.md.",
        epilog=PROPERTIES_NOTE,
    )
    _kafka_options(aggregate, "the cluster of the raw topic (required)", "the raw topic")
    job = aggregate.add_argument_group("job")
    _add(job, "--aggregates-topic", dest="aggregates_topic", metavar="TOPIC",
         help="the upsert topic the job writes")
    _add(job, "--print-sql", dest="print_sql", action="store_true",
         help="print the job's SQL and exit (no Flink needed)")
    _add(job, "--parallelism", dest="parallelism", metavar="N",
         help="parallel tasks of the local job")
    _add(job, "--checkpoint-interval", dest="checkpoint_interval", metavar="SECONDS",
         help="how often the job checkpoints and commits its aggregates: the delay before "
         "the dashboard sees them, against the job's overhead")
    _add(job, "--state-dir", dest="state_dir", metavar="DIR",
         help="checkpoints of the local job; a restart resumes from the newest")
