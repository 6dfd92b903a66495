"""Turn chunks of ROOT branches into flat particle columns and ``Momentum4D`` arrays.

The second half of :mod:`hepsym.io.root`: given the :class:`CollectionSpec` of each
collection and one chunk read by ``uproot``, take every particle's momentum, PDG id
and charge as flat numpy columns (views of ``uproot``'s buffers, in the file's
dtypes), then, once for all chunks, convert each column to its output dtype while
interleaving the collections event by event, and build the ``Momentum4D`` layout
directly over one shared offsets index.

The reading itself (decompression) is ``uproot``'s; what is spent here is one pass
per output column, plus, with several collections, the gather permutation (about
a third of this module's time then).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import awkward as ak
import numpy as np

from hepsym.io._root_naming import CollectionSpec
from hepsym.particles import CHARGED_LEPTONS, pdg_charge, pdg_mass

__all__ = ("build_chunk", "column", "particles_from_chunks")

#: Output dtype of each particle column; the momentum components are float64.
_DTYPES = {"pid": np.int32, "status": np.int8, "charge": np.float32, "collection": np.int8}

#: vector's names of the coordinates, as ``vector.zip`` gives them.
_VECTOR_NAMES = {
    "px": "x",
    "py": "y",
    "pz": "z",
    "E": "t",
    "pt": "rho",
    "eta": "eta",
    "phi": "phi",
    "mass": "tau",
}

_PID: type[np.int32] = np.int32
_CHARGE: type[np.float32] = np.float32
assert (_DTYPES["pid"], _DTYPES["charge"]) == (_PID, _CHARGE)

Columns = dict[str, "np.ndarray | np.generic"]


def column(arrays: ak.Array, name: str) -> ak.Array:
    """A branch of a chunk; ``record.field`` names an RNTuple record's field, and a
    split object's leaf ``Muons/Muons.fCoordinates.fPt`` comes as ``Muons.fCoordinates.fPt``."""
    if "/" in name and name not in arrays.fields:
        name = name.rsplit("/", 1)[-1]
    if name in arrays.fields or "." not in name:
        return arrays[name]
    record, field = name.split(".", 1)
    return arrays[record][field]


