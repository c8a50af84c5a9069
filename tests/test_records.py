"""Tests for rtd_tui.records: the generator's realism and the validator's verdicts."""

from __future__ import annotations

import csv
import json
import statistics
from array import array
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtd_tui import records
from rtd_tui.generator import POOL_SIZE, Pools, PoolsBuild, RecordGenerator, draw_pools
from rtd_tui.records import (
    CITIES,
    FIELDS,
    MAX_MESSAGE_BYTES,
    RecordError,
    decode,
    encode,
    key_of,
    validate,
)

N_RECORDS = 20_000
FIXED_NOW = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
CITIES_CSV = Path(__file__).resolve().parents[1] / "rtd_tui" / "data" / "cities.csv"
GOOD: dict[str, Any] = {
    "id": 4321,
    "nome": "Ana Souza",
    "idade": 33,
    "cidade": "Recife",
    "valor": 123.45,
    "timestamp": "2024-05-01T12:30:15.123456+00:00",
}


def fixed_clock() -> datetime:
    """An injected clock: generated records do not depend on the wall time."""
    return FIXED_NOW


def with_raw(field: str, raw: str) -> bytes:
    """GOOD as wire bytes with one field's JSON text replaced by ``raw`` (may be non-JSON)."""
    text = encode({**GOOD, field: "@@"}).decode()
    return text.replace('"@@"', raw).encode()


def reason_of(value: bytes | None) -> str:
    """The rejection reason of ``decode``; fails the test if the message is accepted."""
    with pytest.raises(RecordError) as info:
        decode(value)
    return info.value.reason


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    """~20k generated records, seeded."""
    gen = RecordGenerator(seed=2024, clock=fixed_clock)
    return [gen.record() for _ in range(N_RECORDS)]


# ---- generator ---------------------------------------------------------------------


def test_generated_fields_stay_in_range(sample: list[dict[str, Any]]) -> None:
    """Every generated record is inside the schema's ranges and types."""
    for rec in sample:
        assert tuple(rec) == FIELDS
        assert type(rec["id"]) is int and 1000 <= rec["id"] <= 9999
        assert type(rec["idade"]) is int and 18 <= rec["idade"] <= 80
        assert type(rec["valor"]) is float and 50.0 <= rec["valor"] <= 2000.0
        decimals = repr(rec["valor"]).partition(".")[2]
        assert len(decimals) <= 2, rec["valor"]
        assert rec["cidade"] in CITIES
        assert isinstance(rec["nome"], str) and rec["nome"].strip()
        assert datetime.fromisoformat(rec["timestamp"]) == FIXED_NOW


def test_generated_ranges_are_used(sample: list[dict[str, Any]]) -> None:
    """The generator spreads over the ranges instead of emitting a constant."""
    ids = [r["id"] for r in sample]
    ages = [r["idade"] for r in sample]
    assert len(set(ids)) > 5000
    assert min(ages) <= 20 and max(ages) >= 75
    assert len({r["cidade"] for r in sample}) == len(CITIES) == 25
    assert len({r["nome"] for r in sample}) > 1000


def test_generated_records_validate_and_round_trip(sample: list[dict[str, Any]]) -> None:
    """What the generator makes, the validator accepts unchanged."""
    for rec in sample[:2000]:
        assert validate(rec) == rec
        assert decode(encode(rec)) == rec


def test_default_clock_timestamps_parse() -> None:
    """With the real clock, timestamps are ISO-8601 that datetime.fromisoformat reads."""
    before = datetime.now()
    gen = RecordGenerator(seed=1)
    stamps = [datetime.fromisoformat(gen.record()["timestamp"]) for _ in range(50)]
    assert all(before <= s <= datetime.now() for s in stamps)


def test_same_seed_same_records() -> None:
    """Two generators with the same seed and clock produce identical streams."""
    a = RecordGenerator(seed=99, clock=fixed_clock)
    b = RecordGenerator(seed=99, clock=fixed_clock)
    c = RecordGenerator(seed=100, clock=fixed_clock)
    first = [a.record() for _ in range(500)]
    assert first == [b.record() for _ in range(500)]
    assert first != [c.record() for _ in range(500)]


