"""The window of raw rows kept for the tables, the scatter and exports.

Bounded two ways: by rows (``--window``) and by bytes (``--window-bytes``), so one
topic full of large-but-valid records cannot fill the memory. Rows are kept whole
(strings are cut where they are drawn, not here).

Batches arrive as small frames; holding each as its own Arrow chunk would make every
read walk thousands of one-row chunks. They are merged for real (``rechunk``), in
amortised time: recent batches collect in a short list that is merged into one chunk
every ``FRESH_CHUNKS`` batches, and a merged chunk swallows the chunk before it while
that one is not bigger (a binary counter), up to a sixteenth of the window. So each
row is copied O(log window) times and a read sees a few dozen chunks at most.
"""

from __future__ import annotations

import polars as pl

from rtd_tui.decode import empty_rows

#: Batches collected before they are merged into one chunk.
FRESH_CHUNKS = 16
#: A merged chunk holds at most this fraction of the window (what may be held beyond it).
CHUNK_SHARE = 16
#: Bytes a row costs besides its two strings (numbers, offsets, validity), for cutting.
ROW_FIXED_BYTES = 32


def _size(frame: pl.DataFrame) -> int:
    return int(frame.estimated_size())


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    """The same rows with their two texts copied into tight buffers (``+ ""``: the same
    strings). Merging shares the decoded batches' string buffers, which grew as the JSON
    was read and keep their slack: ~14 MB per million rows held. The copy costs ~0.1 µs
    a row, once per row (the later merges share these tight buffers)."""
    return frame.with_columns(pl.col("nome") + "", pl.col("timestamp") + "")


class RowWindow:
    """The newest rows, within ``max_rows`` and about ``max_bytes``; not thread-safe."""

    def __init__(self, max_rows: int, max_bytes: int) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._cap_rows = max(1, max_rows // CHUNK_SHARE)
        self._cap_bytes = max(1, max_bytes // CHUNK_SHARE)
        self._sealed: list[tuple[pl.DataFrame, int]] = []  # merged chunks and their bytes
        self._fresh: list[pl.DataFrame] = []
        self._fresh_rows = 0
        self._fresh_bytes = 0
        self.rows_held = 0
        self.bytes_held = 0
        #: Rows ever given to ``append``: the newest held row is arrival number
        #: ``appended - 1``, whatever left the window since.
        self.appended = 0

    @property
    def chunks(self) -> int:
        """Arrow chunks a read goes through."""
        return sum(f.n_chunks() for f, _ in self._sealed) + sum(f.n_chunks() for f in self._fresh)

    def append(self, rows: pl.DataFrame) -> None:
        """Add a batch's rows (newest last) and drop what left the window."""
        self.appended += rows.height
        size = _size(rows)
        if size > self.max_bytes or rows.height > self.max_rows:
            rows = self._newest(rows)
            size = _size(rows)
        self._fresh.append(rows)
        self._fresh_rows += rows.height
        self._fresh_bytes += size
        self.rows_held += rows.height
        self.bytes_held += size
        if (len(self._fresh) >= FRESH_CHUNKS or self._fresh_rows >= self._cap_rows
                or self._fresh_bytes >= self._cap_bytes):
            self._seal()
        self._trim()

    def frame(self) -> pl.DataFrame:
        """The rows in the window, oldest first (reads only; a few chunks at most)."""
        parts = [f for f, _ in self._sealed] + self._fresh
        if not parts:
            return empty_rows()
        frame = pl.concat(parts, rechunk=False) if len(parts) > 1 else parts[0]
        return frame.tail(self.max_rows)

    def delete_ids(self, ids: list[int]) -> None:
        """Drop every row of these ids: one pass over each chunk, whatever their number."""
        gone = pl.col("id").is_in(ids)
        sealed = []
        for frame, size in self._sealed:
            if frame.select(gone.any()).item():
                frame = frame.filter(~gone)
                size = _size(frame)
            sealed.append((frame, size))
        self._sealed = sealed
        self._fresh = [f.filter(~gone) for f in self._fresh]
        self._fresh_rows = sum(f.height for f in self._fresh)
        self._fresh_bytes = sum(_size(f) for f in self._fresh)
        self.rows_held = sum(f.height for f, _ in self._sealed) + self._fresh_rows
        self.bytes_held = sum(size for _, size in self._sealed) + self._fresh_bytes

    def _seal(self) -> None:
        """Merge the fresh batches into one chunk; it swallows smaller chunks before it."""
        merged = _compact(pl.concat(self._fresh, rechunk=True))
        size = self._fresh_bytes
        self._fresh, self._fresh_rows, self._fresh_bytes = [], 0, 0
        while self._sealed:
            before, before_size = self._sealed[-1]
            if (before.height > merged.height or before.height + merged.height > self._cap_rows
                    or before_size + size > self._cap_bytes):
                break
            self._sealed.pop()
            merged = pl.concat([before, merged], rechunk=True)
            size += before_size
        self._sealed.append((merged, size))

    def _trim(self) -> None:
        """Drop the oldest chunks while the rest still fills the window (rows or bytes)."""
        while self._sealed:
            frame, size = self._sealed[0]
            if self.rows_held - frame.height < self.max_rows and (
                    self.bytes_held - size < self.max_bytes):
                break
            self._sealed.pop(0)
            self.rows_held -= frame.height
            self.bytes_held -= size

    def _newest(self, rows: pl.DataFrame) -> pl.DataFrame:
        """The newest rows of one batch that fit the window on their own."""
        rows = rows.tail(self.max_rows)
        row_bytes = (pl.col("nome").str.len_bytes() + pl.col("timestamp").str.len_bytes()
                     + ROW_FIXED_BYTES)
        from_newest = row_bytes.reverse().cum_sum().reverse()
        return rows.filter(from_newest <= self.max_bytes)
