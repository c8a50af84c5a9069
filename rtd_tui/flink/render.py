"""Render ``aggregates.sql``, the Flink SQL job, for one topic, cluster and client properties.

The template's ``{{ name }}`` placeholders are filled with SQL literals (quoted here,
never by the caller) and with the validation expressions, which are generated from
``records``' own constants (fields, ranges, cities, patterns) so the job judges every
message by the dashboard's rules, in the dashboard's order, with its reason names.
Core module: no Flink import, so ``--print-sql`` works without the ``flink`` extra.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

from rtd_tui.config import ConfigError, parse_topic
from rtd_tui.kafka_config import jaas_quote
from rtd_tui.records import (
    AGE_RANGE,
    CITIES,
    CONTROL_PATTERN,
    FIELDS,
    ID_RANGE,
    MAX_MESSAGE_BYTES,
    TIMESTAMP_PATTERN,
    VALUE_RANGE,
)

#: The Kafka SQL connector the job needs, on Maven Central.
CONNECTOR = ("org.apache.flink", "flink-sql-connector-kafka", "5.0.0-2.2")
DEFAULT_CHECKPOINT_MS = 1000
_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")
_STRINGS = ("nome", "cidade", "timestamp")
_INTEGERS = ("id", "idade")
#: Followed by an even number of quotes: outside any JSON string.
_OUTSIDE_STRINGS = r'(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)'
#: NaN and Infinity tokens (Python's json reads them; Flink's does not).
_NEGATIVE_INFINITY = r"(?s)-Infinity" + _OUTSIDE_STRINGS
_NON_FINITE = r"(?s)(?<!-)(?:NaN|Infinity)" + _OUTSIDE_STRINGS
_SURROGATE = r"[\x{D800}-\x{DFFF}]"
#: librdkafka's SASL user and password; Java clients take them as one JAAS line.
_JAAS_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What the job reads and writes: the raw topic, the cluster and client properties."""

    topic: str
    brokers: str
    aggregates_topic: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    checkpoint_ms: int = DEFAULT_CHECKPOINT_MS

    @property
    def sink_topic(self) -> str:
        """The upsert topic: ``--aggregates-topic`` or ``<topic>-aggregates``."""
        return self.aggregates_topic or f"{self.topic}-aggregates"

    @property
    def group_id(self) -> str:
        """The job's consumer group, whose committed offsets show its lag on the raw topic."""
        return f"rtd-tui-aggregate-{self.topic}"


def sql_literal(text: str) -> str:
    """``text`` as a Flink SQL string literal; control characters are refused (the SQL
    client splits statements at line ends, and no Kafka setting needs them)."""
    bad = re.search(r"[\x00-\x1f\x7f]", text)
    if bad:
        raise ConfigError(f"{text[: bad.start()]!r}... holds a control character "
                          f"({bad.group()!r}); it cannot go into the job's SQL")
    return "'" + text.replace("'", "''") + "'"


def java_properties(properties: Mapping[str, str]) -> dict[str, str]:
    """librdkafka client properties as the Java client takes them (the SASL user and
    password become ``sasl.jaas.config``); the rest pass through unchanged."""
    props = dict(properties)
    user, password = props.pop("sasl.username", None), props.pop("sasl.password", None)
    if user is None and password is None:
        return props
    mechanism = props.get("sasl.mechanism", props.get("sasl.mechanisms", "PLAIN")).upper()
    if user is None or password is None or mechanism not in _JAAS_MODULES:
        raise ConfigError("sasl.username and sasl.password go together, with sasl.mechanism "
                          f"one of {', '.join(_JAAS_MODULES)}")
    props.pop("sasl.mechanisms", None)
    props["sasl.mechanism"] = mechanism
    props["sasl.jaas.config"] = (f'{_JAAS_MODULES[mechanism]} required '
                                 f'username="{jaas_quote(user)}" '
                                 f'password="{jaas_quote(password)}";')
    return props


