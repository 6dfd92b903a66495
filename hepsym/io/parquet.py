"""Read NanoAOD-like columns from a Parquet file (``ak.to_parquet``, coffea's ``nano_dy.parquet``).

The columns follow the ROOT conventions of :mod:`hepsym.io._root_naming` (``Muon_pt``,
``GenPart_status``, ``LHEPart_incomingpz``...), with the same levels, status semantics
and default collections as :func:`hepsym.io.root.read_root`. Only the columns of the
chosen collections (and the weight) are read. Needs ``pyarrow``
(``pip install "hepsym[parquet]"``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import awkward as ak

from hepsym.errors import InputFileError
from hepsym.events import Beams, Events
from hepsym.io._plan import ReadPlan
from hepsym.io._root_kinds import form_kind
from hepsym.io._root_tree import UPROOT_ERRORS, describe
from hepsym.io.root import _select_collections
from hepsym.momenta import check_momenta

__all__ = ("PARQUET_MAGIC", "read_parquet")

#: The first (and last) four bytes of a Parquet file.
PARQUET_MAGIC = b"PAR1"


def _pyarrow() -> Any:
    try:
        import pyarrow.parquet
    except ModuleNotFoundError as err:
        msg = (
            'reading Parquet needs pyarrow: pip install "hepsym[parquet]" (or pip install pyarrow)'
        )
        raise InputFileError(msg) from err
    return pyarrow.parquet


def read_parquet(
    path: str | os.PathLike[str],
    *,
    collections: Sequence[str] | None = None,
    max_events: int | None = None,
    beams: Beams | None = None,
    drop_bad_events: bool = False,
    species: Mapping[str, str | int] | None = None,
) -> Events:
    """Read particle collections from a Parquet file of NanoAOD-like columns.

    Args:
        path: the Parquet file.
        collections: collection names to read (default: every recognised collection of
            particles, as for ROOT).
        max_events: read at most this many events (from the start); at least 1.
        beams: the initial state (default unknown).
        drop_bad_events: drop events with invalid momenta instead of raising.
        species: species of collections without a PDG id, e.g. ``{"particle": "mu"}``.

    Returns:
        Events with ``format == "parquet"``, fields and metadata as
        :func:`hepsym.io.root.read_root` gives them.

    Raises:
        InputFileError: unreadable or damaged file, no recognisable collection, pyarrow
            missing.
    """
    from hepsym.io import check_max_events, check_path

    check_max_events(max_events)
    p = check_path(path)
    _pyarrow()
    try:
        form = ak.metadata_from_parquet(p)["form"]
        kinds = {
            name: form_kind(content)
            for name, content in zip(form.fields, form.contents, strict=True)
        }
        specs, not_read = _select_collections(p, "(parquet)", kinds, collections, None)
        plan = ReadPlan.make(p, specs, kinds, species)
        arrays = ak.from_parquet(p, columns=plan.wanted)
    except InputFileError:
        raise
    except (*UPROOT_ERRORS, ak.errors.FieldNotFoundError) as err:
        msg = f"{p}: cannot read Parquet file ({describe(err)})"
        raise InputFileError(msg) from err
    if max_events is not None:
        arrays = arrays[:max_events]
    events = plan.events([plan.chunk(arrays, f"{p}")], p, "parquet", beams, {"not_read": not_read})
    return check_momenta(events, drop_bad_events=drop_bad_events)
