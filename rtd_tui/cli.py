"""Command line: the dashboard (default), ``produce`` and ``broker``.

Every option also reads an ``RTD_*`` environment variable; flags win. Bad input
ends with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from rtd_tui import __version__
from rtd_tui.config import (
    DEFAULT_RATE,
    DEFAULT_REFRESH,
    DEFAULT_TOPIC,
    DEFAULT_WINDOW,
    ConfigError,
    Settings,
    env,
    parse_property,
    parse_start,
    read_properties,
)

if TYPE_CHECKING:
    from rtd_tui.app import RtdApp
    from rtd_tui.records import RecordGenerator
    from rtd_tui.store import RecordStore

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def check(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    check.__name__ = kind.__name__
    return check


def _rate(text: str) -> float | None:
    if text.strip().lower() == "max":
        return None
    return _positive(float)(text)


def _start(text: str) -> str | int:
    try:
        return parse_start(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("invalid --from ")) from None


def _property(text: str) -> tuple[str, str]:
    try:
        return parse_property(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _env_props() -> list[tuple[str, str]]:
    """``RTD_KAFKA_PROPERTIES``: librdkafka properties separated by ``;`` or newlines."""
    raw = env("KAFKA_PROPERTIES", "") or ""
    items = [p.strip() for p in raw.replace("\n", ";").split(";") if p.strip()]
    try:
        return [parse_property(p) for p in items]
    except ConfigError as exc:
        raise SystemExit(f"rtd-tui: error: RTD_KAFKA_PROPERTIES: {exc}") from None


def _kafka_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Kafka connection")
    group.add_argument(
        "-b", "--bootstrap-servers", metavar="HOST:PORT[,...]",
        default=env("BOOTSTRAP_SERVERS"),
        help="connect to this cluster instead of the embedded broker [RTD_BOOTSTRAP_SERVERS]",
    )
    group.add_argument(
        "-t", "--topic", default=env("TOPIC", DEFAULT_TOPIC),
        help=f"topic to read and write (default {DEFAULT_TOPIC}) [RTD_TOPIC]",
    )
    group.add_argument(
        "-X", dest="props", metavar="KEY=VALUE", action="append", type=_property, default=[],
        help="librdkafka property, repeatable (e.g. -X security.protocol=SASL_SSL) "
        "[RTD_KAFKA_PROPERTIES, ';'-separated]",
    )
    group.add_argument(
        "-F", "--config", metavar="FILE", default=env("CONFIG"),
        help="librdkafka properties file (key=value lines) [RTD_CONFIG]",
    )


def _rate_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("generated data")
    pace = group.add_mutually_exclusive_group()
    pace.add_argument(
        "--rate", type=_rate, default=None,
        help=f"records per second, or 'max' (default {DEFAULT_RATE:g}) [RTD_RATE]",
    )
    pace.add_argument(
        "--interval", type=_positive(float), metavar="SECONDS", default=None,
        help="one record every SECONDS, instead of --rate [RTD_INTERVAL]",
    )
    group.add_argument(
        "--seed", type=int, default=env("SEED"), help="seed for reproducible data [RTD_SEED]"
    )


def _pace(args: argparse.Namespace) -> float | None:
    """Records/s from --rate, --interval, RTD_RATE or RTD_INTERVAL, in that order."""
    if args.rate is not None or args.interval is not None:
        return args.rate if args.interval is None else 1.0 / args.interval
    try:
        if env("RATE"):
            return _rate(env("RATE") or "")
        if env("INTERVAL"):
            return 1.0 / _positive(float)(env("INTERVAL") or "")
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"RTD_RATE/RTD_INTERVAL: {exc}") from None
    return DEFAULT_RATE


def build_parser() -> Parser:
    """The whole command line, subcommands included (``--help`` documents all of it)."""
    parser = Parser(
        prog="rtd-tui",
        description="Real-time sales data monitor for Kafka, in the terminal. With no "
        "arguments it starts an embedded broker, a producer of realistic Brazilian sales "
        "records, and the live dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"rtd-tui {__version__}")
    _kafka_options(parser)
    _rate_options(parser)
    view = parser.add_argument_group("dashboard")
    view.add_argument(
        "--from", dest="start_from", type=_start, default=env("FROM", "earliest"),
        metavar="earliest|latest|-N",
        help="where reading starts: earliest, latest or the last N messages of each "
        "partition (default earliest) [RTD_FROM]",
    )
    producer = view.add_mutually_exclusive_group()
    producer.add_argument(
        "--no-producer", dest="producer", action="store_false", default=None,
        help="start with the producer off (default with --bootstrap-servers) [RTD_PRODUCER=off]",
    )
    producer.add_argument(
        "--producer", dest="producer", action="store_true", default=None,
        help="start with the producer on (the default with the embedded broker) [RTD_PRODUCER=on]",
    )
    view.add_argument(
        "--refresh", type=_positive(float), metavar="SECONDS",
        default=env("REFRESH", str(DEFAULT_REFRESH)),
        help=f"redraw interval (default {DEFAULT_REFRESH}) [RTD_REFRESH]",
    )
    view.add_argument(
        "--window", type=int, default=env("WINDOW", str(DEFAULT_WINDOW)),
        help="raw rows kept for the table and scatter; metrics always cover every record "
        f"(default {DEFAULT_WINDOW:,}) [RTD_WINDOW]",
    )
    view.add_argument(
        "--export-dir", type=Path, default=env("EXPORT_DIR", "."),
        help="folder for exports (default: current folder) [RTD_EXPORT_DIR]",
    )
    view.add_argument(
        "--log-file", type=Path, default=env("LOG_FILE"),
        help="where logs go (default: rtd-tui.log in the user's state folder) [RTD_LOG_FILE]",
    )
    sub = parser.add_subparsers(dest="command", metavar="{produce,broker}")
    produce = sub.add_parser(
        "produce", help="headless producer (the successor of fake_data_producer.py)",
        description="Send generated sales records to a topic, without the dashboard.",
    )
    _kafka_options(produce)
    _rate_options(produce)
    produce.add_argument(
        "--count", type=int, default=env("COUNT"),
        help="stop after N records are delivered [RTD_COUNT]",
    )
    produce.add_argument(
        "--flush-timeout", type=_positive(float), default=10.0, metavar="SECONDS",
        help="how long to wait for outstanding deliveries on exit (default 10)",
    )
    broker = sub.add_parser(
        "broker", help="run the embedded broker alone and print its bootstrap.servers",
        description="Run the embedded Kafka-protocol broker until Ctrl-C, for other processes.",
    )
    broker.add_argument("-t", "--topic", default=env("TOPIC", DEFAULT_TOPIC),
                        help=f"topic to create (default {DEFAULT_TOPIC}) [RTD_TOPIC]")
    broker.add_argument("--bootstrap-file", type=Path, metavar="PATH",
                        help="also write the bootstrap.servers to PATH")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Turn parsed arguments into ``Settings`` (raises ``ConfigError`` on bad values)."""
    props: dict[str, str] = {}
    config_file = getattr(args, "config", None)
    if config_file:
        props.update(read_properties(config_file))
    props.update(_env_props())
    props.update(dict(getattr(args, "props", [])))
    rate = _pace(args)
    producer_on = getattr(args, "producer", None)
    if producer_on is None:
        flag = (env("PRODUCER") or "").lower()
        producer_on = {"on": True, "off": False}.get(flag, args.bootstrap_servers is None)
    window = getattr(args, "window", DEFAULT_WINDOW)
    if window < 100:
        raise ConfigError(f"--window must be at least 100, got {window}")
    count = getattr(args, "count", None)
    if count is not None and count < 1:
        raise ConfigError(f"--count must be at least 1, got {count}")
    return Settings(
        bootstrap_servers=args.bootstrap_servers or None,
        topic=args.topic,
        kafka=props,
        start_from=getattr(args, "start_from", "earliest"),
        producer_on=producer_on,
        rate=rate,
        seed=args.seed,
        refresh=max(0.05, getattr(args, "refresh", DEFAULT_REFRESH)),
        window=window,
        count=count,
        export_dir=getattr(args, "export_dir", Path(".")),
        log_file=getattr(args, "log_file", None),
    )