class _Chunk:
    """A chunk's branches as numpy arrays, each jagged one split into offsets and content once."""

    def __init__(self, arrays: ak.Array) -> None:
        self.arrays = arrays
        self.length = len(arrays)
        layout = ak.to_layout(arrays)
        self._record = layout if isinstance(layout, ak.contents.RecordArray) else None
        self._splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _layout(self, name: str) -> ak.contents.Content:
        if self._record is not None and self._record.has_field(name):
            return self._record.content(name)
        return ak.to_layout(column(self.arrays, name))

    def values(self, name: str) -> np.ndarray:
        """A one-value-per-event branch."""
        layout = self._layout(name)
        if isinstance(layout, ak.contents.NumpyArray):
            return np.asarray(layout.data)
        return ak.to_numpy(ak.Array(layout))

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Offsets (from 0) and flat content of a jagged branch, views where possible."""
        if name not in self._splits:
            self._splits[name] = _split(self._layout(name))
        return self._splits[name]


def _split(layout: ak.contents.Content) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(layout, ak.contents.ListOffsetArray) and isinstance(
        layout.content, ak.contents.NumpyArray
    ):
        offsets = np.asarray(layout.offsets.data)
        content = np.asarray(layout.content.data)[offsets[0] : offsets[-1]]
        return (offsets - offsets[0] if offsets[0] else offsets), content
    array = ak.Array(layout)
    counts = ak.to_numpy(ak.num(array, axis=1))
    return _offsets_of(counts), ak.to_numpy(ak.flatten(array, axis=1))


def _offsets_of(counts: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def _flat(chunk: _Chunk, spec: CollectionSpec, comp: str) -> np.ndarray | None:
    """One component of every particle of a collection, event-major, as a flat array."""
    if comp not in spec.slots[0]:
        return None
    if spec.jagged:
        return chunk.split(spec.slots[0][comp])[1]
    columns = [chunk.values(slot[comp]) for slot in spec.slots]
    return np.stack(columns, axis=1).reshape(-1)


def _offsets(chunk: _Chunk, spec: CollectionSpec) -> np.ndarray:
    """Particle offsets per event, checked to be the same for every branch."""
    if not spec.jagged:
        step = len(spec.slots)
        return np.arange(0, step * (chunk.length + 1), step, dtype=np.int64)
    branches = list(spec.slots[0].values())
    offsets = chunk.split(branches[0])[0]
    for branch in branches[1:]:
        if not np.array_equal(chunk.split(branch)[0], offsets):
            msg = f"collection {spec.name!r}: branches {branches} differ in length per event"
            raise ValueError(msg)
    return offsets


Piece = tuple[np.ndarray, Columns]


def build_chunk(
    arrays: ak.Array,
    specs: Sequence[CollectionSpec],
    pid_bases: Sequence[int],
    cartesian: bool,
    notes: list[str],
) -> list[Piece]:
    """Offsets and flat columns of one chunk, one piece per collection.

    The columns stay in the file's dtypes (views of ``uproot``'s buffers where
    possible) and a column that is the same for every particle of a collection is a
    numpy scalar: :func:`particles_from_chunks` converts and interleaves them all in
    one pass.
    """
    chunk = _Chunk(arrays)
    pieces = []
    for spec, base in zip(specs, pid_bases, strict=True):
        offsets = _offsets(chunk, spec)
        fields = _kinematics(chunk, spec, base, cartesian, notes)
        fields["pid"], fields["charge"] = _identity(chunk, spec, base, int(offsets[-1]), notes)
        fields["status"] = _status(chunk, spec)
        pieces.append((offsets, fields))
    return pieces


def particles_from_chunks(chunks: Sequence[Sequence[Piece]]) -> ak.Array:
    """The ``Momentum4D`` particles of all chunks, built once from flat columns.

    Each output column is written once, in its final dtype: a plain converting copy
    when one collection is read (none at all when a single chunk already has that
    dtype), else a gather through a permutation that puts each event's collections
    one after the other (what ``ak.concatenate(axis=1)`` does, for one ``np.take``
    per column).
    """
    n_coll = len(chunks[0])
    per_coll = [_join_offsets([chunk[c][0] for chunk in chunks]) for c in range(n_coll)]
    if n_coll == 1:
        offsets, perm, collection = per_coll[0], None, None
    else:
        offsets, perm, collection = _interleave(per_coll)
    n = int(offsets[-1])
    # Source columns laid end to end before the gather; one buffer serves every column.
    scratch = np.empty(0 if perm is None else n, dtype=np.float64)
    coords = [k for k in chunks[0][0][1] if k not in _DTYPES]
    columns: dict[str, np.ndarray] = {}
    for name in [*coords, "pid", "charge", "status"]:
        values = [[(int(ch[c][0][-1]), ch[c][1][name]) for ch in chunks] for c in range(n_coll)]
        dtype = np.dtype(_DTYPES.get(name, np.float64))
        columns[name] = _column(values, n, dtype, perm, collection, scratch)
    columns["collection"] = (
        np.zeros(n, dtype=_DTYPES["collection"]) if collection is None else collection
    )
    names = [_VECTOR_NAMES[k] for k in coords] + ["pid", "status", "charge", "collection"]
    contents = [ak.contents.NumpyArray(columns[k]) for k in [*coords, *names[4:]]]
    record = ak.contents.RecordArray(contents, names, parameters={"__record__": "Momentum4D"})
    # vector's awkward behaviour is registered globally by hepsym.events.
    return ak.Array(ak.contents.ListOffsetArray(ak.index.Index64(offsets), record))


def _join_offsets(pieces: Sequence[np.ndarray]) -> np.ndarray:
    """Offsets of consecutive chunks as one offsets array."""
    if len(pieces) == 1:
        return pieces[0]
    shifts = np.cumsum([0] + [int(o[-1]) for o in pieces[:-1]])
    return np.concatenate(
        [pieces[0][:1]] + [o[1:] + s for o, s in zip(pieces, shifts, strict=True)]
    )


def _interleave(per_coll: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merged offsets, gather permutation and collection index of several collections.

    Output particle ``p`` is particle ``perm[p]`` of the collections' columns laid
    end to end (all of the first collection, then all of the second...). Within one
    (event, collection) segment ``perm`` goes up by one, so it is a running sum of
    ones with a jump at the first slot of each segment: one ``cumsum``, where an
    ``np.repeat`` over the segments costs twice as much.
    """
    bases = np.cumsum([0] + [int(o[-1]) for o in per_coll])
    merged = per_coll[0].copy()
    for o in per_coll[1:]:
        merged += o
    # Source bounds of every segment in output order (event-major, then collection):
    # row e of ``bounds`` holds where each collection's event e starts in the sources.
    bounds = np.empty((len(merged), len(per_coll)), dtype=np.int64)
    for c, o in enumerate(per_coll):
        np.add(o, bases[c], out=bounds[:, c])
    begin, end = bounds[:-1].reshape(-1), bounds[1:].reshape(-1)
    filled = end != begin
    # np.compress is twice as fast as boolean indexing here.
    begin, end = np.compress(filled, begin), np.compress(filled, end)
    starts = np.zeros(len(begin), dtype=np.int64)  # where each segment goes in the output
    np.cumsum((end - begin)[:-1], out=starts[1:])
    perm = np.ones(int(merged[-1]), dtype=np.int64)
    if len(perm):
        steps = begin  # jump from the last source of the previous segment to this one
        steps[1:] -= end[:-1]
        steps[1:] += 1
        perm[starts] = steps
    np.cumsum(perm, out=perm)
    collection = np.zeros(len(perm), dtype=_DTYPES["collection"])
    for base in bases[1:-1]:
        collection += perm >= base
    return merged, perm, collection


