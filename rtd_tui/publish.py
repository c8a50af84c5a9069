"""One-off publishing: one record or one tombstone, and where it landed.

The produce form sends through ``Pipeline.publisher``, which shares the produce
loop's client (no connection per send) and wakes that loop, whose ``poll()`` serves
the delivery report. The report resolves a ``Future[Delivery]``: the UI never waits
on it, it adds a done-callback that posts a message. This module also turns what the user typed
(form fields or raw JSON) into a record; ``records.validate`` stays the judge, the
same as for consumed messages (amounts in whole cents included).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from rtd_tui.filters import canonical_city
from rtd_tui.producer import ProducerStats
from rtd_tui.records import (
    AGE_RANGE,
    CITIES,
    FIELDS,
    ID_RANGE,
    VALUE_RANGE,
    RecordError,
    decode,
    encode,
    key_of,
    validate,
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one send: partition and offset, or the error."""

    key: str
    tombstone: bool
    partition: int = -1
    offset: int = -1
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def describe(self) -> str:
        what = f"tombstone for id {self.key}" if self.tombstone else f"record {self.key}"
        if self.error:
            return f"{what} not delivered: {self.error}"
        return f"{what} sent to partition {self.partition} at offset {self.offset}"


class Publisher:
    """Sends single messages on an existing producer client; counts them apart from the loop."""

    def __init__(self, producer: Producer, topic: str,
                 on_queued: Callable[[], None] = lambda: None) -> None:
        self.producer = producer
        self.topic = topic
        self.stats = ProducerStats()
        self._on_queued = on_queued  # wakes whoever polls the client, to serve the report

    def send(self, record: Mapping[str, Any]) -> Future[Delivery]:
        """Queue one record (key = id as text); raises ``RecordError`` if it is invalid."""
        valid = validate(dict(record))
        return self._produce(key_of(valid).decode(), encode(valid))

    def delete(self, ident: int) -> Future[Delivery]:
        """Queue a tombstone (key = id, null value): consumers drop every record of ``ident``."""
        return self._produce(str(ident), None)

    def _produce(self, key: str, value: bytes | None) -> Future[Delivery]:
        future: Future[Delivery] = Future()
        tombstone = value is None

        def report(err: KafkaError | None, msg: Message) -> None:  # runs in the polling thread
            if err is None:
                self.stats.delivered += 1
                delivery = Delivery(key, tombstone, msg.partition() or 0, msg.offset() or 0)
            else:
                self.stats.failed += 1
                self.stats.last_error = err.str()
                delivery = Delivery(key, tombstone, error=err.str())
            future.set_result(delivery)

        try:
            self.producer.produce(self.topic, key=key.encode(), value=value, on_delivery=report)
        except (BufferError, KafkaException) as exc:  # queue full, message too large, …
            future.set_result(Delivery(key, tombstone, error=str(exc)))
            return future
        self.stats.sent += 1
        self._on_queued()
        return future