def setup_logging(log_file: Path | None) -> Path:
    """Send all logs (librdkafka's included) to a file: never to the terminal the UI draws on."""
    if log_file is None:
        state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
        log_file = state / "rtd-tui" / "rtd-tui.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return log_file


def make_app(
    settings: Settings,
    *,
    store: RecordStore | None = None,
    generator: RecordGenerator | None = None,
    clock: Callable[[], datetime] = datetime.now,
    start: bool = True,
) -> RtdApp:
    """The app the user gets, with data, clock and workers injectable (tests use it too)."""
    from rtd_tui.app import RtdApp
    from rtd_tui.pipeline import Pipeline
    from rtd_tui.store import RecordStore

    pipeline = Pipeline(settings, store or RecordStore(window=settings.window), generator)
    if start:
        pipeline.start()
    return RtdApp(pipeline, clock=clock, run_workers=start)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rtd-tui`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args) if args.command != "broker" else None
    except ConfigError as exc:
        parser.error(str(exc))
    if args.command == "broker":
        from rtd_tui.headless import run_broker

        return run_broker(args.topic, args.bootstrap_file)
    assert settings is not None
    if args.command == "produce":
        from rtd_tui.headless import run_produce

        return run_produce(settings, args.flush_timeout)
    setup_logging(settings.log_file)
    from confluent_kafka import KafkaException

    try:
        app = make_app(settings)
    except (KafkaException, ValueError, RuntimeError) as exc:
        parser.error(f"cannot start: {exc}")
    code = app.run()
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
