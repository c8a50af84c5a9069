"""The sales record: schema, validation rules, JSON encoding and the realistic generator.

This module is the single source of truth for the wire format
``{"id", "nome", "idade", "cidade", "valor", "timestamp"}`` (key = id as text):
the polars schema, the range rules, the encoder and the per-record validator all
come from here, so the producer, the consumer and the produce form agree.

Policy for well-typed but out-of-range values (age 200, negative amount, id 12):
they are *rejected* everywhere with the reason ``out of range: <field>``; nothing
is clamped, because a clamped amount would silently falsify the totals.
"""

from __future__ import annotations

import csv
import json
import math
import random
import re
import time
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any, NamedTuple

import polars as pl

FIELDS: tuple[str, ...] = ("id", "nome", "idade", "cidade", "valor", "timestamp")
ID_RANGE = (1000, 9999)
AGE_RANGE = (18, 80)
VALUE_RANGE = (50.0, 2000.0)
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


def _load_cities() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Read the 25 cities and their 2022 census population shipped with the package."""
    text = resources.files("rtd_tui").joinpath("data/cities.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return tuple(r["cidade"] for r in rows), tuple(int(r["population_2022"]) for r in rows)


CITIES, CITY_POPULATION = _load_cities()
CITY_INDEX: dict[str, int] = {c: i for i, c in enumerate(CITIES)}
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


class Encoded(NamedTuple):
    """One generated record ready for the wire (a tuple: cheap to make at 100k+/s)."""

    key: bytes
    value: bytes


class _LocalNowText:
    """``datetime.now().isoformat()`` at a fraction of its cost: the date and time up to
    the second are formatted once per second, the microseconds every call."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second).isoformat()
        micro = int((now - second) * 1_000_000)
        return f"{self._prefix}.{micro:06d}" if micro else self._prefix


class RecordGenerator:
    """Realistic sales records from Faker pt_BR, fast enough for 100k+ records/s.

    Faker costs ~30 µs a name, so names come from a pool drawn once (seeded).
    Cities follow the 2022 census population; amounts are log-normal (many small
    tickets, a few large ones) truncated to the schema's range; ages cluster
    around working age. Everything stays inside the schema's ranges.

    Speed: each field has a pool of ``2**16`` values drawn once from its own
    distribution (with their JSON text ready), and a record picks one entry per
    field with a single 64-bit random number. The fields stay independent and
    each follows its distribution; no per-record distribution sampling remains.
    """

    def __init__(
        self,
        seed: int | None = None,
        clock: Callable[[], datetime] = datetime.now,
        name_pool: int = 4000,
    ) -> None:
        from faker import Faker  # heavy import: only when records are generated

        self._rng = rng = random.Random(seed)
        faker = Faker("pt_BR")
        faker.seed_instance(rng.randrange(2**32))
        names = [faker.name() for _ in range(name_pool)]
        names_json = [json.dumps(n, ensure_ascii=False) for n in names]
        cities_json = [json.dumps(c, ensure_ascii=False) for c in CITIES]
        n = 1 << _POOL_BITS
        picks = [rng.randrange(name_pool) for _ in range(n)]
        self._names = [names[i] for i in picks]
        self._names_json = [names_json[i] for i in picks]
        self._ids = [rng.randint(*ID_RANGE) for _ in range(n)]
        self._ages = [_draw_age(rng) for _ in range(n)]
        self._values = [_draw_value(rng) for _ in range(n)]
        cities = rng.choices(range(len(CITIES)), weights=CITY_POPULATION, k=n)
        self._cities = [CITIES[i] for i in cities]
        self._cities_json = [cities_json[i] for i in cities]
        # Wire text of "id": …, "nome": and of "idade": …, "cidade": … …, "valor": …
        self._id_text = [str(i) for i in self._ids]
        self._value_text = [repr(v) for v in self._values]
        self._now_text: Callable[[], str] = (
            _LocalNowText() if clock == datetime.now else lambda: clock().isoformat()
        )

    def _draw(self) -> tuple[int, int, int, int, int]:
        """Pool indices for id, name, age, city and amount, from one random number."""
        bits = self._rng.getrandbits(5 * _POOL_BITS)
        m = _POOL_MASK
        return (bits & m, (bits >> 16) & m, (bits >> 32) & m, (bits >> 48) & m, bits >> 64)

    def record(self) -> dict[str, Any]:
        """One record as a dict, in wire field order."""
        i, n, a, c, v = self._draw()
        return {
            "id": self._ids[i],
            "nome": self._names[n],
            "idade": self._ages[a],
            "cidade": self._cities[c],
            "valor": self._values[v],
            "timestamp": self._now_text(),
        }

    def encoded(self) -> Encoded:
        """One record straight to wire bytes, byte-identical to ``encode(record())``."""
        i, n, a, c, v = self._draw()
        ident = self._id_text[i]
        text = (
            f'{{"id": {ident}, "nome": {self._names_json[n]}, "idade": {self._ages[a]}, '
            f'"cidade": {self._cities_json[c]}, "valor": {self._value_text[v]}, '
            f'"timestamp": "{self._now_text()}"}}'
        )
        return Encoded(ident.encode(), text.encode())


_POOL_BITS = 16
_POOL_MASK = (1 << _POOL_BITS) - 1


def _draw_value(rng: random.Random) -> float:
    """An amount in R$: log-normal, median ~R$ 180, truncated to the schema's range."""
    value = rng.lognormvariate(5.2, 0.75)
    while not VALUE_RANGE[0] <= value <= VALUE_RANGE[1]:
        value = rng.lognormvariate(5.2, 0.75)
    return round(value, 2)


def _draw_age(rng: random.Random) -> int:
    """An age clustered around working age, within the schema's range."""
    age = round(rng.gauss(39.0, 13.0))
    while not AGE_RANGE[0] <= age <= AGE_RANGE[1]:
        age = round(rng.gauss(39.0, 13.0))
    return age
