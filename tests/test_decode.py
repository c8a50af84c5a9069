"""Tests for rtd_tui.decode: every message lands in exactly one bucket, with the right verdict."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rtd_tui.decode as decode_module
from rtd_tui.decode import DecodedBatch, decode_batch
from rtd_tui.generator import RecordGenerator
from rtd_tui.records import (
    CITIES,
    FIELDS,
    STORE_SCHEMA,
    RecordError,
    decode,
    encode,
)
from rtd_tui.store import RecordStore

GOOD: dict[str, Any] = {
    "id": 4321,
    "nome": "Ana Souza",
    "idade": 33,
    "cidade": "Recife",
    "valor": 123.45,
    "timestamp": "2024-05-01T12:30:15+00:00",
}


@pytest.fixture(scope="module", autouse=True)
def vectorized_even_when_small() -> Iterator[None]:
    """These tests check the vectorized path with small batches: route every batch to it
    (``test_small_batches_decode_as_vectorized_ones`` checks the small-batch route)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decode_module, "SMALL_BATCH", 0)
        yield


def with_raw(record: dict[str, Any], field: str, raw: str) -> bytes:
    """``record`` as wire bytes with one field's JSON text replaced by ``raw``."""
    text = encode({**record, field: "@@"}).decode()
    return text.replace('"@@"', raw).encode()


def generated(n: int, seed: int = 7) -> list[dict[str, Any]]:
    clock = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    gen = RecordGenerator(seed=seed, clock=lambda: clock)
    return [gen.record() for _ in range(n)]


def rows_by_position(batch: DecodedBatch) -> dict[tuple[int, int], dict[str, Any]]:
    """The accepted rows keyed by (partition, offset), with the city as plain text."""
    out = {}
    for row in batch.rows.to_dicts():
        out[(row.pop("partition"), row.pop("offset"))] = row
    return out


# ---- deterministic cases ---------------------------------------------------------

BAD_MESSAGES: list[tuple[bytes, str]] = [
    (b"[1, 2]", "not an object"),
    (b"42", "not an object"),
    (b'"text"', "not an object"),
    (b"null", "not an object"),
    (encode({k: v for k, v in GOOD.items() if k != "cidade"}), "missing field: cidade"),
    (with_raw(GOOD, "idade", '"abc"'), "wrong type: idade"),
    (with_raw(GOOD, "idade", "30.0"), "wrong type: idade"),
    (with_raw(GOOD, "idade", "true"), "wrong type: idade"),
    (with_raw(GOOD, "valor", '"12,50"'), "wrong type: valor"),
    (with_raw(GOOD, "valor", "NaN"), "not finite: valor"),
    (with_raw(GOOD, "valor", "Infinity"), "not finite: valor"),
    (encode({**GOOD, "idade": 200}), "out of range: idade"),
    (encode({**GOOD, "valor": -3.0}), "out of range: valor"),
    (encode({**GOOD, "id": 12}), "out of range: id"),
    # values that do not fit the store's narrow types (id Int16, idade Int8)
    (encode({**GOOD, "id": 40_000}), "out of range: id"),
    (encode({**GOOD, "id": -40_000}), "out of range: id"),
    (encode({**GOOD, "id": 2**40}), "out of range: id"),
    (encode({**GOOD, "id": 2**70}), "out of range: id"),
    (encode({**GOOD, "idade": 300}), "out of range: idade"),
    (encode({**GOOD, "idade": -129}), "out of range: idade"),
    (encode({**GOOD, "cidade": "Gotham"}), "unknown city"),
    (encode({**GOOD, "nome": "\u001b[31mAna"}), "control characters: nome"),
    (encode({**GOOD, "timestamp": "yesterday"}), "bad timestamp"),
    (encode(GOOD).replace(b"Ana", b"A\xffna"), "invalid UTF-8"),
    (encode({**GOOD, "nome": "a" * (1 << 20)}), "message too large"),
    (b"", "empty message"),
    (b"{not json", "not JSON"),
]