def _column(
    values: Sequence[Sequence[tuple[int, np.ndarray | np.generic]]],
    n: int,
    dtype: np.dtype,
    perm: np.ndarray | None,
    collection: np.ndarray | None,
    scratch: np.ndarray,
) -> np.ndarray:
    """One output column from its (size, values) pieces, by collection, then by chunk."""
    constants = [_constant([piece for _, piece in pieces]) for pieces in values]
    if all(c is not None for c in constants):
        table = np.asarray(constants, dtype=dtype)
        if collection is None or (table == table[0]).all() or np.isnan(table).all():
            return np.full(n, table[0], dtype=dtype)
        return table.take(collection)
    if perm is None and len(values[0]) == 1 and np.ndim(values[0][0][1]):
        # One chunk of one collection: no copy if it has the output dtype already.
        return np.asarray(values[0][0][1], dtype=dtype)
    out = np.empty(n, dtype=dtype) if perm is None else scratch.view(dtype)[:n]
    start = 0
    for pieces in values:
        for count, piece in pieces:
            out[start : start + count] = piece  # converts to the output dtype on the way
            start += count
    if perm is None:
        return out
    # mode="clip" skips the bounds check and its buffer: perm is in range by construction.
    return out.take(perm, mode="clip")


def _constant(pieces: Sequence[np.ndarray | np.generic]) -> np.ndarray | np.generic | None:
    """The value of a column that is the same scalar in every chunk, else ``None``."""
    if any(np.ndim(p) for p in pieces):
        return None
    first = pieces[0]
    same = all(p == first or (np.isnan(p) and np.isnan(first)) for p in pieces)
    return first if same else None


#: Generator status codes (HepMC, Pythia, EDM4hep ``generatorStatus``) of incoming
#: particles: 4 a beam particle, 21 an incoming parton of the hard process.
_BEAM_STATUS, _HARD_INCOMING_STATUS = 4, 21


def _status(chunk: _Chunk, spec: CollectionSpec) -> np.ndarray | np.generic:
    """Each particle's status in the LHE convention: -1 incoming, 1 final, 2 intermediate.

    Reconstructed and trigger objects are final state. ``LHEPart_status`` is already
    -1/+1. A generator status (NanoAOD ``GenPart_status``, EDM4hep ``generatorStatus``)
    is 1 for the final state; the beams (4) are the incoming particles where the record
    has them, else the particles without parents (EDM4hep ``parents_begin ==
    parents_end``), else the incoming partons of the hard process (21); the rest (the hard
    process, resonances, the shower, hadrons before decay) is intermediate.
    """
    raw = _flat(chunk, spec, "status") if spec.level in ("gen", "lhe") else None
    if raw is None:
        return np.int8(1)
    raw = raw.astype(np.int32, copy=False)
    if spec.level == "lhe":
        return np.where(raw == -1, -1, np.where(raw == 1, 1, 2)).astype(np.int8)
    if (raw == _BEAM_STATUS).any():
        incoming = raw == _BEAM_STATUS
    else:
        begin, end = _flat(chunk, spec, "parents_begin"), _flat(chunk, spec, "parents_end")
        # EDM4hep records without status 4 (FCC): the beams are the particles without parents.
        incoming = (begin == end) if begin is not None and end is not None else None
        if incoming is None or not incoming.any():
            incoming = raw == _HARD_INCOMING_STATUS
    return np.where(raw == 1, 1, np.where(incoming, -1, 2)).astype(np.int8)


