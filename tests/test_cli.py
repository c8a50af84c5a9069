"""The command line: flag > RTD_* variable > default, --help, and one-line errors with status 2.

Precedence is checked in-process through ``build_parser`` + ``settings_from`` (what
``main`` runs); exit statuses, stderr and help output are checked on a real process.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rtd_tui.cli import make_app
from rtd_tui.command_line import build_parser
from rtd_tui.config import (
    DEFAULT_RATE,
    DEFAULT_REFRESH,
    DEFAULT_WINDOW,
    DEFAULT_WINDOW_BYTES,
    KAFKA_LOGGER,
    Settings,
    default_export_dir,
)
from rtd_tui.options import resolve, settings_from
from rtd_tui.startup import check_kafka_config, keep_bytecode

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def no_rtd_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables from the developer's shell must not change what these tests see."""
    for name in [n for n in os.environ if n.startswith("RTD_")]:
        monkeypatch.delenv(name)


def settings(*argv: str) -> Settings:
    return settings_from(build_parser().parse_args(list(argv)))


# (Settings field, flag argv, variable, variable value, value from flag, from variable, default)
PRECEDENCE: list[tuple[str, list[str], str, str, Any, Any, Any]] = [
    ("bootstrap_servers", ["-b", "flag:1"], "RTD_BOOTSTRAP_SERVERS", "env:1", "flag:1", "env:1",
     None),
    ("topic", ["--topic", "flag-topic"], "RTD_TOPIC", "env-topic", "flag-topic", "env-topic",
     "csv-data"),
    ("rate", ["--rate", "7"], "RTD_RATE", "3", 7.0, 3.0, DEFAULT_RATE),
    ("rate", ["--rate", "max"], "RTD_RATE", "2", None, 2.0, DEFAULT_RATE),
    ("rate", ["--interval", "0.5"], "RTD_INTERVAL", "0.25", 2.0, 4.0, DEFAULT_RATE),
    ("rate", ["--interval", "0.5"], "RTD_RATE", "max", 2.0, None, DEFAULT_RATE),
    ("seed", ["--seed", "1"], "RTD_SEED", "2", 1, 2, None),
    ("start_from", ["--from", "latest"], "RTD_FROM", "-5", "latest", -5, "earliest"),
    ("start_from", ["--from", "-5"], "RTD_FROM", "latest", -5, "latest", "earliest"),
    ("producer_on", ["--no-producer"], "RTD_PRODUCER", "on", False, True, True),
    ("producer_on", ["--producer"], "RTD_PRODUCER", "off", True, False, True),
    ("refresh", ["--refresh", "2"], "RTD_REFRESH", "1.5", 2.0, 1.5, DEFAULT_REFRESH),
    ("window", ["--window", "500"], "RTD_WINDOW", "300", 500, 300, DEFAULT_WINDOW),
    ("window_bytes", ["--window-bytes", "2M"], "RTD_WINDOW_BYTES", "3m", 2 << 20, 3 << 20,
     DEFAULT_WINDOW_BYTES),
    ("export_dir", ["--export-dir", "flagdir"], "RTD_EXPORT_DIR", "envdir", Path("flagdir"),
     Path("envdir"), default_export_dir()),
    ("log_file", ["--log-file", "f.log"], "RTD_LOG_FILE", "e.log", Path("f.log"), Path("e.log"),
     None),
    ("source", ["--source", "aggregates"], "RTD_SOURCE", "RAW", "aggregates", "raw", "raw"),
]
PRODUCE_PRECEDENCE: list[tuple[str, list[str], str, str, Any, Any, Any]] = [
    ("count", ["--count", "5"], "RTD_COUNT", "9", 5, 9, None),
    ("flush_timeout", ["--flush-timeout", "2"], "RTD_FLUSH_TIMEOUT", "3", 2.0, 3.0, 10.0),
    ("rate", ["--rate", "max"], "RTD_INTERVAL", "2", None, 0.5, DEFAULT_RATE),
    ("seed", ["--seed", "4"], "RTD_SEED", "8", 4, 8, None),
    ("topic", ["-t", "flag-topic"], "RTD_TOPIC", "env-topic", "flag-topic", "env-topic",
     "csv-data"),
]


PRODUCE = ["produce", "-b", "h:1"]


@pytest.mark.parametrize(
    ("command", "field", "flag", "var", "value", "from_flag", "from_env", "default"),
    [([], *case) for case in PRECEDENCE] + [(PRODUCE, *case) for case in PRODUCE_PRECEDENCE],
)
def test_flag_beats_env_beats_default(
    monkeypatch: pytest.MonkeyPatch, command: list[str], field: str, flag: list[str], var: str,
    value: str, from_flag: Any, from_env: Any, default: Any,
) -> None:
    assert getattr(settings(*command), field) == default
    monkeypatch.setenv(var, value)
    assert getattr(settings(*command), field) == from_env
    assert getattr(settings(*command, *flag), field) == from_flag


