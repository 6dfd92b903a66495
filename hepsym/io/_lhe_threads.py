"""The blocks of an LHE file parsed on several threads, their results taken in order.

Most of a block's parse runs in numpy and Arrow with the GIL let go, so two threads
parse two blocks at once: on 10^6 Pythia events (57 blocks of 16 MB) the parses took
5.6 s on 2 threads against 9.2 s on one (``benchmarks/bench_read_lhe.py`` measures the
whole read). The results are taken in file order, so the events, the event numbers and
the line numbers in error messages are those of one thread. With ``max_events`` the
blocks are parsed one after the other: each needs to know how many events are left.
"""

from __future__ import annotations

import collections
import concurrent.futures
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hepsym._cores import usable_cores
from hepsym.errors import InputFileError
from hepsym.io._lhe_columns import ParticleColumns
from hepsym.io._lhe_parse import EventBlock, EventFormatError, parse_block

__all__ = ("BlockParses", "parse_threads")


def parse_threads() -> int:
    """Threads to parse blocks on: one per core this process may use, at most 4."""
    return min(usable_cores(), 4)


class BlockParses:
    """Blocks handed over with :meth:`add`, parsed, and collected in order by :meth:`finish`.

    Args:
        path: the file, for error messages.
        lines_before: lines of the file before the first block's text (or a function
            that counts them, called only for an error message).
        max_events: stop after this many events (the blocks are then parsed in turn).
        threads: parsing threads (1: in the caller's thread).
        columns: where each block's particles go as it is taken (its table is then
            dropped from :attr:`blocks`).
    """

    def __init__(
        self,
        path: Path,
        lines_before: int | Callable[[], int],
        max_events: int | None,
        threads: int,
        columns: ParticleColumns | None = None,
    ) -> None:
        self.path, self.max_events = path, max_events
        self.columns = columns
        self._before = lines_before
        self.lines = 0  # in the blocks taken
        self.blocks: list[EventBlock] = []
        self.n_read = 0
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="hepsym-lhe")
            if threads > 1 and max_events is None
            else None
        )
        self._depth = threads + 1
        self._pending: collections.deque[
            tuple[concurrent.futures.Future[Parsed], bytes, bytes, int]
        ] = collections.deque()

    @property
    def enough(self) -> bool:
        """Whether ``max_events`` events are read."""
        return self.max_events is not None and self.n_read >= self.max_events

    def add(self, head: bytes, data: bytes, end: int) -> None:
        """Parse the events of ``head + data[:end]`` (whole events only): ``head`` is the
        end of the text before (an event cut by the block's edge), so that the blocks are
        not joined into one more copy of the file's text."""
        if self._pool is None:
            limit = None if self.max_events is None else self.max_events - self.n_read
            try:
                parsed = _parse_pieces(head, data, limit, end)
            except EventFormatError as err:
                raise self._error(err, head + data) from err
            self._take(parsed, head, data, end)
            return
        future = self._pool.submit(_parse_pieces, head, data, None, end)
        self._pending.append((future, head, data, end))
        while len(self._pending) > self._depth:
            self._collect()

    def finish(self) -> list[EventBlock]:
        """Every block's events, in order, once all are parsed."""
        while self._pending:
            self._collect()
        self.close()
        return self.blocks

    def close(self) -> None:
        """Stop the threads (what is still queued is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _lines_before(self) -> int:
        return self._before if isinstance(self._before, int) else self._before()

    def _collect(self) -> None:
        future, head, data, end = self._pending.popleft()
        try:
            parsed = future.result()
        except EventFormatError as err:
            raise self._error(err, head + data) from err
        self._take(parsed, head, data, end)

    def _take(self, parsed: Parsed, head: bytes, data: bytes, end: int) -> None:
        for at, block in parsed:
            if block.closing >= 0:
                # Events after the end: most likely two files written one after the other.
                text = head + data
                line = (
                    self._lines_before() + self.lines + text.count(b"\n", 0, at + block.closing) + 1
                )
                msg = (
                    f"{self.path}: events after the closing </LesHouchesEvents> tag (line "
                    f"{line}); files joined together? Read each one separately"
                )
                raise InputFileError(msg)
        stops = [at for at, _ in parsed[1:]] + [len(head) + end]
        for (at, block), stop in zip(parsed, stops, strict=True):
            kept = block if self.columns is None else self.columns.take(block, stop - at)
            self.blocks.append(kept)
            self.n_read += len(kept)
            self.lines += kept.lines

    def _error(self, err: EventFormatError, text: bytes) -> InputFileError:
        line = self._lines_before() + self.lines + text.count(b"\n", 0, err.offset) + 1
        msg = f"{self.path}: event {self.n_read + err.event + 1} (line {line}): {err.problem}"
        return InputFileError(msg)


#: Bytes of text parsed at once within a block: the parse's temporaries (a few bytes
#: per byte of text) stay in the cache and in memory the allocator reuses. 16 MB at once
#: took 25-35% longer: its temporaries were fresh pages every time (10^6 Pythia events).
PIECE_SIZE = 1 << 20


#: A block's events as parsed: (offset of a piece in the block's text, its events).
Parsed = list[tuple[int, EventBlock]]


def _parse_pieces(head: bytes, data: bytes, limit: int | None, end: int) -> Parsed:
    """:func:`~hepsym.io._lhe_parse.parse_block` of ``head + data[:end]``, in pieces of
    :data:`PIECE_SIZE` cut between events, each piece's table copied into the columns as
    it is (a piece's table stays in the cache, so its columns are read from it cheaply).
    Where a piece's parse fails, the whole text is parsed in one go, so that errors are
    those of one parse."""
    if limit is None and len(head) + end > 2 * PIECE_SIZE:
        pieces = _pieces(data, end)
        pieces[0] = head + pieces[0]
        starts = np.cumsum([0] + [len(piece) for piece in pieces[:-1]]).tolist()
        try:
            return [(at, parse_block(piece)) for at, piece in zip(starts, pieces, strict=True)]
        except EventFormatError:
            pass
    text = head + data if head else data
    return [(0, parse_block(text, limit, len(head) + end))]


def _pieces(text: bytes, end: int) -> list[bytes]:
    """``text[:end]`` cut after an ``</event>`` about every :data:`PIECE_SIZE` bytes."""
    pieces, at = [], 0
    while end - at > 2 * PIECE_SIZE:
        close = text.rfind(b"</event", at, at + PIECE_SIZE)
        if close < 0:  # an event longer than a piece
            close = text.find(b"</event", at + PIECE_SIZE, end)
        cut = text.find(b">", close, end) + 1 if close >= 0 else 0
        if not at < cut < end:
            break
        pieces.append(text[at:cut])
        at = cut
    pieces.append(text[at:end])
    return pieces
