"""The Flink job's SQL: names, properties and hostile input quoted or refused, one
statement per ``;`` line end, and the validation generated from ``records``' rules."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from rtd_tui.cli import main
from rtd_tui.config import ConfigError
from rtd_tui.flink.job import latest_checkpoint, statements
from rtd_tui.flink.render import JobSpec, java_properties, render, sql_literal
from rtd_tui.records import CITIES, FIELDS


def options(sql: str, table: str) -> dict[str, str]:
    """The WITH options of ``CREATE TEMPORARY TABLE table`` (literals unquoted)."""
    body = sql.split(f"CREATE TEMPORARY TABLE {table} (", 1)[1].split(") WITH (", 1)[1]
    body = body.split("\n);", 1)[0]
    pairs = re.findall(r"'((?:[^']|'')*)' = '((?:[^']|'')*)'", body)
    return {k.replace("''", "'"): v.replace("''", "'") for k, v in pairs}


def test_topics_brokers_and_group_land_in_their_tables() -> None:
    sql = render(JobSpec("sales.v1", "k1:9092,k2:9092"))
    source, sink = options(sql, "raw_messages"), options(sql, "aggregates")
    assert source["topic"] == "sales.v1"
    assert source["properties.bootstrap.servers"] == "k1:9092,k2:9092"
    assert source["properties.group.id"] == "rtd-tui-aggregate-sales.v1"
    assert source["properties.isolation.level"] == "read_committed"
    assert sink["topic"] == "sales.v1-aggregates"
    assert sink["connector"] == "upsert-kafka"
    assert sink["sink.delivery-guarantee"] == "exactly-once"
    assert options(render(JobSpec("s", "h:1", "mine")), "aggregates")["topic"] == "mine"


def test_properties_reach_both_tables_and_quotes_are_doubled() -> None:
    props = {"security.protocol": "SASL_SSL", "ssl.ca.location": "/c/it's here.pem"}
    sql = render(JobSpec("t", "h:1", properties=props))
    for table in ("raw_messages", "aggregates"):
        found = options(sql, table)
        assert found["properties.security.protocol"] == "SASL_SSL"
        assert found["properties.ssl.ca.location"] == "/c/it's here.pem"
    assert "'/c/it''s here.pem'" in sql


def test_sasl_user_and_password_become_a_jaas_line() -> None:
    props = java_properties({"sasl.mechanisms": "scram-sha-512", "sasl.username": "al\"ice",
                             "sasl.password": "p\\w"})
    assert props == {"sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": (
        'org.apache.kafka.common.security.scram.ScramLoginModule required '
        'username="al\\"ice" password="p\\\\w";')}
    with pytest.raises(ConfigError, match="go together"):
        java_properties({"sasl.username": "alice"})


@pytest.mark.parametrize(("spec", "message"), [
    (JobSpec("a'; DROP TABLE x; --", "h:1"), "invalid topic name"),
    (JobSpec("t", "h:1", "bad topic"), "invalid topic name"),
    (JobSpec("t", "h:1", "t"), "must differ"),
    (JobSpec("t", "  "), "no bootstrap servers"),
    (JobSpec("t", "h:1';\nSET 'x' = 'y"), "control character"),
    (JobSpec("t", "h:1", properties={"a": "x;\nDROP"}), "control character"),
    (JobSpec("t", "h:1", properties={"group.id": "other"}), "sets group.id itself"),
    (JobSpec("t", "h:1", checkpoint_ms=10), "below 100 ms"),
])
def test_hostile_or_bad_input_is_refused_with_a_reason(spec: JobSpec, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        render(spec)


def test_sql_literal_doubles_quotes_and_refuses_control_characters() -> None:
    assert sql_literal("it's") == "'it''s'"
    assert sql_literal("São Paulo") == "'São Paulo'"
    with pytest.raises(ConfigError, match="control character"):
        sql_literal("a\rb")


def test_statements_split_at_line_end_semicolons_only() -> None:
    sql = render(JobSpec("t", "h:1", properties={"x": "a;b"}))
    parts = list(statements(sql))
    assert not [p for p in parts if p.startswith("INSERT")]
    (job,) = [p for p in parts if p.startswith("EXECUTE STATEMENT SET")]
    assert job.count("\nINSERT INTO ") == 2 and job.endswith("END")
    assert any("'a;b'" in p for p in parts)
    assert all(not p.lstrip().startswith("--") for p in parts)
    with pytest.raises(ValueError, match="unterminated"):
        list(statements("SELECT 1"))


def test_validation_names_every_reason_of_the_dashboard() -> None:
    sql = render(JobSpec("t", "h:1"))
    reasons = set(re.findall(r"THEN '([^']+)'", sql))
    expected = {f"missing field: {f}" for f in FIELDS} | {
        f"wrong type: {f}" for f in FIELDS} | {
        f"control characters: {f}" for f in ("nome", "cidade", "timestamp")} | {
        "out of range: id", "out of range: idade", "out of range: valor", "not finite: valor",
        "more than 2 decimals: valor", "empty field: nome", "unknown city", "bad timestamp",
        "invalid UTF-8", "not JSON", "not an object", "empty message", "message too large",
        "tombstone without key", "tombstone with bad key"}
    assert reasons - {"cell", "rejected", "partition", "tombstones"} == expected
    assert all(sql_literal(city) in sql for city in CITIES)


def test_latest_checkpoint_is_the_newest_complete_one(tmp_path: Path) -> None:
    assert latest_checkpoint(tmp_path) is None
    for job, chk, complete, when in (("a", 3, True, 100), ("a", 4, False, 300),
                                     ("b", 1, True, 200)):
        folder = tmp_path / "checkpoints" / job / f"chk-{chk}"
        folder.mkdir(parents=True)
        if complete:
            (folder / "_metadata").write_bytes(b"x")
        os.utime(folder, (when, when))
    newest = tmp_path / "checkpoints" / "b" / "chk-1"
    assert latest_checkpoint(tmp_path) == newest


def test_running_without_the_extra_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pyflink.table", None)  # as if not installed
    assert main(["aggregate", "-b", "127.0.0.1:1", "-t", "sales"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "uv sync --extra flink" in err and "pip install 'rtd-tui[flink]'" in err


def test_print_sql_needs_no_flink(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pyflink.table", None)
    assert main(["aggregate", "-b", "k:9092", "-t", "sales", "--print-sql"]) == 0
    assert options(capsys.readouterr().out, "raw_messages")["topic"] == "sales"


def test_checkpoint_interval_sets_the_jobs_commit_pace(
    capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["aggregate", "-b", "k:9092", "-t", "sales", "--print-sql"]
    assert main([*args, "--checkpoint-interval", "5"]) == 0
    assert "SET 'execution.checkpointing.interval' = '5000 ms';" in capsys.readouterr().out
    assert main([*args, "--checkpoint-interval", "0.05"]) == 2
    assert "below 100 ms" in capsys.readouterr().err
