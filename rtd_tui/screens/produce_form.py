"""The produce form: type (or re-produce) one record, check it, send it, or delete an id.

Nothing is sent until ``publish`` accepts the input (``records.validate`` decides);
every field at fault gets the ``-error`` class and its reason in place of its hint.
Deliveries come back on the produce loop's thread and are posted to this screen as
messages, so the UI never waits on the broker. The screen is handed the pipeline it
sends through (it does not reach into the app).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from functools import cache
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, Static, TabbedContent, TabPane, TextArea

from rtd_tui.filters import complete_city
from rtd_tui.generator import RecordGenerator
from rtd_tui.pipeline import Pipeline
from rtd_tui.publish import (
    Delivery,
    DraftError,
    Publisher,
    field_errors,
    id_from_json,
    id_from_text,
    json_of_fields,
    record_from_fields,
    record_from_json,
    texts_of,
)
from rtd_tui.records import AGE_RANGE, CITIES, FIELDS, ID_RANGE, VALUE_RANGE
from rtd_tui.widgets.footer import FittedFooter

HINTS: dict[str, str] = {
    "id": f"integer {ID_RANGE[0]}–{ID_RANGE[1]}; the message key",
    "nome": "customer name, not blank",
    "idade": f"integer {AGE_RANGE[0]}–{AGE_RANGE[1]}",
    "cidade": f"one of the {len(CITIES)} cities (→ completes)",
    "valor": f"R$ {VALUE_RANGE[0]:.2f}–{VALUE_RANGE[1]:.2f}, dot decimals, at most 2",
    "timestamp": "ISO 8601, e.g. 2026-11-02T14:10:00",
}


@cache
def sample_generator() -> RecordGenerator:
    """One generator for every form. Building it takes about a second, so the app
    builds it in the background after start: the form then opens with its sample."""
    return RecordGenerator()


class CitySuggester(Suggester):
    """Completes a city typed in any case, accents optional: 'sao p' → 'São Paulo'."""

    async def get_suggestion(self, value: str) -> str | None:
        return complete_city(value)


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
    ProduceFormScreen > #form { width: 110; max-width: 100%; height: 1fr; }
    ProduceFormScreen #title { padding: 0 1; text-style: bold; }
    ProduceFormScreen #buttons { height: 1; padding: 0 1; }
    ProduceFormScreen #buttons Button { margin: 0 2 0 0; }
    ProduceFormScreen #message { padding: 0 1; height: auto; max-height: 3; }
    ProduceFormScreen #message.-error { color: $error; text-style: bold; }
    ProduceFormScreen #message.-ok { color: $success; text-style: bold; }
    ProduceFormScreen TabbedContent { height: 1fr; }
    ProduceFormScreen ContentSwitcher { height: 1fr; }
    ProduceFormScreen TabPane { height: 1fr; padding: 0; overflow-y: auto; }
    ProduceFormScreen #fields {
        grid-size: 3; grid-columns: 11 36 1fr; grid-rows: 3; height: auto;
    }
    ProduceFormScreen #fields Label { padding: 1 1 0 1; width: 100%; }
    ProduceFormScreen #fields .hint { color: $text-muted; }
    ProduceFormScreen Input.-error { border: tall $error; }
    ProduceFormScreen Label.-error, ProduceFormScreen #fields .hint.-error {
        color: $error; text-style: bold;
    }
    ProduceFormScreen #raw { height: 1fr; min-height: 6; }
    ProduceFormScreen #raw.-error { border: tall $error; }
    """

    class Delivered(Message):
        """A delivery report, posted from the thread that polled the producer."""

        def __init__(self, delivery: Delivery) -> None:
            super().__init__()
            self.delivery = delivery

    def __init__(self, pipeline: Pipeline, prefill: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.pipeline = pipeline
        self._prefill = prefill
        self._armed_delete: int | None = None
        self.last_delivery: Delivery | None = None

    def compose(self) -> ComposeResult:
        texts = texts_of(self._prefill or {})
        with Vertical(id="form"):
            yield Static(self._title(), id="title")
            # Buttons and message above the fields: in view at any height, the fields scroll.
            with Horizontal(id="buttons"):
                yield Button("Send ^s", id="send", variant="primary", compact=True)
                yield Button("New sample ^n", id="new_sample", compact=True)
                yield Button("Delete id ^d", id="delete", variant="error", compact=True)
                yield Button("Close esc", id="close", compact=True)
            yield Static("", id="message")
            with TabbedContent(id="mode"):
                with TabPane("Fields", id="fields-pane"), Grid(id="fields"):
                    for name in FIELDS:
                        yield Label(name, id=f"label-{name}")
                        yield Input(
                            texts[name], id=f"field-{name}", select_on_focus=False,
                            suggester=CitySuggester() if name == "cidade" else None,
                        )
                        yield Label(HINTS[name], id=f"hint-{name}", classes="hint")
                with TabPane("Raw JSON", id="raw-pane"):
                    yield TextArea(json_of_fields(texts), id="raw", soft_wrap=True)
        yield FittedFooter()

    def _title(self) -> str:
        """``n`` produces a new record; shift+R re-produces a stored one."""
        topic = self.pipeline.settings.topic
        if self._prefill is None:
            return f"Produce one record to topic {topic}"
        return f"Re-produce record {self._prefill.get('id', '?')} to topic {topic}: edit, then send"

    def on_mount(self) -> None:
        self.query_one("#field-id", Input).focus()
        if self._prefill is not None:
            return
        if sample_generator.cache_info().currsize:  # built: a sample costs microseconds
            self._sampled(sample_generator().record())
        else:
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

    def _mark(self, errors: list[DraftError]) -> None:
        """Highlight every field at fault with its reason in place of its hint (and the
        editor, in raw mode); clear the others."""
        reasons = {e.field: e.message for e in errors}
        for name in FIELDS:
            wrong = name in reasons
            self.query_one(f"#field-{name}", Input).set_class(wrong, "-error")
            self.query_one(f"#label-{name}", Label).set_class(wrong, "-error")
            hint = self.query_one(f"#hint-{name}", Label)
            hint.update(reasons.get(name, HINTS[name]))
            hint.set_class(wrong, "-error")
        self.query_one("#raw", TextArea).set_class(self.raw_mode and bool(errors), "-error")

    def _reject(self, errors: list[DraftError]) -> None:
        self._mark(errors)
        if len(errors) == 1:
            self.say(errors[0].message, "error")
        else:
            names = ", ".join(str(e.field) for e in errors)
            self.say(f"{len(errors)} fields are invalid: {names}", "error")

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

    @on(Input.Submitted)
    def _submitted(self) -> None:
        """Enter in a field sends, as ctrl+s does."""
        self.action_send()

    def action_send(self) -> None:
        """Validate; when valid, queue the record and wait (off-thread) for its report."""
        try:
            if self.raw_mode:
                record = record_from_json(self.query_one("#raw", TextArea).text)
            else:
                record = record_from_fields(self.field_texts())
        except DraftError as error:
            errors = [] if self.raw_mode else field_errors(self.field_texts())
            self._reject(errors or [error])
            return
        self._mark([])
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
            self._reject([error])
            return
        self._mark([])
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
        record = sample_generator().record()
        self.app.call_from_thread(self._sampled, record)

    def _sampled(self, record: dict[str, Any]) -> None:
        self.fill(record)
        self._mark([])
        self.say("new sample: edit it, then ctrl+s to send")

    def action_toggle_raw(self) -> None:
        to_raw = not self.raw_mode
        self.query_one("#raw" if to_raw else "#field-id").focus()
        self.query_one(TabbedContent).active = "raw-pane" if to_raw else "fields-pane"

    def action_close(self) -> None:
        self.dismiss(None)