def test_mixed_batch_keeps_good_rejects_bad_lists_tombstones() -> None:
    """Good, bad and tombstone messages interleaved: each one ends up where it belongs."""
    goods = generated(2 * len(BAD_MESSAGES) + 2)  # every bad message, between good ones
    values: list[bytes | None] = []
    keys: list[bytes | None] = []
    expected_good: dict[tuple[int, int], dict[str, Any]] = {}
    expected_rej: dict[tuple[int, int], str] = {}
    partitions: list[int] = []
    offsets: list[int] = []

    def add(value: bytes | None, key: bytes | None) -> tuple[int, int]:
        pos = (len(values) % 3, 100 + len(values))
        values.append(value)
        keys.append(key)
        partitions.append(pos[0])
        offsets.append(pos[1])
        return pos

    bad = iter(BAD_MESSAGES)
    for i, rec in enumerate(goods):
        expected_good[add(encode(rec), str(rec["id"]).encode())] = rec
        if i % 2 == 0:
            value, reason = next(bad, (b"  ", "empty message"))
            expected_rej[add(value, b"1")] = reason
    tomb_pos = add(None, b"1234")
    expected_rej[add(None, None)] = "tombstone without key"
    expected_rej[add(None, b"12a")] = "tombstone with bad key"

    batch = decode_batch(values, partitions, offsets, keys)

    assert rows_by_position(batch) == expected_good
    assert {(r.partition, r.offset): r.reason for r in batch.rejections} == expected_rej
    assert batch.tombstones == [(*tomb_pos, 1234)]
    assert batch.rows.schema == STORE_SCHEMA
    assert batch.rows.height + len(batch.rejections) + len(batch.tombstones) == len(values)


def test_fast_and_slow_paths_agree() -> None:
    """A clean batch (vectorized path) decodes to the same rows as message-by-message."""
    goods = generated(3000, seed=11)
    goods += [{**GOOD, "nome": n} for n in ("Zoë \"Zé\" d'Ávila", "Ünïcødé 😀", "a\\b", "true")]
    values = [encode(r) for r in goods]
    values += [json.dumps(r, ensure_ascii=True).encode() for r in goods[:50]]
    n = len(values)
    offsets = list(range(n))
    fast = decode_batch(values, [0] * n, offsets)
    # One undecodable line makes polars fail the batch: everything goes the slow path.
    slow = decode_batch([*values, b"{"], [0] * (n + 1), [*offsets, n])
    assert [r.reason for r in slow.rejections] == ["not JSON"]
    assert not fast.rejections
    fast_rows = fast.rows.sort("offset")
    assert fast_rows.equals(slow.rows.sort("offset"))
    assert fast_rows.drop("partition", "offset").to_dicts() == [decode(v) for v in values]


def test_small_batches_decode_as_vectorized_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow stream's batches (per-message validator) give the rows and reasons that one
    vectorized batch of the same messages gives."""
    values = [v for pair in zip(map(encode, generated(len(BAD_MESSAGES))),
                                (v for v, _ in BAD_MESSAGES), strict=True) for v in pair]
    n = len(values)
    whole = decode_batch(values, [0] * n, list(range(n)))
    monkeypatch.setattr(decode_module, "SMALL_BATCH", 32)
    parts = [decode_batch(values[i:i + k], [0] * k, list(range(i, i + k)))
             for i, k in ((i, min(3, n - i)) for i in range(0, n, 3))]
    assert pl.concat([b.rows for b in parts]).equals(whole.rows)
    assert [r for b in parts for r in b.rejections] == whole.rejections
    assert len(whole.rejections) == len(BAD_MESSAGES) and whole.rows.height == n // 2


@pytest.mark.parametrize("raw", ["123", "true", '{"a":1}', "[1]", "-1.5e3", "false", "null"])
def test_non_string_name_rejected_despite_polars_coercion(raw: str) -> None:
    """polars would read ``"nome": 123`` as the text "123"; the decoder must not accept it."""
    goods = generated(5, seed=3)
    values = [encode(goods[0]), with_raw(goods[1], "nome", raw), *map(encode, goods[2:])]
    batch = decode_batch(values, [0] * 5, list(range(5)))
    assert [(r.offset, r.reason) for r in batch.rejections] == [(1, "wrong type: nome")]
    assert sorted(batch.rows["offset"].to_list()) == [0, 2, 3, 4]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (with_raw(GOOD, "cidade", "7"), "wrong type: cidade"),
        (with_raw(GOOD, "timestamp", "20240501"), "wrong type: timestamp"),
        (with_raw(GOOD, "id", '"4321"'), "wrong type: id"),
        (with_raw(GOOD, "valor", '"123.45"'), "wrong type: valor"),
        (with_raw(GOOD, "valor", "1" + "0" * 400), "out of range: valor"),
        (with_raw(GOOD, "nome", '"Ana\\ud800"'), "invalid UTF-8"),
        (encode({**GOOD, "timestamp": "\u0662\u0660\u0662\u0664-05-01T12:00"}), "bad timestamp"),
        (encode({**GOOD, "nome": " \u00a0"}), "empty field: nome"),
        (encode({**GOOD, "valor": 2000.001}), "out of range: valor"),
        (encode({**GOOD, "valor": 123.456}), "more than 2 decimals: valor"),
        (encode({**GOOD, "valor": 50.001}), "more than 2 decimals: valor"),
    ],
    ids=lambda case: case if isinstance(case, str) else "msg",
)
def test_lenient_polars_reads_still_rejected(value: bytes, reason: str) -> None:
    """Values polars reads without failing the batch still get the validator's verdict."""
    batch = decode_batch([encode(GOOD), value, encode(GOOD)], [0, 0, 0], [0, 1, 2])
    assert [(r.offset, r.reason) for r in batch.rejections] == [(1, reason)]
    assert sorted(batch.rows["offset"].to_list()) == [0, 2]


