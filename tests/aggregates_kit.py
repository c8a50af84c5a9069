"""What a correct aggregating job writes for some raw messages, folded here in plain
Python (``records.decode`` per message, tombstones taking an id's records out), as
contract-shaped messages: the tests feed these to the aggregates view by hand; and the
aggregates dashboard built from them with fixed data and clock, no workers."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from dashboard_kit import FIXED_NOW, fixed_history, fixture_values

from rtd_tui.aggregates import decode_message
from rtd_tui.aggregates.store import AggregateStore, Update
from rtd_tui.app import RtdApp
from rtd_tui.cli import make_app
from rtd_tui.config import Settings
from rtd_tui.decode import decode_batch
from rtd_tui.records import RecordError, decode
from rtd_tui.store.record_store import drop_deleted

Message = tuple[bytes, bytes | None]  # key, value (None: a tombstone)


@dataclass(frozen=True)
class Raw:
    """One raw message as the job reads it."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    ts: int  # ms since the epoch


def key(kind: str, name: str) -> bytes:
    return json.dumps({"kind": kind, "name": name}, ensure_ascii=False).encode()


def value(kind: str, name: str, records: int, cents: int | None = None,
          max_offset: int | None = None, last_ts: int | None = None) -> bytes:
    return json.dumps({"kind": kind, "name": name, "records": records, "cents": cents,
                       "max_offset": max_offset, "last_ts": last_ts},
                      ensure_ascii=False).encode()


def job_output(raw: list[Raw]) -> list[Message]:
    """The upsert messages a job leaves after reading ``raw`` in order (one per key; a
    cell all of whose records were deleted ends as a tombstone)."""
    by_id: dict[int, list[tuple[str, int]]] = defaultdict(list)  # id -> (cell, cents)
    rejected: Counter[str] = Counter()
    parts: dict[int, list[int]] = {}  # partition -> [records, max offset, last ts]
    tombstones = 0
    for m in raw:
        seen = parts.setdefault(m.partition, [0, -1, 0])
        seen[0] += 1
        seen[1] = max(seen[1], m.offset)
        seen[2] = max(seen[2], m.ts)
        if m.value is None:
            if m.key is not None and m.key.isdigit():
                tombstones += 1
                by_id.pop(int(m.key), None)
            else:
                bad = "tombstone without key" if m.key is None else "tombstone with bad key"
                rejected[bad] += 1
            continue
        try:
            record = decode(m.value)
        except RecordError as exc:
            rejected[exc.reason] += 1
            continue
        cell = f"{record['cidade']}|{record['idade']}"
        by_id[record["id"]].append((cell, round(record["valor"] * 100)))
    cells: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for rows in by_id.values():
        for cell, cents in rows:
            cells[cell][0] += 1
            cells[cell][1] += cents
    out: list[Message] = [(key("cell", c), value("cell", c, n, cents))
                          for c, (n, cents) in sorted(cells.items())]
    out += [(key("rejected", r), value("rejected", r, n)) for r, n in sorted(rejected.items())]
    out += [(key("partition", str(p)), value("partition", str(p), n, max_offset=o, last_ts=t))
            for p, (n, o, t) in sorted(parts.items())]
    out.append((key("tombstones", ""), value("tombstones", "", tombstones)))
    return out


def fixture_raw(limit: int = 2_000) -> list[Raw]:
    """The checked-in records keyed and partitioned by id (4 partitions), a few malformed
    messages, and tombstones of the first ids (in their partitions, after their records)."""
    base_ms = int(FIXED_NOW.timestamp() * 1000)
    offsets = [0, 0, 0, 0]
    raw: list[Raw] = []

    def add(partition: int, k: bytes | None, v: bytes | None) -> None:
        raw.append(Raw(partition, offsets[partition], k, v, base_ms + len(raw)))
        offsets[partition] += 1

    values = fixture_values(limit)
    ids = [json.loads(v)["id"] for v in values]
    for ident, v in zip(ids, values, strict=True):
        add(ident % 4, str(ident).encode(), v)
    for i, bad in enumerate([b"{oops", b'{"id": 1}', b"[1]", b"  "]):
        add(i, b"1", bad)
    for ident in sorted(set(ids))[:10]:
        add(ident % 4, str(ident).encode(), None)
    return raw


def updates(messages: list[Message]) -> list[Update]:
    """Decoded messages, as the reader hands them to the store (known kinds only)."""
    return [u for k, v in messages if (u := decode_message(k, v)) is not None]


def filled_aggregates(raw: list[Raw], tail: int = 500) -> AggregateStore:
    """The store as the reader and the raw tail leave it: the job's output for ``raw``,
    and the last ``tail`` raw messages' rows; its wall clock a second after the newest."""
    newest_s = max(m.ts for m in raw) / 1000
    store = AggregateStore(clock=lambda: 100.0, wall_clock=lambda: newest_s + 1.0)
    store.apply(updates(job_output(raw)))
    last = raw[-tail:]
    batch = decode_batch([m.value for m in last], [m.partition for m in last],
                         [m.offset for m in last], [m.key for m in last])
    store.set_tail(drop_deleted(batch.rows, batch.tombstones))
    return store


def still_aggregates_app(store: AggregateStore | None = None) -> RtdApp:
    """``rtd-tui --source aggregates`` as the CLI builds it, with fixed data, clock and
    throughput history, and no workers."""
    app = make_app(
        Settings(bootstrap_servers="localhost:9092", source="aggregates", producer_on=False),
        store=store if store is not None else filled_aggregates(fixture_raw()),
        clock=lambda: FIXED_NOW, start=False,
    )
    app.pipeline.throughput = fixed_history()
    app.animation_level = "none"
    return app
