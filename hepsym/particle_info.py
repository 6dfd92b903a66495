"""What the later stages know of one selected particle: its species and mass per event.

A slot may hold different species in different events (``l`` is e or mu, ``j`` any quark
or the gluon), so each particle keeps its own mass: the file's, where it writes one, else
the PDG mass of its id.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from hepsym.particles import particle_name, pdg_mass, pdg_masses

__all__ = ("MASS_VARIATION_RTOL", "ParticleInfo", "particle_info")


@dataclass(frozen=True)
class ParticleInfo:
    """What the later stages need to know of one selected particle.

    A slot may hold different species in different events (``l`` is e or mu, ``j`` any
    quark or the gluon), so the mass is kept per event: every on-shell and energy term
    uses each particle's own mass.

    Attributes:
        label: programmatic label (``mu_minus``).
        latex: plot label (``\\mu^{-}``).
        pids: the PDG ids seen in this slot (usually one).
        mass: a representative mass in GeV, for printing: the species' mass when the slot
            holds one species (or one mass), else the median over events of ``masses``.
        pdg_mass: the PDG mass of the (first) id, ``nan`` when unknown or mixed.
        columns: feature name of each component, e.g. ``{"px": "px_mu_minus", ...}``.
        masses: per event, the mass of the particle in this slot, in GeV (shape
            ``(n_events,)``): its species' mass in the file (the LHE mass column, a ROOT
            collection's mass branch), else the PDG mass of its id (0 when unknown).
            ``None`` means ``mass`` in every event.
        event_pids: per event, the PDG id of the particle in this slot (``None``: unknown).
        mass_source: where the masses come from, in words (``"the file's mass column"``,
            ``"the PDG mass of each id"``).
        mass_notes: what the masses' origin says beyond that (a file mass that varies
            between events of one species).
    """

    label: str
    latex: str
    pids: tuple[int, ...]
    mass: float
    pdg_mass: float
    columns: dict[str, str]
    masses: np.ndarray | None = field(default=None, compare=False, repr=False)
    event_pids: np.ndarray | None = field(default=None, compare=False, repr=False)
    mass_source: str = ""
    mass_notes: tuple[str, ...] = ()

    def event_masses(self, n_events: int) -> np.ndarray:
        """The per-event masses, or ``mass`` repeated for ``n_events`` events."""
        if self.masses is not None:
            return np.asarray(self.masses, dtype=np.float64)
        return np.full(n_events, float(self.mass))

    @property
    def mixed(self) -> bool:
        """Whether the particles of this slot differ in mass between events."""
        if self.masses is None or len(self.masses) == 0:
            return False
        m = np.asarray(self.masses)
        return bool(m.max() != m.min())

    def species_masses(self) -> dict[int, float]:
        """The mass used for each PDG id of this slot, in GeV (by |id|, particle first)."""
        if self.masses is None or self.event_pids is None or len(self.masses) == 0:
            return {p: float(self.mass) for p in self.pids}
        ids, first = np.unique(np.asarray(self.event_pids), return_index=True)
        m = np.asarray(self.masses)
        found = {int(i): float(m[j]) for i, j in zip(ids, first, strict=True)}
        return {p: found[p] for p in sorted(found, key=lambda p: (abs(p), p < 0))}

    def join(self, others: Sequence[ParticleInfo]) -> ParticleInfo:
        """The same slot over this part's events and then those of ``others``."""
        parts = (self, *others)
        if any(p.masses is None or p.event_pids is None for p in parts):
            return self
        return self._on(
            np.concatenate([np.asarray(p.masses) for p in parts]),
            np.concatenate([np.asarray(p.event_pids) for p in parts]),
            mass_notes=tuple(dict.fromkeys(n for p in parts for n in p.mass_notes)),
        )

    def take(self, rows: Any) -> ParticleInfo:
        """The same particle on a subset of the events (indices, a boolean mask or a slice).

        The ids, the representative mass and the PDG mass are those of the events kept.
        """
        if self.masses is None or self.event_pids is None:
            return self
        return self._on(np.asarray(self.masses)[rows], np.asarray(self.event_pids)[rows])

    def _on(self, masses: np.ndarray, event_pids: np.ndarray, **fields: Any) -> ParticleInfo:
        """The same slot on other events: their masses and ids, and what follows from them."""
        pids = tuple(int(p) for p in np.unique(event_pids)) if len(event_pids) else self.pids
        return dataclasses.replace(
            self,
            pids=pids,
            mass=_representative(masses) if len(masses) else self.mass,
            pdg_mass=_slot_pdg_mass(pids),
            masses=masses,
            event_pids=event_pids,
            **fields,
        )


#: fields under which a ``vector`` record stores its mass (a ROOT collection's mass branch)
_MASS_FIELDS = ("mass", "m", "M", "tau")

