"""Turn one chunk of ROOT (or Parquet) columns into flat particle columns per collection.

The second half of :mod:`hepsym.io.root`: given the :class:`CollectionSpec` of each
collection and one chunk read by ``uproot``, take every particle's momentum, PDG id,
charge and status as flat numpy columns (views of ``uproot``'s buffers, in the file's
dtypes). :mod:`hepsym.io._root_merge` then converts and interleaves them, once for all
chunks, into the ``Momentum4D`` particles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import awkward as ak
import numpy as np

from hepsym.io._root_levels import flag_fields, lhe_status
from hepsym.io._root_merge import DTYPES, Columns, Piece
from hepsym.io._root_naming import CollectionSpec
from hepsym.particles import CHARGED_LEPTONS, pdg_charge, pdg_mass

__all__ = ("build_chunk", "column")

_PID: type[np.int32] = np.int32
_CHARGE: type[np.float32] = np.float32
assert (DTYPES["pid"], DTYPES["charge"]) == (_PID, _CHARGE)


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


def build_chunk(
    arrays: ak.Array,
    specs: Sequence[CollectionSpec],
    pid_bases: Sequence[int],
    cartesian: bool,
    notes: list[str],
    flags: bool = False,
) -> list[Piece]:
    """Offsets and flat columns of one chunk, one piece per collection.

    With ``flags`` (some collection has NanoAOD ``statusFlags``) every collection also
    gets ``is_last_copy`` and ``is_hard_process`` (see :func:`flag_fields`).

    The columns stay in the file's dtypes (views of ``uproot``'s buffers where
    possible) and a column that is the same for every particle of a collection is a
    numpy scalar: :func:`hepsym.io._root_merge.particles_from_chunks` converts and
    interleaves them all in one pass.
    """
    chunk = _Chunk(arrays)
    pieces = []
    for spec, base in zip(specs, pid_bases, strict=True):
        offsets = _offsets(chunk, spec)
        fields = _kinematics(chunk, spec, base, cartesian, notes)
        fields["pid"], fields["charge"] = _identity(chunk, spec, base, int(offsets[-1]), notes)
        fields["status"] = _status(chunk, spec)
        if flags:
            fields.update(flag_fields(spec.level, _flat(chunk, spec, "flags")))
        pieces.append((offsets, fields))
    return pieces


def _status(chunk: _Chunk, spec: CollectionSpec) -> np.ndarray | np.generic:
    """Each particle's status in the LHE convention (see :func:`lhe_status`)."""
    if spec.level not in ("gen", "lhe"):
        return np.int8(1)
    raw = _flat(chunk, spec, "status")
    parents = (_flat(chunk, spec, "parents_begin"), _flat(chunk, spec, "parents_end"))
    return lhe_status(spec.level, raw, *parents)


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
    kind = _flat(chunk, spec, "type")
    if kind is not None and not base:
        charge = np.full(n, np.nan, dtype=_CHARGE) if charge is None else charge
        return _pid_from_type(kind, charge, _flat(chunk, spec, "mass")), charge
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


#: Masses (GeV) that FCC's EDM4hep (Delphes) gives a charged reconstructed particle of
#: ``type`` 0, by its identification: electron, muon, else charged pion.
_MASS_HYPOTHESES = ((11, 0.000511, 1e-5), (13, 0.105658, 1e-4), (211, 0.13957, 1e-4))


def _pid_from_type(kind: np.ndarray, charge: np.ndarray, mass: np.ndarray | None) -> np.ndarray:
    """PDG ids of EDM4hep reconstructed particles from their ``type`` branch.

    FCC files store a PDG id in ``type`` for neutral particles (22 a photon, 130 a
    neutral hadron) and 0 for charged ones, whose species is the mass hypothesis of
    their identification (0.000511 an electron, 0.10566 a muon, 0.13957 a charged
    pion), with the sign of their charge. A ``type`` that is no PDG id whose charge
    matches the charge branch, and a charged particle of another mass, stay 0 (unknown).
    """
    pid = kind.astype(_PID)
    charge = np.asarray(charge, dtype=np.float64)
    expected = pdg_charge(pid) if len(pid) else np.empty(0)
    known = ~np.isnan(charge)
    valid = np.isclose(expected, charge) | (~known & ~np.isnan(expected))
    pid[(pid != 0) & ~valid] = 0
    if mass is not None:
        m = np.asarray(mass, dtype=np.float64)
        for base, hypothesis, tolerance in _MASS_HYPOTHESES:
            hit = (pid == 0) & (charge != 0) & known & (np.abs(m - hypothesis) < tolerance)
            # a lepton of negative charge is the particle (e- is 11); a pi+ is 211
            sign = np.where(charge < 0, 1, -1) if base != 211 else np.where(charge > 0, 1, -1)
            pid = np.where(hit, sign * base, pid).astype(_PID)
    return pid
