"""The produce form: type (or re-produce) one record, check it, send it, or delete an id.

Nothing is sent until ``publish`` accepts the input (``records.validate`` decides);
the field at fault gets the ``-error`` class and the message says why. Deliveries
come back on the produce loop's thread and are posted to this screen as messages,
so the UI never waits on the broker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Footer, Input, Label, Static, TabbedContent, TabPane, TextArea

from rtd_tui.generator import RecordGenerator
from rtd_tui.publish import (
    Delivery,
    DraftError,
    Publisher,
    id_from_json,
    id_from_text,
    json_of_fields,
    record_from_fields,
    record_from_json,
    texts_of,
)
from rtd_tui.records import AGE_RANGE, CITIES, FIELDS, ID_RANGE, VALUE_RANGE

if TYPE_CHECKING:
    from rtd_tui.app import RtdApp
    from rtd_tui.pipeline import Pipeline

HINTS: dict[str, str] = {
    "id": f"integer {ID_RANGE[0]}–{ID_RANGE[1]}; the message key",
    "nome": "customer name, not blank",
    "idade": f"integer {AGE_RANGE[0]}–{AGE_RANGE[1]}",
    "cidade": f"one of the {len(CITIES)} cities (→ completes)",
    "valor": f"R$ {VALUE_RANGE[0]:.2f}–{VALUE_RANGE[1]:.2f}, dot decimals, at most 2",
    "timestamp": "ISO 8601, e.g. 2026-11-02T14:10:00",
}


@cache
def _sample_generator() -> RecordGenerator:
    """One generator for every form (building one takes about a second)."""
    return RecordGenerator()


class ProduceFormScreen(Screen[None]):
    """One record per schema field (or raw JSON), validated, then sent to the topic."""

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("ctrl+n", "new_sample", "New sample", priority=True),
        Binding("ctrl+r", "toggle_raw", "Fields/JSON", priority=True),
        Binding("ctrl+d", "delete", "Delete id", priority=True),
        Binding("escape", "close", "Close"),
    ]
    DEFAULT_CSS = """
    ProduceFormScreen { align: center top; }
    ProduceFormScreen > #form { width: 110; max-width: 100%; height: auto; margin: 1 0 0 0; }
    ProduceFormScreen #title { padding: 0 1 1 1; text-style: bold; }
    ProduceFormScreen TabbedContent { height: auto; }
    ProduceFormScreen #fields {
        grid-size: 3; grid-columns: 11 1fr 44; grid-rows: 3; height: auto; padding: 1 0 0 0;
    }
    ProduceFormScreen #fields Label { padding: 1 1 0 1; width: 100%; }
    ProduceFormScreen #fields .hint { color: $text-muted; }
    ProduceFormScreen Input.-error { border: tall $error; }
    ProduceFormScreen Label.-error { color: $error; text-style: bold; }
    ProduceFormScreen #raw { height: 12; }
    ProduceFormScreen #raw.-error { border: tall $error; }
    ProduceFormScreen #buttons { height: auto; padding: 1 0 0 1; }
    ProduceFormScreen #buttons Button { margin: 0 2 0 0; }
    ProduceFormScreen #message { padding: 1 1; height: auto; }
    ProduceFormScreen #message.-error { color: $error; text-style: bold; }
    ProduceFormScreen #message.-ok { color: $success; text-style: bold; }
    """

    class Delivered(Message):
        """A delivery report, posted from the thread that polled the producer."""

        def __init__(self, delivery: Delivery) -> None:
            super().__init__()
            self.delivery = delivery

    def __init__(self, prefill: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._prefill = prefill
        self._armed_delete: int | None = None
        self.last_delivery: Delivery | None = None

    def compose(self) -> ComposeResult:
        texts = texts_of(self._prefill or {})
        with Vertical(id="form"):
            yield Static(f"Produce one record to topic {self.pipeline.settings.topic}", id="title")
            with TabbedContent(id="mode"):
                with TabPane("Fields", id="fields-pane"), Grid(id="fields"):
                    for name in FIELDS:
                        yield Label(name, id=f"label-{name}")
                        suggester = SuggestFromList(CITIES, case_sensitive=False)
                        yield Input(
                            texts[name], id=f"field-{name}", select_on_focus=False,
                            suggester=suggester if name == "cidade" else None,
                        )
                        yield Label(HINTS[name], classes="hint")
                with TabPane("Raw JSON", id="raw-pane"):
                    yield TextArea(json_of_fields(texts), id="raw", soft_wrap=True)
            with Horizontal(id="buttons"):
                yield Button("Send  ^s", id="send", variant="primary")
                yield Button("New sample  ^n", id="new_sample")
                yield Button("Delete id  ^d", id="delete", variant="error")
                yield Button("Close  esc", id="close")
            yield Static("", id="message")
        yield Footer()

    @property
    def pipeline(self) -> Pipeline:
        return cast("RtdApp", self.app).pipeline

    def on_mount(self) -> None:
        self.query_one("#field-id", Input).focus()
        if self._prefill is None:
            self.action_new_sample()

    # ---- reading and marking the form -------------------------------------------------
    @property
    def raw_mode(self) -> bool:
        return self.query_one(TabbedContent).active == "raw-pane"

    def field_texts(self) -> dict[str, str]:
        return {name: self.query_one(f"#field-{name}", Input).value for name in FIELDS}

    def fill(self, record: dict[str, Any]) -> None:
        """Put a record in the inputs and in the raw-JSON editor."""
        texts = texts_of(record)
        for name in FIELDS:
            self.query_one(f"#field-{name}", Input).value = texts[name]
        self.query_one("#raw", TextArea).text = json_of_fields(texts)

    def say(self, text: str, kind: str = "") -> None:
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(kind == "error", "-error")
        message.set_class(kind == "ok", "-ok")

    def _mark(self, error: DraftError | None) -> None:
        """Highlight the field at fault (and the editor, in raw mode); clear the others."""
        field = error.field if error else None
        for name in FIELDS:
            self.query_one(f"#field-{name}", Input).set_class(name == field, "-error")
            self.query_one(f"#label-{name}", Label).set_class(name == field, "-error")
        self.query_one("#raw", TextArea).set_class(self.raw_mode and error is not None, "-error")

    def _reject(self, error: DraftError) -> None:
        self._mark(error)
        self.say(error.message, "error")

    @on(TabbedContent.TabActivated)
    def _switched(self, event: TabbedContent.TabActivated) -> None:
        """Carry what was typed over to the other mode, and focus it (a focused widget in
        the hidden pane would switch the tabs back)."""
        if event.pane.id == "raw-pane":
            raw = self.query_one("#raw", TextArea)
            raw.text = json_of_fields(self.field_texts())
            raw.focus()
            return
        self.query_one("#field-id", Input).focus()
        try:
            obj = json.loads(self.query_one("#raw", TextArea).text)
        except ValueError:
            return
        if isinstance(obj, dict):
            texts = texts_of(obj)
            for name in FIELDS:
                if name in obj:
                    self.query_one(f"#field-{name}", Input).value = texts[name]

    # ---- actions ------------------------------------------------------------------------
    @on(Button.Pressed)
    async def _button(self, event: Button.Pressed) -> None:
        await self.run_action(str(event.button.id))

    def action_send(self) -> None:
        """Validate; when valid, queue the record and wait (off-thread) for its report."""
        try:
            if self.raw_mode:
                record = record_from_json(self.query_one("#raw", TextArea).text)
            else:
                record = record_from_fields(self.field_texts())
        except DraftError as error:
            self._reject(error)
            return
        self._mark(None)
        self._armed_delete = None
        self._dispatch(f"record {record['id']}", lambda publisher: publisher.send(record))

    def action_delete(self) -> None:
        """First press names the id; a second press (same id) sends its tombstone."""
        try:
            if self.raw_mode:
                ident = id_from_json(self.query_one("#raw", TextArea).text)
            else:
                ident = id_from_text(self.query_one("#field-id", Input).value)
        except DraftError as error:
            self._reject(error)
            return
        self._mark(None)
        if self._armed_delete != ident:
            self._armed_delete = ident
            self.say(f"Delete every record with id {ident}? Press ctrl+d again to confirm.")
            return
        self._armed_delete = None
        self._dispatch(f"tombstone for id {ident}", lambda publisher: publisher.delete(ident))

    def _dispatch(self, what: str, send: Callable[[Publisher], Future[Delivery]]) -> None:
        """Queue through the pipeline's publisher; the report comes back as ``Delivered``."""
        publisher = self.pipeline.publisher
        if publisher is None:
            self.say(f"{what} not sent: the producer is not running", "error")
            return
        self.say(f"sending {what}…")
        future = send(publisher)
        future.add_done_callback(lambda done: self.post_message(self.Delivered(done.result())))

    def on_produce_form_screen_delivered(self, event: Delivered) -> None:
        self.last_delivery = event.delivery
        self.say(event.delivery.describe(), "ok" if event.delivery.ok else "error")

    def action_new_sample(self) -> None:
        self._armed_delete = None
        self.say("drawing a sample…")
        self._draw_sample()

    @work(thread=True, exclusive=True, exit_on_error=False, group="form-sample")
    def _draw_sample(self) -> None:
        record = _sample_generator().record()
        self.app.call_from_thread(self._sampled, record)

    def _sampled(self, record: dict[str, Any]) -> None:
        self.fill(record)
        self._mark(None)
        self.say("new sample: edit it, then ctrl+s to send")

    def action_toggle_raw(self) -> None:
        to_raw = not self.raw_mode
        self.query_one("#raw" if to_raw else "#field-id").focus()
        self.query_one(TabbedContent).active = "raw-pane" if to_raw else "fields-pane"

    def action_close(self) -> None:
        self.dismiss(None)