#: a file mass that varies between events of one species by more than this fraction of
#: the species' mass (or 1 MeV) is no species property (e.g. reconstructed jet masses)
MASS_VARIATION_RTOL = 1e-3


def _file_masses(part: ak.Array) -> tuple[np.ndarray | None, str]:
    """The masses the file writes for these particles (``None`` if it writes none)."""
    fields = ak.fields(part)
    if "gen_mass" in fields:
        return np.asarray(ak.to_numpy(part.gen_mass), dtype=np.float64), "the file's mass column"
    if any(f in fields for f in _MASS_FIELDS):
        return np.abs(np.asarray(ak.to_numpy(part.mass), dtype=np.float64)), (
            "the file's mass branch"
        )
    return None, ""


def _slot_masses(part: ak.Array, label: str) -> tuple[np.ndarray, np.ndarray, str, list[str]]:
    """Per event: the PDG id and the mass of the particle in one slot, their origin, notes.

    Each particle gets its species' mass: the file's (median over that species' events,
    where the file writes masses), else the PDG mass of its id (0 for gluons and
    reconstructed jets). A charged particle of unknown species (a collection without a
    PDG id branch or a mass branch) gets its measured mass, the median of
    sqrt(E^2 - p^2) over the events: what the file's numbers say it is.
    """
    pid = np.asarray(ak.to_numpy(part.pid)).astype(np.int64)
    file, source = _file_masses(part)
    pdg = np.nan_to_num(pdg_masses(pid), nan=0.0)
    masses = np.empty(len(pid), dtype=np.float64)
    notes: list[str] = []
    used_file = used_pdg = used_measured = False
    unknown_charged = _unknown_charged(part, pid)
    for u in np.unique(pid):
        sel = pid == u
        values = file[sel] if file is not None else np.empty(0)
        values = values[np.isfinite(values)]
        if not len(values) and unknown_charged is not None and u == 0:
            measured = unknown_charged[sel]
            m = float(np.median(measured))
            used_measured = True
            spread = float(np.nanmax(measured) - np.nanmin(measured))
            if spread > MASS_VARIATION_RTOL * max(m, 1e-3):
                notes.append(
                    f"the measured mass of the particles of unknown species in {label} varies "
                    f"between events ({np.nanmin(measured):.4g} to {np.nanmax(measured):.4g} "
                    f"GeV): no species mass, its median {m:.4g} GeV is used"
                )
        elif len(values):
            m = float(np.median(values))
            used_file = True
            spread = float(values.max() - values.min())
            if spread > MASS_VARIATION_RTOL * max(m, 1e-3):
                notes.append(
                    f"the file's mass of {particle_name(int(u))} in {label} varies between "
                    f"events ({values.min():.4g} to {values.max():.4g} GeV): no species mass, "
                    f"its median {m:.4g} GeV is used"
                )
        else:
            m = float(pdg[sel][0])
            used_pdg = True
        masses[sel] = m
    origin = " and ".join(
        w
        for w, used in (
            (source, used_file),
            ("the PDG mass of each id", used_pdg),
            ("the measured mass sqrt(E^2 - p^2) of unknown species", used_measured),
        )
        if used
    )
    return pid, masses, origin, notes


def _unknown_charged(part: ak.Array, pid: np.ndarray) -> np.ndarray | None:
    """Per particle, sqrt(E^2 - p^2) where the species is unknown (id 0) but the charge is
    known and not 0 (reconstructed jets have none); ``None`` if there is no such particle."""
    if "charge" not in ak.fields(part) or not (pid == 0).any():
        return None
    charge = np.asarray(ak.to_numpy(part.charge), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        charged = np.isfinite(charge) & (charge != 0)
    if not charged[pid == 0].all():
        return None
    return np.asarray(ak.to_numpy(part.mass), dtype=np.float64)


def _representative(masses: np.ndarray) -> float:
    if not len(masses):
        return math.nan
    return float(np.median(masses))


def _slot_pdg_mass(pids: tuple[int, ...]) -> float:
    """The PDG mass of a slot's ids: that of the first, ``nan`` for several species."""
    if pids and (len(pids) == 1 or len({abs(p) for p in pids}) == 1):
        return pdg_mass(pids[0])
    return math.nan


def particle_info(part: ak.Array, label: str, latex: str, columns: dict[str, str]) -> ParticleInfo:
    """The :class:`ParticleInfo` of one slot's particles (one per event)."""
    pids = tuple(int(p) for p in np.unique(ak.to_numpy(part.pid)))
    event_pids, masses, source, notes = _slot_masses(part, label)
    return ParticleInfo(
        label,
        latex,
        pids,
        _representative(masses),
        _slot_pdg_mass(pids),
        columns,
        masses=masses,
        event_pids=event_pids,
        mass_source=source,
        mass_notes=tuple(notes),
    )