def render(spec: JobSpec) -> str:
    """The job's SQL for ``spec``; every name and value is validated and quoted."""
    topic = parse_topic(spec.topic)
    sink = parse_topic(spec.sink_topic)
    if sink == topic:
        raise ConfigError(f"the aggregates topic must differ from the raw topic {topic!r}")
    if not spec.brokers.strip():
        raise ConfigError("no bootstrap servers: pass -b HOST:PORT")
    if spec.checkpoint_ms < 100:
        raise ConfigError(f"checkpoint interval {spec.checkpoint_ms} ms is below 100 ms")
    props = java_properties(spec.properties)
    reserved = {"bootstrap.servers", "group.id", "isolation.level", "transactional.id"}
    if clash := sorted(reserved & props.keys()):
        raise ConfigError(f"the job sets {', '.join(clash)} itself; drop it from -X/-F")
    extra = "".join(f",\n  {sql_literal('properties.' + k)} = {sql_literal(v)}"
                    for k, v in sorted(props.items()))
    values = {
        "topic_comment": topic,
        "pipeline_name": sql_literal(f"rtd-tui aggregate {topic}"),
        "checkpoint_interval": sql_literal(f"{spec.checkpoint_ms} ms"),
        "topic": sql_literal(topic),
        "aggregates_topic": sql_literal(sink),
        "brokers": sql_literal(spec.brokers.strip()),
        "group_id": sql_literal(spec.group_id),
        "cells_transactional_id_prefix": sql_literal(f"rtd-tui-aggregate-{sink}-cells"),
        "counts_transactional_id_prefix": sql_literal(f"rtd-tui-aggregate-{sink}-counts"),
        "source_properties": extra,
        "sink_properties": extra,
        "fast_pattern": sql_literal(fast_pattern()),
        "fast_columns": _fast_columns(),
        "doc": _DOC,
        "field_columns": _field_columns(),
        "fast_reason_cases": _fast_reason_cases(),
        "reason_cases": _reason_cases(),
        "max_value": repr(float(VALUE_RANGE[1])),
        "id_low": str(ID_RANGE[0]),
        "id_high": str(ID_RANGE[1]),
    }
    template = resources.files("rtd_tui.flink").joinpath("aggregates.sql").read_text("utf-8")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def fast_pattern() -> str:
    """The exact spelling of a well-formed record as producers write it (``json.dumps``'
    separators or compact ones, the fields in the wire order, plain names, a listed city,
    at most two decimals, a valid timestamp). A match is valid but for the numeric
    ranges, which the job checks next; anything else takes the full validation."""
    if any(not re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+)*", city) for city in CITIES):
        raise ValueError("a city name needs escaping in the fast pattern")
    values = {
        "id": "[1-9][0-9]{0,8}",
        "nome": "\"\\p{L}[\\p{L}\\p{M} .'-]{0,199}\"",
        "idade": "[1-9][0-9]{0,2}",
        "cidade": '"(?:' + "|".join(CITIES) + ')"',
        "valor": "(?:0|[1-9][0-9]{0,6})(?:\\.[0-9]{1,2})?",
        "timestamp": '"' + TIMESTAMP_PATTERN.removeprefix("^").removesuffix("$") + '"',
    }
    if set(values) != set(FIELDS):
        raise ValueError("the fast pattern must spell every field")
    body = ", ?".join(f'"{name}": ?{values[name]}' for name in FIELDS)
    return "^\\{" + body + "\\}\\z"


def _fast_columns() -> str:
    """The fast path's id, age, city, amount and cents, from the pieces of the text
    between quotes (the fast pattern fixes where each value falls)."""
    def number(index: int, kind: str) -> str:
        return f"CAST(TRIM(REPLACE(REPLACE(pieces[{index}], ':', ''), ',', '')) AS {kind})"

    at, index = {}, 2  # 1-based pieces: '{', then per field its name, ': ', ...
    for name in FIELDS:
        at[name] = index + (2 if name in _STRINGS else 1)  # the value's piece
        index += 4 if name in _STRINGS else 2
    values = [
        number(at["id"], "INT"),
        number(at["idade"], "INT"),
        f"pieces[{at['cidade']}]",
        number(at["valor"], "DOUBLE"),
        f"CAST(ROUND({number(at['valor'], 'DOUBLE')} * 100, 0) AS BIGINT)",
    ]
    names = ("fast_id", "fast_age", "fast_city", "fast_valor", "fast_cents")
    return ",\n".join(f"  CASE WHEN fast THEN {value} END AS {name}"
                       for value, name in zip(values, names, strict=True))


#: A message's text for Flink's JSON functions: NaN and Infinity as +-1e999.
_DOC = ("(CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) "
        "WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt "
        f"ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, {sql_literal(_NEGATIVE_INFINITY)}, '-1e999'), "
        f"{sql_literal(_NON_FINITE)}, '1e999') END)")


def _field_columns() -> str:
    """Off the fast path, per field: its JSON token without the wrapper (``_tok``) and,
    for text, its value."""
    lines = []
    for name in FIELDS:
        wrapped = f"JSON_QUERY({_DOC}, '$.{name}' WITH ARRAY WRAPPER)"
        lines.append(f"  CASE WHEN NOT fast THEN SUBSTRING({wrapped} FROM 2 FOR "
                     f"CHAR_LENGTH({wrapped}) - 2) END AS {name}_tok")
        if name in _STRINGS:
            lines.append(f"  CASE WHEN NOT fast THEN JSON_VALUE({_DOC}, '$.{name}') END "
                         f"AS {name}_val")
    return ",\n".join(lines)


