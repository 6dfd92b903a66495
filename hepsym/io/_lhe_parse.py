"""Columnar parsing of LHE ``<event>`` blocks into numpy arrays.

The LHE event record (hep-ph/0609017, arXiv:1405.1067) is line based: after the
``<event ...>`` tag comes one header line with six numbers
(NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP) and then NUP particle lines of thirteen
numbers (IDUP ISTUP MOTHUP1 MOTHUP2 ICOLUP1 ICOLUP2 PUP1..PUP5 VTIMUP SPINUP).
Anything after the particle lines up to ``</event>`` (``#`` comments, ``<rwgt>``,
``<weights>``, ``<scales/>``...) is optional information and is skipped.

:func:`parse_block` takes a bytes block holding whole events and returns their
header and particle tables. It finds the lines with numpy on the byte buffer and
converts all numbers of the block with a single :func:`numpy.fromstring` call, so
Python does a few operations per event, not per number. When that fast path's
checks fail (unusual layout or bad data) the block is parsed again event by event,
which accepts any layout the format allows and says exactly what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from hepsym.io._lhe_format import HEADER_COLUMNS, INT_COLUMNS, PARTICLE_COLUMNS

__all__ = ("HEADER_COLUMNS", "PARTICLE_COLUMNS", "EventBlock", "EventFormatError", "parse_block")

_N_HEADER = len(HEADER_COLUMNS)
_N_PARTICLE = len(PARTICLE_COLUMNS)
_N_INT = len(INT_COLUMNS)

# "<event>" or "<event attr=...>", but not "<eventgroup>".
_EVENT_OPEN = re.compile(rb"<event(?=[\s>/])[^>]*>")
_EVENT_CLOSE = re.compile(rb"</event\s*>")


class EventFormatError(ValueError):
    """A malformed event; ``event`` is its 0-based index within the block."""

    def __init__(self, event: int, offset: int, problem: str) -> None:
        super().__init__(problem)
        self.event = event
        self.offset = offset
        self.problem = problem


@dataclass(frozen=True)
class EventBlock:
    """Events parsed from one block.

    Attributes:
        header: ``(n_events, 6)`` float64, columns :data:`HEADER_COLUMNS`.
        particles: ``(n_particles, 13)`` float64, columns :data:`PARTICLE_COLUMNS`.
        counts: particles per event (int64).
    """

    header: np.ndarray
    particles: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.counts)


def locate_events(block: bytes, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets just after each ``<event ...>`` tag and of each ``</event>``.

    Raises:
        EventFormatError: the tags do not pair up (an event without its end).
    """
    spans = [m.span() for m in _EVENT_OPEN.finditer(block)]
    tags = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    o, s = tags[:, 0], tags[:, 1]
    e = np.asarray([m.start() for m in _EVENT_CLOSE.finditer(block)], dtype=np.int64)
    n = min(len(s), len(e))
    bad = np.flatnonzero((e[:n] < s[:n]) | (np.append(o[1:n], np.iinfo(np.int64).max) < e[:n]))
    if len(bad) or len(s) != len(e):
        k = int(bad[0]) if len(bad) else n
        where = int(s[k]) if k < len(s) else int(e[k])
        raise EventFormatError(k, where, "<event> and </event> tags do not match")
    if limit is not None:
        s, e = s[:limit], e[:limit]
    return s, e


def parse_block(block: bytes, limit: int | None = None) -> EventBlock:
    """Parse every complete ``<event>`` in ``block`` (at most ``limit``).

    Args:
        block: decompressed LHE text that contains only whole events (and any
            text between them, which is ignored).
        limit: stop after this many events.

    Returns:
        The header and particle tables of the events.

    Raises:
        EventFormatError: an event is malformed; the error says which one and why.
    """
    starts, ends = locate_events(block, limit)
    if len(starts) == 0:
        empty = np.empty((0, _N_HEADER)), np.empty((0, _N_PARTICLE))
        return EventBlock(empty[0], empty[1], np.empty(0, dtype=np.int64))
    fast = _parse_fast(block, starts, ends)
    return fast if fast is not None else _parse_slow(block, starts, ends)


