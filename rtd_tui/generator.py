"""The realistic record generator: Faker pt_BR names, census-weighted cities, skewed amounts.

It imports neither polars nor the UI, so ``python -m rtd_tui.generator`` can draw
the pools in a helper process: the dashboard starts that process first, and
Faker's import and the draws (about a second here) run on another core while
the dashboard imports Textual and polars. The pools are plain numbers and text,
sent back as JSON; a seeded run gives the same records either way.
"""

from __future__ import annotations

import json
import logging
import math
import random
import subprocess
import sys
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from statistics import NormalDist
from typing import Any, NamedTuple

from rtd_tui.reference import AGE_RANGE, CITIES, CITY_POPULATION, ID_RANGE, VALUE_RANGE

log = logging.getLogger(__name__)

POOL_BITS = 16
POOL_SIZE = 1 << POOL_BITS
_POOL_MASK = POOL_SIZE - 1
NAME_POOL = 4000
_LOG_AMOUNT_MU, _LOG_AMOUNT_SIGMA = 5.2, 0.75  # log R$: median ~R$ 180, long right tail
_AGE_MU, _AGE_SIGMA = 39.0, 13.0  # years: working age


class Encoded(NamedTuple):
    """One generated record ready for the wire (a tuple: cheap to make at 100k+/s)."""

    key: bytes
    value: bytes


_new_tuple = tuple.__new__  # Encoded without its Python-level __new__: ~0.4 µs a record


@dataclass(frozen=True)
class Pools:
    """What the generator draws once: ``POOL_SIZE`` values per field, and the random
    state to go on from. Names are indices (``picks``) into the distinct Faker names.

    The numbers are machine arrays, not lists: 65,536 Python ints or floats per field
    cost ~2.3 MB each, as arrays 64-512 KB, for as long as the producer may run."""

    names: list[str]
    picks: array[int]  # "H": indices into names
    ids: array[int]  # "H"
    ages: array[int]  # "B"
    values: array[float]  # "d": exact, as the floats drawn
    cities: array[int]  # "B": indices into CITIES
    state: tuple[Any, ...]  # random.Random.getstate() after the draws

    def to_json(self) -> str:
        """JSON for the helper's pipe; arrays as the hex of their bytes (same machine),
        so the reader never builds 65,536 Python numbers per field to throw away."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return json.dumps({k: v.tobytes().hex() if isinstance(v, array) else v
                           for k, v in data.items()})

    @classmethod
    def from_json(cls, text: str | bytes) -> Pools:
        data = json.loads(text)
        version, internal, gauss = data.pop("state")
        arrays = {f: _array(code, data[f]) for f, code in _TYPECODES.items()}
        return cls(names=data["names"], **arrays, state=(version, tuple(internal), gauss))


_TYPECODES = {"picks": "H", "ids": "H", "ages": "B", "values": "d", "cities": "B"}


def _array(typecode: str, hex_bytes: str) -> array[Any]:
    """An array from ``to_json``'s hex; a wrong length is a clear error, not a short pool."""
    out = array(typecode, bytes.fromhex(hex_bytes))
    if len(out) != POOL_SIZE:
        raise ValueError(f"pool of {len(out)} entries, expected {POOL_SIZE}")
    return out


def draw_pools(seed: int | None, name_pool: int = NAME_POOL) -> Pools:
    """Draw every pool from its distribution (Faker is imported here: it is slow to load).

    Amounts: log-normal (median ~R$ 180) truncated to the schema's range, drawn by
    inverting its CDF; ages: a normal around 39 rounded to whole years, truncated to
    18 to 80, drawn from its exact discrete weights. No rejection loops, no clamping.
    """
    from faker import Faker

    rng = random.Random(seed)
    faker = Faker("pt_BR")
    faker.seed_instance(rng.randrange(2**32))
    names = [faker.name() for _ in range(name_pool)]
    amount = NormalDist(_LOG_AMOUNT_MU, _LOG_AMOUNT_SIGMA)
    low, high = (amount.cdf(math.log(bound)) for bound in VALUE_RANGE)
    inv, uniform, exp = amount.inv_cdf, rng.random, math.exp
    age = NormalDist(_AGE_MU, _AGE_SIGMA)
    ages = range(AGE_RANGE[0], AGE_RANGE[1] + 1)
    weights = [age.cdf(a + 0.5) - age.cdf(a - 0.5) for a in ages]
    return Pools(
        names=names,
        picks=array("H", rng.choices(range(name_pool), k=POOL_SIZE)),
        ids=array("H", rng.choices(range(ID_RANGE[0], ID_RANGE[1] + 1), k=POOL_SIZE)),
        ages=array("B", rng.choices(ages, weights, k=POOL_SIZE)),
        values=array("d", (round(exp(inv(low + (high - low) * uniform())), 2)
                           for _ in range(POOL_SIZE))),
        cities=array("B", rng.choices(range(len(CITIES)), weights=CITY_POPULATION,
                                      k=POOL_SIZE)),
        state=rng.getstate(),
    )