def _fast_reason_cases() -> str:
    """The fast path's verdict: only the numeric ranges are left to check."""
    checks = (("fast_id", "id", ID_RANGE), ("fast_age", "idade", AGE_RANGE),
              ("fast_valor", "valor", VALUE_RANGE))
    cases = [f"      WHEN NOT ({column} BETWEEN {float(low)!r} AND {float(high)!r}) "
             f"THEN {sql_literal(f'out of range: {name}')}" for column, name, (low, high) in checks]
    return "    CASE\n" + "\n".join(cases) + "\n      ELSE CAST(NULL AS STRING) END"


def _reason_cases() -> str:
    """``WHEN condition THEN 'reason'`` lines in ``records.decode``/``validate``'s order."""
    cases: list[tuple[str, str]] = [
        ("msg_value IS NULL AND msg_key IS NULL", "tombstone without key"),
        ("msg_value IS NULL AND NOT " + _regexp("DECODE(msg_key, 'UTF-8')", r"^[0-9]+\z"),
         "tombstone with bad key"),
        ("msg_value IS NULL", ""),
        (_regexp("txt", r"^[ \t\n\r\x0B\x0C]*\z"), "empty message"),
        (f"CHAR_LENGTH(DECODE(msg_value, 'ISO-8859-1')) > {MAX_MESSAGE_BYTES}",  # bytes
         "message too large"),
        ("ENCODE(txt, 'UTF-8') <> msg_value", "invalid UTF-8"),
        ("NOT is_json", "not JSON"),
        ("NOT is_object", "not an object"),
    ]
    for name in FIELDS:
        listed = _regexp("keys_json", '[,\\[]"' + name + '"[,\\]]')
        cases.append((f"NOT {listed}", f"missing field: {name}"))
    for name in _INTEGERS:  # Flink writes 4.321e3 as 4321: the message's own text tells
        spelled_float = _regexp("txt", f'[{{,]\\s*"{name}"\\s*:\\s*-?[0-9]+[.eE]')
        cases.append((f"{name}_tok IS NULL OR NOT {_is_int(name + '_tok')} OR {spelled_float}",
                      f"wrong type: {name}"))
    cases.append((f"valor_tok IS NULL OR NOT {_regexp('valor_tok', '^-?[0-9]')}",
                  "wrong type: valor"))
    for name in _STRINGS:
        is_text = _regexp(f"{name}_tok", '^"')
        cases.append((f"{name}_tok IS NULL OR NOT {is_text}", f"wrong type: {name}"))
    valor = "TRY_CAST(valor_tok AS DOUBLE)"
    cases.append((f"NOT {_is_int('valor_tok')} AND ABS({valor}) > 1.7976931348623157E308",
                  "not finite: valor"))
    for name, (low, high) in (("id", ID_RANGE), ("idade", AGE_RANGE), ("valor", VALUE_RANGE)):
        cases.append((f"NOT (TRY_CAST({name}_tok AS DOUBLE) BETWEEN {float(low)!r} AND "
                      f"{float(high)!r})", f"out of range: {name}"))
    # ROUND fails on an infinite number, whichever branch the plan evaluates first
    finite = f"CASE WHEN ABS({valor}) <= {VALUE_RANGE[1]} THEN {valor} END"
    cases.append((f"NOT {_is_int('valor_tok')} AND ROUND({finite}, 2) <> {valor}",
                  "more than 2 decimals: valor"))
    cases.append((_regexp("nome_val", f"^{_space_class()}*\\z"), "empty field: nome"))
    for name in _STRINGS:
        cases.append((_regexp(f"{name}_val", CONTROL_PATTERN), f"control characters: {name}"))
        cases.append((_regexp(f"{name}_val", _SURROGATE), "invalid UTF-8"))
    cities = ", ".join(sql_literal(c) for c in CITIES)
    cases.append((f"cidade_val NOT IN ({cities})", "unknown city"))
    cases.append((f"NOT {_regexp('timestamp_val', _java_anchored(TIMESTAMP_PATTERN))}",
                  "bad timestamp"))
    return "\n".join(
        f"    WHEN {cond} THEN " + (sql_literal(reason) if reason else "CAST(NULL AS STRING)")
        for cond, reason in cases
    )


def _regexp(text: str, pattern: str) -> str:
    return f"REGEXP({text}, {sql_literal(pattern)})"


def _is_int(token: str) -> str:
    return _regexp(token, r"^-?[0-9]+\z")


def _java_anchored(pattern: str) -> str:
    """A Python ``fullmatch`` pattern for Java's ``find``: ``$`` would also match before a
    final line terminator there, ``\\z`` only at the very end."""
    if not pattern.endswith("$"):
        raise ValueError(f"pattern not anchored at its end: {pattern!r}")
    return pattern[:-1] + r"\z"


def _space_class() -> str:
    """A Java character class of every character Python's ``str.isspace`` accepts."""
    spaces = [c for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    runs: list[list[int]] = []
    for c in spaces:
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "[" + "".join(
        f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in runs
    ) + "]"