def test_produce_reads_bootstrap_servers_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTD_BOOTSTRAP_SERVERS", "env:9092")
    assert settings("produce").bootstrap_servers == "env:9092"
    assert settings("produce", "-b", "flag:9092").bootstrap_servers == "flag:9092"


def test_broker_options_read_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    args = build_parser().parse_args(["broker"])
    assert (resolve(args, "topic"), resolve(args, "bootstrap_file")) == ("csv-data", None)
    monkeypatch.setenv("RTD_TOPIC", "t-env")
    monkeypatch.setenv("RTD_BOOTSTRAP_FILE", str(tmp_path / "env.txt"))
    assert (resolve(args, "topic"), resolve(args, "bootstrap_file")) == (
        "t-env", tmp_path / "env.txt"
    )
    args = build_parser().parse_args(["broker", "-t", "t-flag", "--bootstrap-file", "f.txt"])
    assert (resolve(args, "topic"), resolve(args, "bootstrap_file")) == ("t-flag", Path("f.txt"))


def test_producer_default_follows_the_broker() -> None:
    assert settings().producer_on is True  # embedded broker: data flows at once
    assert settings("-b", "h:9092").producer_on is False  # someone else's cluster: opt in
    assert settings("-b", "h:9092", "--producer").producer_on is True


def test_kafka_properties_merge_file_then_env_then_flags(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "client.properties"
    config.write_text("acks=0\nclient.id=from-file\nlinger.ms=1\n", encoding="utf-8")
    monkeypatch.setenv("RTD_KAFKA_PROPERTIES", "acks=1;client.id=from-env")
    got = settings("-F", str(config), "-X", "acks=all").kafka
    assert got == {"acks": "all", "client.id": "from-env", "linger.ms": "1"}


def test_config_file_flag_beats_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "env.properties").write_text("client.id=env-file\n", encoding="utf-8")
    (tmp_path / "flag.properties").write_text("client.id=flag-file\n", encoding="utf-8")
    monkeypatch.setenv("RTD_CONFIG", str(tmp_path / "env.properties"))
    assert settings().kafka == {"client.id": "env-file"}
    assert settings("-F", str(tmp_path / "flag.properties")).kafka == {"client.id": "flag-file"}


def test_repeated_x_flags_all_arrive() -> None:
    got = settings("-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
                   "-X", "sasl.password=a=b").kafka
    assert got == {
        "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN", "sasl.password": "a=b",
    }


def test_from_forms_reach_settings() -> None:
    assert settings("--from", "latest").start_from == "latest"
    assert settings("--from", "-5").start_from == -5
    assert settings("--from=-5").start_from == -5
    assert settings("--from", "EARLIEST").start_from == "earliest"


HELP: dict[tuple[str, ...], list[str]] = {
    (): ["-b", "--bootstrap-servers", "-t", "--topic", "-X", "-F", "--config", "--from",
         "--no-producer", "--producer", "--rate", "--interval", "--seed", "--refresh",
         "--window", "--window-bytes", "--export-dir", "--log-file", "--engine", "--version",
         "produce", "broker",
         "RTD_BOOTSTRAP_SERVERS", "RTD_TOPIC", "RTD_KAFKA_PROPERTIES", "RTD_CONFIG", "RTD_FROM",
         "RTD_PRODUCER", "RTD_RATE", "RTD_INTERVAL", "RTD_SEED", "RTD_REFRESH", "RTD_WINDOW",
         "RTD_WINDOW_BYTES", "RTD_EXPORT_DIR", "RTD_LOG_FILE", "RTD_ENGINE"],
    ("produce",): ["-b", "--bootstrap-servers", "-t", "--topic", "-X", "-F", "--config",
                   "--rate", "--interval", "--seed", "--count", "--flush-timeout",
                   "RTD_BOOTSTRAP_SERVERS", "RTD_TOPIC", "RTD_KAFKA_PROPERTIES", "RTD_CONFIG",
                   "RTD_RATE", "RTD_INTERVAL", "RTD_SEED", "RTD_COUNT", "RTD_FLUSH_TIMEOUT"],
    ("broker",): ["-t", "--topic", "--engine", "--partitions", "--data-dir", "--port",
                  "--bootstrap-file", "RTD_TOPIC", "RTD_ENGINE", "RTD_PARTITIONS", "RTD_DATA_DIR",
                  "RTD_PORT", "RTD_BOOTSTRAP_FILE"],
}


