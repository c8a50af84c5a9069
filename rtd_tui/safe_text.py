"""Untrusted text and bytes made inert for a terminal: every control shown as an escape.

Keys, values, reasons and names come from the topic, which anyone may write to: an
escape sequence in one must never reach the terminal raw.
"""

from __future__ import annotations

import re

#: C0 controls (ESC included), DEL, C1 controls (CSI U+009B included), and the
#: bidirectional overrides that can make text read differently from what it is.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_str(text: str) -> str:
    """Text with every control character shown as an escape: nothing reaches a terminal raw."""
    return _UNSAFE.sub(_escape, text)


def safe_text(data: bytes | None) -> str:
    """Raw bytes as inert text: UTF-8 where valid, ``\\xNN`` for invalid bytes and controls."""
    if data is None:
        return "null"
    return safe_str(data.decode("utf-8", errors="backslashreplace"))
