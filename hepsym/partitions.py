"""A study's partitions: which there are (files, entry ranges of big ROOT trees, byte
ranges of big plain LHE files), how each is read into features, and how they are counted
in words. Shared by the in-process and the Dask paths of :mod:`hepsym.cluster`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from hepsym.errors import HepsymError
from hepsym.inputs import Part, prepare_part
from hepsym.io import read
from hepsym.io.fileset import FileEntry
from hepsym.spec import InputSpec

__all__ = ("count_text", "is_root", "partitions", "read_part")


def partitions(files: Sequence[FileEntry], spec: InputSpec, size: int) -> tuple[FileEntry, ...]:
    """The files, each ROOT tree of more than ``size`` entries cut into ranges of
    ``size``, each uncompressed LHE file of more than about ``size`` events into
    event-aligned byte ranges of about that many (only a few MB of a file are read here)."""
    from hepsym.io import detect_format
    from hepsym.io.lhe import event_ranges
    from hepsym.io.root import tree_entries

    out: list[FileEntry] = []
    for f in files:
        try:
            fmt = detect_format(f.path)
            n = tree_entries(f.path, f.tree or spec.tree) if fmt == "root" else 0
            ranges = event_ranges(f.path, size) if fmt == "lhe" else None
        except (HepsymError, OSError):
            n, ranges = 0, None  # its task will fail, naming it (or skip it, as asked)
        if ranges is not None:
            out.extend(dataclasses.replace(f, byte_range=r) for r in ranges)
        elif n > size:
            out.extend(
                dataclasses.replace(f, entries=(a, min(a + size, n))) for a in range(0, n, size)
            )
        else:
            out.append(f)
    return tuple(out)


def count_text(files: Sequence[FileEntry], parts: Sequence[FileEntry]) -> str:
    """``20 files`` or ``2 files in 7 partitions``."""
    text = f"{len(files)} file{'s' if len(files) != 1 else ''}"
    return text if len(parts) == len(files) else f"{text} in {len(parts)} partitions"


def read_part(spec: InputSpec, entry: FileEntry) -> Part:
    """One partition (a file, or a range of a ROOT tree's entries); runs on a worker."""
    file_spec = dataclasses.replace(spec, path=entry.path)
    options = file_spec.reading()
    if entry.tree is not None:
        options = dataclasses.replace(options, tree=entry.tree)
    if entry.entries is not None:
        options = dataclasses.replace(options, entries=entry.entries)
    if entry.byte_range is not None:
        options = dataclasses.replace(options, byte_range=entry.byte_range)
    events = read(entry.path, options)
    # the partitions of a file join as that file (its read already named the entries)
    return prepare_part(file_spec, dataclasses.replace(events, source=entry.path))


def is_root(entry: FileEntry) -> bool:
    from hepsym.io import detect_format

    try:
        return detect_format(entry.path) == "root"
    except HepsymError:
        return False  # its task will fail, naming it (or skip it, as asked)
