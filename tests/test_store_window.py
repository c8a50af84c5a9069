"""Tests for the store's parts: merged chunks, bulk tombstones, the byte bound, pure reads."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

import rtd_tui.store.totals as totals_module
from rtd_tui.config import ConfigError, parse_size
from rtd_tui.decode import DecodedBatch, decode_batch
from rtd_tui.records import encode
from rtd_tui.store import RecordFilter, RecordStore
from rtd_tui.store.rates import RATE_SPAN_S
from rtd_tui.store.view import aggregate
from rtd_tui.store.window import CHUNK_SHARE, FRESH_CHUNKS, RowWindow
from tests.test_store import assert_matches, batches_of, feed, plain, seeded_records

N = 6_000


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return seeded_records()


def trickle(recs: list[dict[str, Any]], seed: int = 3) -> list[DecodedBatch]:
    """The records in batches of 1 to 40, as a slow or bursty stream delivers them."""
    rng = random.Random(seed)
    out, start = [], 0
    offsets = [0, 0, 0]
    while start < len(recs):
        chunk = recs[start : start + rng.randint(1, 40)]
        start += len(chunk)
        parts = [r["id"] % 3 for r in chunk]
        offs = []
        for p in parts:
            offs.append(offsets[p])
            offsets[p] += 1
        out.append(decode_batch([encode(r) for r in chunk], parts, offs))
    return out


def test_merged_store_equals_one_built_in_one_go(records: list[dict[str, Any]]) -> None:
    """Thousands of small batches end in the same rows and figures as one batch, in a few
    real Arrow chunks (merged, not a list of one-row chunks)."""
    recs = records[:N]
    merged = RecordStore(window=4_000)
    feed(merged, trickle(recs))
    whole = RecordStore(window=4_000)
    feed(whole, batches_of(recs, size=N))
    assert merged.frame().equals(whole.frame())
    assert plain(merged.frame()) == recs[-4_000:]
    a, b = merged.snapshot(), whole.snapshot()
    assert_matches(a, recs)
    assert (a.count, a.total, a.age_counts, a.latest.rows()) == (
        b.count, b.total, b.age_counts, b.latest.rows())
    assert a.by_city.equals(b.by_city)
    assert merged.chunks <= 3 * CHUNK_SHARE
    assert merged.frame().n_chunks() <= 3 * CHUNK_SHARE


def test_reads_change_nothing(records: list[dict[str, Any]]) -> None:
    """frame(), snapshot() and liveness() leave version, chunks and results as they were."""
    now = [10.0]
    store = RecordStore(window=2_000, clock=lambda: now[0])
    feed(store, trickle(records[:3_000]))
    state = (store.version, store.chunks, store.bytes_held, store.consumed)
    first = (store.frame(), store.snapshot(), store.liveness())
    second = (store.frame(), store.snapshot(), store.liveness())
    assert (store.version, store.chunks, store.bytes_held, store.consumed) == state
    assert first[0].equals(second[0])
    assert first[1].latest.equals(second[1].latest) and first[1].count == second[1].count
    assert first[2] == second[2]


def test_ten_thousand_tombstones_in_one_batch(records: list[dict[str, Any]]) -> None:
    """Every tombstone of a big batch applies: stored rows of the ids go, from the window
    and the totals; rows after a tombstone in its partition stay."""
    recs = records[:8_000]
    store = RecordStore(window=5_000)
    feed(store, batches_of(recs))
    rng = random.Random(7)
    doomed = sorted({r["id"] for r in rng.sample(recs, 4_000)})
    base = 100_000
    ids = doomed + [rng.choice(doomed) for _ in range(10_000 - len(doomed))]
    tombstones = [(rng.randrange(3), base + i, ident) for i, ident in enumerate(ids)]
    tombstones += [(0, base + 20_000 + i, 12) for i in range(3)]  # ids no record can have
    late = {**recs[0], "id": doomed[0]}  # after its id's tombstones in partition 2: kept
    batch = decode_batch([encode(late)], [2], [base + 30_000])
    store.ingest(DecodedBatch(batch.rows, tombstones=tombstones))
    expected = [r for r in recs if r["id"] not in set(doomed)] + [late]
    assert_matches(store.snapshot(), expected)
    kept = plain(store.frame())  # the window's newest rows, less the deleted ones
    assert kept == expected[-len(kept):]
    assert len(kept) >= len([r for r in recs[-5_000:] if r["id"] not in set(doomed)]) + 1
    assert store.consumed == len(recs) + len(tombstones) + 1


def test_tombstone_in_batch_spares_rows_of_other_partitions(
    records: list[dict[str, Any]],
) -> None:
    rec = records[0]
    values = [encode(rec), None, encode(rec)]
    batch = decode_batch(values, [0, 0, 1], [0, 1, 0], [b"", str(rec["id"]).encode(), b""])
    store = RecordStore()
    store.ingest(batch)
    assert store.frame()["partition"].to_list() == [1]


def big_name_record(size: int, ident: int = 4321) -> dict[str, Any]:
    return {"id": ident, "nome": "Ana " + "x" * (size - 4), "idade": 30,
            "cidade": "Recife", "valor": 100.5, "timestamp": "2026-11-02T14:00:00"}


def test_a_sixty_kb_name_is_stored_whole() -> None:
    rec = big_name_record(60 * 1024)
    assert len(encode(rec)) < 64 * 1024  # a valid record
    store = RecordStore()
    store.ingest(decode_batch([encode(rec)], [0], [0]))
    row = store.snapshot().latest.row(0, named=True)
    assert row["nome"] == rec["nome"]


def test_merged_chunks_keep_every_text_exactly() -> None:
    """Merging copies the names and timestamps into tight buffers: the rows read back are
    the ones sent, byte for byte (short inlined texts, accents, 12/13-byte edges, 60 KB)."""
    names = ["Ana", "Zé", "Ana Luísa 12", "João Pedro 13", "Ana " + "ç" * 30_000,
             "Maria das Graças Souza"]
    stamps = ["2026-11-02T14:00:00", "2026-11-02T14:00:00.123456", "2026-11-02T14:00:00+00:00"]
    recs = [{**big_name_record(10, 1000 + i), "nome": names[i % len(names)],
             "timestamp": stamps[i % len(stamps)]} for i in range(FRESH_CHUNKS * 8)]
    window = RowWindow(max_rows=10_000, max_bytes=10**9)
    for start in range(0, len(recs), 8):
        part = recs[start : start + 8]
        window.append(decode_batch([encode(r) for r in part], [0] * 8,
                                   list(range(start, start + 8))).rows)
    assert window.chunks == 1  # sealed: merged into one chunk
    assert plain(window.frame()) == recs


def test_window_is_bounded_in_bytes() -> None:
    """Large-but-valid records: the byte bound keeps about window_bytes of them, not
    window rows; the aggregates still cover all of them."""
    limit = 2 * 1024 * 1024
    store = RecordStore(window=200_000, window_bytes=limit)
    value = encode(big_name_record(60 * 1024))
    n = 0
    for _ in range(40):
        store.ingest(decode_batch([value] * 5, [0] * 5, list(range(n, n + 5))))
        n += 5
        assert store.bytes_held <= limit * (1 + 1 / CHUNK_SHARE) + 5 * 62 * 1024
    assert store.snapshot().count == n == 200
    held = store.frame().height
    assert limit // (62 * 1024) <= held < n
    assert store.frame()["offset"].to_list() == list(range(n - held, n))


def test_one_batch_larger_than_the_byte_bound_keeps_its_newest_rows() -> None:
    limit = 1024 * 1024
    store = RecordStore(window_bytes=limit)
    value = encode(big_name_record(60 * 1024))
    store.ingest(decode_batch([value] * 40, [0] * 40, list(range(40))))
    offsets = store.frame()["offset"].to_list()
    assert 10 <= len(offsets) <= limit // (60 * 1024)
    assert offsets == list(range(40 - len(offsets), 40))
    assert store.snapshot().count == 40


@pytest.mark.parametrize(("text", "size"), [("128M", 128 << 20), ("1g", 1 << 30),
                                            ("2048K", 2 << 20), ("1MiB", 1 << 20),
                                            ("5000000", 5_000_000)])
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "12 parsecs", "-5M", "1.5G", "100K"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_size(text)


def test_rates_decay_on_their_own_clock(records: list[dict[str, Any]]) -> None:
    """No batch after the last one, no read that feeds a sample: the rates still reach 0
    within the span, and the idle time counts up."""
    now = [50.0]
    store = RecordStore(clock=lambda: now[0])
    assert store.liveness().idle is None
    for i, batch in enumerate(batches_of(records[:1_000], size=100)):
        now[0] = 51.0 + i * 0.2
        store.ingest(batch)
    live = store.liveness()
    assert live.rate > 0 and live.idle == 0.0
    assert set(live.partition_rates) == {0, 1, 2} and all(live.partition_rates.values())
    assert sum(live.partition_rates.values()) == pytest.approx(live.rate)
    now[0] += RATE_SPAN_S + 0.1
    live = store.liveness()
    assert live.rate == 0.0 and set(live.partition_rates.values()) == {0.0}
    assert set(live.partition_idle) == {0, 1, 2}
    assert min(live.partition_idle.values()) == pytest.approx(RATE_SPAN_S + 0.1)
    assert live.idle == pytest.approx(RATE_SPAN_S + 0.1)
    assert store.snapshot().ingest_rate == 0.0
    store.clear()  # the cache goes; how long the stream has been quiet does not
    assert store.liveness().idle == pytest.approx(RATE_SPAN_S + 0.1)


def test_filtered_snapshot_says_what_it_covers(records: list[dict[str, Any]]) -> None:
    store = RecordStore(window=1_000)
    feed(store, batches_of(records[:3_000]))
    only = RecordFilter(cities=frozenset({"São Paulo"}))
    snap = store.snapshot(only)
    assert snap.filtered and snap.covered == 1_000
    window = store.frame()
    assert snap.count == window.filter(only.expr()).height
    assert store.snapshot().covered is None
    totals = aggregate(window.filter(only.expr()))
    assert snap.count == sum(totals.city_n)


def test_amounts_in_the_store_are_exact_cents() -> None:
    """Whole cents summed as integers: 0.1 + 0.2 is 0.3, a million times over."""
    rec = {"id": 1001, "nome": "Ana", "idade": 30, "cidade": "Recife", "valor": 50.1,
           "timestamp": "2026-11-02T14:00:00"}
    store = RecordStore()
    n = 100_000
    value = json.dumps(rec).encode()
    store.ingest(decode_batch([value] * n, [0] * n, list(range(n))))
    assert store.snapshot().total == 5_010_000.0


def test_folded_totals_equal_one_go_through_tombstones(
    records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small and large batches folded many times (some rows still deferred) give the same
    totals as one batch, before and after tombstones for a third of the ids."""
    monkeypatch.setattr(totals_module, "FOLD_ROWS", 700)
    recs = records[:N]
    mixed = trickle(recs[:2_000]) + batches_of(recs[2_000:], size=1_500, first_offset=2_000)
    merged, whole = RecordStore(window=N), RecordStore(window=N)
    feed(merged, mixed)
    feed(whole, batches_of(recs, size=N))
    doomed = sorted({r["id"] for r in recs})[::3]
    marks = [(p, 10**6 + i, ident) for i, ident in enumerate(doomed) for p in range(3)]
    for store in (merged, whole):
        store.ingest(DecodedBatch(store.frame().clear(), tombstones=marks))
    left = [r for r in recs if r["id"] not in set(doomed)]
    a, b = merged.snapshot(), whole.snapshot()
    assert_matches(a, left)
    assert (a.count, a.total, a.age_counts) == (b.count, b.total, b.age_counts)
    assert a.by_city.equals(b.by_city)
    assert plain(merged.frame()) == plain(whole.frame()) == left
