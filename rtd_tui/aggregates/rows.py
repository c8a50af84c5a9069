"""The aggregates topic's messages, decoded and checked against the contract.

Key: JSON ``{"kind", "name"}``. Value: JSON with ``kind``, ``name``, ``records`` and
the nullable ``cents``, ``max_offset``, ``last_ts``; or null, a tombstone (the row is
gone). Kinds: ``cell`` (``<cidade>|<idade>``), ``rejected`` (a reason name),
``partition`` (a raw partition's progress) and ``tombstones``. Unknown kinds and
unknown columns are additions to the contract: they are skipped, never an error.
Anything else that does not fit raises ``AggregateError`` naming the message and
the fault, so one bad message never takes good ones with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rtd_tui.records import AGE_RANGE, CITY_INDEX

CELL, REJECTED, PARTITION, TOMBSTONES = "cell", "rejected", "partition", "tombstones"
KINDS = (CELL, REJECTED, PARTITION, TOMBSTONES)
#: Separates a cell's city from its age in ``name`` (cities never contain it).
CELL_SEPARATOR = "|"


class AggregateError(ValueError):
    """An aggregates message that breaks the contract; the text says where and how."""


@dataclass(frozen=True, slots=True)
class AggregateKey:
    """The upsert key: one row of the job's result."""

    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class AggregateRow:
    """One row's latest value (``None`` columns: not given by the job)."""

    records: int
    cents: int | None = None
    max_offset: int | None = None
    last_ts: int | None = None


@dataclass(frozen=True, slots=True)
class Cell:
    """A ``cell`` row's name, parsed: the city's index and the age."""

    city: int
    age: int


def decode_message(
    key: bytes | None, value: bytes | None, where: str = ""
) -> tuple[AggregateKey, AggregateRow | None] | None:
    """One message as (key, row), row ``None`` for a tombstone; ``None`` for a kind
    this reader does not know. ``where`` (e.g. "partition 0 offset 7") names the
    message in the error."""
    at = f" at {where}" if where else ""
    if key is None:
        raise AggregateError(f"aggregate message{at} has no key")
    try:
        agg_key = _key(key)
    except AggregateError as exc:
        raise AggregateError(f"key{at}{exc}") from None
    if agg_key.kind not in KINDS:
        return None
    if value is None:
        check_name(agg_key)
        return agg_key, None
    what = f"value of {agg_key.kind} {agg_key.name!r}{at}"
    columns = _json_object(value, what)
    for column in ("kind", "name"):
        if columns.get(column) != getattr(agg_key, column):
            raise AggregateError(f"{what}: {column} {columns.get(column)!r:.60} differs from "
                                 f"the key's {getattr(agg_key, column)!r}")
    check_name(agg_key)
    row = AggregateRow(
        records=_count(columns, "records", what),
        cents=_nullable_count(columns, "cents", what),
        max_offset=_nullable_count(columns, "max_offset", what),
        last_ts=_nullable_count(columns, "last_ts", what),
    )
    if agg_key.kind == CELL and row.cents is None:
        raise AggregateError(f"{what}: cents is null (a cell always has a sum)")
    return agg_key, row


@lru_cache(maxsize=8192)  # a job rewrites the same few thousand keys again and again
def _key(key: bytes) -> AggregateKey:
    """A key's kind and name (the error text follows "key at ...")."""
    fields = _json_object(key, "")
    return AggregateKey(_text(fields, "kind", ""), _text(fields, "name", ""))


def check_name(key: AggregateKey) -> None:
    """The ``name`` of a known kind has its kind's form."""
    if key.kind == CELL:
        parse_cell(key.name)
    elif key.kind == PARTITION and not (key.name.isascii() and key.name.isdigit()):
        raise AggregateError(f"partition name {key.name!r:.60} is not a partition number")
    elif key.kind == REJECTED and not key.name:
        raise AggregateError("rejected row with an empty reason name")
    elif key.kind == TOMBSTONES and key.name:
        raise AggregateError(f"tombstones row named {key.name!r:.60} (the name must be empty)")


@lru_cache(maxsize=4096)  # at most cities x ages valid names: each is parsed once
def parse_cell(name: str) -> Cell:
    """``'<cidade>|<idade>'`` with a known city and an age in range."""
    city, sep, age = name.rpartition(CELL_SEPARATOR)
    if not sep:
        raise AggregateError(f"cell name {name!r:.60} is not '<cidade>|<idade>'")
    if city not in CITY_INDEX:
        raise AggregateError(f"cell name {name!r:.60}: unknown city {city!r:.40}")
    if not (age.isascii() and age.isdigit()) or not AGE_RANGE[0] <= int(age) <= AGE_RANGE[1]:
        raise AggregateError(f"cell name {name!r:.60}: age {age!r:.10} is not in "
                             f"{AGE_RANGE[0]}-{AGE_RANGE[1]}")
    return Cell(CITY_INDEX[city], int(age))


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    """``data`` as a JSON object; errors read "<what> is not ..." (``what`` may be empty)."""
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AggregateError(f"{what} is not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise AggregateError(f"{what} is not a JSON object: {data[:60]!r}")
    return parsed


def _text(fields: dict[str, Any], name: str, what: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise AggregateError(f"{what}: {name} must be a string, got {value!r:.60}")
    return value


def _nullable_count(columns: dict[str, Any], name: str, what: str) -> int | None:
    """A nullable ``_count`` column."""
    return None if columns.get(name) is None else _count(columns, name, what)


def _count(columns: dict[str, Any], name: str, what: str) -> int:
    """A non-negative integer column (never a bool or a float)."""
    value = columns.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise AggregateError(f"{what}: {name} must be an integer, got {value!r:.60}")
    if value < 0:
        raise AggregateError(f"{what}: {name} is negative ({value})")
    return value
