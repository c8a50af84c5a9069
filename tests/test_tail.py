"""The tail buffer, the throughput history and safe byte rendering; the tail through a broker."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, Message, Producer
from dashboard_kit import fixture_values
from hypothesis import given
from hypothesis import strategies as st
from test_pipeline import running, wait_for

from rtd_tui import tail as tail_module
from rtd_tui.config import Settings
from rtd_tui.pipeline import Pipeline
from rtd_tui.records import MAX_MESSAGE_BYTES
from rtd_tui.safe_text import safe_str, safe_text
from rtd_tui.store import RecordStore
from rtd_tui.tail import VALUE_KEEP, TailBuffer, TailEntry
from rtd_tui.throughput import ThroughputHistory, ThroughputSample

#: Anything a terminal could take as (part of) a control sequence.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
GOOD = fixture_values(3)
RED = b"\x1b[31mred\x1b[0m"
Headers = list[tuple[str, str | bytes | None]]


def message(
    partition: int, offset: int, value: bytes | None, key: bytes | None = None,
    headers: Headers | None = None,
) -> Message:
    """A real ``confluent_kafka.Message``, as the consumer hands it over."""
    return Message(
        topic="csv-data", partition=partition, offset=offset, key=key, value=value,
        headers=headers, timestamp=(TIMESTAMP_CREATE_TIME, 1_800_000_000_000 + offset),
    )


# ---- safe_text ----------------------------------------------------------------------

def test_safe_text_escapes_sgr_osc_and_csi() -> None:
    assert safe_text(RED) == "\\x1b[31mred\\x1b[0m"
    assert safe_text(b"\x1b]0;title\x07") == "\\x1b]0;title\\x07"
    assert safe_text(b"\x9b31m") == "\\x9b31m"  # a lone C1 CSI byte: invalid UTF-8
    assert safe_text("\x9b31m".encode()) == "\\x9b31m"  # the same CSI, encoded as UTF-8


def test_safe_text_keeps_text_and_marks_invalid_bytes() -> None:
    assert safe_text("São Paulo".encode()) == "São Paulo"
    assert safe_text(b"ok\xff\xfe\x80end") == "ok\\xff\\xfe\\x80end"
    assert safe_text(b"a\tb\nc\rd\x7f\x00") == "a\\x09b\\x0ac\\x0dd\\x7f\\x00"
    assert safe_text(None) == "null"
    assert safe_str("abc\u202edcba") == "abc\\u202edcba"  # bidi override shown, not obeyed


@given(st.binary(max_size=200))
def test_no_control_character_survives_any_bytes(data: bytes) -> None:
    assert not CONTROL.search(safe_text(data))


@given(st.text(max_size=200))
def test_no_control_character_survives_any_text(text: str) -> None:
    assert not CONTROL.search(safe_str(text))


# ---- TailBuffer ---------------------------------------------------------------------

def test_verdicts_match_the_store() -> None:
    tail = TailBuffer()
    tail.add([
        message(0, 10, GOOD[0], key=b"7891", headers=[("source", b"form"), ("trace", None)]),
        message(0, 11, RED),
        message(1, 5, None, key=b"7891"),
        message(1, 6, None),
        message(2, 0, b'{"id": 5}'),
    ])
    entries = tail.entries()
    assert [(e.partition, e.offset, e.status) for e in entries] == [
        (0, 10, "valid"), (0, 11, "rejected"), (1, 5, "tombstone"),
        (1, 6, "rejected"), (2, 0, "rejected"),
    ]
    valid, red, tomb, keyless, partial = entries
    assert valid.reason == "" and valid.key == b"7891" and valid.size == len(GOOD[0])
    assert valid.headers == (("source", b"form"), ("trace", None))
    assert valid.timestamp_ms == 1_800_000_000_010
    assert red.reason.startswith("not JSON") and red.value == RED
    assert tomb.reason == "deletes id 7891" and tomb.size == 0
    assert keyless.reason.startswith("tombstone without key")
    assert partial.reason.startswith("missing field")


def test_a_huge_value_is_cut_short_and_still_rejected_as_too_large() -> None:
    tail = TailBuffer()
    tail.add([message(0, 0, b'{"id": 1234, "nome": "' + b"x" * 200_000 + b'"}')])
    (entry,) = tail.entries()
    assert entry.size == 200_024 and len(entry.value or b"") == VALUE_KEEP
    assert (entry.status, entry.reason) == (
        "rejected", f"message too large: 200024 bytes > {MAX_MESSAGE_BYTES}"
    )


def test_bounded_newest_last_and_found_by_offset() -> None:
    tail = TailBuffer(capacity=50)
    for start in range(0, 120, 30):
        tail.add([message(start // 30 % 2, i, GOOD[i % 3]) for i in range(start, start + 30)])
    entries = tail.entries()
    assert len(entries) == 50
    assert [e.offset for e in entries] == list(range(70, 120))
    found = tail.find(1, 119)
    assert found is not None and found.value == GOOD[119 % 3]
    assert tail.find(0, 10) is None  # evicted


def test_a_message_read_again_is_held_again_with_its_own_seq() -> None:
    tail = TailBuffer()
    batch = [message(0, i, GOOD[0] if i != 3 else RED) for i in range(5)]
    tail.add(batch)
    before = tail.added
    tail.add(batch[2:])  # a replay reads these again
    entries = tail.entries()
    assert tail.added == before + 3
    assert [e.offset for e in entries] == [0, 1, 2, 3, 4, 2, 3, 4]
    assert [e.seq for e in entries] == list(range(8))
    found = tail.find(0, 3)
    assert found is not None and found.seq == 6 and found.status == "rejected"
    tail.clear()
    assert tail.entries() == [] and tail.find(0, 3) is None and tail.added != before + 3


def test_reading_the_newest_classifies_only_those_and_each_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    classified: list[int] = []
    real = tail_module.classify

    def counting(entries: Sequence[TailEntry]) -> list[TailEntry]:
        classified.append(len(entries))
        return real(entries)

    monkeypatch.setattr(tail_module, "classify", counting)
    tail = TailBuffer(capacity=100)
    tail.add([message(0, i, GOOD[0] if i % 5 else RED) for i in range(100)])
    newest = tail.entries(10)
    assert [e.offset for e in newest] == list(range(90, 100))
    assert classified == [10]  # not the 90 older ones held for lookups
    assert tail.entries(10) == newest and classified == [10]  # read again: no new work
    found = tail.find(0, 45)  # an older one, classified on its own when looked up
    assert found is not None and found.status == "rejected" and found.seq == 45
    assert classified == [10, 1]
    everything = tail.entries()
    assert classified == [10, 1, 89]
    assert everything[-10:] == newest and everything[45] == found
    assert [e.seq for e in everything] == list(range(100))
    assert [e.status == "rejected" for e in everything] == [i % 5 == 0 for i in range(100)]
    assert tail.entries(0) == [] and tail.entries(500) == everything


def test_adds_from_a_thread_while_reading() -> None:
    tail = TailBuffer(capacity=300)
    done = threading.Event()

    def feed() -> None:
        for n in range(100):
            tail.add([message(0, n * 10 + i, GOOD[i % 3] if i % 4 else RED) for i in range(10)])
        done.set()

    thread = threading.Thread(target=feed)
    thread.start()
    while not done.is_set():
        entries = tail.entries()
        assert [e.offset for e in entries] == sorted(e.offset for e in entries)
    thread.join()
    entries = tail.entries()
    assert [e.offset for e in entries] == list(range(700, 1000))
    assert all((e.status == "rejected") == (e.offset % 10 % 4 == 0) for e in entries)


# ---- ThroughputHistory --------------------------------------------------------------

def test_history_rates_from_the_consumed_counter() -> None:
    now = [100.0]
    history = ThroughputHistory(span=10.0, every=1.0, clock=lambda: now[0])
    assert not history.record(0, 0)  # the first reading only starts the clock
    now[0] = 102.0
    assert history.record(400, 30)
    now[0] = 102.5
    assert not history.record(500, 30)  # less than a second later: skipped
    now[0] = 104.0
    assert history.record(100, 0)  # the store was cleared: 100 came in since
    assert history.samples() == (
        ThroughputSample(102.0, 200.0, 30), ThroughputSample(104.0, 50.0, 0)
    )


def test_history_keeps_only_its_span() -> None:
    history = ThroughputHistory(span=60.0)
    for t in range(0, 200, 10):
        history.add(ThroughputSample(float(t), 1.0, t))
    assert [s.at for s in history.samples()] == [float(t) for t in range(130, 200, 10)]
    assert history.version == 20


# ---- through the embedded broker ----------------------------------------------------

def test_tail_holds_good_bad_and_tombstone_messages_with_their_verdict() -> None:
    record = json.loads(GOOD[1])
    sneaky = json.dumps({**record, "nome": "\x1b[2JBoom"}).encode()  # valid JSON, bad name
    pipeline = Pipeline(Settings(producer_on=False), RecordStore())
    with running(pipeline):
        client = Producer({"bootstrap.servers": pipeline.bootstrap})
        origin: Headers = [("origin", b"test")]
        sent = [
            (GOOD[0], b"7891", origin),
            (RED, b"1", None),
            (sneaky, str(record["id"]).encode(), None),
            (None, b"7891", None),
        ]
        for value, key, headers in sent:
            client.produce("csv-data", value=value, key=key, headers=headers, partition=2)
        assert client.flush(10) == 0
        wait_for(lambda: len(pipeline.tail.entries()) == 4, "four messages in the tail")
        wait_for(lambda: pipeline.store.consumed == 4, "four messages in the store")
        entries = pipeline.tail.entries()
        snap = pipeline.store.snapshot()
    good, red, bad_name, tomb = entries
    assert [e.offset for e in entries] == [0, 1, 2, 3]
    assert (good.status, good.key, good.headers) == ("valid", b"7891", (("origin", b"test"),))
    assert good.timestamp_ms > 0 and good.size == len(GOOD[0])
    assert (red.status, red.value) == ("rejected", RED)
    assert red.reason.startswith("not JSON")
    assert bad_name.status == "rejected" and "nome" in bad_name.reason
    assert (tomb.status, tomb.value, tomb.reason) == ("tombstone", None, "deletes id 7891")
    assert snap.rejected == 2 and snap.count == 0  # the tombstone took the good record away
