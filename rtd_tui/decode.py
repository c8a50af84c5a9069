"""Turn a batch of Kafka messages into store rows, tombstones and rejections.

Fast path: join the values into NDJSON and let polars decode the whole batch with
the wire schema, then validate with vectorized expressions. polars is lenient in
places (it turns ``"nome": 123`` into ``"123"``) and fails whole batches on one bad
line, so any row the fast path doubts goes through ``records.decode``, the
authoritative per-message validator. The fast path only ever *accepts* rows that
``records.decode`` would accept with the same values.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from rtd_tui.records import (
    AGE_RANGE,
    CONTROL_PATTERN,
    ID_RANGE,
    MAX_MESSAGE_BYTES,
    STORE_SCHEMA,
    TIMESTAMP_PATTERN,
    VALUE_RANGE,
    WIRE_SCHEMA,
    RecordError,
    decode,
)

#: Batches up to this many messages go straight to the per-message validator: it costs
#: ~20-40 µs a message, a polars decode ~4 ms a batch whatever its size (a slow stream).
SMALL_BATCH = 32
#: Decoded names that may be a JSON number, boolean, object or array coerced to text.
_SUSPECT_NAME = r"^(-?[0-9][0-9.eE+\-]*|true|false|null|\{.*|\[.*)$"
#: The store's columns, ids and ages narrowed. Non-strict: a value that does not fit is
#: null, and its row fails ``_VALID`` (out of range) and goes to the per-message path.
_NARROWED = [
    pl.col(name).cast(dtype, strict=False) if name in ("id", "idade") else pl.col(name)
    for name, dtype in STORE_SCHEMA.items()
]
#: The fast path's acceptance rule, built once. ``cidade`` is already cast to the city
#: enum (non-strict), so an unknown city is null here.
_VALID = (
    pl.all_horizontal(pl.col(name).is_not_null() for name in WIRE_SCHEMA)
    & pl.col("id").is_between(*ID_RANGE)
    & pl.col("idade").is_between(*AGE_RANGE)
    & pl.col("valor").is_between(*VALUE_RANGE)
    & (pl.col("valor").round(2) == pl.col("valor"))  # whole cents, as records.validate
    & pl.col("timestamp").str.contains(TIMESTAMP_PATTERN)
    & ~pl.col("nome").str.contains(f"{CONTROL_PATTERN}|{_SUSPECT_NAME}")  # one regex pass
    & pl.col("nome").str.contains(r"\S")  # not blank: both follow Unicode White_Space
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that did not make it into the store, and why."""

    partition: int
    offset: int
    reason: str
    detail: str


@dataclass(slots=True)
class DecodedBatch:
    """The outcome of one batch: good rows, deleted ids, rejected messages."""

    rows: pl.DataFrame
    tombstones: list[tuple[int, int, int]] = field(default_factory=list)  # (partition, offset, id)
    rejections: list[Rejection] = field(default_factory=list)


def empty_rows() -> pl.DataFrame:
    """A zero-row frame with the store schema."""
    return pl.DataFrame(schema=STORE_SCHEMA)