@pytest.mark.parametrize("command", list(HELP))
def test_help_documents_every_option_and_variable(run_rtd: Run, command: tuple[str, ...]) -> None:
    done = run_rtd(*command, "--help", env={"COLUMNS": "100"})
    assert done.returncode == 0, done.stderr
    words = set(done.stdout.replace(",", " ").replace("[", " ").replace("]", " ").split())
    missing = [item for item in HELP[command] if item not in words]
    assert not missing, f"`rtd-tui {' '.join(command)} --help` does not mention {missing}"


def test_help_documents_the_dashboard_defaults(run_rtd: Run) -> None:
    text = " ".join(run_rtd("--help", env={"COLUMNS": "100"}).stdout.split())
    for phrase in ["default csv-data", "default 5", "default earliest", "default 200,000",
                   "earliest|latest|-N|@TIME", "@2026-12-01T10:00:00 (local time unless",
                   "@-15m, @-2h, @-1d",
                   "default 128M", "except under a filter"]:
        assert phrase in text


def test_each_help_describes_the_topic_for_its_command(run_rtd: Run) -> None:
    produce = " ".join(run_rtd("produce", "--help", env={"COLUMNS": "100"}).stdout.split())
    assert "topic to write the records to" in produce and "read" not in produce.split(
        "--topic TOPIC")[1].split("[")[0]
    dashboard = " ".join(run_rtd("--help", env={"COLUMNS": "100"}).stdout.split())
    assert "topic the dashboard reads" in dashboard


