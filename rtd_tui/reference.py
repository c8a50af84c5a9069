"""Reference data of the record schema: field names, value ranges and the 25 cities.

Kept free of heavy imports (no polars, no Faker) so that the generator's helper
process and anything else that only needs the ranges start quickly.
"""

from __future__ import annotations

import csv
from importlib import resources

FIELDS: tuple[str, ...] = ("id", "nome", "idade", "cidade", "valor", "timestamp")
ID_RANGE = (1000, 9999)
AGE_RANGE = (18, 80)
VALUE_RANGE = (50.0, 2000.0)


def _load_cities() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Read the 25 cities and their 2022 census population shipped with the package."""
    text = resources.files("rtd_tui").joinpath("data/cities.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return tuple(r["cidade"] for r in rows), tuple(int(r["population_2022"]) for r in rows)


CITIES, CITY_POPULATION = _load_cities()
CITY_INDEX: dict[str, int] = {c: i for i, c in enumerate(CITIES)}