def _parse_fast(block: bytes, starts: np.ndarray, ends: np.ndarray) -> EventBlock | None:
    """Vectorised parse for the usual layout; ``None`` if anything looks unusual.

    The usual layout: the ``<event>`` tag ends its line, the header is the next
    line and the particle lines follow it, all before ``</event>``.
    """
    buf = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 0x0A)
    # Line j runs from newlines[j - 1] + 1 to newlines[j] inclusive.
    tag_line = np.searchsorted(newlines, starts)
    if tag_line[-1] + 1 >= len(newlines):
        return None
    gap = newlines[tag_line] - starts
    for i in np.flatnonzero(gap > 0).tolist():
        if block[starts[i] : newlines[tag_line[i]]].strip():
            return None
    head_from = (newlines[tag_line] + 1).tolist()
    head_to = (newlines[tag_line + 1] + 1).tolist()
    header = _numbers(_join(block, head_from, head_to))
    if header is None or header.size != _N_HEADER * len(starts):
        return None
    header = header.reshape(-1, _N_HEADER)
    counts_f = header[:, 0]
    if np.any(counts_f < 0) or np.any(counts_f != np.rint(counts_f)):
        return None
    counts = counts_f.astype(np.int64)
    last_line = tag_line + 1 + counts
    if last_line[-1] >= len(newlines) or np.any(newlines[last_line] >= ends):
        return None
    part_to = (newlines[last_line] + 1).tolist()
    total = int(counts.sum())
    if total == 0:
        particles = np.empty((0, _N_PARTICLE))
    else:
        text = _join(block, head_to, part_to)
        particles = _numbers(text)
        if particles is None or particles.size != _N_PARTICLE * total:
            return None
        particles = particles.reshape(-1, _N_PARTICLE)
        ints = particles[:, :_N_INT]
        if np.any(ints != np.rint(ints)):
            return None
    return EventBlock(header, particles, counts)


def _join(block: bytes, starts: list[int], stops: list[int]) -> bytes:
    """Concatenate ``block[a:b]`` for each pair; ``map`` keeps the loop in C."""
    return b"".join(map(block.__getitem__, map(slice, starts, stops)))


def _numbers(text: bytes) -> np.ndarray | None:
    """All whitespace-separated numbers in ``text``, or ``None`` if one is not a number."""
    try:
        values = np.fromstring(text, dtype=np.float64, sep=" ")
    except ValueError:
        values = None
    if values is not None:
        # numpy returns [-1.0] for a blank string.
        return values if values.size != 1 or text.strip() else np.empty(0)
    if b"D" in text or b"d" in text:
        # Fortran writers may use a D exponent (1.0D+00).
        try:
            return np.fromstring(text.replace(b"D", b"E").replace(b"d", b"e"), sep=" ")
        except ValueError:
            pass
    return None


def _parse_slow(block: bytes, starts: np.ndarray, ends: np.ndarray) -> EventBlock:
    """Event-by-event parse; the reference the fast path must agree with."""
    headers: list[list[float]] = []
    rows: list[list[float]] = []
    counts: list[int] = []
    for k, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        lines = _lines(block, start, end)
        if not lines:
            raise EventFormatError(k, start, "empty event")
        offset, line = lines[0]
        header = _parse_line(line, _N_HEADER, k, offset, "header line")
        n = header[0]
        if n < 0 or n != int(n):
            raise EventFormatError(k, offset, f"number of particles {n!r} is not a count")
        n = int(n)
        body = lines[1 : 1 + n]
        found = next(
            (i for i, (_, t) in enumerate(body) if t.lstrip()[:1] in (b"<", b"#")), len(body)
        )
        if found < n:
            msg = f"header announces {n} particles but only {found} particle lines follow"
            raise EventFormatError(k, offset, msg)
        for i, (offset, line) in enumerate(body, start=1):
            row = _parse_line(line, _N_PARTICLE, k, offset, f"particle line {i}")
            for j in range(_N_INT):
                if row[j] != int(row[j]):
                    problem = (
                        f"particle line {i}: {PARTICLE_COLUMNS[j]} {row[j]!r} is not an integer"
                    )
                    raise EventFormatError(k, offset, problem)
            rows.append(row)
        headers.append(header)
        counts.append(n)
    particles = np.array(rows, dtype=np.float64).reshape(-1, _N_PARTICLE)
    return EventBlock(
        np.array(headers, dtype=np.float64), particles, np.array(counts, dtype=np.int64)
    )


def _lines(block: bytes, start: int, end: int) -> list[tuple[int, bytes]]:
    """Non-blank lines of ``block[start:end]`` with their byte offsets in ``block``."""
    out = []
    offset = start
    for line in block[start:end].split(b"\n"):
        if line.strip():
            out.append((offset, line))
        offset += len(line) + 1
    return out


def _parse_line(line: bytes, ncol: int, k: int, offset: int, what: str) -> list[float]:
    tokens = line.split()
    if len(tokens) != ncol:
        problem = f"{what} has {len(tokens)} columns, expected {ncol}: {_show(line)}"
        raise EventFormatError(k, offset, problem)
    values = []
    for token in tokens:
        try:
            values.append(float(token))
        except ValueError:
            # Fortran writers may use a D exponent (1.0D+00).
            try:
                values.append(float(token.replace(b"D", b"E").replace(b"d", b"e")))
            except ValueError:
                problem = f"{what}: {token.decode(errors='replace')!r} is not a number"
                raise EventFormatError(k, offset, problem) from None
    return values


def _show(line: bytes, width: int = 60) -> str:
    text = line.strip().decode(errors="replace")
    return repr(text if len(text) <= width else text[: width - 3] + "...")
