"""Frozen settings for every command, the value parsers behind its options, and
librdkafka property handling.

Precedence: command-line flag > ``RTD_*`` environment variable > default.
``-X key=value`` and ``-F file`` pass properties straight to librdkafka (as kcat
does); values of sensitive properties are never shown: use ``redact``.
Every parser raises ``ConfigError`` with a one-line message, so the CLI can end
with one line whether the bad value came from a flag or from the environment.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT_TOPIC = "csv-data"
DEFAULT_RATE = 5.0
DEFAULT_REFRESH = 1.0
MIN_REFRESH = 0.05
DEFAULT_WINDOW = 200_000
MIN_WINDOW = 100
DEFAULT_WINDOW_BYTES = 128 * 1024 * 1024
MIN_WINDOW_BYTES = 1024 * 1024
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
DEFAULT_FLUSH_TIMEOUT = 10.0
KAFKA_LOGGER = "rtd_tui.kafka"
ENGINES = ("kafka", "mock", "auto")
SOURCES = ("raw", "aggregates")

#: Substrings that mark a librdkafka property as secret (its value is never displayed).
_SECRET_MARKERS = ("password", "secret", "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key")
_TOPIC_RE = re.compile(r"[A-Za-z0-9._-]{1,249}")
_SWITCH = {"on": True, "true": True, "yes": True, "1": True,
           "off": False, "false": False, "no": False, "0": False}


class ConfigError(ValueError):
    """A setting the user gave that cannot be used; the message is one line."""


def is_secret(key: str) -> bool:
    """True for librdkafka properties whose values must never be shown or logged."""
    key = key.lower()
    return any(marker in key for marker in _SECRET_MARKERS)


def redact(config: Mapping[str, object]) -> dict[str, object]:
    """A copy of ``config`` with every secret value replaced by ``***``."""
    return {k: ("***" if is_secret(k) else v) for k, v in config.items()}


def parse_property(text: str) -> tuple[str, str]:
    """Parse one ``key=value`` librdkafka property (as given to ``-X``)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or any(ch.isspace() for ch in key):
        # Only the part before '=' is echoed: a value may be a password.
        raise ConfigError(f"malformed property {text.split('=')[0]!r}: expected key=value")
    return key, value


def parse_properties(text: str) -> dict[str, str]:
    """Several properties separated by ``;`` or newlines (``RTD_KAFKA_PROPERTIES``)."""
    items = (p.strip() for p in text.replace("\n", ";").split(";"))
    return dict(parse_property(p) for p in items if p)