def decode_batch(
    values: Sequence[bytes | None],
    partitions: Sequence[int],
    offsets: Sequence[int],
    keys: Sequence[bytes | None] | None = None,
) -> DecodedBatch:
    """Decode parallel columns of one batch; every message ends up in exactly one bucket."""
    lengths = {len(values), len(partitions), len(offsets)} | ({len(keys)} if keys else set())
    if len(lengths) != 1:
        raise ValueError(f"batch columns differ in length: values {len(values)}, partitions "
                         f"{len(partitions)}, offsets {len(offsets)}"
                         + (f", keys {len(keys)}" if keys else ""))
    tombstones: list[tuple[int, int, int]] = []
    rejections: list[Rejection] = []
    if len(values) <= SMALL_BATCH and None not in values:  # a slow stream's batch
        good = _slow_path(range(len(values)), values, partitions, offsets, rejections)
        return DecodedBatch(good, tombstones, rejections)
    if None not in values:  # the usual batch: one C-level scan instead of a Python loop
        good, doubtful = _fast_path(values, partitions, offsets)  # type: ignore[arg-type]
    else:
        candidates: list[int] = []
        for i, value in enumerate(values):
            if value is None:
                _tombstone(keys[i] if keys is not None else None, partitions[i], offsets[i],
                           tombstones, rejections)
            else:
                candidates.append(i)
        sub = [v for v in values if v is not None]  # the candidates' values, in order
        good, doubt_sub = _fast_path(
            sub, [partitions[i] for i in candidates], [offsets[i] for i in candidates]
        )
        doubtful = [candidates[j] for j in doubt_sub]
    if doubtful:
        slow = _slow_path(doubtful, values, partitions, offsets, rejections)
        good = pl.concat([good, slow]) if good.height else slow
    return DecodedBatch(good, tombstones, rejections)


def _tombstone(
    key: bytes | None, partition: int, offset: int,
    tombstones: list[tuple[int, int, int]], rejections: list[Rejection],
) -> None:
    if key is None:
        rejections.append(Rejection(partition, offset, "tombstone without key", "null key"))
        return
    if key.isdigit():  # ASCII digits only, as key_of() writes them: int() alone takes "1_0"
        tombstones.append((partition, offset, int(key)))
    else:
        rejections.append(Rejection(partition, offset, "tombstone with bad key", repr(key[:40])))


def _fast_path(
    values: Sequence[bytes], partitions: Sequence[int], offsets: Sequence[int]
) -> tuple[pl.DataFrame, list[int]]:
    """Vectorized decode; returns accepted rows and the indices to re-check one by one."""
    n = len(values)
    if n == 0:
        return empty_rows(), []
    blob = b"\n".join(values)
    if blob.count(b"\n") != n - 1 or len(blob) > n * MAX_MESSAGE_BYTES:
        return empty_rows(), list(range(n))
    try:
        frame = pl.read_ndjson(io.BytesIO(blob), schema=WIRE_SCHEMA)
    except BaseException as exc:  # polars raises ComputeError, or a PanicException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return empty_rows(), list(range(n))
    if frame.height != n:  # an empty or blank message was skipped: realign one by one
        return empty_rows(), list(range(n))
    ok = _VALID
    if max(map(len, values)) > MAX_MESSAGE_BYTES:  # rare: only then a per-message size column
        ok = ok & (pl.Series([len(v) for v in values], dtype=pl.Int64) <= MAX_MESSAGE_BYTES)
    checked = frame.lazy().with_columns(
        pl.Series("partition", partitions, dtype=pl.Int32),
        pl.Series("offset", offsets, dtype=pl.Int64),
        pl.col("cidade").cast(STORE_SCHEMA["cidade"], strict=False),
    ).select(  # one query: narrowed columns and the verdict (read from the wide ones)
        _NARROWED, ok=ok.fill_null(False),
    ).collect()
    mask = checked.get_column("ok")
    if mask.all():
        return checked.drop("ok"), []
    return checked.filter(mask).drop("ok"), (~mask).arg_true().to_list()


def _slow_path(
    indices: Iterable[int],
    values: Sequence[bytes | None],
    partitions: Sequence[int],
    offsets: Sequence[int],
    rejections: list[Rejection],
) -> pl.DataFrame:
    """Per-message validation with ``records.decode``: reasons for the bad, rows for the good."""
    rows: list[dict[str, object]] = []
    for i in indices:
        try:
            record = decode(values[i])
        except RecordError as exc:
            rejections.append(Rejection(partitions[i], offsets[i], exc.reason, exc.detail))
            continue
        record["partition"] = partitions[i]
        record["offset"] = offsets[i]
        rows.append(record)
    return pl.DataFrame(rows, schema=STORE_SCHEMA, orient="row") if rows else empty_rows()
