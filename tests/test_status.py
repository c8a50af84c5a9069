"""The status line's broker reason: the cause and where, not librdkafka's whole text."""

from __future__ import annotations

import pytest

from rtd_tui.widgets.status import cause


@pytest.mark.parametrize(
    ("detail", "said"),
    [
        ("127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused "
         "(after 0ms in state CONNECT)", "connection refused (127.0.0.1:1)"),
        ("Failed to resolve 'nohost:1': Name or service not known (after 1ms in state "
         "CONNECT)", "name or service not known (nohost:1)"),
        ("kafka:9092/1: SASL authentication error: Authentication failed: Invalid username "
         "or password (after 5ms in state AUTH_REQ)", "invalid username or password (kafka:9092)"),
        ("1/1 brokers are down", "1/1 brokers are down"),
    ],
)
def test_a_reason_is_cut_to_its_cause_and_where(detail: str, said: str) -> None:
    assert cause(detail) == said
