"""`rtd-tui serve` in a real browser: headless Chromium (Debian's) driven by playwright.

One `serve` (embedded broker, shared producer) is shared by the tests of the module;
each test opens its own tabs. The terminal's text is read from xterm.js's buffer
(see serve_kit). Read-only mode, the loopback default and shutdown each start a
`serve` of their own.
"""

from __future__ import annotations

import http.client
import io
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
from conftest import RTD
from playwright.sync_api import Browser, sync_playwright
from serve_kit import (
    Served,
    Tab,
    alive,
    card_value,
    descendants,
    producer_state,
    require_chromium,
    serve_environment,
    session_files,
)

from rtd_tui.broker import EmbeddedBroker

SECRET = "s3cr3t-Pa55word"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = require_chromium()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def serve_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return serve_environment(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def served(serve_env: dict[str, str]) -> Iterator[Served]:
    server = Served(["--rate", "20", "--seed", "3", "-X", f"sasl.password={SECRET}"], serve_env)
    yield server
    server.close()


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[[str], Tab]]:
    """Open tabs in a fresh browser context; all of them close after the test."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000},
                                  accept_downloads=True)

    def open_one(url: str) -> Tab:
        return Tab(context.new_page(), url)

    yield open_one
    context.close()


def test_page_shows_the_live_dashboard_with_its_title(
    served: Served, open_tab: Callable[[str], Tab]
) -> None:
    tab = open_tab(served.url)
    assert tab.page.title() == "rtd-tui · csv-data"
    first = tab.wait_records(lambda n: n > 0, "records")
    later = tab.wait_records(lambda n: n > first, "more records")  # live, not a still image
    assert later > first
    text = tab.screen()
    assert "Total value by city" in text and "Latest records" in text
    assert producer_state(text) == "ON 20.0/s"


def test_producer_controls_are_shared_and_clear_is_per_tab(
    served: Served, open_tab: Callable[[str], Tab]
) -> None:
    one, two = open_tab(served.url), open_tab(served.url)
    for tab in (one, two):
        tab.wait_records(lambda n: n > 0, "records")
    one.press("p")  # the shared producer goes off: both tabs say so
    for tab in (one, two):
        tab.wait_for(lambda s: producer_state(s) == "OFF", "producer OFF")
    # With the producer off, both tabs settle on every record of the topic: the same totals.
    time.sleep(2.0)
    settled = one.records()
    assert settled is not None and settled > 0
    two.wait_records(lambda n: n == settled, f"{settled} records in the second tab")
    one.wait_records(lambda n: n == settled, f"still {settled} records")
    two.press("+")  # double the rate from the second tab, seen by the first
    one.wait_for(lambda s: "producer OFF" in s, "producer still OFF")
    two.press("p")
    for tab in (one, two):
        tab.wait_for(lambda s: producer_state(s) == "ON 40.0/s", "producer ON 40.0/s")
    two.press("-")
    one.wait_for(lambda s: producer_state(s) == "ON 20.0/s", "producer back at 20.0/s")
    one.press("c")  # clear: this tab only
    one.wait_text("Cache cleared")
    after_clear = one.records()
    assert after_clear is not None and after_clear < settled
    assert (two.records() or 0) >= settled


def test_filter_from_the_browser(served: Served, open_tab: Callable[[str], Tab]) -> None:
    tab = open_tab(served.url)
    tab.wait_records(lambda n: n > 20, "more than 20 records")
    tab.press("/")
    tab.wait_text("age: 25-40")  # the bar is open and has the focus
    tab.type("Sao Paulo")
    tab.press("Enter")
    text = tab.wait_for(
        lambda s: "filter São Paulo" in s and "Statistics by city" in s, "the filter applied"
    )
    stats = text[text.index("Statistics by city"):]
    assert "São Paulo" in stats and "Rio de Janeiro" not in stats
    tab.press("Escape")
    tab.wait_for(lambda s: "filter São Paulo" not in s and "Rio de Janeiro" in s,
                 "the filter gone")


def test_export_is_a_browser_download(served: Served, open_tab: Callable[[str], Tab]) -> None:
    tab = open_tab(served.url)
    tab.wait_records(lambda n: n > 0, "records")
    tab.press("e")
    dialog = tab.wait_text("Download the")
    found = re.search(r"Download the ([\d,]+) records in view", dialog)
    assert found, dialog
    shown = int(found.group(1).replace(",", ""))
    with tab.page.expect_download() as started:
        tab.press("Enter")  # Parquet, the dialog's first button
    download = started.value
    assert download.suggested_filename.startswith("rtd-tui-")
    assert download.suggested_filename.endswith(".parquet")
    frame = pl.read_parquet(io.BytesIO(Path(download.path()).read_bytes()))
    assert frame.height == shown
    assert {"id", "nome", "idade", "cidade", "valor", "partition", "offset"} <= set(frame.columns)
    tab.wait_text("Downloading")


def test_closing_a_tab_ends_only_its_dashboard(
    served: Served, open_tab: Callable[[str], Tab]
) -> None:
    before = set(served.tabs())
    one, two = open_tab(served.url), open_tab(served.url)
    for tab in (one, two):
        tab.wait_records(lambda n: n > 0, "records")
    mine = set(served.tabs()) - before
    assert len(mine) == 2
    one.press("q")
    _wait(lambda: len(set(served.tabs()) - before) == 1, "one tab process to end")
    count = two.records() or 0
    two.wait_records(lambda n: n > count, "the other tab still live")
    two.page.close()
    _wait(lambda: not set(served.tabs()) - before, "the second tab process to end")


def test_no_secret_in_the_page_or_the_tab_command_lines(
    served: Served, serve_env: dict[str, str], open_tab: Callable[[str], Tab]
) -> None:
    tab = open_tab(served.url)
    tab.wait_records(lambda n: n > 0, "records")
    page = tab.page.content()
    assert SECRET not in page
    assert "http://127.0.0.1" in page and "https://" not in page  # nothing from elsewhere
    assert re.search(r'href="http://127\.0\.0\.1:\d+/static/css/xterm\.css"', page)  # kept
    assert SECRET not in tab.screen()
    tabs = served.tabs()
    assert tabs
    for pid in tabs:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert b"rtd_tui.tab" in cmdline
        assert SECRET.encode() not in cmdline
    (folder,) = session_files(Path(serve_env["TMPDIR"]))  # the tabs ask its socket
    assert sorted(path.name for path in folder.iterdir()) == ["control.sock", "owner.pid"]
    assert SECRET not in (folder / "owner.pid").read_text()
    assert (folder / "control.sock").stat().st_mode & 0o077 == 0
    assert folder.stat().st_mode & 0o077 == 0


def test_serve_on_a_cluster_given_with_b(
    serve_env: dict[str, str], open_tab: Callable[[str], Tab]
) -> None:
    """-b: serve's producer and every tab use that cluster (here a mock broker of the test's)."""
    with EmbeddedBroker("web-orders") as cluster:
        server = Served(["-b", cluster.bootstrap_servers, "-t", "web-orders", "--producer",
                         "--rate", "10"], serve_env)
        try:
            assert f"on {cluster.bootstrap_servers}" in server.banner
            tab = open_tab(server.url)
            assert tab.page.title() == "rtd-tui · web-orders"
            text = tab.wait_for(lambda s: (card_value(s, "Records") or 0) > 0, "records")
            assert f"{cluster.bootstrap_servers} › web-orders" in text
            assert producer_state(text) == "ON 10.0/s"
        finally:
            code, err = server.stop()
        assert code == 0, err


def test_a_websocket_from_another_site_is_refused(served: Served) -> None:
    """A page on another origin must not open a dashboard (it could produce and delete)."""

    def handshake(origin: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        connection.request("GET", "/ws", headers={
            "Origin": origin, "Connection": "Upgrade", "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        })
        status = connection.getresponse().status
        connection.close()
        return status

    assert handshake("http://evil.example") == 403
    assert handshake(served.url.rstrip("/")) == 101


def test_read_only_refuses_every_write(
    browser: Browser, serve_env: dict[str, str], open_tab: Callable[[str], Tab]
) -> None:
    server = Served(["--read-only", "--rate", "10"], serve_env)
    try:
        tab = open_tab(server.url)
        text = tab.wait_records(lambda n: n > 0, "records") and tab.screen()
        footer = text.splitlines()[-1]
        assert "q Quit" in footer  # the footer offers no write (the keys' own rule)
        for write in ("p Producer", "+ Rate", "- Rate", "n Produce", "R Re-produce"):
            assert write not in footer
        tab.press("p", "+", "-", "n", "R", "t")  # the writes, then a key that acts:
        tab.wait_text("timestamp (UTC)")  # the tail is open, so every key before it ran
        tab.press("R", "Escape")  # re-produce from the tail does nothing either
        text = tab.wait_for(lambda s: producer_state(s) is not None, "the dashboard again")
        assert producer_state(text) == "ON 10.0/s"
        assert "Produce one record" not in text
    finally:
        code, _err = server.stop()
    assert code == 0


def test_loopback_by_default_and_a_warning_otherwise(serve_env: dict[str, str]) -> None:
    local = Served(["--no-producer"], serve_env)
    try:
        assert "http://127.0.0.1:" in local.banner
        assert _listening(local.port) == ["0100007F"]  # 127.0.0.1 only
    finally:
        _code, err = local.stop()
    assert "warning" not in err
    exposed = Served(["--no-producer", "--host", "0.0.0.0"], serve_env)
    try:
        assert _listening(exposed.port) == ["00000000"]
    finally:
        _code, err = exposed.stop()
    assert "anyone who can reach this port can produce and delete records" in err


def test_a_busy_port_is_one_line_and_status_1(serve_env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*RTD, "serve", "--port", str(port), "--no-producer"], env=serve_env,
            capture_output=True, text=True, timeout=60, check=False,
        )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"rtd-tui serve: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) listening on ``port``."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.append(address)
    return found


def test_tabs_end_with_a_killed_serve_and_the_next_serve_cleans_up(
    serve_env: dict[str, str], open_tab: Callable[[str], Tab]
) -> None:
    """serve cannot clean up after SIGKILL: the kernel ends its tabs (PR_SET_PDEATHSIG),
    and the next serve removes the folder the killed one left."""
    others = set(session_files(Path(serve_env["TMPDIR"])))
    server = Served(["--rate", "10"], serve_env)
    try:
        open_tab(server.url).wait_records(lambda n: n > 0, "records")
        tabs = server.tabs()
        assert len(tabs) == 1
        (left,) = set(session_files(Path(serve_env["TMPDIR"]))) - others
    finally:
        server.kill()
    _wait(lambda: not alive(tabs[0]), "the orphaned tab to end", 10)
    assert left.exists()
    following = Served(["--no-producer"], serve_env)
    try:
        assert not left.exists()
        assert len(set(session_files(Path(serve_env["TMPDIR"]))) - others) == 1  # its own
    finally:
        code, err = following.stop()
    assert code == 0, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stopping_serve_ends_every_tab_and_leaves_nothing(
    signum: int, serve_env: dict[str, str], open_tab: Callable[[str], Tab]
) -> None:
    others = set(session_files(Path(serve_env["TMPDIR"])))
    server = Served(["--rate", "10"], serve_env)
    try:
        tabs = [open_tab(server.url), open_tab(server.url)]
        for tab in tabs:
            tab.wait_records(lambda n: n > 0, "records")
        assert len(server.tabs()) == 2
        pids = descendants(server.proc.pid)  # the tabs and any helper they started
        (folder,) = set(session_files(Path(serve_env["TMPDIR"]))) - others
        code, err = server.stop(signum)
    finally:
        server.kill()
    assert code == 0, err
    assert "Traceback" not in err
    assert not [pid for pid in pids if alive(pid)]
    assert not folder.exists()  # the control socket and its folder are gone
    for tab in tabs:
        tab.page.wait_for_selector("body.-closed")  # the page says the session ended


def _wait(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
