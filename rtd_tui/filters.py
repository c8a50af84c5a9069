"""Parse what the user types in the filter bar into a ``RecordFilter``.

Each field has its own error, naming the field, so the bar can say exactly what
is wrong and leave the current filter untouched.
"""

from __future__ import annotations

import re
import unicodedata

from rtd_tui.records import AGE_RANGE, CITIES, VALUE_RANGE
from rtd_tui.store import RecordFilter

_RANGE = re.compile(r"^\s*(?P<low>[^-–]*?)\s*(?:-|–|\.\.)\s*(?P<high>[^-–]*?)\s*$")


class FilterError(ValueError):
    """A filter field that cannot be used; ``field`` is cities, age or value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _fold(text: str) -> str:
    """Case- and accent-insensitive key: 'sao paulo' finds 'São Paulo'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_CITY_KEYS = {_fold(city): city for city in CITIES}


def canonical_city(name: str) -> str | None:
    """The city as the schema spells it ('sao paulo' → 'São Paulo'), or None if unknown."""
    return _CITY_KEYS.get(_fold(name))


def complete_city(prefix: str) -> str | None:
    """The first city (schema order) whose name starts with ``prefix``, accents optional."""
    key = _fold(prefix)
    if not key:
        return None
    return next((city for folded, city in _CITY_KEYS.items() if folded.startswith(key)), None)


def parse_cities(text: str) -> frozenset[str] | None:
    """Comma-separated city names (any case, accents optional); empty means all cities."""
    names = [part for part in (p.strip() for p in text.split(",")) if part]
    if not names:
        return None
    found, unknown = set(), []
    for name in names:
        city = canonical_city(name)
        if city is None:
            unknown.append(name)
        else:
            found.add(city)
    if unknown:
        raise FilterError("cities", f"unknown city {', '.join(map(repr, unknown))}")
    return frozenset(found)


def _parse_range(
    field: str, text: str, bounds: tuple[float, float], integer: bool
) -> tuple[float, float] | None:
    if not text.strip():
        return None
    match = _RANGE.match(text)
    if match is None:
        raise FilterError(field, f"expected LOW-HIGH (e.g. {bounds[0]:g}-{bounds[1]:g})")
    values: list[float] = []
    for name, default in (("low", bounds[0]), ("high", bounds[1])):
        raw = match.group(name).strip()
        if not raw:
            values.append(default)
            continue
        try:
            values.append(int(raw) if integer else float(raw.replace("R$", "").strip()))
        except ValueError:
            kind = "a whole number" if integer else "a number (use a dot for decimals)"
            raise FilterError(field, f"{raw!r} is not {kind}") from None
    low, high = values
    if low > high:
        raise FilterError(field, f"low {low:g} is above high {high:g}")
    return low, high


def parse_filter(cities: str = "", age: str = "", value: str = "") -> RecordFilter:
    """Build the filter from the bar's three fields; raises ``FilterError`` on the first bad one."""
    ages = _parse_range("age", age, AGE_RANGE, integer=True)
    values = _parse_range("value", value, VALUE_RANGE, integer=False)
    return RecordFilter(
        cities=parse_cities(cities),
        age=(int(ages[0]), int(ages[1])) if ages else None,
        value=values,
    )


def describe(record_filter: RecordFilter) -> str:
    """A short text of the active filter for the status line ('' when none)."""
    parts = []
    if record_filter.cities is not None:
        cities = sorted(record_filter.cities)
        parts.append(", ".join(cities) if len(cities) <= 3 else f"{len(cities)} cities")
    if record_filter.age is not None:
        parts.append(f"age {record_filter.age[0]}–{record_filter.age[1]}")
    if record_filter.value is not None:
        parts.append(f"R$ {record_filter.value[0]:g}–{record_filter.value[1]:g}")
    return " · ".join(parts)
