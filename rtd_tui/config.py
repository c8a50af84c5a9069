"""Frozen settings for every command, and librdkafka property handling.

Precedence: command-line flag > ``RTD_*`` environment variable > default.
``-X key=value`` and ``-F file`` pass properties straight to librdkafka (as kcat
does); values of sensitive properties are never shown: use ``redact``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TOPIC = "csv-data"
DEFAULT_RATE = 5.0
DEFAULT_REFRESH = 0.5
DEFAULT_WINDOW = 200_000
KAFKA_LOGGER = "rtd_tui.kafka"

#: Substrings that mark a librdkafka property as secret (its value is never displayed).
_SECRET_MARKERS = ("password", "secret", "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key")


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
        raise ConfigError(f"malformed property {text.split('=')[0]!r}: expected key=value")
    return key, value


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


def parse_start(text: str) -> str | int:
    """``earliest``, ``latest`` or ``-N`` (the last N messages of each partition)."""
    value = text.strip().lower()
    if value in ("earliest", "latest"):
        return value
    if value.startswith("-") and value[1:].isdigit() and int(value[1:]) > 0:
        return -int(value[1:])
    raise ConfigError(f"invalid --from {text!r}: use earliest, latest or -N (e.g. -100)")


def env(name: str, default: str | None = None) -> str | None:
    """The ``RTD_<NAME>`` environment variable, or ``default``."""
    return os.environ.get(f"RTD_{name}", default)


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
    count: int | None = None
    export_dir: Path = Path(".")
    log_file: Path | None = None

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