BAD: list[tuple[list[str], dict[str, str], str, str]] = [
    # argv, environment, stderr prefix, a fragment the message must carry
    (["-X", "foo"], {}, "rtd-tui", "malformed property 'foo'"),
    (["--source", "flink"], {}, "rtd-tui", "unknown source 'flink': use raw or aggregates"),
    (["--aggregates-topic", "t-agg"], {}, "rtd-tui",
     "--aggregates-topic needs --source aggregates"),
    (["--source", "aggregates", "-t", "t", "--aggregates-topic", "t"], {}, "rtd-tui",
     "is the raw topic itself"),
    (["--aggregates-topic", "a b"], {}, "rtd-tui", "invalid topic name"),
    (["serve", "--source", "aggregates"], {}, "rtd-tui serve", "not serve"),
    (["--source", "aggregates", "--from", "-5"], {}, "rtd-tui", "--from -5: the aggregates"),
    (["-X", "=x"], {}, "rtd-tui", "malformed property"),
    (["--from", "sideways"], {}, "rtd-tui", "'sideways'"),
    (["--from", "@yesterday"], {}, "rtd-tui", "'@yesterday': not a date and time"),
    (["--from", "@2026-13-01"], {}, "rtd-tui", "month must be in 1..12"),
    ([], {"RTD_FROM": "@-15q"}, "rtd-tui", "RTD_FROM: '@-15q'"),
    (["--from", "@-15m"], {}, "rtd-tui", "the embedded mock broker cannot look offsets up by"),
    (["--rate", "-1"], {}, "rtd-tui", "argument --rate"),
    (["--rate", "0"], {}, "rtd-tui", "argument --rate"),
    (["--rate", "fast"], {}, "rtd-tui", "not a number"),
    (["--interval", "0"], {}, "rtd-tui", "argument --interval"),
    (["--rate", "1", "--interval", "1"], {}, "rtd-tui", "not allowed"),
    (["--producer", "--no-producer"], {}, "rtd-tui", "not allowed"),
    (["-F", "/nonexistent/client.properties"], {}, "rtd-tui", "No such file"),
    (["-F", "/"], {}, "rtd-tui", "cannot read config file /"),
    (["--window", "5"], {}, "rtd-tui", "argument --window"),
    (["--refresh", "0"], {}, "rtd-tui", "argument --refresh"),
    (["--seed", "x"], {}, "rtd-tui", "argument --seed"),
    (["-t", "a/b"], {}, "rtd-tui", "invalid topic name"),
    (["--export-dir", "/etc/hostname"], {}, "rtd-tui", "not a folder"),
    (["--log-file", "/proc/no/such/rtd.log"], {}, "rtd-tui", "cannot write log file"),
    (["--bogus"], {}, "rtd-tui", "unrecognized arguments"),
    ([], {"RTD_RATE": "-1"}, "rtd-tui", "RTD_RATE"),
    ([], {"RTD_RATE": "2", "RTD_INTERVAL": "1"}, "rtd-tui", "both set"),
    ([], {"RTD_INTERVAL": "0"}, "rtd-tui", "RTD_INTERVAL"),
    ([], {"RTD_FROM": "sideways"}, "rtd-tui", "RTD_FROM"),
    ([], {"RTD_WINDOW": "abc"}, "rtd-tui", "RTD_WINDOW"),
    ([], {"RTD_REFRESH": "0"}, "rtd-tui", "RTD_REFRESH"),
    ([], {"RTD_SEED": "1.5"}, "rtd-tui", "RTD_SEED"),
    ([], {"RTD_PRODUCER": "maybe"}, "rtd-tui", "RTD_PRODUCER"),
    ([], {"RTD_TOPIC": "a b"}, "rtd-tui", "RTD_TOPIC"),
    ([], {"RTD_KAFKA_PROPERTIES": "foo"}, "rtd-tui", "RTD_KAFKA_PROPERTIES"),
    ([], {"RTD_CONFIG": "/nonexistent/client.properties"}, "rtd-tui", "No such file"),
    (["produce"], {}, "rtd-tui produce", "needs -b"),
    (["produce", "-b", "h:1", "--count", "0"], {}, "rtd-tui produce", "argument --count"),
    (["produce", "-b", "h:1", "--count", "ten"], {}, "rtd-tui produce", "argument --count"),
    (["produce", "-b", "h:1", "-X", "foo"], {}, "rtd-tui produce", "malformed property"),
    (["produce", "-b", "h:1", "--rate", "-2"], {}, "rtd-tui produce", "argument --rate"),
    (["produce", "-b", "h:1", "--interval", "0"], {}, "rtd-tui produce", "argument --interval"),
    (["produce", "-b", "h:1", "--flush-timeout", "0"], {}, "rtd-tui produce", "flush-timeout"),
    (["produce", "-b", "h:1", "-F", "/nonexistent"], {}, "rtd-tui produce", "No such file"),
    (["produce", "-b", "h:1"], {"RTD_COUNT": "0"}, "rtd-tui produce", "RTD_COUNT"),
    (["produce", "-b", "h:1"], {"RTD_FLUSH_TIMEOUT": "-1"}, "rtd-tui produce",
     "RTD_FLUSH_TIMEOUT"),
    (["produce", "-b", "h:1", "-X", "no.such.property=1"], {}, "rtd-tui produce",
     'No such configuration property: "no.such.property"'),
    (["produce", "-b", "h:1", "-X", "error_cb=x"], {}, "rtd-tui produce",
     "invalid Kafka configuration"),
    (["serve", "--port", "0"], {}, "rtd-tui serve", "argument --port"),
    (["serve", "--port", "70000"], {}, "rtd-tui serve", "at most 65535"),
    (["serve", "--host", "a b"], {}, "rtd-tui serve", "invalid host"),
    (["serve"], {"RTD_SERVE_PORT": "http"}, "rtd-tui serve", "RTD_SERVE_PORT"),
    (["serve"], {"RTD_READ_ONLY": "maybe"}, "rtd-tui serve", "RTD_READ_ONLY"),
    (["serve", "-X", "no.such.property=1"], {}, "rtd-tui serve", "invalid Kafka configuration"),
    (["broker", "-t", "a b"], {}, "rtd-tui broker", "invalid topic name"),
    (["broker", "--bogus"], {}, "rtd-tui broker", "unrecognized arguments: --bogus"),
    (["produce", "-b", "h:1", "--bogus"], {}, "rtd-tui produce", "unrecognized arguments"),
    (["--window-bytes", "12 parsecs"], {}, "rtd-tui", "argument --window-bytes"),
    ([], {"RTD_WINDOW_BYTES": "1K"}, "rtd-tui", "RTD_WINDOW_BYTES"),
    (["broker", "--bootstrap-file", "/nonexistent/dir/bootstrap"], {}, "rtd-tui broker",
     "cannot write"),
    (["broker", "--engine", "docker"], {}, "rtd-tui broker", "argument --engine"),
    (["broker"], {"RTD_ENGINE": "docker"}, "rtd-tui broker", "RTD_ENGINE"),
    (["broker", "--partitions", "0"], {}, "rtd-tui broker", "argument --partitions"),
    (["broker", "--port", "65536"], {}, "rtd-tui broker", "argument --port"),
    (["broker", "--engine", "mock", "--partitions", "3"], {}, "rtd-tui broker",
     "--partitions needs Apache Kafka"),
    (["broker", "--engine", "mock", "--data-dir", "d", "--port", "9092"], {}, "rtd-tui broker",
     "--data-dir, --port need Apache Kafka"),
    (["-b", "h:1", "--engine", "kafka"], {}, "rtd-tui", "--engine chooses the local broker"),
    (["--engine", "mock"], {"RTD_BOOTSTRAP_SERVERS": "h:1"}, "rtd-tui", "use one"),
]


