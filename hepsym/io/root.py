"""Read particle collections from a ROOT TTree or RNTuple into :class:`~hepsym.events.Events`.

Collections are recognised from branch names (see :mod:`hepsym.io._root_naming` for
the patterns): jagged ``Muon_Px, Muon_Py, Muon_Pz, Muon_E`` or NanoAOD ``Muon_pt,
Muon_eta, Muon_phi, Muon_mass``, and numbered one-value-per-event branches such as
``E1, px1, py1, pz1``. Only the branches of the chosen collections (and the weight
branch) are read: in one ``arrays`` call when they fit in ``step_size``, else chunk by
chunk, cut where every wanted branch starts a new basket (cluster) so that no basket
is decompressed twice.

Particles named for a species get its PDG id with the sign of their charge: a
``Muon`` of charge -1 is 13 (a mu-), of charge +1 is -13 (a mu+); likewise for
``Electron`` (11), ``Tau`` (15); a ``Photon`` is 22. Jets and unknown collections
get 0, unless the tree has a ``pdgId`` branch. Every particle has ``status = 1``
(reconstructed final state).

Column dtypes: the momentum components are float64 (a muon's mass from float32
``E^2 - p^2`` would be lost to rounding), ``pid`` is int32, ``status`` and
``collection`` are int8, ``charge`` is float32 (``nan`` where unknown); each is
written once, converted from the file's dtype on the way.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import awkward as ak
import uproot

from hepsym.errors import InputFileError
from hepsym.events import Events
from hepsym.io._plan import ReadPlan
from hepsym.io._root_iterate import iterate
from hepsym.io._root_kinds import branch_kinds
from hepsym.io._root_levels import read_by_default
from hepsym.io._root_naming import CollectionSpec, recognise, spec_from_mapping
from hepsym.io._root_tree import UPROOT_ERRORS, damage, describe, select_tree
from hepsym.io.options import ReadOptions, read_options
from hepsym.momenta import check_momenta

__all__ = ("RootLayout", "events_from_arrays", "read_root", "root_layout", "tree_entries")


def read_root(
    path: str | os.PathLike[str], options: ReadOptions | None = None, **fields: Any
) -> Events:
    """Read particle collections from a ROOT TTree or RNTuple.

    Args:
        path: the ROOT file.
        options: a :class:`~hepsym.io.options.ReadOptions`; ``fields`` set its fields
            by name. Those that apply to ROOT:

            * ``tree``: name of the TTree or RNTuple; default the only one in the file,
              or a conventional one (``Events``, ``events``...) when there are several.
            * ``collections``: collection names to read, e.g. ``["Muon"]``
              (case-insensitive); default every recognised collection of particles
              (not trigger objects, vertices, tracks, fat or sub-jets: see
              :func:`~hepsym.io._root_levels.read_by_default`), or only those of
              ``branches`` when it is given.
            * ``branches``: explicit ``{collection: {component: branch}}`` for names
              that follow no convention, e.g. ``{"Muon": {"px": "mu_px", "py": "mu_py",
              "pz": "mu_pz", "E": "mu_E", "charge": "mu_q"}}``; components are ``px,
              py, pz, E`` or ``pt, eta, phi`` and optionally ``mass``, plus ``charge``
              and ``pid``. A list of one-value-per-event branches gives one particle per
              branch.
            * ``max_events``: read at most this many events (from the start).
            * ``beams``: the initial state, which ROOT files rarely record.
            * ``step_size``: memory per chunk read (``"100 MB"``; chunks end on cluster
              boundaries), or a number of entries per chunk (``uproot``'s ``iterate``).
            * ``drop_bad_events``: remove events with an invalid momentum or weight
              (with a warning) instead of raising; see :func:`hepsym.momenta.check_momenta`.
            * ``species``: the species of a collection without a PDG id branch, e.g.
              ``{"particle": "mu"}`` (``mu``, ``e``, ``tau``, ``gamma`` or a PDG id): its
              particles get that id with the sign of their charge.

    Returns:
        Events whose particles have fields ``px, py, pz, E`` (or ``pt, eta, phi,
        mass`` when every collection read is stored so), ``pid``, ``status``,
        ``charge`` and ``collection`` (index into ``Events.collections``);
        ``metadata["levels"]`` maps each collection to its level (``lhe``, ``gen``,
        ``reco``, ``trigger``), ``metadata["species"]`` says where each collection's
        species came from, ``metadata["not_read"]`` lists the recognised collections
        left out by default; ``metadata["n_bad_events"]`` counts the events
        ``drop_bad_events`` removed.

    Raises:
        InputFileError: unreadable, truncated or corrupted file; no such tree; an
            object that is not a tree; no recognisable collection; a bad mapping;
            an invalid momentum (the message names the entry, counted from 0).
        OptionError: ``max_events`` below 1.
    """
    from hepsym.io import check_path

    opts = read_options(options, **fields)
    opts.check_format("root", path)
    p = check_path(path)
    try:
        events = _read(p, opts)
    except InputFileError:
        raise
    except UPROOT_ERRORS as err:
        # Damage that the steps below did not foresee: still one line naming the file.
        msg = f"{p}: cannot read ROOT file, {damage(p)} ({describe(err)})"
        raise InputFileError(msg) from err
    return check_momenta(events, drop_bad_events=opts.drop_bad_events)


def tree_entries(path: str | os.PathLike[str], tree: str | None = None) -> int:
    """The number of entries of the file's tree (the one :func:`read_root` would read).

    Raises:
        InputFileError: as :func:`read_root` for a file it cannot open or a tree it
            cannot find.
    """
    from hepsym.io import check_path

    p = check_path(path)
    try:
        with uproot.open(p) as file:
            obj, _, _ = select_tree(file, p, tree)
            return int(obj.num_entries)
    except InputFileError:
        raise
    except UPROOT_ERRORS as err:
        msg = f"{p}: cannot read ROOT file, {damage(p)} ({describe(err)})"
        raise InputFileError(msg) from err


def _read(p: Path, opts: ReadOptions) -> Events:
    try:
        file = uproot.open(p)
    except UPROOT_ERRORS as err:
        msg = f"{p}: cannot open ROOT file, {damage(p)} ({describe(err)})"
        raise InputFileError(msg) from err
    with file:
        obj, layout = _layout(file, p, opts)
        chunks = (
            layout.plan.chunk(arrays, layout.where)
            for arrays in iterate(obj, p, layout.branches, opts)
        )
        events = layout.plan.events(list(chunks), p, layout.fmt, opts.beams, layout.extra)
    return events if opts.entries is None else _partition(events, opts.entries[0])


@dataclasses.dataclass(frozen=True)
class RootLayout:
    """What reading one ROOT file's tree takes, found from its header: which branches
    (:attr:`branches`) and how a chunk of them becomes particles. A chunk read by other
    means (``uproot.dask``, say) becomes :class:`~hepsym.events.Events` with
    :func:`events_from_arrays`, as :func:`read_root` would have made them."""

    path: Path
    tree: str
    fmt: str
    plan: ReadPlan
    extra: dict[str, Any]

    @property
    def branches(self) -> list[str]:
        """The branches to read."""
        return list(self.plan.wanted)

    @property
    def where(self) -> str:
        """The file and tree, for messages."""
        return f"{self.path}: tree {self.tree!r}"


def root_layout(
    path: str | os.PathLike[str], options: ReadOptions | None = None, **fields: Any
) -> RootLayout:
    """The :class:`RootLayout` of the tree :func:`read_root` would read with these
    options (only the file's header is read).

    Raises:
        InputFileError: as :func:`read_root`.
    """
    from hepsym.io import check_path

    opts = read_options(options, **fields)
    p = check_path(path)
    try:
        with uproot.open(p) as file:
            return _layout(file, p, opts)[1]
    except InputFileError:
        raise
    except UPROOT_ERRORS as err:
        msg = f"{p}: cannot open ROOT file, {damage(p)} ({describe(err)})"
        raise InputFileError(msg) from err


def events_from_arrays(
    layout: RootLayout,
    arrays: ak.Array,
    start: int | None = None,
    options: ReadOptions | None = None,
) -> Events:
    """The events of ``arrays``: ``layout.branches`` of the whole tree, or of a
    partition from entry ``start`` on (its messages then name its entries), with the
    reader's checks (``options``: ``beams``, ``drop_bad_events``)."""
    opts = options or ReadOptions()
    plan = copy.copy(layout.plan)
    plan.notes = []  # this chunk's own
    events = plan.events(
        [plan.chunk(arrays, layout.where)], layout.path, layout.fmt, opts.beams, layout.extra
    )
    if start is not None:
        events = _partition(events, start)
    return check_momenta(events, drop_bad_events=opts.drop_bad_events)


def _layout(file: Any, p: Path, opts: ReadOptions) -> tuple[Any, RootLayout]:
    obj, tree_name, fmt = select_tree(file, p, opts.tree)
    kinds = _branch_kinds(obj, fmt, p)
    specs, not_read = _select_collections(p, tree_name, kinds, opts.collections, opts.branches)
    plan = ReadPlan.make(p, specs, kinds, opts.species)
    extra = {"tree": tree_name, "entries_in_tree": int(obj.num_entries), "not_read": not_read}
    return obj, RootLayout(p, tree_name, fmt, plan, extra)


def _partition(events: Events, start: int) -> Events:
    """A partition of the tree: messages name its entries, counted from its first."""
    return dataclasses.replace(
        events,
        source=f"{events.source} [entries {start}:{start + len(events)}]",
        metadata={**events.metadata, "entries": (start, start + len(events))},
    )


def _branch_kinds(obj: Any, fmt: str, path: Path) -> dict[str, str]:
    """Branch name to ``"jagged"``, ``"scalar"`` or ``"other"``, from the tree's header."""
    try:
        return branch_kinds(obj, rntuple=fmt == "root-rntuple")
    except UPROOT_ERRORS as err:
        msg = f"{path}: cannot read the branch list of {obj.name!r} ({describe(err)})"
        raise InputFileError(msg) from err


def _select_collections(
    path: Path,
    tree_name: str,
    kinds: Mapping[str, str],
    collections: Sequence[str] | None,
    branches: Mapping[str, Mapping[str, str | Sequence[str]]] | None,
) -> tuple[list[CollectionSpec], list[str]]:
    """The collections to read (explicit ones from ``branches``, recognised ones by
    name) and the recognised ones left out by default."""
    explicit: dict[str, CollectionSpec] = {}
    for name, mapping in (branches or {}).items():
        try:
            explicit[name.lower()] = spec_from_mapping(name, mapping, kinds)
        except ValueError as err:
            msg = f"{path}: tree {tree_name!r}: {err}"
            raise InputFileError(msg) from err
    found = {s.name.lower(): s for s in recognise(kinds)}
    not_read: list[str] = []
    if collections is None:
        if explicit:
            specs = list(explicit.values())
        else:
            specs = [s for s in found.values() if read_by_default(s.name, s.level)]
            if any("reconstructedparticle" in s.name.lower() for s in specs):
                # Particle-flow candidates are there: reco jets would count them twice.
                specs = [s for s in specs if not (s.level == "reco" and "jet" in s.name.lower())]
            not_read = [s.name for s in found.values() if s not in specs]
            if not specs:  # only secondary collections: read them rather than nothing
                specs, not_read = list(found.values()), []
    else:
        specs = []
        for name in collections:
            spec = explicit.get(name.lower()) or found.get(name.lower())
            if spec is None:
                known = ", ".join(s.name for s in [*explicit.values(), *found.values()]) or "none"
                msg = (
                    f"{path}: tree {tree_name!r} has no collection {name!r} "
                    f"(recognised: {known}); name one of those with --collections, or map "
                    "its branches in Python with hepsym.read(..., branches={...})"
                )
                raise InputFileError(msg)
            specs.append(spec)
    if not specs:
        sample = ", ".join(list(kinds)[:8]) or "no branches"
        more = f", ... ({len(kinds)} in all)" if len(kinds) > 8 else ""
        msg = (
            f"{path}: no particle collection recognised in tree {tree_name!r} "
            f"(branches: {sample}{more}); in Python, map them with hepsym.read(..., "
            "branches={'Muon': {'px': ..., 'py': ..., 'pz': ..., 'E': ...}})"
        )
        raise InputFileError(msg)
    return list({s.name.lower(): s for s in specs}.values()), not_read