def test_helper_process_draws_the_same_pools_as_in_process() -> None:
    """The dashboard's helper process (``python -m rtd_tui.generator``) gives the pools
    this process would draw with the same seed, so ``--seed`` runs stay reproducible."""
    build = PoolsBuild(seed=31, name_pool=300)
    assert build.result() == draw_pools(31, name_pool=300)
    from_helper = RecordGenerator(pools=build.result(), clock=fixed_clock)
    in_process = RecordGenerator(seed=31, name_pool=300, clock=fixed_clock)
    assert [from_helper.encoded() for _ in range(2000)] == [
        in_process.encoded() for _ in range(2000)
    ]


def test_pools_round_trip_through_json() -> None:
    """The pools and the random state (``gauss_next`` included) survive JSON exactly."""
    for seed in range(4):
        pools = draw_pools(seed, name_pool=50)
        assert Pools.from_json(pools.to_json()) == pools


def test_pools_are_machine_arrays_and_a_short_pool_is_refused() -> None:
    """The numbers are held as arrays (not 65,536 Python objects per field), sent as
    their bytes; a pool of the wrong length from the helper is an error, not a short pool."""
    pools = draw_pools(2, name_pool=50)
    assert all(isinstance(getattr(pools, f), array) for f in ("picks", "ids", "ages",
                                                             "values", "cities"))
    assert len(pools.values) == POOL_SIZE and pools.values[0] == round(pools.values[0], 2)
    data = json.loads(pools.to_json())
    data["ids"] = data["ids"][:-4]  # one entry short
    with pytest.raises(ValueError, match=f"pool of {POOL_SIZE - 1} entries"):
        Pools.from_json(json.dumps(data))


