"""What a correct aggregating job writes for some raw messages, folded here in plain
Python (``records.decode`` per message, tombstones taking an id's records out), as
contract-shaped messages: the tests feed these to the aggregates view by hand."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from rtd_tui.records import RecordError, decode

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
