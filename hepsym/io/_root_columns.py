"""Turn chunks of ROOT branches into flat particle columns and ``Momentum4D`` arrays.

The second half of :mod:`hepsym.io.root`: given the :class:`CollectionSpec` of each
collection and one chunk read by ``uproot``, build every particle's momentum, PDG id
and charge as flat numpy columns, interleave the collections event by event, and
zip the columns once, over one shared offsets index, into the output array.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import awkward as ak
import numpy as np

from hepsym.events import make_particles, pdg_charge, pdg_mass
from hepsym.io._root_naming import CollectionSpec, is_lepton

__all__ = ("build_chunk", "column", "particles_from_chunks")

#: Output dtype of each particle column; the momentum components are float64.
_DTYPES = {"pid": np.int64, "status": np.int64, "charge": np.float64, "collection": np.int8}

Columns = dict[str, "np.ndarray | np.generic"]


def column(arrays: ak.Array, name: str) -> ak.Array:
    """A branch of a chunk; ``record.field`` names an RNTuple record's field."""
    if name in arrays.fields or "." not in name:
        return arrays[name]
    record, field = name.split(".", 1)
    return arrays[record][field]


def _split(array: ak.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (from 0) and flat content of a jagged column, without copying when possible."""
    layout = ak.to_layout(array)
    if isinstance(layout, ak.contents.ListOffsetArray) and isinstance(
        layout.content, ak.contents.NumpyArray
    ):
        offsets = np.asarray(layout.offsets.data)
        content = np.asarray(layout.content.data)[offsets[0] : offsets[-1]]
        return (offsets - offsets[0] if offsets[0] else offsets), content
    counts = ak.to_numpy(ak.num(array, axis=1))
    return _offsets_of(counts), ak.to_numpy(ak.flatten(array, axis=1))


def _offsets_of(counts: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def _flat(arrays: ak.Array, spec: CollectionSpec, comp: str) -> np.ndarray | None:
    """One component of every particle of a collection, event-major, as a flat array."""
    if comp not in spec.slots[0]:
        return None
    if spec.jagged:
        return _split(column(arrays, spec.slots[0][comp]))[1]
    columns = [ak.to_numpy(column(arrays, slot[comp])) for slot in spec.slots]
    return np.stack(columns, axis=1).reshape(-1)


def _offsets(arrays: ak.Array, spec: CollectionSpec) -> np.ndarray:
    """Particle offsets per event, checked to be the same for every branch."""
    if not spec.jagged:
        return np.arange(0, len(spec.slots) * (len(arrays) + 1), len(spec.slots), dtype=np.int64)
    branches = list(spec.slots[0].values())
    offsets = _split(column(arrays, branches[0]))[0]
    for branch in branches[1:]:
        if not np.array_equal(_split(column(arrays, branch))[0], offsets):
            msg = f"collection {spec.name!r}: branches {branches} differ in length per event"
            raise ValueError(msg)
    return offsets


def build_chunk(
    arrays: ak.Array,
    specs: Sequence[CollectionSpec],
    pid_bases: Sequence[int],
    cartesian: bool,
    notes: list[str],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Offsets and flat columns of one chunk's particles, collections merged per event."""
    per_collection = []
    for spec, base in zip(specs, pid_bases, strict=True):
        offsets = _offsets(arrays, spec)
        fields = _kinematics(arrays, spec, base, cartesian, notes)
        fields["pid"], fields["charge"] = _identity(arrays, spec, base, int(offsets[-1]), notes)
        per_collection.append((offsets, fields))
    if len(per_collection) == 1:
        offsets, fields = per_collection[0]
        fields["collection"] = np.int8(0)
        return offsets, fields
    return _merge(per_collection)


def _merge(
    per_collection: Sequence[tuple[np.ndarray, dict[str, np.ndarray]]],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Interleave collections event by event (all of the first, then the second...).

    What ``ak.concatenate(axis=1)`` does, written as one scatter per column, which
    is faster on records and keeps every column a plain numpy array.
    """
    counts = [np.diff(offsets) for offsets, _ in per_collection]
    merged = _offsets_of(np.sum(counts, axis=0))
    total = int(merged[-1])
    names = per_collection[0][1].keys()
    out = {k: np.empty(total, dtype=_DTYPES.get(k, np.float64)) for k in names}
    out["collection"] = np.empty(total, dtype=np.int8)
    start = merged[:-1].copy()
    for index, ((offsets, fields), count) in enumerate(zip(per_collection, counts, strict=True)):
        dest = np.repeat(start - offsets[:-1], count) + np.arange(offsets[-1])
        for k in names:
            out[k][dest] = fields[k]  # converts to the output dtype on the way
        out["collection"][dest] = index
        start += count
    return merged, out


def particles_from_chunks(chunks: Sequence[tuple[np.ndarray, dict[str, np.ndarray]]]) -> ak.Array:
    """The ``Momentum4D`` particles of all chunks, built once from flat columns."""
    if len(chunks) == 1:
        offsets, fields = chunks[0]
    else:
        shifts = np.cumsum([0] + [int(o[-1]) for o, _ in chunks[:-1]])
        offsets = np.concatenate(
            [chunks[0][0][:1]] + [o[1:] + s for (o, _), s in zip(chunks, shifts, strict=True)]
        )
        fields = {k: np.concatenate([f[k] for _, f in chunks]) for k in chunks[0][1]}
    n = int(offsets[-1])
    fields = {
        k: np.full(n, v, dtype=_DTYPES.get(k, np.float64))
        if np.ndim(v) == 0
        else np.asarray(v, dtype=_DTYPES.get(k, np.float64))
        for k, v in fields.items()
    }
    fields["status"] = np.ones(n, dtype=np.int64)
    order = [k for k in fields if k not in ("pid", "status", "charge", "collection")]
    order += ["pid", "status", "charge", "collection"]
    # One shared offsets Index: zipping then needs no per-column unflatten or check.
    index = ak.index.Index64(offsets)
    jagged = {
        k: ak.Array(ak.contents.ListOffsetArray(index, ak.contents.NumpyArray(fields[k])))
        for k in order
    }
    return make_particles(jagged)


def _kinematics(
    arrays: ak.Array, spec: CollectionSpec, base: int, cartesian: bool, notes: list[str]
) -> dict[str, np.ndarray]:
    if spec.coords == "cartesian":
        # Kept in the file's dtype here: the float64 copy is made once, when merging.
        return {c: _flat(arrays, spec, c) for c in ("px", "py", "pz", "E")}
    pt, eta, phi = (_flat(arrays, spec, c) for c in ("pt", "eta", "phi"))
    mass = _flat(arrays, spec, "mass")
    if mass is None:
        mass = _default_mass(arrays, spec, base, len(pt), notes)
    if not cartesian:
        return {"pt": pt, "eta": eta, "phi": phi, "mass": mass}
    pt, eta, phi, mass = (_as_float(v) for v in (pt, eta, phi, mass))
    # Mixed with Cartesian collections: one record type needs one coordinate system.
    pz = pt * np.sinh(eta)
    return {
        "px": pt * np.cos(phi),
        "py": pt * np.sin(phi),
        "pz": pz,
        "E": np.sqrt(pt * pt + pz * pz + mass * mass),
    }


def _as_float(values: np.ndarray | None) -> np.ndarray:
    assert values is not None
    return values.astype(np.float64, copy=False)


def _default_mass(
    arrays: ak.Array, spec: CollectionSpec, base: int, n: int, notes: list[str]
) -> np.ndarray:
    pids = _flat(arrays, spec, "pid")
    if pids is not None:
        unique, inverse = np.unique(np.abs(pids.astype(np.int64)), return_inverse=True)
        table = np.array([pdg_mass(int(u)) if u else 0.0 for u in unique], dtype=np.float64)
        notes.append(f"{spec.name}: no mass branch, PDG mass of each pdgId used")
        return np.nan_to_num(table[inverse], nan=0.0)
    mass = pdg_mass(base) if base else 0.0
    mass = 0.0 if math.isnan(mass) else mass
    notes.append(f"{spec.name}: no mass branch, mass set to {mass:g} GeV")
    return np.full(n, mass, dtype=np.float64)


def _identity(
    arrays: ak.Array, spec: CollectionSpec, base: int, n: int, notes: list[str]
) -> tuple[np.ndarray | np.generic, np.ndarray | np.generic]:
    """PDG id and charge of each particle of a collection (a scalar where constant)."""
    pid = _flat(arrays, spec, "pid")
    charge = _flat(arrays, spec, "charge")
    if pid is not None:
        if charge is None:
            charge = pdg_charge(pid) if n else np.empty(0, dtype=np.float64)
        return pid, charge
    if is_lepton(base):
        if charge is None:
            notes.append(f"{spec.name}: no charge branch, pid {base} for all, charge unknown")
            return np.int64(base), np.float64(np.nan)
        # A negative lepton is the particle (positive PDG id): mu- is 13.
        return np.where(charge > 0, -base, base), charge
    if charge is None:
        charge = np.float64(0.0 if base == 22 else np.nan)
    return np.int64(base), charge
