"""One-off sends through the embedded broker, and the parsing of what the form typed."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import polars as pl
import pytest
from confluent_kafka import Producer
from test_pipeline import running, wait_for

from rtd_tui.config import Settings
from rtd_tui.pipeline import Pipeline
from rtd_tui.publish import (
    DraftError,
    Publisher,
    id_from_json,
    id_from_text,
    json_of_fields,
    record_from_fields,
    record_from_json,
    texts_of,
)
from rtd_tui.records import RecordError
from rtd_tui.store import RecordStore

RECORD: dict[str, Any] = {
    "id": 4321, "nome": "Maria das Dores", "idade": 37, "cidade": "Recife",
    "valor": 149.9, "timestamp": "2026-11-02T14:09:30.125000",
}


def quiet_pipeline() -> Pipeline:
    """A pipeline whose produce loop runs (it polls) but generates nothing."""
    return Pipeline(Settings(producer_on=False), RecordStore())


def test_send_reports_where_the_record_landed_and_the_store_has_it_there() -> None:
    with running(quiet_pipeline()) as pipeline:
        assert pipeline.publisher is not None
        delivery = pipeline.publisher.send(RECORD).result(10)
        assert delivery.ok and not delivery.tombstone
        assert delivery.describe() == (
            f"record 4321 sent to partition {delivery.partition} at offset {delivery.offset}"
        )
        at = (pl.col("partition") == delivery.partition) & (pl.col("offset") == delivery.offset)
        wait_for(lambda: pipeline.store.frame().filter(at).height == 1, "the record in the store")
        row = pipeline.store.frame().filter(at).row(0, named=True)
    assert {k: row[k] for k in RECORD} == RECORD
    assert pipeline.publisher.stats.sent == pipeline.publisher.stats.delivered == 1
    assert pipeline.producer is not None and pipeline.producer.stats.sent == 0


def test_tombstone_removes_every_record_of_the_id_and_its_aggregates() -> None:
    doomed = [{**RECORD, "valor": v, "cidade": c}
              for v, c in ((100.25, "Recife"), (250.5, "Manaus"), (1999.99, "Recife"))]
    others = [{**RECORD, "id": 1000 + i, "valor": 60.0 + i} for i in range(5)]
    with running(quiet_pipeline()) as pipeline:
        publisher = pipeline.publisher
        assert publisher is not None
        landed = [publisher.send(r).result(10) for r in doomed + others]
        wait_for(lambda: pipeline.store.snapshot().count == 8, "eight records")
        before = pipeline.store.snapshot()
        delivery = publisher.delete(4321).result(10)
        wait_for(lambda: pipeline.store.snapshot().count == 5, "the id's records to go")
        after = pipeline.store.snapshot()
        frame = pipeline.store.frame()
    assert delivery.ok and delivery.tombstone
    assert delivery.partition == landed[0].partition  # same key, same partition
    assert delivery.describe().startswith("tombstone for id 4321 sent to partition ")
    assert round(before.total - after.total, 2) == round(100.25 + 250.5 + 1999.99, 2)
    assert round(after.total, 2) == round(sum(r["valor"] for r in others), 2)
    assert 4321 not in frame["id"].to_list() and frame.height == 5
    assert "Manaus" not in after.by_city["cidade"].to_list()
    assert after.mean_age == 37


def test_an_invalid_record_is_refused_before_anything_is_queued() -> None:
    client = Producer({"bootstrap.servers": "127.0.0.1:1", "logger": logging.getLogger("t")})
    publisher = Publisher(client, "csv-data")
    with pytest.raises(RecordError, match="out of range: idade"):
        publisher.send({**RECORD, "idade": 200})
    assert publisher.stats.sent == 0


def test_delivery_error_is_reported_when_the_broker_is_down() -> None:
    client = Producer({
        "bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": 300,
        "logger": logging.getLogger("t"),
    })
    publisher = Publisher(client, "csv-data")
    future = publisher.send(RECORD)
    client.flush(5)
    delivery = future.result(0)
    assert not delivery.ok and delivery.partition == -1
    assert delivery.describe().startswith("record 4321 not delivered: ")
    assert publisher.stats.failed == 1


FIELD_TEXTS = texts_of(RECORD)


@pytest.mark.parametrize(("field", "text", "message"), [
    ("id", "12", "id: out of range: 12 not in [1000, 9999]"),
    ("id", "4321.0", "id: expected an integer, got '4321.0'"),
    ("idade", "abc", "idade: expected an integer, got 'abc'"),
    ("idade", "200", "idade: out of range: 200 not in [18, 80]"),
    ("valor", "12,50", "valor: expected a number, got '12,50' (use a dot: 12.50)"),
    ("valor", "-5", "valor: out of range: -5.0 not in [50, 2000]"),
    ("valor", "149.999", "valor: more than 2 decimals: 149.999 (amounts are whole cents)"),
    ("valor", "1e3", "valor: expected a number, got '1e3'"),
    ("cidade", "Gotham", "cidade: unknown city: 'Gotham'"),
    ("nome", "  ", "nome: empty field"),
    ("nome", "a\x1b[31m", "nome: control characters"),
    ("timestamp", "yesterday", "timestamp: bad timestamp: 'yesterday'"),
])
def test_each_bad_field_is_named_with_its_reason(field: str, text: str, message: str) -> None:
    with pytest.raises(DraftError) as caught:
        record_from_fields({**FIELD_TEXTS, field: text})
    assert (caught.value.field, caught.value.message) == (field, message)


@pytest.mark.parametrize(("text", "field", "message"), [
    ("{not json", None, "not JSON: "),
    ("[1, 2]", None, "not an object: got JSON list"),
    ("", None, "empty message"),
    (json.dumps({k: v for k, v in RECORD.items() if k != "nome"}), "nome", "nome: missing field"),
    (json.dumps({**RECORD, "idade": "37"}), "idade", "idade: wrong type: expected integer"),
    (json.dumps({**RECORD, "valor": 123.456}), "valor", "valor: more than 2 decimals"),
])
def test_raw_json_problems_are_named(text: str, field: str | None, message: str) -> None:
    with pytest.raises(DraftError) as caught:
        record_from_json(text)
    assert caught.value.field == field and caught.value.message.startswith(message)


def test_good_input_in_either_mode_is_the_same_record() -> None:
    assert record_from_fields(FIELD_TEXTS) == RECORD
    assert record_from_fields({**FIELD_TEXTS, "valor": " 149.90 "}) == RECORD
    assert record_from_json(json_of_fields(FIELD_TEXTS)) == RECORD
    assert FIELD_TEXTS["valor"] == "149.90"


def test_ids_to_delete_are_checked() -> None:
    assert id_from_text(" 4321 ") == 4321
    assert id_from_json(json.dumps(RECORD)) == 4321
    for bad in ("12", "abc", ""):
        with pytest.raises(DraftError, match=r"^id: "):
            id_from_text(bad)
    for raw in ('{"id": true}', '{"id": "4321"}', "[]"):
        with pytest.raises(DraftError, match=r"^id: "):
            id_from_json(raw)


def test_publish_does_not_import_textual() -> None:
    probe = "import sys, rtd_tui.publish; print(any(m.startswith('textual') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "False"