def read_properties(path: str | Path) -> dict[str, str]:
    """Read a librdkafka properties file: ``key=value`` lines, ``#`` comments, blank lines."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read config file {path}: not UTF-8 text") from None
    props: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key, value = parse_property(line)
        except ConfigError as exc:
            raise ConfigError(f"{path}:{number}: {exc}") from None
        props[key] = value.strip()
    return props


def parse_topic(text: str) -> str:
    """A legal Kafka topic name: letters, digits, ``.``, ``_``, ``-``; at most 249 of them."""
    name = text.strip()
    if not _TOPIC_RE.fullmatch(name) or name in (".", ".."):
        raise ConfigError(f"invalid topic name {text!r}: use letters, digits, '.', '_' or '-'")
    return name


TIME_PREFIX = "@"
TIME_FORMS = ("@YYYY-MM-DDTHH:MM:SS (local time unless +HH:MM or Z is given) "
              "or @-N followed by s, m, h or d (e.g. @-15m)")
_RELATIVE = re.compile(r"-(\d+)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: A relative start reaches back at most this far (ten years): past it, a typo.
MAX_AGO_S = 3650 * 86400


def is_time(start: object) -> bool:
    """True for a ``@TIME`` start (``--from`` also takes earliest, latest and -N)."""
    return isinstance(start, str) and start.startswith(TIME_PREFIX)


def moment_of(text: str, now: float) -> datetime:
    """The moment a ``@TIME`` form names (aware, local); ``now`` (epoch s) anchors ``@-N``."""
    body = text[len(TIME_PREFIX):]
    relative = _RELATIVE.fullmatch(body)
    if relative is not None:
        ago = int(relative.group(1)) * _UNIT_S[relative.group(2)]
        if ago > MAX_AGO_S:
            raise ConfigError(f"{text!r}: at most {MAX_AGO_S // 86400}d back")
        return datetime.fromtimestamp(now).astimezone() - timedelta(seconds=ago)
    try:
        moment = datetime.fromisoformat(body).astimezone()  # a naive time is local time
    except ValueError as exc:
        why = str(exc) if body[:1].isdigit() else "not a date and time"
        raise ConfigError(f"{text!r}: {why}: use {TIME_FORMS}") from None
    if moment.timestamp() < 0:
        raise ConfigError(f"{text!r}: before 1970, earlier than any Kafka timestamp")
    return moment


def parse_start(text: str) -> str | int:
    """``earliest``, ``latest``, ``-N`` (the last N messages of each partition) or ``@TIME``
    (kept as text: a relative time counts from when reading starts)."""
    if text.strip().startswith(TIME_PREFIX):
        moment_of(text.strip(), 0.0)  # checks the form
        return text.strip()
    value = text.strip().lower()
    if value in ("earliest", "latest"):
        return value
    if value.startswith("-") and value[1:].isdigit() and int(value[1:]) > 0:
        return -int(value[1:])
    raise ConfigError(f"{text!r}: use earliest, latest, -N (e.g. -100) or {TIME_FORMS}")


def parse_positive(text: str) -> float:
    """A number greater than zero (seconds, records/s)."""
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise ConfigError(f"must be a positive number, got {text!r}")
    return value


def parse_rate(text: str) -> float | None:
    """Records per second, or ``max`` (``None``: as fast as the client goes)."""
    return None if text.strip().lower() == "max" else parse_positive(text)


def parse_interval(text: str) -> float:
    """Seconds between two records, as a rate in records per second."""
    return 1.0 / parse_positive(text)


def parse_refresh(text: str) -> float:
    """Redraw interval in seconds; below ``MIN_REFRESH`` the UI would only burn CPU."""
    value = parse_positive(text)
    if value < MIN_REFRESH:
        raise ConfigError(f"must be at least {MIN_REFRESH}, got {text!r}")
    return value


def parse_int(text: str, minimum: int | None = None) -> int:
    """A whole number, not below ``minimum`` when one is given."""
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"not a whole number: {text!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"must be at least {minimum}, got {value}")
    return value


def parse_window(text: str) -> int:
    """Raw rows kept by the store; fewer than ``MIN_WINDOW`` makes the table useless."""
    return parse_int(text, MIN_WINDOW)


def default_export_dir() -> Path:
    """Where exports go unless told: the user's data folder, never the current directory
    (inside a git clone, exports would show up in ``git status``)."""
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "rtd-tui" / "exports"


def parse_size(text: str) -> int:
    """Bytes, with an optional K, M or G (binary: 1K = 1024); at least ``MIN_WINDOW_BYTES``."""
    match = re.fullmatch(r"\s*([0-9]+)\s*([kKmMgG]?)(?:i?[bB])?\s*", text)
    if match is None:
        raise ConfigError(f"not a size: {text!r} (e.g. 128M, 1G, 500000)")
    value = int(match[1]) * _SIZE_UNITS[match[2].lower()]
    if value < MIN_WINDOW_BYTES:
        raise ConfigError(f"must be at least 1M, got {text!r}")
    return value


def parse_count(text: str) -> int:
    """How many records ``produce`` delivers before it stops."""
    return parse_int(text, 1)


def parse_engine(text: str) -> str:
    """The local broker to run: ``kafka`` (Apache Kafka), ``mock`` (librdkafka's) or ``auto``."""
    value = text.strip().lower()
    if value not in ENGINES:
        raise ConfigError(f"{text!r}: use {', '.join(ENGINES)}")
    return value


def parse_partitions(text: str) -> int:
    """Partitions of the topic ``rtd-tui broker`` creates."""
    return parse_int(text, 1)


def parse_port(text: str) -> int:
    """A TCP port to listen on."""
    port = parse_int(text, 1)
    if port > 65535:
        raise ConfigError(f"must be at most 65535, got {port}")
    return port


def parse_host(text: str) -> str:
    """A host name or IP address to listen on."""
    host = text.strip()
    if not host or any(ch.isspace() or ch == "/" for ch in host):
        raise ConfigError(f"invalid host {text!r}: use a host name or an IP address")
    return host


def parse_source(text: str) -> str:
    """``raw`` (every message of the topic) or ``aggregates`` (a Flink job's results)."""
    value = text.strip().lower()
    if value not in SOURCES:
        raise ConfigError(f"unknown source {text!r}: use raw or aggregates")
    return value


def parse_hosts(text: str) -> tuple[str, ...]:
    """Comma-separated host names (``RTD_ALLOW_HOSTS``)."""
    return tuple(parse_host(name) for name in text.split(","))


def parse_switch(text: str) -> bool:
    """``on``/``off`` (also true/false, yes/no, 1/0)."""
    try:
        return _SWITCH[text.strip().lower()]
    except KeyError:
        raise ConfigError(f"{text!r}: use on or off") from None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a command needs; built by the CLI or by tests."""

    bootstrap_servers: str | None = None
    topic: str = DEFAULT_TOPIC
    kafka: Mapping[str, str] = field(default_factory=dict)
    start_from: str | int = "earliest"
    producer_on: bool = True
    rate: float | None = DEFAULT_RATE  # records/s; None = as fast as possible
    seed: int | None = None
    refresh: float = DEFAULT_REFRESH
    window: int = DEFAULT_WINDOW
    window_bytes: int = DEFAULT_WINDOW_BYTES
    count: int | None = None
    flush_timeout: float = DEFAULT_FLUSH_TIMEOUT  # `produce`: bounded wait on exit
    export_dir: Path = field(default_factory=default_export_dir)
    log_file: Path | None = None
    engine: str = "mock"  # the local broker when bootstrap_servers is None: see parse_engine
    source: str = "raw"  # what the dashboard reads: every raw message, or a job's aggregates
    aggregates_topic: str | None = None  # None: ``<topic>-aggregates``

    @property
    def embedded(self) -> bool:
        """True when rtd-tui runs its own broker instead of joining a cluster."""
        return self.bootstrap_servers is None

    def client_config(self, bootstrap: str, **defaults: object) -> dict[str, object]:
        """librdkafka config for one client: our defaults, then the user's properties."""
        config: dict[str, object] = {"bootstrap.servers": bootstrap, **defaults}
        config.update(self.kafka)
        config["logger"] = logging.getLogger(KAFKA_LOGGER)
        return config
