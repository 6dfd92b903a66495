"""Columnar parsing of LHE ``<event>`` blocks into numpy arrays.

The LHE event record (hep-ph/0609017, arXiv:1405.1067) is line based: after the
``<event ...>`` tag comes one header line with six numbers
(NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP) and then NUP particle lines of thirteen
numbers (IDUP ISTUP MOTHUP1 MOTHUP2 ICOLUP1 ICOLUP2 PUP1..PUP5 VTIMUP SPINUP).
Anything after the particle lines up to ``</event>`` (``#`` comments, ``<rwgt>``,
``<weights>``, ``<scales/>``...) is optional information and is skipped, but it must
start with ``<`` or ``#``: a line of numbers there is a particle line more than NUP
announces, an error.

:func:`parse_block` takes a bytes block holding whole events and returns their
header and particle tables. It finds the tags and lines with numpy on the byte
buffer, gathers the header lines and the particle lines, and converts each set at
once: by Arrow's string-to-float cast for large texts where pyarrow is installed
(:func:`_arrow_table`), else (or where that is unsure) by one :func:`numpy.loadtxt` call
(or :func:`numpy.fromstring` where that refuses the text), so Python does a few
operations per event, not per number. When that fast
path's checks fail (unusual layout or bad data) the block is parsed again event by
event, which accepts any layout the format allows and says exactly what is wrong.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from hepsym.io._lhe_format import HEADER_COLUMNS, INT_COLUMNS, PARTICLE_COLUMNS
from hepsym.io._lhe_numbers import table

__all__ = ("HEADER_COLUMNS", "PARTICLE_COLUMNS", "EventBlock", "EventFormatError", "parse_block")

_N_HEADER = len(HEADER_COLUMNS)
_N_PARTICLE = len(PARTICLE_COLUMNS)
_N_INT = len(INT_COLUMNS)

#: The file's closing tag.
CLOSING_TAG = b"</LesHouchesEvents"
# "<event>" or "<event attr=...>", but not "<eventgroup>".
_EVENT_OPEN = re.compile(rb"<event(?=[\s>/])[^>]*>")
_EVENT_CLOSE = re.compile(rb"</event\s*>")
#: The bytes of the regex class ``\s``, and those that may follow ``<event``.
_WHITESPACE = np.frombuffer(b" \t\n\r\x0b\x0c", dtype=np.uint8)
_TAG_FOLLOW = np.frombuffer(b" \t\n\r\x0b\x0c>/", dtype=np.uint8)
#: How the optional information after the particle lines may start.
_EXTRA_START = np.frombuffer(b"<#", dtype=np.uint8)
#: Integer columns beyond this are refused: float64 holds integers exactly up to it.
_MAX_INT = 2.0**53


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
        lines: newlines in the text parsed (for line numbers in later messages).
        closing: offset in the text of a ``</LesHouchesEvents`` tag before the end of
            its last event (events after the file's end: an error), or -1.
    """

    header: np.ndarray
    particles: np.ndarray
    counts: np.ndarray
    lines: int
    closing: int = -1

    def __len__(self) -> int:
        return len(self.counts)


