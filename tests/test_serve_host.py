"""`rtd-tui serve` answers only the Host names it listens for (DNS rebinding), and a
websocket only from its own page, through the real server with forged headers."""

from __future__ import annotations

import http.client
import subprocess
from collections.abc import Iterator

import pytest
from conftest import RTD
from serve_kit import Served, serve_environment

PROXY = "dash.example.org"
UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


@pytest.fixture(scope="module")
def serve_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return serve_environment(tmp_path_factory.mktemp("serve-host"))


@pytest.fixture(scope="module")
def served(serve_env: dict[str, str]) -> Iterator[Served]:
    server = Served(["--no-producer", "--allow-host", PROXY], serve_env)
    yield server
    server.close()


def request(port: int, path: str, host: str, **headers: str) -> tuple[int, str]:
    """GET ``path`` from 127.0.0.1:``port`` with the given Host header: status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = "" if response.status == 101 else response.read().decode(errors="replace")
        return response.status, body
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/", "/ws", "/static/js/textual.js", "/download/x"])
def test_a_forged_host_gets_421_before_any_page_or_websocket(served: Served, path: str) -> None:
    status, body = request(served.port, path, f"evil.example:{served.port}", **UPGRADE)
    assert status == 421
    assert "does not answer for host 'evil.example:" in body
    assert "<html" not in body


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LocalHost", "[::1]", PROXY])
def test_the_names_it_listens_for_get_the_page(served: Served, name: str) -> None:
    host = f"{name}:{served.port}"
    status, page = request(served.port, "/", host)
    assert status == 200
    assert f'data-session-websocket-url="ws://{host}/ws"' in page
    assert "<title>rtd-tui · csv-data</title>" in page


def test_no_host_header_is_refused(served: Served) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.putrequest("GET", "/", skip_host=True)
        connection.endheaders()
        response = connection.getresponse()
        # HTTP/1.1 without a Host: aiohttp's parser already answers 400; 421 otherwise.
        assert response.status in (400, 421)
        assert "<html" not in response.read().decode(errors="replace")
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("origin", "status"),
    [("http://evil.example:{port}", 421), ("http://evil.example", 403),
     ("http://localhost:1", 403), ("http://127.0.0.1:{port}", 101)],
)
def test_a_websocket_needs_its_own_page_as_origin(served: Served, origin: str,
                                                  status: int) -> None:
    """The rebinding case (Host and Origin both forged) is 421; another site's page, even
    on localhost, is 403; the page's own origin gets its dashboard."""
    origin = origin.format(port=served.port)
    host = origin.removeprefix("http://") if status == 421 else f"127.0.0.1:{served.port}"
    assert request(served.port, "/ws", host, Origin=origin, **UPGRADE)[0] == status


def test_listening_everywhere_answers_ip_addresses_but_not_names(
    serve_env: dict[str, str],
) -> None:
    """A rebinding page's Host is a name; an address typed by a user on the LAN is not."""
    server = Served(["--no-producer", "--host", "0.0.0.0"], serve_env)
    try:
        assert request(server.port, "/", f"192.0.2.7:{server.port}")[0] == 200
        assert request(server.port, "/", f"evil.example:{server.port}")[0] == 421
        assert request(server.port, "/", f"{PROXY}:{server.port}")[0] == 421
    finally:
        code, err = server.stop()
    assert code == 0, err


def test_a_bad_allow_host_is_one_line(serve_env: dict[str, str]) -> None:
    done = subprocess.run([*RTD, "serve", "--allow-host", "a b"], env=serve_env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "argument --allow-host: invalid host 'a b': use a host name or an IP address"
    )
