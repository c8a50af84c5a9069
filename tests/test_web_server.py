"""``web_server``: the Host rule, and the upstream-shaped change it carries, pinned to the
exact textual-serve version (this test fails on an upgrade: read the module again then)."""

from __future__ import annotations

from importlib.metadata import version
from importlib.resources import files

import pytest

from rtd_tui.web_server import PAGE, TEXTUAL_SERVE_VERSION, AllowedHosts

#: The page's differences from textual-serve's template: a title, no font from elsewhere,
#: plain substitution instead of Jinja.
EDITS = (
    ("<head>\n", "<head>\n    <title>$title</title>\n"),
    ('    <link\n      rel="stylesheet"\n'
     '      href="https://fonts.googleapis.com/css?family=Roboto%20Mono"\n    />\n', ""),
    ("{{ config.static.url }}", "${static}"),
    ('data-pingurl="{{ ping_url }}"', 'data-pingurl=""'),
    ("{{ application.name or 'Textual Application' }}", "$title"),
    ("{{ app_websocket_url }}", "$websocket"),
    ("{{ font_size }}", "$font_size"),
)


def test_textual_serve_is_the_version_the_change_was_made_for() -> None:
    assert version("textual-serve") == TEXTUAL_SERVE_VERSION


def test_the_page_is_upstreams_template_with_the_stated_edits_only() -> None:
    page = files("textual_serve").joinpath("templates/app_index.html").read_text("utf-8")
    for old, new in EDITS:
        assert old in page
        page = page.replace(old, new, 1 if old == "<head>\n" else -1)
    assert page == PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("listen", "extra", "host", "allowed"),
    [
        ("127.0.0.1", (), "127.0.0.1:8501", True),
        ("127.0.0.1", (), "LOCALHOST", True),
        ("127.0.0.1", (), "[::1]:8501", True),
        ("127.0.0.1", (), "evil.example:8501", False),
        ("127.0.0.1", (), "localhost.evil.example", False),
        ("127.0.0.1", (), "10.0.0.5:8501", False),
        ("127.0.0.1", (), "", False),
        ("127.0.0.1", (), "[::1", False),
        ("127.0.0.1", ("Dash.Example.org",), "dash.example.org:443", True),
        ("box.lan", (), "box.lan:8501", True),
        ("0.0.0.0", (), "10.0.0.5:8501", True),
        ("0.0.0.0", (), "[fe80::1]:8501", True),
        ("0.0.0.0", (), "box.lan:8501", False),
        ("::", (), "10.0.0.5", True),
        ("10.0.0.5", (), "10.0.0.6", False),
    ],
)
def test_allowed_hosts(listen: str, extra: tuple[str, ...], host: str, allowed: bool) -> None:
    assert AllowedHosts(listen, extra).allows(host) is allowed