def test_serve_options_flag_beats_env_beats_default(monkeypatch: pytest.MonkeyPatch) -> None:
    def web(*argv: str) -> tuple[Any, ...]:
        args = build_parser().parse_args(["serve", *argv])
        return tuple(resolve(args, dest) for dest in ("serve_host", "serve_port", "read_only"))

    assert web() == ("127.0.0.1", 8501, False)
    monkeypatch.setenv("RTD_SERVE_HOST", "0.0.0.0")
    monkeypatch.setenv("RTD_SERVE_PORT", "9000")
    monkeypatch.setenv("RTD_READ_ONLY", "on")
    assert web() == ("0.0.0.0", 9000, True)
    assert web("--host", "::1", "--port", "8600") == ("::1", 8600, True)
    monkeypatch.setenv("RTD_READ_ONLY", "off")
    assert web("--read-only")[2] is True
    served = settings("serve", "--from", "-10", "-t", "web", "--rate", "3")
    assert (served.start_from, served.topic, served.rate) == (-10, "web", 3.0)


def test_a_time_start_is_kept_as_written_for_a_cluster() -> None:
    # Relative times count from when reading starts, not from when the flags were read.
    assert settings("-b", "h:1", "--from", " @-15m ").start_from == "@-15m"
    assert settings("--engine", "kafka", "--from", "@2026-12-01T10:00:00Z").start_from == (
        "@2026-12-01T10:00:00Z")


@pytest.mark.parametrize(("argv", "env", "prog", "fragment"), BAD)
def test_bad_input_is_one_line_and_status_2(
    run_rtd: Run, argv: list[str], env: dict[str, str], prog: str, fragment: str
) -> None:
    # A check that lets bad input through would start the dashboard: the timeout catches it.
    done = run_rtd(*argv, env=env, timeout=20)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    assert fragment in lines[0]


BAD_KAFKA_PROPERTIES = [
    (["-X", "no.such.property=1"], "no.such.property"),
    (["-b", "127.0.0.1:9", "-X", "acks=banana"], "request.required.acks"),  # acks' real name
    # Only the consumer rejects this pair: the check must build both clients.
    (["-X", "group.protocol=consumer", "-X", "session.timeout.ms=6000"], "session.timeout.ms"),
]


@pytest.mark.parametrize(("argv", "fragment"), BAD_KAFKA_PROPERTIES)
def test_dashboard_rejects_bad_kafka_properties_before_the_ui(
    run_rtd: Run, tmp_path: Path, argv: list[str], fragment: str
) -> None:
    done = run_rtd(*argv, "--log-file", str(tmp_path / "rtd.log"), timeout=20)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("rtd-tui: error: invalid Kafka configuration: ")
    assert fragment in lines[0]
    assert done.stdout == ""  # the UI never drew


def test_the_app_store_is_bounded_as_the_settings_say() -> None:
    app = make_app(Settings(window=1_000, window_bytes=5 << 20), start=False)
    assert (app.store.window, app.store.window_bytes) == (1_000, 5 << 20)


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv on PATH")
def test_uv_run_prints_nothing_of_its_own_before_a_one_line_error(
    cli_env: dict[str, str],
) -> None:
    """``uv run rtd-tui`` (with ``PYTHONDONTWRITEBYTECODE`` set, as in many containers)
    prints the program's one error line and nothing else: no bytecode pass on every run."""
    root = Path(__file__).resolve().parents[1]
    env = {**cli_env, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        ["uv", "run", "--frozen", "rtd-tui", "--rate", "-1"], cwd=root, env=env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "rtd-tui: error: argument --rate: must be a positive number, got '-1'"
    ]


def test_the_entry_point_keeps_bytecode_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    keep_bytecode()
    assert sys.dont_write_bytecode is False


@pytest.mark.parametrize("bootstrap", [None, "127.0.0.1:9"], ids=["embedded", "cluster"])
def test_the_configuration_check_connects_nowhere_and_logs_nothing(
    bootstrap: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """The check only creates the clients: no connection attempt, so no bogus error in the
    log (an embedded broker has no address yet; a cluster is the real clients' business)."""
    settings = replace(settings_from(build_parser().parse_args([])), bootstrap_servers=bootstrap)
    with caplog.at_level(logging.DEBUG, logger=KAFKA_LOGGER):
        check_kafka_config(settings)
        time.sleep(0.5)  # a connection attempt would fail and be logged by now
        gc.collect()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