def _kinematics(
    chunk: _Chunk, spec: CollectionSpec, base: int, cartesian: bool, notes: list[str]
) -> Columns:
    if spec.coords == "cartesian":
        # Kept in the file's dtype here: the float64 copy is made once, when merging.
        return {c: _present(_flat(chunk, spec, c)) for c in ("px", "py", "pz", "E")}
    if spec.coords == "cartesian_m":
        px, py, pz, mass = (_as_float(_flat(chunk, spec, c)) for c in ("px", "py", "pz", "mass"))
        return {
            "px": px,
            "py": py,
            "pz": pz,
            "E": np.sqrt(px * px + py * py + pz * pz + mass * mass),
        }
    pt, eta, phi = (_present(_flat(chunk, spec, c)) for c in ("pt", "eta", "phi"))
    energy = _flat(chunk, spec, "E") if spec.coords == "polar_e" else None
    # NanoAOD stores an incoming parton as pt = 0 with eta = +-inf-like (about 2e4): its
    # momentum is lost (LHEPart keeps it in incomingpz); eta = 0 keeps pz = 0, not NaN.
    zero_pt = pt == 0
    if zero_pt.any():
        eta = np.where(zero_pt, 0.0, eta)
    incoming_pz = _flat(chunk, spec, "incomingpz")
    if energy is None:
        flat_mass = _flat(chunk, spec, "mass")
        mass = _default_mass(chunk, spec, base, notes) if flat_mass is None else flat_mass
        if not cartesian:
            return {"pt": pt, "eta": eta, "phi": phi, "mass": mass}
    pt, eta, phi = (_as_float(v) for v in (pt, eta, phi))
    # Mixed with Cartesian collections: one record type needs one coordinate system.
    pz = pt * np.sinh(eta)
    if incoming_pz is not None:
        pz = np.where(zero_pt, _as_float(incoming_pz), pz)
    if energy is None:
        mass = _as_float(mass)
        energy = np.sqrt(pt * pt + pz * pz + mass * mass)
    return {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pz, "E": _as_float(energy)}


def _present(values: np.ndarray | None) -> np.ndarray:
    """A branch the collection spec guarantees (its coordinates)."""
    assert values is not None
    return values


def _as_float(values: Any) -> Any:
    """float64 values of an array or a numpy scalar (a collection-wide constant)."""
    assert values is not None
    return values.astype(np.float64, copy=False)


def _default_mass(
    chunk: _Chunk, spec: CollectionSpec, base: int, notes: list[str]
) -> np.ndarray | np.generic:
    pids = _flat(chunk, spec, "pid")
    if pids is not None:
        unique, inverse = np.unique(np.abs(pids.astype(np.int64)), return_inverse=True)
        table = np.array([pdg_mass(int(u)) if u else 0.0 for u in unique], dtype=np.float64)
        notes.append(f"{spec.name}: no mass branch, PDG mass of each pdgId used")
        return np.nan_to_num(table[inverse], nan=0.0)
    mass = pdg_mass(base) if base else 0.0
    mass = 0.0 if math.isnan(mass) else mass
    notes.append(f"{spec.name}: no mass branch, mass set to {mass:g} GeV")
    return np.float64(mass)


def _identity(
    chunk: _Chunk, spec: CollectionSpec, base: int, n: int, notes: list[str]
) -> tuple[np.ndarray | np.generic, np.ndarray | np.generic]:
    """PDG id and charge of each particle of a collection (a scalar where constant)."""
    # A (reco or generator-level) jet is a jet whatever its flavour branch says.
    jet = spec.level in ("reco", "gen") and "jet" in spec.name.lower()
    pid = None if jet else _flat(chunk, spec, "pid")
    charge = _flat(chunk, spec, "charge")
    if jet:
        return _PID(0), _CHARGE(np.nan) if charge is None else charge
    if pid is not None:
        if charge is None:
            charge = pdg_charge(pid) if n else np.empty(0, dtype=np.float64)
        return pid, charge
    if abs(base) in CHARGED_LEPTONS:
        if charge is None:
            notes.append(f"{spec.name}: no charge branch, pid {base} for all, charge unknown")
            return _PID(base), _CHARGE(np.nan)
        # A negative lepton is the particle (positive PDG id): mu- is 13. Arithmetic on
        # the sign mask is ~15x faster than np.where with scalar branches.
        pid = (charge > 0).astype(_PID)
        pid *= -2 * base
        pid += base
        return pid, charge
    if charge is None:
        return _PID(base), _CHARGE(0.0 if base == 22 else np.nan)
    return _PID(base), charge