@pytest.mark.parametrize("where", ["first", "last"])
def test_duplicate_keys_same_value_both_paths(where: str) -> None:
    """A repeated key resolves the same way alone (slow) and in a clean batch (fast)."""
    text = encode(GOOD)
    doubled = b'{"id": 2000, ' + text[1:] if where == "first" else text[:-1] + b', "id": 2000}'
    fast = decode_batch([encode(GOOD), doubled], [0, 0], [0, 1])
    slow = decode_batch([doubled, b"{"], [0, 0], [1, 2])
    assert rows_by_position(fast)[(0, 1)] == rows_by_position(slow)[(0, 1)] == decode(doubled)


@pytest.mark.parametrize("key", [b"", b"abc", b"1_000", b" 1000", b"+1000", b"-5", b"1.0",
                                 "\u0661\u0660".encode()])
def test_tombstone_key_must_be_decimal_id_text(key: bytes) -> None:
    """Only the key format ``key_of`` writes can delete an id."""
    batch = decode_batch([None, None], [0, 0], [0, 1], [key, b"1000"])
    assert batch.tombstones == [(0, 1, 1000)]
    assert [(r.offset, r.reason) for r in batch.rejections] == [(0, "tombstone with bad key")]


def test_empty_batch_and_only_tombstones() -> None:
    empty = decode_batch([], [], [])
    assert empty.rows.height == 0 and empty.rows.schema == STORE_SCHEMA
    assert not empty.rejections and not empty.tombstones
    only = decode_batch([None, None], [2, 2], [8, 9], [b"1000", None])
    assert only.rows.height == 0 and only.rows.schema == STORE_SCHEMA
    assert only.tombstones == [(2, 8, 1000)]
    assert [(r.offset, r.reason) for r in only.rejections] == [(9, "tombstone without key")]
    no_keys = decode_batch([None, encode(GOOD)], [0, 0], [0, 1])
    assert [r.reason for r in no_keys.rejections] == ["tombstone without key"]
    assert no_keys.rows.height == 1


# ---- property: any mix of good and bad ---------------------------------------------

JSON_LEAVES = (
    st.none() | st.booleans() | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8,
)
NAME_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=24
).filter(str.strip)
STAMPS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.one_of(st.none(), st.just(UTC)),
).map(lambda d: d.isoformat())
GOOD_RECORDS = st.fixed_dictionaries({
    "id": st.integers(1000, 9999),
    "nome": NAME_TEXT | st.sampled_from(["Ana Souza", "João Ñandú", "123", "true", "{x"]),
    "idade": st.integers(18, 80),
    "cidade": st.sampled_from(CITIES),
    "valor": st.integers(5000, 200_000).map(lambda cents: cents / 100),
    "timestamp": STAMPS,
})


@st.composite
def good_messages(draw: st.DrawFn) -> bytes:
    """A valid record in one of several equivalent JSON spellings."""
    rec: dict[str, Any] = draw(GOOD_RECORDS)
    style = draw(st.sampled_from(["plain", "ascii", "compact", "reversed", "extra", "intvalor"]))
    if style == "ascii":
        return json.dumps(rec, ensure_ascii=True).encode()
    if style == "compact":
        return json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()
    if style == "reversed":
        return encode(dict(reversed(rec.items())))
    if style == "extra":
        extra = draw(st.dictionaries(st.text(max_size=6).filter(lambda k: k not in FIELDS),
                                     JSON_VALUES, min_size=1, max_size=3))
        return encode({**extra, **rec} if draw(st.booleans()) else {**rec, **extra})
    if style == "intvalor":
        return encode({**rec, "valor": int(rec["valor"])})
    return encode(rec)


