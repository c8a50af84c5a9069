"""Value parsers, librdkafka property handling and secret redaction in ``config.py``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rtd_tui.config import (
    KAFKA_LOGGER,
    ConfigError,
    Settings,
    is_secret,
    parse_count,
    parse_int,
    parse_interval,
    parse_properties,
    parse_property,
    parse_rate,
    parse_refresh,
    parse_start,
    parse_switch,
    parse_topic,
    parse_window,
    read_properties,
    redact,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acks=all", ("acks", "all")),
        (" client.id =rtd", ("client.id", "rtd")),
        ("sasl.jaas.config=a=b c=d", ("sasl.jaas.config", "a=b c=d")),  # only the first '='
        ("ssl.ca.location=", ("ssl.ca.location", "")),
    ],
)
def test_parse_property(text: str, expected: tuple[str, str]) -> None:
    assert parse_property(text) == expected


@pytest.mark.parametrize("text", ["foo", "=value", "  =x", "bad key=1", ""])
def test_parse_property_rejects_malformed(text: str) -> None:
    with pytest.raises(ConfigError, match="malformed property"):
        parse_property(text)


def test_malformed_property_error_never_shows_the_value() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_property("sasl password=hunter2")
    assert "hunter2" not in str(caught.value)


def test_parse_properties_splits_on_semicolons_and_newlines() -> None:
    text = "security.protocol=SASL_PLAINTEXT; sasl.mechanisms=PLAIN\nclient.id=x;;"
    assert parse_properties(text) == {
        "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN", "client.id": "x",
    }


def test_read_properties(tmp_path: Path) -> None:
    path = tmp_path / "client.properties"
    path.write_text(
        "# a comment\n\nbootstrap.servers = h:9092 \n  acks=1\nsasl.password=p=w#d\n",
        encoding="utf-8",
    )
    assert read_properties(path) == {
        "bootstrap.servers": "h:9092", "acks": "1", "sasl.password": "p=w#d",
    }


def test_read_properties_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.properties"
    path.write_text("acks=1\n\nthis is not a property\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.properties:3: malformed property"):
        read_properties(path)


def test_read_properties_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*No such file"):
        read_properties(tmp_path / "missing.properties")


def test_read_properties_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "binary"
    path.write_bytes(b"\xff\xfe\x00acks=1")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_properties(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("earliest", "earliest"), ("LATEST", "latest"), (" latest ", "latest"), ("-5", -5),
     ("-100", -100)],
)
def test_parse_start(text: str, expected: str | int) -> None:
    assert parse_start(text) == expected


@pytest.mark.parametrize("text", ["sideways", "5", "-0", "-", "-x", "", "+5", "-5.5"])
def test_parse_start_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match=r"use earliest, latest, -N .* or @YYYY-MM-DD"):
        parse_start(text)


@pytest.mark.parametrize(("text", "expected"), [("max", None), ("MAX", None), ("2.5", 2.5)])
def test_parse_rate(text: str, expected: float | None) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", "abc", "nan", "inf", ""])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_rate(text)


def test_parse_interval_is_a_rate() -> None:
    assert parse_interval("0.5") == 2.0
    with pytest.raises(ConfigError, match="positive"):
        parse_interval("0")


def test_whole_numbers() -> None:
    assert parse_int("-3") == -3
    assert parse_window("100") == 100
    assert parse_count("1") == 1
    with pytest.raises(ConfigError, match="at least 100"):
        parse_window("99")
    with pytest.raises(ConfigError, match="at least 1"):
        parse_count("0")
    with pytest.raises(ConfigError, match="not a whole number"):
        parse_count("1.5")


def test_parse_refresh_has_a_floor() -> None:
    assert parse_refresh("0.05") == 0.05
    with pytest.raises(ConfigError, match="at least"):
        parse_refresh("0.01")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("on", True), ("OFF", False), ("true", True), ("no", False), ("1", True), ("0", False)],
)
def test_parse_switch(text: str, expected: bool) -> None:
    assert parse_switch(text) is expected


def test_parse_switch_rejects() -> None:
    with pytest.raises(ConfigError, match="use on or off"):
        parse_switch("maybe")


@pytest.mark.parametrize("name", ["csv-data", "a.b_c-1", "x" * 249])
def test_parse_topic(name: str) -> None:
    assert parse_topic(name) == name


@pytest.mark.parametrize("name", ["", "a b", "a/b", "ação", ".", "..", "x" * 250])
def test_parse_topic_rejects(name: str) -> None:
    with pytest.raises(ConfigError, match="invalid topic name"):
        parse_topic(name)


@pytest.mark.parametrize(
    "key",
    ["sasl.password", "ssl.key.password", "ssl.keystore.password", "SASL.PASSWORD",
     "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config", "ssl.key.pem"],
)
def test_is_secret(key: str) -> None:
    assert is_secret(key)


@pytest.mark.parametrize("key", ["sasl.username", "security.protocol", "bootstrap.servers"])
def test_is_not_secret(key: str) -> None:
    assert not is_secret(key)


def test_redact_hides_secrets_and_leaves_the_original_alone() -> None:
    config = {"sasl.username": "alice", "sasl.password": "alice-secret", "acks": "all"}
    assert redact(config) == {"sasl.username": "alice", "sasl.password": "***", "acks": "all"}
    assert config["sasl.password"] == "alice-secret"


def test_client_config_user_properties_win_over_defaults() -> None:
    settings = Settings(kafka={"acks": "1", "client.id": "mine"})
    config = settings.client_config("h:1", acks="all", **{"linger.ms": 5})
    assert config["bootstrap.servers"] == "h:1"
    assert config["acks"] == "1"
    assert config["client.id"] == "mine"
    assert config["linger.ms"] == 5
    assert config["logger"] is logging.getLogger(KAFKA_LOGGER)


def test_embedded_means_no_bootstrap_servers() -> None:
    assert Settings().embedded
    assert not Settings(bootstrap_servers="h:9092").embedded
