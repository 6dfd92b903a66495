"""Event-aligned byte ranges of a big uncompressed LHE file: its partitions.

A range starts at an ``<event`` tag and ends where the next range starts (the last at the
end of the file), so the ranges hold every event once, in order, whole. Only a few MB of
the file are read to find them: the header, a sample of events (for the bytes per event)
and a window at each cut. A gzipped file has no ranges: it is read from its start.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path
from typing import BinaryIO

__all__ = ("event_ranges",)

_EVENT_OPEN = re.compile(rb"<event(?=[\s>/])")
_INIT_END = re.compile(rb"</init\s*>")
#: Bytes read to find the end of the header, and to count events for their size.
_HEADER_WINDOW = 16 << 20
_SAMPLE = 4 << 20
#: Bytes read at each cut to find the next event's tag.
_WINDOW = 1 << 20


def event_ranges(path: str | Path, events_per_range: int) -> list[tuple[int, int]] | None:
    """Byte ranges of ``path``'s events, about ``events_per_range`` events each (from the
    bytes per event of the first few MB), for :func:`~hepsym.io.lhe.read_lhe`'s
    ``byte_range``; ``None`` when one range would do, the file is gzipped, or its header
    or events are not where an LHE file has them (the reader then says what is wrong)."""
    p = Path(path)
    size = p.stat().st_size
    with p.open("rb") as f:
        head = f.read(_HEADER_WINDOW)
        end = _INIT_END.search(head)
        if head[:2] == b"\x1f\x8b" or end is None:
            return None
        first_tag = _EVENT_OPEN.search(head, end.end())
        if first_tag is None:
            return None
        first = first_tag.start()
        f.seek(first)
        sample = f.read(_SAMPLE)
        n_tags = len(_EVENT_OPEN.findall(sample))
        if n_tags < 2:
            return None
        expected = (size - first) / (len(sample) / n_tags)
        parts = math.ceil(expected / max(1, events_per_range))
        if parts <= 1:
            return None
        cuts = [first]
        for k in range(1, parts):
            cut = _next_tag(f, first + k * (size - first) // parts, size)
            if cut is not None and cut > cuts[-1]:
                cuts.append(cut)
    cuts.append(size)
    return list(itertools.pairwise(cuts)) if len(cuts) > 2 else None


def _next_tag(f: BinaryIO, offset: int, size: int) -> int | None:
    """The offset of the first ``<event`` tag at or after ``offset``, or ``None``."""
    at = offset
    while at < size:
        f.seek(at)
        window = f.read(_WINDOW + 16)
        hit = _EVENT_OPEN.search(window)
        if hit is not None:
            return at + hit.start()
        at += _WINDOW
    return None
