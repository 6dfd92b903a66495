"""The particles of HepMC events as pyhepmc gives them, joined into columns once.

Part of :mod:`hepsym.io.hepmc`: each event's particle arrays (``GenEvent.numpy``) are
kept as they come and joined, converted to GeV, filtered by status and given charges
once at the end; the beams are the two status-4 particles when every event has the
same two.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hepsym.errors import HepsymWarning
from hepsym.events import Beams
from hepsym.particles import pdg_charge

__all__ = ("BEAM_STATUS", "FINAL_STATUS", "EventColumns", "beams_of", "run_info")

#: HepMC status of a final-state particle and of a beam particle.
FINAL_STATUS = 1
BEAM_STATUS = 4
_MEV = 1e-3
#: relative agreement asked of the beams of different events
_BEAM_RTOL = 1e-9


class EventColumns:
    """Per-event arrays from the reader, joined once at the end."""

    # pyhepmc's generated_mass is the momentum's mass where the file sets none
    _NAMES = ("pid", "status", "px", "py", "pz", "e", "generated_mass")
    _get = operator.attrgetter(*_NAMES)

    def __init__(self) -> None:
        self.rows: list[tuple[np.ndarray, ...]] = []
        self.weights: list[float] = []
        self.scale: list[float] = []
        self.cross_section_pb: float | None = None
        self._flat: dict[str, np.ndarray] | None = None

    @property
    def n_events(self) -> int:
        return len(self.rows)

    def add(self, event: Any, mev: Any) -> None:
        self.rows.append(self._get(event.numpy.particles))
        w = event.weights
        self.weights.append(w[0] if w else 1.0)
        # the enum's value: comparing the enums costs 4 us, a fifth of the event's work
        self.scale.append(_MEV if event.momentum_unit.value == mev else 1.0)

    @property
    def counts(self) -> np.ndarray:
        return np.fromiter((len(r[0]) for r in self.rows), dtype=np.int64, count=len(self.rows))

    @property
    def flat(self) -> dict[str, np.ndarray]:
        """Every column over all events (before the status filter)."""
        if self._flat is None:
            self._flat = {
                name: np.concatenate([r[k] for r in self.rows])
                for k, name in enumerate(self._NAMES)
            }
        return self._flat

    def note_cross_section(self, event: Any) -> None:
        cs = event.cross_section
        if cs is not None and cs.is_valid:
            self.cross_section_pb = float(cs.xsec())

    def particles(
        self, statuses: Sequence[int] | None
    ) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
        flat = self.flat
        counts = self.counts
        n_in_file = int(counts.sum())
        scale = np.repeat(np.asarray(self.scale), counts)
        status = flat["status"].astype(np.int64)
        if statuses is not None:
            keep = np.isin(status, np.asarray(list(statuses), dtype=np.int64))
            event_of = np.repeat(np.arange(len(counts)), counts)
            counts = np.bincount(event_of[keep], minlength=len(counts)).astype(np.int64)
            flat = {k: v[keep] for k, v in flat.items()}
            scale, status = scale[keep], status[keep]
        px, py, pz, energy = (flat[k].astype(np.float64) * scale for k in ("px", "py", "pz", "e"))
        gen_mass = flat["generated_mass"] * scale
        pid = flat["pid"].astype(np.int64)
        fields = {
            "px": px,
            "py": py,
            "pz": pz,
            "E": energy,
            "pid": pid,
            "status": status,
            "charge": pdg_charge(pid),
            "gen_mass": gen_mass.astype(np.float64),
        }
        return fields, counts, n_in_file


def run_info(event: Any) -> dict[str, Any]:
    """The generators and weight names of the run an event belongs to."""
    info = event.run_info
    if info is None:
        return {"generators": [], "weight_names": []}
    return {
        "generators": [{"name": t.name, "version": t.version or None} for t in info.tools],
        "weight_names": [str(n) for n in info.weight_names],
    }


def beams_of(columns: EventColumns, path: Path) -> Beams:
    """The two status-4 particles, the same in every event (within ``_BEAM_RTOL``)."""
    flat = columns.flat
    counts = columns.counts
    is_beam = flat["status"] == BEAM_STATUS
    event_of = np.repeat(np.arange(len(counts)), counts)
    per_event = np.bincount(event_of[is_beam], minlength=len(counts))
    if not np.all(per_event == 2):
        return Beams.unknown()
    scale = np.repeat(np.asarray(columns.scale), counts)[is_beam]
    pid = flat["pid"][is_beam].reshape(-1, 2)
    energy = (flat["e"][is_beam] * scale).reshape(-1, 2)
    pz = (flat["pz"][is_beam] * scale).reshape(-1, 2)
    # beam A along +z
    swap = pz[:, 0] < pz[:, 1]
    pid[swap] = pid[swap][:, ::-1]
    energy[swap] = energy[swap][:, ::-1]
    same = np.all(pid == pid[0]) and np.allclose(energy, energy[0], rtol=_BEAM_RTOL, atol=0)
    if not same or not np.all(np.isfinite(energy[0])):
        k = int(np.argmax(np.any(pid != pid[0], axis=1) | np.any(energy != energy[0], axis=1)))
        warnings.warn(
            f"{path}: the beams differ between events (event 0: {pid[0].tolist()} at "
            f"{energy[0].tolist()} GeV, event {k}: {pid[k].tolist()} at {energy[k].tolist()} "
            "GeV); the initial state is taken as unknown",
            HepsymWarning,
            stacklevel=3,
        )
        return Beams.unknown()
    e_a, e_b = (float(x) for x in energy[0])
    if not (math.isfinite(e_a) and math.isfinite(e_b)):
        return Beams.unknown()
    return Beams(ids=(int(pid[0, 0]), int(pid[0, 1])), energies=(e_a, e_b))
