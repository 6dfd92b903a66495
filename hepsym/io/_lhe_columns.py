"""The particle columns of an LHE read, filled block by block while the next blocks parse.

Each parsed block's particle table is copied into the final columns as soon as its turn
comes (blocks are taken in file order) and then dropped, so the read holds the returned
arrays and the few blocks in flight, never every block's table and the columns at once
(10^6 Pythia events: 2.1x the returned arrays before, when the columns were filled
after the parse). The columns are sized from the text the file will give: the file's
size, or for gzip the uncompressed size its trailer records (ISIZE, modulo 2^32), times
the particles per byte of the first block; they grow by half when that falls short and
are cut to size at the end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hepsym.io._lhe_blocks import GZIP_MAGIC
from hepsym.io._lhe_format import INT_COLUMNS, MOMENTUM_COLUMNS, PARTICLE_COLUMNS
from hepsym.io._lhe_parse import EventBlock

__all__ = ("ParticleColumns", "expected_text")

#: Room above the estimate: particles per byte vary a little along a file.
_HEADROOM = 1.03
#: A gzip trailer claiming more text than this many times the file is not trusted
#: (LHE text compresses 4-6x).
_MAX_RATIO = 64


def expected_text(path: Path, byte_range: tuple[int, int] | None = None) -> int | None:
    """Bytes of text the file (or the byte range) holds; ``None`` when unknown (a gzip
    trailer that cannot be the size: the text is over 4 GiB, several members, or a
    damaged trailer)."""
    if byte_range is not None:
        return byte_range[1] - byte_range[0]
    size = path.stat().st_size
    with path.open("rb") as f:
        if f.read(2) != GZIP_MAGIC:
            return size
        if size < 18:
            return None
        f.seek(-4, 2)
        isize = int.from_bytes(f.read(4), "little")
    return isize if size <= isize <= _MAX_RATIO * size else None


class ParticleColumns:
    """The reader's particle columns (int64 for the integer ones, float64 for the rest),
    filled by :meth:`take` in file order.

    Args:
        expected: bytes of text the blocks will add up to, if known.
        max_events: the events the read stops after, if any (bounds the first size).
    """

    names = tuple(dict.fromkeys((*MOMENTUM_COLUMNS, *PARTICLE_COLUMNS)))

    def __init__(self, expected: int | None, max_events: int | None = None) -> None:
        self.expected, self.max_events = expected, max_events
        self.n = 0
        self.events = 0  # taken
        self.text = 0  # bytes of text taken
        self._columns: dict[str, np.ndarray] = {}
        self._index = {name: PARTICLE_COLUMNS.index(name) for name in self.names}

    def take(self, block: EventBlock, text_bytes: int) -> EventBlock:
        """Copy ``block``'s particles into the columns; the block without its table."""
        table = block.particles
        self.text += text_bytes
        self.events += len(block)
        stop = self.n + len(table)
        if stop > self._capacity():
            self._grow(stop)
        for name, j in self._index.items():
            self._columns[name][self.n : stop] = table[:, j]
        self.n = stop
        # a fresh empty table: a view (table[:0]) would keep the block's buffer alive
        empty = np.empty((0, table.shape[1]))
        return EventBlock(block.header, empty, block.counts, block.lines, block.closing)

    def result(self) -> dict[str, np.ndarray]:
        """The columns, cut to the particles taken (in place: no copy)."""
        if not self._columns:
            self._grow(0)
        for name, column in self._columns.items():
            try:
                column.resize(self.n, refcheck=False)
            except ValueError:  # not its own buffer (never, for np.empty): copy
                self._columns[name] = column[: self.n].copy()
        return self._columns

    def _empty(self, size: int) -> dict[str, np.ndarray]:
        return {
            name: np.empty(size, dtype=np.int64 if name in INT_COLUMNS else np.float64)
            for name in self.names
        }

    def _capacity(self) -> int:
        return len(self._columns["px"]) if self._columns else 0

    def _grow(self, need: int) -> None:
        if not self._columns:
            per_byte = need / max(self.text, 1)
            guess = per_byte * self.expected * _HEADROOM if self.expected else 4.0 * need
            if self.max_events is not None:
                guess = min(guess, need / max(self.events, 1) * self.max_events * _HEADROOM)
            size = max(need, int(guess) + 1024)
        else:
            size = max(need, int(self._capacity() * 1.5))
        try:
            fresh = self._empty(size)
        except MemoryError:  # a wrong guess of the size (the need itself would fit)
            fresh = self._empty(2 * need)
        for name, new in fresh.items():
            if name in self._columns:
                new[: self.n] = self._columns[name][: self.n]
        self._columns = fresh