class PoolsBuild:
    """``draw_pools`` running in a helper process; ``result()`` waits for it.

    If the helper cannot start or fails, ``result()`` draws the pools in this
    process instead (same seed, same pools), and logs why.
    """

    def __init__(self, seed: int | None, name_pool: int = NAME_POOL) -> None:
        self.seed = seed
        self.name_pool = name_pool
        self._pools: Pools | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._cancelled = False
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "rtd_tui.generator", json.dumps(seed), str(name_pool)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
        except OSError as exc:
            log.warning("generator helper did not start (%s): drawing in-process", exc)
        self._reader = threading.Thread(target=self._read, name="generator-pools", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        child = self._child
        if child is None:
            return
        out, err = child.communicate()
        if self._cancelled:
            return
        if child.returncode != 0:
            detail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            log.warning("generator helper exited %s (%s): drawing in-process",
                        child.returncode, detail[0])
            return
        try:
            self._pools = Pools.from_json(out)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("generator helper sent bad pools (%s): drawing in-process", exc)

    def result(self) -> Pools:
        """The pools, waiting for the helper if it is still drawing."""
        self._reader.join()
        if self._pools is None:
            self._pools = draw_pools(self.seed, self.name_pool)
        return self._pools

    @property
    def helper_running(self) -> bool:
        """Whether the helper process was started and has not ended."""
        return self._child is not None and self._child.poll() is None

    def cancel(self) -> None:
        """Stop the helper if it still runs (the app quit before it finished)."""
        self._cancelled = True
        child = self._child
        if child is not None and child.poll() is None:
            child.kill()
        self._reader.join(timeout=5.0)


_MILLIS = [b".%03d" % n for n in range(1000)]
_MICROS = [b'%03d"}' % n for n in range(1000)]


def _local_now_wire() -> Callable[[], tuple[bytes, bytes, bytes]]:
    """``datetime.now().isoformat()`` as the record's JSON tail, at a fraction of its cost:
    the date and time up to the second are formatted once per second; the fraction comes
    from two tables of three digits (milliseconds, microseconds). A closure over integer
    nanoseconds: ~1 µs a record cheaper than a float clock behind ``__call__``."""
    time_ns, millis, micros = time.time_ns, _MILLIS, _MICROS
    last: list[Any] = [-1, b""]  # the second formatted, and its text

    def now_wire() -> tuple[bytes, bytes, bytes]:
        """The timestamp as ``prefix, .mmm, uuu"}`` (a whole second prints as ``.000000``)."""
        micro = time_ns() // 1000
        second, fraction = divmod(micro, 1_000_000)
        if second != last[0]:
            last[0], last[1] = second, datetime.fromtimestamp(second).isoformat().encode()
        return last[1], millis[fraction // 1000], micros[fraction % 1000]

    return now_wire


class RecordGenerator:
    """Realistic sales records from Faker pt_BR, fast enough for 100k+ records/s.

    Faker costs ~30 µs a name, so names come from a pool drawn once (seeded).
    Cities follow the 2022 census population; amounts are log-normal (many small
    tickets, a few large ones) truncated to the schema's range; ages cluster
    around working age. Everything stays inside the schema's ranges.

    Speed: each field has a pool of ``2**16`` values drawn once from its own
    distribution, and a record picks one entry per field with a single 80-bit
    random number. The fields stay independent and each follows its distribution.
    For the wire, every entry also has its JSON fragment as bytes (with the text
    up to the next value), so ``encoded()`` only joins byte strings.
    """

    def __init__(
        self,
        seed: int | None = None,
        clock: Callable[[], datetime] = datetime.now,
        name_pool: int = NAME_POOL,
        pools: Pools | None = None,
    ) -> None:
        pools = pools or draw_pools(seed, name_pool)
        self._rng = random.Random()
        self._rng.setstate(pools.state)
        names, picks = pools.names, pools.picks
        self._names, self._picks = names, picks  # record(): names[picks[n]]
        self._ids = pools.ids
        self._ages = pools.ages
        self._values = pools.values
        self._cities = pools.cities  # record(): CITIES[cities[c]]
        # Wire fragments: {"id": 1234, "nome": | "Ana", "idade": | 33, "cidade": |
        # "Recife", "valor": | 123.45, "timestamp": " | then the time and "}
        name_frags = [_json(n) + b', "idade": ' for n in names]
        age_frags = {a: b"%d" % a + b', "cidade": ' for a in set(pools.ages)}
        city_frags = [_json(c) + b', "valor": ' for c in CITIES]
        # One bytes object per distinct id (9,000), shared by the pool's slots: a smaller
        # working set for the random lookups of encoded().
        keys = {i: b"%d" % i for i in set(pools.ids)}
        id_frags = {i: b'{"id": ' + k + b', "nome": ' for i, k in keys.items()}
        self._keys = [keys[i] for i in pools.ids]
        self._id_frags = [id_frags[i] for i in pools.ids]
        self._name_frags = [name_frags[i] for i in picks]
        self._age_frags = [age_frags[a] for a in pools.ages]
        self._city_frags = [city_frags[c] for c in pools.cities]
        # One bytes object per distinct amount, shared by the slots that drew it.
        value_frags = {v: repr(v).encode() + b', "timestamp": "' for v in set(pools.values)}
        self._value_frags = [value_frags[v] for v in pools.values]
        # The timestamp as the wire's tail: text, fraction, closing '"}'.
        self._now_wire: Callable[[], tuple[bytes, bytes, bytes]] = (
            _local_now_wire() if clock == datetime.now
            else lambda: (clock().isoformat().encode(), b"", b'"}')
        )

    def _draw(self) -> tuple[int, int, int, int, int]:
        """Pool indices for id, name, age, city and amount, from one random number."""
        bits = self._rng.getrandbits(5 * POOL_BITS)
        m = _POOL_MASK
        return (bits & m, (bits >> 16) & m, (bits >> 32) & m, (bits >> 48) & m, bits >> 64)

    def record(self) -> dict[str, Any]:
        """One record as a dict, in wire field order."""
        i, n, a, c, v = self._draw()
        return {
            "id": self._ids[i],
            "nome": self._names[self._picks[n]],
            "idade": self._ages[a],
            "cidade": CITIES[self._cities[c]],
            "valor": self._values[v],
            "timestamp": b"".join(self._now_wire())[:-2].decode(),
        }

    def encoded(self) -> Encoded:
        """One record straight to wire bytes, byte-identical to ``encode(record())``."""
        bits = self._rng.getrandbits(5 * POOL_BITS)  # _draw() inlined: the hot path
        i = bits & _POOL_MASK
        stamp, fraction, tail = self._now_wire()
        return _new_tuple(Encoded, (self._keys[i], b"".join((
            self._id_frags[i],
            self._name_frags[(bits >> 16) & _POOL_MASK],
            self._age_frags[(bits >> 32) & _POOL_MASK],
            self._city_frags[(bits >> 48) & _POOL_MASK],
            self._value_frags[bits >> 64],
            stamp, fraction, tail,
        ))))


def _json(text: str) -> bytes:
    """A string as the original producer wrote it: JSON, UTF-8, no ASCII escapes."""
    return json.dumps(text, ensure_ascii=False).encode()


def _main(argv: list[str]) -> int:
    """Helper process: ``python -m rtd_tui.generator SEED_JSON NAME_POOL`` prints the pools."""
    sys.dont_write_bytecode = False  # Faker's modules too: see ``startup.keep_bytecode``
    seed, name_pool = json.loads(argv[0]), int(argv[1])
    sys.stdout.write(draw_pools(seed, name_pool).to_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