def test_failed_helper_falls_back_to_drawing_in_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A helper that cannot run (here: /bin/false as the interpreter) costs time, never records."""
    monkeypatch.setattr("sys.executable", "/bin/false")
    build = PoolsBuild(seed=4, name_pool=100)
    assert build.result() == draw_pools(4, name_pool=100)
    assert "drawing in-process" in caplog.text


def test_cancel_stops_a_running_helper() -> None:
    """Quitting before the helper finishes leaves no child process behind."""
    build = PoolsBuild(seed=1)
    assert build.helper_running
    build.cancel()
    assert not build.helper_running


def test_encoded_matches_encode_of_record() -> None:
    """``encoded()`` is a fast path: its bytes equal ``encode(record())`` for the same draws."""
    clock_values = iter(FIXED_NOW + timedelta(microseconds=i) for i in range(10**6))
    other_values = iter(FIXED_NOW + timedelta(microseconds=i) for i in range(10**6))
    fast = RecordGenerator(seed=5, clock=lambda: next(clock_values))
    slow = RecordGenerator(seed=5, clock=lambda: next(other_values))
    for _ in range(5000):
        enc = fast.encoded()
        rec = slow.record()
        assert enc.value == encode(rec)
        assert enc.key == key_of(rec) == str(rec["id"]).encode()
        assert json.loads(enc.value) == rec


def test_city_weights_follow_population(sample: list[dict[str, Any]]) -> None:
    """São Paulo's share tracks its population share and dwarfs Palmas'."""
    with CITIES_CSV.open(encoding="utf-8") as fh:
        population = {r["cidade"]: int(r["population_2022"]) for r in csv.DictReader(fh)}
    assert set(population) == set(CITIES)
    counts = Counter(r["cidade"] for r in sample)
    expected_sp = population["São Paulo"] / sum(population.values())
    assert abs(counts["São Paulo"] / N_RECORDS - expected_sp) < 0.02
    assert counts["São Paulo"] > 10 * counts["Palmas"]
    assert counts.most_common(1)[0][0] == "São Paulo"


def test_amounts_are_skewed(sample: list[dict[str, Any]]) -> None:
    """Many small tickets, few large ones: median well below mean."""
    values = [r["valor"] for r in sample]
    mean, median = statistics.fmean(values), statistics.median(values)
    assert median < 0.9 * mean
    assert sum(v < 300 for v in values) > 0.5 * N_RECORDS
    assert sum(v > 1500 for v in values) < 0.02 * N_RECORDS
    assert sum(v > 1500 for v in values) > 0  # the tail exists


def test_key_of_is_id_text() -> None:
    assert key_of(GOOD) == b"4321"


# ---- validate / decode ------------------------------------------------------------


@pytest.mark.parametrize("obj", [[1, 2], [GOOD], 5, 1.5, "text", None, True])
def test_not_an_object(obj: Any) -> None:
    with pytest.raises(RecordError) as info:
        validate(obj)
    assert info.value.reason == "not an object"
    assert reason_of(json.dumps(obj).encode()) == "not an object"


@pytest.mark.parametrize("field", FIELDS)
def test_missing_field(field: str) -> None:
    rec = {k: v for k, v in GOOD.items() if k != field}
    assert reason_of(encode(rec)) == f"missing field: {field}"


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("idade", '"abc"'), ("idade", "30.0"), ("idade", "true"), ("idade", '"30"'),
        ("id", "4321.0"), ("id", '"4321"'), ("id", "false"), ("id", "null"),
        ("valor", '"12,50"'), ("valor", '"12.50"'), ("valor", "true"), ("valor", "[1]"),
        ("nome", "123"), ("nome", "true"), ("nome", '{"a": 1}'), ("nome", "NaN"),
        ("cidade", "1"), ("cidade", "null"), ("timestamp", "20240501"),
    ],
)
def test_wrong_type(field: str, raw: str) -> None:
    assert reason_of(with_raw(field, raw)) == f"wrong type: {field}"


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_not_finite(raw: str) -> None:
    assert reason_of(with_raw("valor", raw)) == "not finite: valor"
    with pytest.raises(RecordError, match="not finite"):
        validate({**GOOD, "valor": float(raw)})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("idade", 17), ("idade", 81), ("idade", 200), ("idade", -1),
        ("valor", 49.99), ("valor", 2000.01), ("valor", -5.0), ("valor", 0),
        # a huge JSON integer must not overflow the float conversion
        pytest.param("valor", 10**400, id="valor-huge-int"),
        ("id", 999), ("id", 10000), ("id", 12), ("id", 10**30),
    ],
)
def test_out_of_range(field: str, value: float) -> None:
    assert reason_of(with_raw(field, json.dumps(value))) == f"out of range: {field}"


@pytest.mark.parametrize(("field", "value"), [("idade", 18), ("idade", 80), ("valor", 50),
                                               ("valor", 2000.0), ("id", 1000), ("id", 9999)])
def test_range_bounds_are_inclusive(field: str, value: float) -> None:
    assert decode(with_raw(field, json.dumps(value)))[field] == value


@pytest.mark.parametrize("city", ["Sao Paulo", "são paulo", "Springfield", ""])
def test_unknown_city(city: str) -> None:
    assert reason_of(encode({**GOOD, "cidade": city})) == "unknown city"


@pytest.mark.parametrize(
    ("field", "value"),
    [("nome", "\u001b[31mAna"), ("nome", "Ana\x00"), ("nome", "A\u0085na"), ("nome", "Ana\n"),
     ("cidade", "Recife\r"), ("timestamp", "2024-05-01T12:30:15\n")],
)
def test_control_characters(field: str, value: str) -> None:
    assert reason_of(encode({**GOOD, field: value})) == f"control characters: {field}"


@pytest.mark.parametrize(
    "stamp",
    ["yesterday", "", "2024-05-01", "01/05/2024 12:00", "2024-13-01T00:00:00",
     "2024-05-32T00:00", "2024-05-01T24:00", "2024-05-01T12:60",
     "\u0662\u0660\u0662\u0664-05-01T12:00",  # Arabic-Indic digits match \d but are not ISO
     "2024-05-01T12:00:00+25:00", "2024-05-01T12:00:00.1234567890"],
)
def test_bad_timestamp(stamp: str) -> None:
    assert reason_of(encode({**GOOD, "timestamp": stamp})) == "bad timestamp"


@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 1),
        timezones=st.one_of(
            st.none(),
            st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
        ),
    ),
    spec=st.sampled_from(["auto", "minutes", "seconds", "milliseconds", "microseconds"]),
    sep=st.sampled_from(["T", " "]),
)
@settings(max_examples=200, deadline=None, derandomize=True)
def test_isoformat_timestamps_accepted(moment: datetime, spec: str, sep: str) -> None:
    """Whatever ``datetime.isoformat()`` writes is accepted, and it parses back."""
    stamp = moment.isoformat(sep=sep, timespec=spec)
    assert decode(encode({**GOOD, "timestamp": stamp}))["timestamp"] == stamp
    assert datetime.fromisoformat(stamp).isoformat(sep=sep, timespec=spec) == stamp


def test_blank_name_rejected() -> None:
    assert reason_of(encode({**GOOD, "nome": "  "})) == "empty field: nome"


def test_invalid_utf8() -> None:
    assert reason_of(encode(GOOD).replace(b"Ana", b"An\xff")) == "invalid UTF-8"
    assert reason_of(b"\xc3(") == "invalid UTF-8"


def test_lone_surrogate_is_invalid_utf8() -> None:
    """A JSON escape of half a surrogate pair cannot go into the store (UTF-8 only)."""
    assert reason_of(with_raw("nome", '"Ana \\ud800"')) == "invalid UTF-8"
    assert decode(with_raw("nome", '"Ana \\ud83d\\ude00"'))["nome"] == "Ana \U0001f600"


def test_message_too_large() -> None:
    big = encode({**GOOD, "nome": "a" * (1 << 20)})
    assert len(big) > MAX_MESSAGE_BYTES
    assert reason_of(big) == "message too large"


@pytest.mark.parametrize("value", [b"", b"   ", b"\n\t "])
def test_empty_message(value: bytes) -> None:
    assert reason_of(value) == "empty message"


def test_tombstone_without_key() -> None:
    assert reason_of(None) == "tombstone without key"


@pytest.mark.parametrize("value", [b"{", b"{'id': 1}", b"nope", b"\xef\xbb\xbf{}",
                                   encode(GOOD) + b" {}", encode(GOOD)[:-1] + b",}"])
def test_not_json(value: bytes) -> None:
    assert reason_of(value) == "not JSON"


def test_extra_fields_accepted_and_dropped() -> None:
    noisy = {"extra": [1, {"x": None}], **GOOD, "loja": "Centro", "valor_nan": None}
    assert validate(noisy) == GOOD
    assert list(validate(noisy)) == list(FIELDS)
    assert decode(encode(noisy)) == GOOD
    assert decode(encode(GOOD)[:-1] + b', "x": NaN}') == GOOD  # NaN outside valor is no concern


def test_integer_amount_becomes_float() -> None:
    rec = decode(with_raw("valor", "100"))
    assert rec["valor"] == 100.0 and type(rec["valor"]) is float


def test_duplicate_keys_first_wins() -> None:
    """Duplicate keys resolve as polars' reader does, so both decode paths agree."""
    doubled = b'{"id": 2000, ' + encode(GOOD)[1:]
    assert decode(doubled)["id"] == 2000
    assert decode(encode(GOOD)[:-1] + b', "id": 2000}')["id"] == GOOD["id"]


def test_record_error_message() -> None:
    err = RecordError("out of range: idade", "200 not in [18, 80]")
    assert str(err) == "out of range: idade: 200 not in [18, 80]"
    assert err.reason == "out of range: idade"
    assert records.RecordError("empty message").detail == ""


@pytest.mark.parametrize("valor", [123.456, 50.001, 1999.999, 99.995])
def test_amounts_with_more_than_two_decimals_are_rejected(valor: float) -> None:
    """One rule for amounts everywhere: whole cents, never rounded."""
    with pytest.raises(RecordError) as err:
        validate({**GOOD, "valor": valor})
    assert err.value.reason == "more than 2 decimals: valor"
    assert err.value.field == "valor"


@pytest.mark.parametrize("valor", [50, 123.4, 235.09, 50.07, 1999.99])
def test_amounts_in_whole_cents_are_accepted(valor: float) -> None:
    assert validate({**GOOD, "valor": valor})["valor"] == float(valor)