def locate_events(
    block: bytes, limit: int | None = None, end: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets just after each ``<event ...>`` tag and of each ``</event>`` in ``block[:end]``.

    Raises:
        EventFormatError: the tags do not pair up (an event without its end).
    """
    s, e, _ = _locate(block, limit, end)
    return s, e


def _locate(
    block: bytes, limit: int | None = None, end: int | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`locate_events`, and the offset of a closing ``</LesHouchesEvents`` tag
    before the end of the last event located (-1 if none)."""
    end = len(block) if end is None else end
    tags = _find_tags(np.frombuffer(block, dtype=np.uint8)[:end])
    if tags is None:
        tags = _find_tags_re(block, end)
    o, s, e, closings = tags
    n = min(len(s), len(e))
    bad = np.flatnonzero((e[:n] < s[:n]) | (np.append(o[1:n], np.iinfo(np.int64).max) < e[:n]))
    if len(bad) or len(s) != len(e):
        k = int(bad[0]) if len(bad) else n
        where = int(s[k]) if k < len(s) else int(e[k])
        raise EventFormatError(k, where, "<event> and </event> tags do not match")
    if limit is not None:
        s, e = s[:limit], e[:limit]
    early = closings[closings < e[-1]] if len(e) else closings[:0]
    return s, e, int(early[0]) if len(early) else -1


Tags = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _find_tags_re(block: bytes, end: int) -> Tags:
    """Starts and ends of the ``<event ...>`` tags, starts of ``</event>`` and of
    ``</LesHouchesEvents``, by regex."""
    spans = [m.span() for m in _EVENT_OPEN.finditer(block, 0, end)]
    tags = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    e = np.asarray([m.start() for m in _EVENT_CLOSE.finditer(block, 0, end)], dtype=np.int64)
    closings = np.asarray(
        [m.start() for m in re.finditer(re.escape(CLOSING_TAG), block[:end])], dtype=np.int64
    )
    return tags[:, 0], tags[:, 1], e, closings


def _find_tags(buf: np.ndarray) -> Tags | None:
    """What :func:`_find_tags_re` finds, with numpy; ``None`` for the rare cases it leaves
    to the regex (whitespace before the ``>`` of ``</event >``, a tag without its ``>``).

    The regex loop costs about a microsecond per tag; this is one scan of the block
    for ``<`` and a few operations on the (few) places found.
    """
    lt = np.flatnonzero(buf == ord(b"<"))
    closings = _followed_by(buf, lt, CLOSING_TAG[1:])
    o = _followed_by(buf, lt, b"event")
    after = _byte_at(buf, o + 6)
    o = o[np.isin(after, _TAG_FOLLOW)]
    after = buf[o + 6]
    s = o + 7
    long_tags = np.flatnonzero(after != ord(b">"))
    if len(long_tags):
        # <event attr=...>: the tag ends at the first ">" after its name.
        closers = np.flatnonzero(buf == ord(b">"))
        k = np.searchsorted(closers, o[long_tags] + 6)
        if np.any(k == len(closers)):
            return None
        s[long_tags] = closers[k] + 1
        if np.any(s[:-1] > o[1:]):
            return None  # a "<event" inside another tag: the regex decides
    c = _followed_by(buf, lt, b"/event")
    after = _byte_at(buf, c + 7)
    if np.any(np.isin(after, _WHITESPACE)):
        return None
    return o, s, c[after == ord(b">")], closings


def _followed_by(buf: np.ndarray, at: np.ndarray, word: bytes) -> np.ndarray:
    """The offsets in ``at`` whose next bytes are ``word``."""
    at = at[at + len(word) < len(buf)]
    for i, byte in enumerate(word, start=1):
        at = at[buf[at + i] == byte]
    return at


def _byte_at(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``buf[at]``, with 0 for offsets past the end."""
    out = np.zeros(len(at), dtype=np.uint8)
    inside = at < len(buf)
    out[inside] = buf[at[inside]]
    return out


def parse_block(block: bytes, limit: int | None = None, end: int | None = None) -> EventBlock:
    """Parse every complete ``<event>`` in ``block[:end]`` (at most ``limit``).

    Args:
        block: decompressed LHE text; ``block[:end]`` contains only whole events
            (and any text between them, which is ignored).
        limit: stop after this many events.
        end: where the events end (default: the end of ``block``); saves copying
            the complete events out of a buffer that goes on.

    Returns:
        The header and particle tables of the events.

    Raises:
        EventFormatError: an event is malformed; the error says which one and why.
    """
    end = len(block) if end is None else end
    starts, ends, closing = _locate(block, limit, end)
    if len(starts) == 0:
        empty = np.empty((0, _N_HEADER)), np.empty((0, _N_PARTICLE))
        return EventBlock(
            empty[0], empty[1], np.empty(0, dtype=np.int64), block.count(b"\n", 0, end)
        )
    fast = _parse_fast(block, starts, ends, end=end)
    parsed = fast if fast is not None else _parse_slow(block, starts, ends, end)
    return parsed if closing < 0 else dataclasses.replace(parsed, closing=closing)


def _parse_fast(
    block: bytes,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    end: int | None = None,
    by_line: bool = True,
) -> EventBlock | None:
    """Vectorised parse for the usual layout; ``None`` if anything looks unusual.

    The usual layout: the ``<event>`` tag ends its line, the header is the next
    line and the particle lines follow it, all before ``</event>``. ``by_line``
    off leaves out the line-by-line table reader (see :func:`_table`).
    """
    buf = np.frombuffer(block, dtype=np.uint8)[:end]
    newlines = np.flatnonzero(buf == 0x0A)
    # Line j runs from newlines[j - 1] + 1 to newlines[j] inclusive.
    tag_line = np.searchsorted(newlines, starts)
    if tag_line[-1] + 1 >= len(newlines):
        return None
    gap = newlines[tag_line] - starts
    for i in np.flatnonzero(gap > 0).tolist():
        if block[starts[i] : newlines[tag_line[i]]].strip():
            return None
    head_from, head_to = newlines[tag_line] + 1, newlines[tag_line + 1] + 1
    header = table(
        _join(block, head_from.tolist(), head_to.tolist()),
        len(starts),
        _N_HEADER,
        by_line=by_line,
        newlines=np.cumsum(head_to - head_from) - 1,
    )
    if header is None:
        return None
    counts_f = header[:, 0]
    if not np.all((counts_f >= 0) & (counts_f < len(newlines)) & (counts_f == np.rint(counts_f))):
        return None
    counts = counts_f.astype(np.int64)
    last_line = tag_line + 1 + counts
    if last_line[-1] >= len(newlines) or np.any(newlines[last_line] >= ends):
        return None
    if not _only_extra_info_after(buf, newlines[last_line] + 1, ends):
        return None
    part_to = newlines[last_line] + 1
    total = int(counts.sum())
    particles: np.ndarray | None
    if total == 0:
        particles = np.empty((0, _N_PARTICLE))
    else:
        text = _join(block, head_to.tolist(), part_to.tolist())
        particles = table(
            text,
            total,
            _N_PARTICLE,
            by_line=by_line,
            newlines=_line_ends(newlines, tag_line + 2, counts, head_to, part_to),
        )
        if particles is None:
            return None
        ints = particles[:, :_N_INT]
        if not np.all((ints == np.rint(ints)) & (np.abs(ints) <= _MAX_INT)):
            return None
    return EventBlock(header, particles, counts, len(newlines))


def _line_ends(
    newlines: np.ndarray,
    first: np.ndarray,
    counts: np.ndarray,
    head_to: np.ndarray,
    part_to: np.ndarray,
) -> np.ndarray:
    """Offsets of the newlines in the particle lines joined: event e's lines are lines
    ``first[e]`` to ``first[e] + counts[e] - 1`` of the block, its text ``head_to[e]`` to
    ``part_to[e]``; every newline of the joined text ends one of those lines."""
    lengths = part_to - head_to
    shift = np.repeat(head_to - (np.cumsum(lengths) - lengths), counts)
    line = np.arange(int(counts.sum())) + np.repeat(first - (np.cumsum(counts) - counts), counts)
    return newlines[line] - shift


def _only_extra_info_after(buf: np.ndarray, after: np.ndarray, ends: np.ndarray) -> bool:
    """Whether each event's text from ``after`` to its ``</event>`` (at ``ends``) is
    empty or starts, after blanks, with ``<`` or ``#``; ``False`` also when unsure
    (many blanks), which leaves the event to the event-by-event parse to judge.
    """
    at = after[after < ends]
    stop = ends[after < ends]
    for _ in range(16):
        if not len(at):
            return True
        first = buf[at]
        if np.any(
            np.isin(first, _EXTRA_START, invert=True) & np.isin(first, _WHITESPACE, invert=True)
        ):
            return False
        blank = np.isin(first, _WHITESPACE)
        at, stop = at[blank] + 1, stop[blank]
        inside = at < stop
        at, stop = at[inside], stop[inside]
    return not len(at)


def _join(block: bytes, starts: list[int], stops: list[int]) -> bytes:
    """Concatenate ``block[a:b]`` for each pair; ``map`` keeps the loop in C."""
    return b"".join(map(block.__getitem__, map(slice, starts, stops)))


def _parse_slow(
    block: bytes, starts: np.ndarray, ends: np.ndarray, text_end: int | None = None
) -> EventBlock:
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
        if not (math.isfinite(n) and n >= 0 and n == int(n)):
            raise EventFormatError(k, offset, f"number of particles {n!r} is not a count")
        n = int(n)
        body = lines[1 : 1 + n]
        found = next(
            (i for i, (_, t) in enumerate(body) if t.lstrip()[:1] in (b"<", b"#")), len(body)
        )
        if found < n:
            msg = f"header announces {n} particles but only {found} particle lines follow"
            raise EventFormatError(k, offset, msg)
        if len(lines) > 1 + n and lines[1 + n][1].lstrip()[:1] not in (b"<", b"#"):
            extra_offset, extra = lines[1 + n]
            msg = (
                f"more particle lines than the {n} the header announces (NUP): "
                f"{_show(extra)} (optional information after the particles must start "
                "with < or #)"
            )
            raise EventFormatError(k, extra_offset, msg)
        for i, (offset, line) in enumerate(body, start=1):
            row = _parse_line(line, _N_PARTICLE, k, offset, f"particle line {i}")
            for j in range(_N_INT):
                value = row[j]
                if not (math.isfinite(value) and value == int(value)):
                    problem = (
                        f"particle line {i}: {PARTICLE_COLUMNS[j]} {value!r} is not an integer"
                    )
                    raise EventFormatError(k, offset, problem)
                if abs(value) > _MAX_INT:
                    problem = f"particle line {i}: {PARTICLE_COLUMNS[j]} {value!r} is too large"
                    raise EventFormatError(k, offset, problem)
            rows.append(row)
        headers.append(header)
        counts.append(n)
    particles = np.array(rows, dtype=np.float64).reshape(-1, _N_PARTICLE)
    return EventBlock(
        np.array(headers, dtype=np.float64),
        particles,
        np.array(counts, dtype=np.int64),
        block.count(b"\n", 0, len(block) if text_end is None else text_end),
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
