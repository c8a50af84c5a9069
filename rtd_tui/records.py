"""The sales record: schema, validation rules and JSON encoding.

This module is the single source of truth for the wire format
``{"id", "nome", "idade", "cidade", "valor", "timestamp"}`` (key = id as text):
the polars schema, the range rules, the encoder and the per-record validator all
come from here (the ranges and cities from ``reference``), so the producer, the
consumer and the produce form agree. The generator lives in ``generator``.

Policy for well-typed but out-of-range values (age 200, negative amount, id 12):
they are *rejected* everywhere with the reason ``out of range: <field>``; nothing
is clamped, because a clamped amount would silently falsify the totals. Amounts are
whole cents: more than two decimals (``12.345``) is rejected, never rounded, so the
store's integer-cent totals are exact. The consumer and the produce form both judge
with ``validate``, so one rule holds everywhere.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import polars as pl

from rtd_tui.reference import AGE_RANGE as AGE_RANGE
from rtd_tui.reference import CITIES as CITIES
from rtd_tui.reference import CITY_INDEX as CITY_INDEX
from rtd_tui.reference import FIELDS as FIELDS
from rtd_tui.reference import ID_RANGE as ID_RANGE
from rtd_tui.reference import VALUE_RANGE as VALUE_RANGE

#: Messages larger than this are rejected unread: no sales record comes near it.
MAX_MESSAGE_BYTES = 64 * 1024
#: Decoding schema. Int64 on purpose: polars' NDJSON reader panics on Int8/Int16.
WIRE_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "nome": pl.String(),
    "idade": pl.Int64(),
    "cidade": pl.String(),
    "valor": pl.Float64(),
    "timestamp": pl.String(),
}
#: ISO-8601 date-time as produced by ``datetime.isoformat()`` (offset optional).
#: ASCII digits only (``\d`` would accept any Unicode digit) and field ranges checked.
TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?$"
)
#: C0/C1 control characters (ESC included): never allowed into the store or onto a screen.
CONTROL_PATTERN = r"[\x00-\x1f\x7f-\x9f]"
_TIMESTAMP_RE = re.compile(TIMESTAMP_PATTERN)
_CONTROL_RE = re.compile(CONTROL_PATTERN)
#: Lone surrogates (from JSON escapes like ``"\ud800"``) cannot be encoded as UTF-8.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


CITY_ENUM = pl.Enum(list(CITIES))
#: Schema of the rows the store keeps: the record plus where it came from.
STORE_SCHEMA: dict[str, pl.DataType] = {  # narrow types: 1M rows held must stay small
    "id": pl.Int16(),
    "nome": pl.String(),
    "idade": pl.Int8(),
    "cidade": CITY_ENUM,
    "valor": pl.Float64(),
    "timestamp": pl.String(),
    "partition": pl.Int32(),
    "offset": pl.Int64(),
}


class RecordError(ValueError):
    """A message that is not a valid sales record; ``reason`` is short and countable."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    @property
    def field(self) -> str | None:
        """The schema field at fault, if one is ("out of range: idade" → ``"idade"``)."""
        for named in (self.reason.rpartition(": ")[2], self.detail.rpartition(" in ")[2]):
            if named in FIELDS:
                return named
        return {"unknown city": "cidade", "bad timestamp": "timestamp"}.get(self.reason)


def validate(obj: Any) -> dict[str, Any]:
    """Check one decoded JSON value against the schema; return the normalized record.

    Raises ``RecordError`` with the first problem found. Extra fields are dropped.
    """
    if not isinstance(obj, dict):
        kind = "null" if obj is None else type(obj).__name__
        raise RecordError("not an object", f"got JSON {kind}")
    for name in FIELDS:
        if name not in obj:
            raise RecordError(f"missing field: {name}")
    ident, nome, idade = obj["id"], obj["nome"], obj["idade"]
    cidade, valor, ts = obj["cidade"], obj["valor"], obj["timestamp"]
    for name, value in (("id", ident), ("idade", idade)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise RecordError(f"wrong type: {name}", f"expected integer, got {value!r:.40}")
    if not isinstance(valor, int | float) or isinstance(valor, bool):
        raise RecordError("wrong type: valor", f"expected number, got {valor!r:.40}")
    for name, value in (("nome", nome), ("cidade", cidade), ("timestamp", ts)):
        if not isinstance(value, str):
            raise RecordError(f"wrong type: {name}", f"expected string, got {value!r:.40}")
    if isinstance(valor, float) and not math.isfinite(valor):  # ints: no overflow to float
        raise RecordError("not finite: valor", repr(valor))
    _check_range("id", ident, ID_RANGE)
    _check_range("idade", idade, AGE_RANGE)
    _check_range("valor", valor, VALUE_RANGE)
    if isinstance(valor, float) and round(valor, 2) != valor:
        raise RecordError("more than 2 decimals: valor", f"{valor!r} (amounts are whole cents)")
    if not nome.strip():
        raise RecordError("empty field: nome")
    for name, value in (("nome", nome), ("cidade", cidade), ("timestamp", ts)):
        if _CONTROL_RE.search(value):
            raise RecordError(f"control characters: {name}")
        if _SURROGATE_RE.search(value):
            raise RecordError("invalid UTF-8", f"lone surrogate in {name}")
    if cidade not in CITY_INDEX:
        raise RecordError("unknown city", f"{cidade!r:.60}")
    if not _TIMESTAMP_RE.fullmatch(ts):
        raise RecordError("bad timestamp", f"{ts!r:.60}")
    return {
        "id": ident, "nome": nome, "idade": idade, "cidade": cidade,
        "valor": float(valor), "timestamp": ts,
    }


def _check_range(name: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise RecordError(f"out of range: {name}", f"{value} not in [{low:g}, {high:g}]")


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Keep the first of duplicate keys, as polars' NDJSON reader does (fast path parity)."""
    obj: dict[str, Any] = {}
    for name, value in pairs:
        obj.setdefault(name, value)
    return obj


def decode(value: bytes | None) -> dict[str, Any]:
    """Decode and validate one message value (the authoritative, per-message path)."""
    if value is None:
        raise RecordError("tombstone without key")
    if not value.strip():
        raise RecordError("empty message")
    if len(value) > MAX_MESSAGE_BYTES:
        raise RecordError("message too large", f"{len(value)} bytes > {MAX_MESSAGE_BYTES}")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError("invalid UTF-8", f"byte {exc.start}") from None
    try:  # NaN/Infinity parse as floats: validate() names the field they are in
        obj = json.loads(text, object_pairs_hook=_first_wins)
    except (ValueError, RecursionError) as exc:
        raise RecordError("not JSON", str(exc)[:80]) from None
    return validate(obj)


def encode(record: dict[str, Any]) -> bytes:
    """Serialize a record the way the original producer did (UTF-8 JSON, no ASCII escapes)."""
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def key_of(record: dict[str, Any]) -> bytes:
    """The message key: the id as decimal text."""
    return str(record["id"]).encode()
