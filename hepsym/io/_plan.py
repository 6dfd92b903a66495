"""What to read of a columnar file (ROOT or Parquet) and how to build its particles.

The plan is made once per file from the recognised collections (see
:mod:`hepsym.io._root_naming`), applied to every chunk of columns
(:mod:`hepsym.io._root_columns` builds the particles), and turns the chunks into
:class:`~hepsym.events.Events` with the reader's metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from hepsym.errors import InputFileError
from hepsym.events import Beams, Events
from hepsym.io._root_columns import build_chunk, column
from hepsym.io._root_merge import Piece, particles_from_chunks
from hepsym.io._root_naming import CollectionSpec, find_weight_branch, pid_from_name

__all__ = ("ReadPlan",)


class ReadPlan:
    """What to read of a columnar file and how to build its particles, for every chunk.

    Shared by the ROOT reader and :mod:`hepsym.io.parquet` (the same column names).
    """

    def __init__(
        self,
        specs: Sequence[CollectionSpec],
        weight: str | None,
        pid_bases: Sequence[int],
        species_source: dict[str, str],
    ) -> None:
        self.specs = list(specs)
        self.weight = weight
        self.pid_bases = list(pid_bases)
        self.species_source = species_source
        self.wanted = list(
            dict.fromkeys([b for s in specs for b in s.branches] + ([weight] if weight else []))
        )
        self.cartesian = any(s.coords != "polar" or "incomingpz" in s.slots[0] for s in specs)
        #: Collections with NanoAOD ``statusFlags``: then every particle gets the flags.
        self.flagged = [s.name for s in specs if "flags" in s.slots[0]]
        self.notes: list[str] = []

    @classmethod
    def make(
        cls,
        path: Path,
        specs: Sequence[CollectionSpec],
        kinds: Mapping[str, str],
        species: Mapping[str, str | int] | None,
    ) -> ReadPlan:
        """The plan for ``specs``; ``species`` names the species of PDG-id-less collections."""
        given = {str(k).lower(): v for k, v in (species or {}).items()}
        known = {s.name.lower() for s in specs}
        for name in given:
            if name not in known:
                listing = ", ".join(s.name for s in specs)
                msg = f"{path}: species given for {name!r}, which is not read (read: {listing})"
                raise InputFileError(msg)
        bases, source = [], {}
        for s in specs:
            has_pid = "pid" in s.slots[0]
            jet = s.level in ("reco", "gen") and "jet" in s.name.lower()
            if s.name.lower() in given:
                base = _species_pid(path, s.name, given[s.name.lower()])
                source[s.name] = f"{given[s.name.lower()]} (given)"
            else:
                base = pid_from_name(s.name)
                source[s.name] = (
                    "jet" if jet
                    else "PDG id branch" if has_pid
                    else _TYPE_SPECIES if "type" in s.slots[0]
                    else f"{pid_from_name(s.name)} (from the name)" if base
                    else "unknown (no PDG id branch)"
                )  # fmt: skip
            bases.append(base)
        return cls(specs, find_weight_branch(kinds), bases, source)

    def chunk(self, arrays: ak.Array, where: str) -> tuple[list[Piece], np.ndarray]:
        """The particle pieces and weights of one chunk of columns."""
        try:
            pieces = build_chunk(
                arrays, self.specs, self.pid_bases, self.cartesian, self.notes, bool(self.flagged)
            )
        except ValueError as err:
            msg = f"{where}: {err}"
            raise InputFileError(msg) from err
        if self.weight:
            weights = np.asarray(column(arrays, self.weight), dtype=np.float64)
        else:
            weights = np.ones(len(arrays), dtype=np.float64)
        return pieces, weights

    def events(
        self,
        chunks: list[tuple[list[Piece], np.ndarray]],
        path: Path,
        fmt: str,
        beams: Beams | None,
        extra: Mapping[str, Any],
    ) -> Events:
        """The :class:`Events` of all chunks (at least one), with ``extra`` metadata."""
        particles = particles_from_chunks([c[0] for c in chunks])
        weight_chunks = [c[1] for c in chunks]
        weights = weight_chunks[0] if len(weight_chunks) == 1 else np.concatenate(weight_chunks)
        metadata: dict[str, Any] = {
            "branches": {s.name: s.mapping() for s in self.specs},
            "counters": {s.name: s.counter for s in self.specs if s.counter},
            "weight_branch": self.weight,
            "coordinates": "px, py, pz, E" if self.cartesian else "pt, eta, phi, mass",
            "levels": {s.name: s.level for s in self.specs},
            "species": dict(self.species_source),
            "status_flags": list(self.flagged),
            "notes": list(dict.fromkeys(self.notes)),
            **extra,
        }
        if beams is None:
            beams = _beams_from_record(particles)
        return Events(
            particles=particles,
            weights=weights,
            beams=beams,
            source=str(path),
            format=fmt,
            collections=tuple(s.name for s in self.specs),
            metadata=metadata,
        )


#: Where the species of an EDM4hep collection with a ``type`` branch comes from.
_TYPE_SPECIES = "type branch (PDG id; charged: e, mu, pi by mass hypothesis)"


def _species_pid(path: Path, collection: str, species: str | int) -> int:
    """|PDG id| of a species named by the user for a collection."""
    from hepsym.particles import lookup

    if isinstance(species, int) or str(species).lstrip("-").isdigit():
        return abs(int(species))
    base = pid_from_name(str(species))
    if not base:
        found = lookup(str(species))
        base = abs(found.pdgid) if found is not None else 0
    if not base:
        msg = (
            f"{path}: unknown species {species!r} for collection {collection!r} "
            "(use mu, e, tau, gamma or a PDG id)"
        )
        raise InputFileError(msg)
    return base


def _beams_from_record(particles: ak.Array) -> Beams:
    """The beams when a generator record holds them, else unknown.

    They are taken from the first event when it has exactly two incoming (status -1)
    leptons or hadrons (beams, EDM4hep generator status 4) travelling along +z and -z,
    and every event has the same two.
    """
    status = np.asarray(ak.to_layout(particles).content.content("status").data)
    if len(particles) == 0 or not (status == -1).any():  # one pass over a flat column
        return Beams.unknown()
    incoming = particles[particles.status == -1]
    if not ak.all(ak.num(incoming, axis=1) == 2):
        return Beams.unknown()
    pid = ak.to_numpy(incoming.pid).astype(np.int64)
    energy = ak.to_numpy(incoming.E)
    pz = ak.to_numpy(incoming.pz)
    pt = ak.to_numpy(incoming.pt)
    beams = (11, 13, 22, 2212)
    if not (
        np.isin(np.abs(pid[0]), beams).all()
        and (pid == pid[0]).all()
        and np.allclose(energy, energy[0], rtol=1e-6)
        and (pt <= 1e-6 * energy).all()
        and pz[0, 0] * pz[0, 1] < 0
    ):
        return Beams.unknown()
    a, b = (0, 1) if pz[0, 0] > 0 else (1, 0)
    return Beams(
        ids=(int(pid[0, a]), int(pid[0, b])),
        energies=(float(energy[0, a]), float(energy[0, b])),
    )