RAW_TOKENS = st.sampled_from([
    "NaN", "Infinity", "-Infinity", "1e999", "1" + "0" * 400, "true", "false", "null", "123",
    "30.0", "-0", '"12,50"', '"42"', '{"a":1}', "[]", "[1, 2]", '"\\ud800"', '"x\\udfff"',
    '"\\u001b[31m"', '""', '"  "', '"S\\u00e3o Paulo"', '"2024-02-30T00:00"',
    '"2024-13-01T00:00"', '"\\u0662\\u0660\\u0662\\u0664-01-01T00:00"', "17", "81", "999",
    "10000", "49.99", "2000.01", '"Sao Paulo"',
])


@st.composite
def bad_messages(draw: st.DrawFn) -> bytes | None:
    """Messages of every broken kind (a few may turn out valid: the oracle decides)."""
    rec: dict[str, Any] = draw(GOOD_RECORDS)
    text = encode(rec)
    kind = draw(st.sampled_from([
        "bytes", "json", "field", "raw", "drop", "utf8", "empty", "large", "tombstone",
        "duplicate", "truncated", "two", "control",
    ]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    field = draw(st.sampled_from(FIELDS))
    if kind == "field":
        return encode({**rec, field: draw(JSON_VALUES)})
    if kind == "raw":
        return with_raw(rec, field, draw(RAW_TOKENS))
    if kind == "drop":
        return encode({k: v for k, v in rec.items() if k != field})
    if kind == "utf8":
        cut = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80"]))
        return text[:cut] + junk + text[cut:]
    if kind == "empty":
        return draw(st.sampled_from([b"", b" ", b"\n", b"\r\n\t"]))
    if kind == "large":
        return encode({**rec, "nome": "x" * (70_000 + draw(st.integers(0, 100)))})
    if kind == "tombstone":
        return None
    if kind == "duplicate":
        dup = f'"{field}": {draw(RAW_TOKENS)}'.encode()
        if draw(st.booleans()):
            return b"{" + dup + b", " + text[1:]
        return text[:-1] + b", " + dup + b"}"
    if kind == "truncated":
        return text[: draw(st.integers(0, len(text) - 1))]
    if kind == "two":
        return text + draw(st.sampled_from([b" ", b"\n", b""])) + encode(draw(GOOD_RECORDS))
    bad_char = draw(st.sampled_from(["\x00", "\x1b", "\x7f", "\x85", "\x9f", "\n"]))
    return encode({**rec, "nome": rec["nome"] + bad_char})


@given(
    messages=st.lists(good_messages() | good_messages() | bad_messages(), max_size=40),
    data=st.data(),
)
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
def test_any_mix_leaves_exactly_the_good_ones(
    messages: list[bytes | None], data: st.DataObject
) -> None:
    """decode_batch + ingest keep exactly what records.decode accepts, and count the rest."""
    partitions = [data.draw(st.integers(0, 3)) for _ in messages]
    offsets = list(range(len(messages)))  # unique per partition too
    good: dict[tuple[int, int], dict[str, Any]] = {}
    reasons: Counter[str] = Counter()
    for value, p, o in zip(messages, partitions, offsets, strict=True):
        try:
            good[(p, o)] = decode(value)
        except RecordError as exc:
            reasons[exc.reason] += 1

    store = RecordStore(window=1000)
    start = 0
    while start < len(messages):
        size = data.draw(st.integers(1, 16))
        end = start + size
        batch = decode_batch(messages[start:end], partitions[start:end], offsets[start:end])
        assert batch.rows.height + len(batch.rejections) == len(messages[start:end])
        assert not batch.tombstones
        store.ingest(batch)
        start = end

    assert rows_by_position_of(store) == good
    snap = store.snapshot()
    assert snap.count == len(good)
    # The store keeps totals in integer cents; good records here carry whole cents.
    expected_total = sum(round(r["valor"] * 100) for r in good.values()) / 100
    assert math.isclose(snap.total, expected_total, abs_tol=1e-6)
    assert dict(zip(snap.by_city["cidade"], snap.by_city["count"], strict=True)) == Counter(
        r["cidade"] for r in good.values()
    )
    assert snap.rejected_by_reason == dict(reasons)
    assert snap.rejected == sum(reasons.values())
    assert snap.consumed == len(messages)


def rows_by_position_of(store: RecordStore) -> dict[tuple[int, int], dict[str, Any]]:
    """The store's window rows keyed by (partition, offset)."""
    return rows_by_position(DecodedBatch(store.frame()))
