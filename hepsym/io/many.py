"""Read several event files of one sample as one :class:`~hepsym.events.Events`.

The files must agree on what makes their events one sample: the format (LHE, HepMC,
Parquet or ROOT), the initial state, and for columnar files the collections and the
particle fields. A disagreement is an error naming the two files, never a silent mix.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import awkward as ak
import numpy as np

from hepsym.errors import InputFileError
from hepsym.events import Beams, Events
from hepsym.io.fileset import FileEntry
from hepsym.io.options import ReadOptions

__all__ = ("concatenate", "describe_sources", "format_family", "read_entries")


def format_family(fmt: str) -> str:
    """``lhe``, ``hepmc``, ``parquet`` or ``root``: formats whose events may be merged."""
    for family in ("lhe", "hepmc", "parquet", "root"):
        if fmt.startswith(family):
            return family
    return fmt


def describe_sources(paths: Sequence[str]) -> str:
    """``a.lhe`` or ``a.lhe and 19 more files``: how messages name a sample."""
    if len(paths) == 1:
        return paths[0]
    return f"{paths[0]} and {len(paths) - 1} more file{'s' if len(paths) > 2 else ''}"


def read_entries(entries: Sequence[FileEntry], options: ReadOptions) -> Events:
    """Read every file of ``entries`` with ``options`` and concatenate them in order.

    ``options.max_events`` counts the events of all files together: the files are read
    in order until it is reached. A fileset's tree for a file wins over
    ``options.tree``.
    """
    from hepsym.io import read

    parts: list[Events] = []
    left = options.max_events
    for entry in entries:
        opts = options
        if entry.tree is not None:
            opts = dataclasses.replace(opts, tree=entry.tree)
        if left is not None:
            opts = dataclasses.replace(opts, max_events=left)
        events = read(entry.path, opts)
        parts.append(events)
        if left is not None:
            left -= len(events) + int(events.metadata.get("n_bad_events", 0))
            if left <= 0:
                break
    return concatenate(parts)


def concatenate(parts: Sequence[Events]) -> Events:
    """The events of ``parts`` one after the other, as one sample.

    Raises:
        InputFileError: two parts differ in format, beams, collections or particle
            fields (the message names both files).
    """
    if not parts:
        msg = "no events to concatenate"
        raise InputFileError(msg)
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    for other in parts[1:]:
        _check_compatible(first, other)
    particles = ak.concatenate([p.particles for p in parts], axis=0)
    weights = np.concatenate([np.asarray(p.weights, dtype=np.float64) for p in parts])
    paths = [p.source for p in parts]
    metadata: dict[str, Any] = dict(first.metadata)
    metadata["files"] = paths
    metadata["events_per_file"] = [len(p) for p in parts]
    metadata["n_bad_events"] = sum(int(p.metadata.get("n_bad_events", 0)) for p in parts)
    for key in ("entries_in_tree", "n_events_in_file"):
        if all(key in p.metadata for p in parts):
            metadata[key] = sum(int(p.metadata[key]) for p in parts)
    notes = [n for p in parts for n in p.metadata.get("notes", ())]
    if notes:
        metadata["notes"] = list(dict.fromkeys(notes))
    return Events(
        particles=particles,
        weights=weights,
        beams=first.beams,
        source=describe_sources(paths),
        format=first.format,
        collections=first.collections,
        metadata=metadata,
    )


def _check_compatible(a: Events, b: Events) -> None:
    def refuse(why: str) -> None:
        msg = f"{a.source} and {b.source}: {why}; they cannot be read as one sample"
        raise InputFileError(msg)

    if format_family(a.format) != format_family(b.format):
        refuse(f"different formats ({a.format}, {b.format})")
    if not _same_beams(a.beams, b.beams):
        refuse(
            f"different initial states ({a.beams.describe()}; {b.beams.describe()}); "
            "study them apart, or set one with --sqrt-s/--collider"
        )
    if a.collections != b.collections:
        refuse(
            f"different collections ({', '.join(a.collections) or 'none'}; "
            f"{', '.join(b.collections) or 'none'}); choose the same with --collections"
        )
    fields_a, fields_b = ak.fields(a.particles), ak.fields(b.particles)
    if set(fields_a) != set(fields_b):
        differ = sorted(set(fields_a) ^ set(fields_b))
        refuse(f"different particle fields ({', '.join(differ)})")


def _same_beams(a: Beams, b: Beams) -> bool:
    if a.ids != b.ids:
        return False
    if a.energies is None or b.energies is None:
        return a.energies is None and b.energies is None
    return all(
        math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a.energies, b.energies, strict=True)
    )
