"""The command line's options: where each value comes from, and the ``Settings`` they make.

Every option also reads an ``RTD_*`` environment variable; flags win. ``OPTIONS``
is the one table of variables, parsers and defaults behind argparse (``command_line``),
``--help`` and the environment fallback.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    is_time,
    parse_count,
    parse_engine,
    parse_host,
    parse_hosts,
    parse_int,
    parse_interval,
    parse_partitions,
    parse_port,
    parse_positive,
    parse_properties,
    parse_rate,
    parse_refresh,
    parse_size,
    parse_source,
    parse_start,
    parse_switch,
    parse_topic,
    parse_window,
    read_properties,
)

if TYPE_CHECKING:
    from rtd_tui.flink.command import AggregateOptions


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
    "source": Option("RTD_SOURCE", parse_source, "raw", "raw"),
    "aggregates_topic": Option("RTD_AGGREGATES_TOPIC", parse_topic, None,
                               "<topic>-aggregates"),
    "allow_hosts": Option("RTD_ALLOW_HOSTS", parse_hosts, ()),
    "print_sql": Option("RTD_PRINT_SQL", parse_switch, False),
    "parallelism": Option("RTD_PARALLELISM", parse_partitions, None,
                          "the topic's partitions, at most the cores"),
    "checkpoint_interval": Option("RTD_CHECKPOINT_INTERVAL", parse_positive, 1.0, "1"),
    "state_dir": Option("RTD_STATE_DIR", Path, None, "rtd-tui/flink/TOPIC in the user's state "
                        "folder"),
}


def from_env(dest: str) -> Any:
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
    return getattr(args, dest) if hasattr(args, dest) else from_env(dest)


def _pace(args: argparse.Namespace) -> float | None:
    """Records/s from --rate or --interval, else RTD_RATE or RTD_INTERVAL (not both)."""
    for dest in ("rate", "interval"):
        if hasattr(args, dest):
            return getattr(args, dest)  # type: ignore[no-any-return]
    if os.environ.get("RTD_RATE", "").strip() and os.environ.get("RTD_INTERVAL", "").strip():
        raise ConfigError("RTD_RATE and RTD_INTERVAL are both set: use one")
    if os.environ.get("RTD_INTERVAL", "").strip():
        return from_env("interval")  # type: ignore[no-any-return]
    return from_env("rate")  # type: ignore[no-any-return]


def _kafka_properties(args: argparse.Namespace) -> dict[str, str]:
    """The -F file (or RTD_CONFIG), then RTD_KAFKA_PROPERTIES, then -X: later wins."""
    props: dict[str, str] = {}
    config_file = resolve(args, "config")
    if config_file is not None:
        props.update(read_properties(config_file))
    props.update(from_env("props"))
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
    source, aggregates_topic = resolve(args, "source"), resolve(args, "aggregates_topic")
    if aggregates_topic is not None and source != "aggregates":
        raise ConfigError("--aggregates-topic needs --source aggregates")
    if aggregates_topic is not None and aggregates_topic == common["topic"]:
        raise ConfigError(f"--aggregates-topic {aggregates_topic} is the raw topic itself")
    start_from = resolve(args, "start_from")
    if source == "aggregates" and start_from != "earliest":
        raise ConfigError(f"--from {start_from}: the aggregates are always read whole "
                          "(they count every record from the job's start); drop --from")
    if is_time(start_from) and bootstrap is None and (engine or "mock") == "mock":
        raise ConfigError(
            f"--from {start_from}: the embedded mock broker cannot look offsets up by time; "
            "use --engine kafka, or -b with a cluster"
        )
    export_dir: Path = resolve(args, "export_dir") or default_export_dir()
    if export_dir.exists() and not export_dir.is_dir():
        raise ConfigError(f"--export-dir {export_dir} is not a folder")
    return Settings(
        **common,
        start_from=start_from,
        producer_on=bootstrap is None if producer_on is None else producer_on,
        refresh=resolve(args, "refresh"),
        window=resolve(args, "window"),
        window_bytes=resolve(args, "window_bytes"),
        export_dir=export_dir,
        log_file=resolve(args, "log_file"),
        engine=engine or "mock",
        source=source,
        aggregates_topic=aggregates_topic,
    )


def aggregate_options(args: argparse.Namespace) -> AggregateOptions:
    """The ``aggregate`` sub-command's options (the Flink modules load only for it)."""
    from rtd_tui.flink.command import AggregateOptions
    from rtd_tui.flink.render import JobSpec

    bootstrap = resolve(args, "bootstrap_servers")
    if not bootstrap:
        raise ConfigError("needs -b/--bootstrap-servers (or RTD_BOOTSTRAP_SERVERS): the "
                          "cluster of the raw topic")
    spec = JobSpec(resolve(args, "topic"), bootstrap, resolve(args, "aggregates_topic"),
                   _kafka_properties(args),
                   checkpoint_ms=round(resolve(args, "checkpoint_interval") * 1000))
    return AggregateOptions(spec, resolve(args, "print_sql"), resolve(args, "parallelism"),
                            resolve(args, "state_dir"))