# ---- drafts: what the user typed, turned into a record or a specific error -------------
class DraftError(ValueError):
    """Input that cannot be sent; ``field`` names the field at fault (None: the whole)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_INTEGER_RE = re.compile(r"[+-]?[0-9]{1,30}")
_NUMBER_RE = re.compile(r"[+-]?[0-9]{1,30}(?:\.[0-9]{1,30})?")
_COMMA_RE = re.compile(r"[+-]?[0-9]+,[0-9]+")


def _integer(name: str, text: str) -> int:
    text = text.strip()
    if not _INTEGER_RE.fullmatch(text):
        raise DraftError(name, f"{name}: expected an integer, got {text!r:.40}")
    return int(text)


def _number(name: str, text: str) -> float:
    text = text.strip()
    if _NUMBER_RE.fullmatch(text):
        return float(text)
    hint = f" (use a dot: {text.replace(',', '.')})" if _COMMA_RE.fullmatch(text) else ""
    raise DraftError(name, f"{name}: expected a number, got {text!r:.40}{hint}")


def _text(_name: str, text: str) -> str:
    return text  # a name is sent as typed: validate() rejects a blank one


def _stripped(_name: str, text: str) -> str:
    return text.strip()


def _city(_name: str, text: str) -> str:
    """A known city in any case, accents optional ('sao paulo'), as the schema spells it."""
    return canonical_city(text) or text.strip()


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "id": _integer, "nome": _text, "idade": _integer,
    "cidade": _city, "valor": _number, "timestamp": _stripped,
}
#: A valid record: each field is checked alone by putting it into this one.
_VALID: dict[str, Any] = {
    "id": ID_RANGE[0], "nome": "x", "idade": AGE_RANGE[0], "cidade": CITIES[0],
    "valor": VALUE_RANGE[0], "timestamp": "2026-01-01T00:00:00",
}


def explain(exc: RecordError) -> DraftError:
    """A validation error as the form shows it: ``"idade: out of range: 200 not in [18, 80]"``."""
    field = exc.field
    head = exc.reason.removesuffix(f": {field}") if field else exc.reason
    message = f"{field}: {head}" if field else head
    return DraftError(field, f"{message}: {exc.detail}" if exc.detail else message)


def checked(obj: Any) -> dict[str, Any]:
    """``records.validate``, the consumer's own rule; raises ``DraftError``."""
    try:
        return validate(obj)
    except RecordError as exc:
        raise explain(exc) from None


def record_from_fields(texts: Mapping[str, str]) -> dict[str, Any]:
    """The record typed in the form's inputs, parsed strictly (``"12,50"`` is no number)."""
    return checked({name: _PARSERS[name](name, texts.get(name, "")) for name in FIELDS})


def field_errors(texts: Mapping[str, str]) -> list[DraftError]:
    """Every field's error at once (the form marks them all), by the same rules as
    ``record_from_fields``: each field is parsed, then checked in an otherwise valid record."""
    errors = []
    for name in FIELDS:
        try:
            checked({**_VALID, name: _PARSERS[name](name, texts.get(name, ""))})
        except DraftError as error:
            errors.append(error)
    return errors


def record_from_json(text: str) -> dict[str, Any]:
    """The record typed as raw JSON, decoded exactly as the consumer decodes messages."""
    try:
        obj = decode(text.encode("utf-8", "surrogatepass"))
    except RecordError as exc:
        raise explain(exc) from None
    return checked(obj)


def id_from_text(text: str) -> int:
    """An id to delete: an integer within the schema's id range."""
    ident = _integer("id", text)
    low, high = ID_RANGE
    if not low <= ident <= high:
        raise DraftError("id", f"id: out of range: {ident} not in [{low}, {high}]")
    return ident


def id_from_json(text: str) -> int:
    """The ``id`` of a raw-JSON object, for a delete."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DraftError(None, f"not JSON: {str(exc)[:80]}") from None
    if not isinstance(obj, dict) or "id" not in obj:
        raise DraftError("id", "id: missing field")
    ident = obj["id"]
    return id_from_text(str(ident) if isinstance(ident, int) else repr(ident))


def texts_of(record: Mapping[str, Any]) -> dict[str, str]:
    """The inputs' texts for a record (re-produce, samples); absent fields are empty."""
    texts = {name: "" if record.get(name) is None else str(record[name]) for name in FIELDS}
    valor = record.get("valor")
    if isinstance(valor, float) and round(valor, 2) == valor:
        texts["valor"] = f"{valor:.2f}"
    return texts


def json_of_fields(texts: Mapping[str, str]) -> str:
    """The inputs as a JSON object, numbers parsed where they parse (raw mode's start)."""
    obj: dict[str, Any] = {}
    for name in FIELDS:
        text = texts.get(name, "")
        try:
            obj[name] = _PARSERS[name](name, text)
        except DraftError:
            obj[name] = text
    return json.dumps(obj, indent=2, ensure_ascii=False)
