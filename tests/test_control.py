"""The shared producer's control socket: state, changes, read-only refusal, a server gone."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtd_tui.control import ControlRefused, ControlServer, RemoteProducerControl
from rtd_tui.producer import ProducerControl, ProducerStats, RateAtLimit


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ProducerControl, ProducerStats, Path]]:
    control, stats = ProducerControl(enabled=True, rate=5.0), ProducerStats(sent=9, delivered=7)
    server = ControlServer(tmp_path / "c.sock", control, stats, read_only=False)
    yield control, stats, server.path
    server.close()


def test_a_tab_sees_and_changes_the_shared_producer(
    served: tuple[ProducerControl, ProducerStats, Path],
) -> None:
    control, stats, path = served
    remote = RemoteProducerControl(path)
    state = remote.refresh()
    assert (state.enabled, state.rate, state.stats.delivered) == (True, 5.0, 7)
    assert remote.toggle() is False
    assert control.enabled is False and remote.enabled is False
    assert remote.scale(2.0) == 10.0 and control.rate == 10.0
    stats.delivered = 42  # the producer thread counts on: the next refresh says so
    assert remote.refresh().stats.delivered == 42
    remote.set_enabled(True)
    assert control.enabled is True
    remote.close()


def test_the_socket_is_private(served: tuple[ProducerControl, ProducerStats, Path]) -> None:
    assert served[2].stat().st_mode & 0o077 == 0


def test_read_only_refuses_changes_but_shows_the_state(tmp_path: Path) -> None:
    control = ProducerControl(enabled=True, rate=5.0)
    server = ControlServer(tmp_path / "c.sock", control, ProducerStats(), read_only=True)
    remote = RemoteProducerControl(server.path)
    try:
        with pytest.raises(ControlRefused, match="read-only"):
            remote.toggle()
        with pytest.raises(ControlRefused, match="read-only"):
            remote.scale(2.0)
        assert control.enabled is True and control.rate == 5.0
        assert remote.refresh().enabled is True
    finally:
        remote.close()
        server.close()


def test_malformed_and_unknown_requests_get_a_reason(
    served: tuple[ProducerControl, ProducerStats, Path],
) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(served[2]))
        reader = sock.makefile("rb")
        sock.sendall(b"not json\n")
        assert b"malformed request" in reader.readline()
        sock.sendall(b'{"op": "explode"}\n')
        assert b"unknown request 'explode'" in reader.readline()


def test_a_gone_server_leaves_the_last_state_and_refuses_changes(tmp_path: Path) -> None:
    control = ProducerControl(enabled=True, rate=3.0)
    server = ControlServer(tmp_path / "c.sock", control, ProducerStats(), read_only=False)
    remote = RemoteProducerControl(server.path)
    assert remote.refresh().rate == 3.0
    server.close()
    assert not server.path.exists()
    assert remote.refresh().rate == 3.0  # last known, for a status line drawn meanwhile
    with pytest.raises(ControlRefused, match="unreachable"):
        remote.toggle()


def test_plus_stops_at_the_ceiling_of_the_broker_in_use_and_a_tab_is_told(
    served: tuple[ProducerControl, ProducerStats, Path],
) -> None:
    control, _stats, path = served
    control.set_ceiling(12.0, "the embedded broker")
    remote = RemoteProducerControl(path)
    try:
        assert remote.scale(2.0) == 10.0
        assert remote.scale(2.0) == 12.0  # not 20: the ceiling
        with pytest.raises(ControlRefused, match=r"^Rate at its limit for the embedded broker"):
            remote.scale(2.0)
        assert control.rate == 12.0 and remote.scale(0.5) == 6.0
    finally:
        remote.close()


def test_the_ceiling_refuses_locally_with_the_same_words() -> None:
    control = ProducerControl(rate=2_000.0)
    control.set_ceiling(2_500.0, "the embedded broker")
    assert control.scale(2.0) == 2_500.0
    with pytest.raises(RateAtLimit, match=r"for the embedded broker \(2,500 rec/s\)$"):
        control.scale(2.0)
