"""ROOT trees on a Dask cluster through ``uproot.dask``: the reading is uproot's.

For each file the client reads the header once (:func:`hepsym.io.root.root_layout`:
which tree, which collections, which branches) and builds one ``uproot.dask`` array of
only those branches, its partitions the study's entry ranges. Each partition's arrays are
turned into events, selected and made into features on the worker that read them
(:func:`hepsym.io.root.events_from_arrays`, then the same steps as every other
partition), so what comes back to the client is a feature matrix, not the branches.
The events are those :func:`hepsym.read` gives for the same entries: the same branches,
the same particle building and checks.

TTrees only: an RNTuple partition is read by hepsym's reader on the worker.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from hepsym.errors import HepsymError
from hepsym.inputs import Part, prepare_part
from hepsym.io.fileset import FileEntry
from hepsym.spec import InputSpec

__all__ = ("submit_root",)


def submit_root(
    client: Any,
    spec: InputSpec,
    entries: Sequence[tuple[int, FileEntry]],
    retries: int,
    elsewise: Callable[[int, HepsymError | None], None],
) -> dict[Any, int]:
    """Futures of the partitions ``entries`` (index, partition) of ROOT files, read by
    ``uproot.dask``; the partitions of a file are consecutive.

    A file whose header cannot be read goes to ``elsewise`` with its error, partition by
    partition (and gets no future); one whose tree is an RNTuple too, with ``None``, for
    the caller to read its own way.
    """
    import dask
    import uproot

    from hepsym.io.root import root_layout

    try:
        import dask_awkward  # noqa: F401  (uproot.dask needs it)
    except ImportError as err:
        msg = 'ROOT files on the Dask path need dask-awkward: pip install "hepsym[dask]"'
        raise HepsymError(msg) from err

    futures: dict[Any, int] = {}
    for _, group in itertools.groupby(entries, key=lambda item: item[1].path):
        parts = list(group)
        try:
            layout = root_layout(parts[0][1].path, _options(spec, parts[0][1]))
        except HepsymError as err:
            for i, _ in parts:
                elsewise(i, err)
            continue
        if layout.fmt != "root-ttree":
            for i, _ in parts:
                elsewise(i, None)
            continue
        whole = [0, layout.extra["entries_in_tree"]]
        arrays = uproot.dask(
            {str(layout.path): {"object_path": layout.tree,
                                "steps": [list(e.entries) if e.entries else whole for _, e in parts]}},
            filter_name=layout.branches,
            open_files=False,
        )  # fmt: skip
        for (i, entry), chunk in zip(parts, arrays.to_delayed(), strict=True):
            task = dask.delayed(_part_from_arrays, pure=False)(chunk, spec, layout, entry)
            futures[client.compute(task, retries=retries)] = i
    return futures


def _options(spec: InputSpec, entry: FileEntry) -> Any:
    options = dataclasses.replace(spec, path=entry.path).reading()
    return dataclasses.replace(options, tree=entry.tree) if entry.tree is not None else options


def _part_from_arrays(arrays: Any, spec: InputSpec, layout: Any, entry: FileEntry) -> Part:
    """One partition from its arrays; runs on the worker that read them."""
    from hepsym.io.root import events_from_arrays

    file_spec = dataclasses.replace(spec, path=entry.path)
    start = entry.entries[0] if entry.entries is not None else None
    events = events_from_arrays(layout, arrays, start, _options(spec, entry))
    return prepare_part(file_spec, dataclasses.replace(events, source=entry.path))
