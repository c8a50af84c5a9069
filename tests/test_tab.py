"""A served tab: its session (from serve's control socket: secrets never on disk or on a
command line), its pipeline on the shared producer, and the read-only gate, driven with
Textual's pilot."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from rtd_tui.config import ConfigError, Settings
from rtd_tui.control import ControlRefused, ControlServer, fetch_session
from rtd_tui.producer import ProducerControl, ProducerStats
from rtd_tui.screens.produce_form import ProduceFormScreen
from rtd_tui.session import SESSION_ENV, Session
from rtd_tui.store import RecordStore
from rtd_tui.tab import TabPipeline, make_tab_app

SECRET = "hunter2-secret"


def session(tmp_path: Path, read_only: bool = False) -> Session:
    settings = Settings(
        bootstrap_servers="127.0.0.1:9", kafka={"sasl.password": SECRET, "client.id": "t"},
        start_from=-5, rate=None, export_dir=Path("exports"), log_file=tmp_path / "x.log",
    )
    return Session(settings, tmp_path / "c.sock", read_only, "embedded @ 127.0.0.1:9",
                   os.getpid())


def test_the_session_comes_from_the_control_socket_and_never_touches_disk(
    tmp_path: Path,
) -> None:
    original = session(tmp_path, read_only=True)
    folder = tmp_path / "private"
    folder.mkdir()
    server = ControlServer(folder / "c.sock", ProducerControl(), ProducerStats(),
                           read_only=True, session=original.to_json())
    try:
        loaded = Session.from_json(fetch_session(server.path))
    finally:
        server.close()
    assert loaded == replace(original, settings=loaded.settings)
    assert loaded.settings.kafka["sasl.password"] == SECRET
    assert loaded.settings.start_from == -5 and loaded.settings.rate is None
    assert loaded.settings.export_dir == Path("exports").resolve()  # the tab's cwd may differ
    assert list(folder.iterdir()) == []  # the socket is gone, and nothing was written


def test_a_malformed_session_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="malformed serve session"):
        Session.from_json({"settings": {"no_such_field": 1}})


def test_a_tab_without_a_session_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != SESSION_ENV}
    done = subprocess.run([sys.executable, "-m", "rtd_tui.tab"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "run by `rtd-tui serve` only" in done.stderr
    done = subprocess.run([sys.executable, "-m", "rtd_tui.tab"],
                          env={**env, SESSION_ENV: str(tmp_path / "missing.sock")},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "cannot read the serve session: cannot reach serve at" in done.stderr
    server = ControlServer(tmp_path / "c.sock", ProducerControl(), ProducerStats(),
                           read_only=False)
    try:
        with pytest.raises(ControlRefused, match="no session here"):
            fetch_session(server.path)
    finally:
        server.close()


def test_the_tab_status_is_the_shared_producer(tmp_path: Path) -> None:
    control, stats = ProducerControl(enabled=True, rate=8.0), ProducerStats(delivered=11)
    server = ControlServer(tmp_path / "c.sock", control, stats, read_only=False)
    pipeline = TabPipeline(session(tmp_path), store=RecordStore(window=1000))
    try:
        pipeline.start()
        assert pipeline.producer is not None and not pipeline.producer.control.enabled
        status = pipeline.status()
        assert (status.producer_on, status.rate, status.produced.delivered) == (True, 8.0, 11)
        assert status.broker == "embedded @ 127.0.0.1:9"
        pipeline.control.toggle()  # `p` in a tab: the shared producer
        assert control.enabled is False
        assert pipeline.publisher is not None
    finally:
        pipeline.close()
        server.close()


def test_a_read_only_tab_has_no_publisher(tmp_path: Path) -> None:
    pipeline = TabPipeline(session(tmp_path, read_only=True), store=RecordStore(window=1000))
    try:
        pipeline.start()
        assert pipeline.publisher is None
    finally:
        pipeline.close()


@pytest.mark.parametrize("key", ["p", "plus", "minus", "n", "R"])
async def test_read_only_keys_neither_act_nor_show(tmp_path: Path, key: str) -> None:
    """``serve --read-only``: the footer offers no write, and its key does nothing."""
    app = make_tab_app(session(tmp_path, read_only=True), start=False)
    enabled, rate = app.pipeline.control.enabled, app.pipeline.control.rate
    async with app.run_test(size=(160, 50)) as pilot:
        shown = {b.binding.key for b in app.screen.active_bindings.values() if b.enabled}
        assert key not in shown and "q" in shown
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, ProduceFormScreen)
    assert (app.pipeline.control.enabled, app.pipeline.control.rate) == (enabled, rate)


@pytest.mark.usefixtures("no_generator_helper")
def test_a_tab_starts_no_generator_helper(tmp_path: Path) -> None:
    """A tab's own producer loop stays off (serve's producer is shared): no Faker helper."""
    pipeline = TabPipeline(session(tmp_path), store=RecordStore(window=1000))
    try:
        pipeline.start()
    finally:
        pipeline.close()
