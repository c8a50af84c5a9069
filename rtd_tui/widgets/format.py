"""Display formatting shared by the widgets (money in R$, counts, rates, safe text)."""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def money(value: float | None) -> str:
    """``R$ 1,234.56`` (two decimals, thousands separated); an em dash when unknown."""
    return "—" if value is None else f"R$ {value:,.2f}"


def compact_money(value: float) -> str:
    """Short R$ amounts for chart labels: ``R$ 12.3k``, ``R$ 4.5M``."""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"R$ {value / limit:.1f}{suffix}"
    return f"R$ {value:.0f}"


def count(value: int) -> str:
    return f"{value:,}"


def rate(value: float | None) -> str:
    """Records or messages per second, with sensible precision."""
    if value is None:
        return "max"
    if value >= 100:
        return f"{value:,.0f}/s"
    return f"{value:.1f}/s" if value >= 1 else f"{value:.2f}/s"


def msg_rate(value: float) -> str:
    """The ingest figure as the card and the throughput chart's title both show it."""
    return rate(value).replace("/s", " msg/s")


def safe(text: str) -> str:
    """Make untrusted text inert: control characters (ESC included) become visible escapes."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def ago(seconds: float) -> str:
    """``12 s``, ``4 min``, ``2 h``: how long, at the precision a glance needs."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds // 60:.0f} min"
    return f"{seconds // 3600:.0f} h"
