"""The events of one generator run, their provenance, and their conversions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hepsym.errors import GeneratorError

if TYPE_CHECKING:
    from hepsym.events import Events

__all__ = ("GeneratedSample",)


@dataclass(frozen=True, eq=False, repr=False)
class GeneratedSample:
    """Events from :func:`~hepsym.generate.generate`, as flat per-particle columns plus per-event counts.

    The particle record follows the LHE conventions: status -1 incoming, 2 intermediate,
    1 final state; ``mother1``/``mother2`` are 1-based positions within the event (0 for
    none). Hard-process samples hold, per event, the two incoming partons (leptons), the
    gamma*/Z and the two muons (``ee-ww``: the W+ and W- and their four decay products).
    With parton level switched on by ``settings``, they hold the two beams (incoming), the
    last copy of the gamma*/Z (or of each W) and every final-state particle, whose mothers
    then point at the beams.

    Attributes:
        process: registry name of the process.
        sqrt_s: centre-of-mass energy in GeV.
        beam_ids: PDG ids of beam A (+z) and beam B (-z).
        seed: Pythia random seed.
        mass_window: mass window of the pair made (mu+ mu-, W+ W-) in GeV, or ``None``.
        settings: every Pythia setting used, in order.
        record: ``"process"`` (hard process only) or ``"event"`` (full event).
        particles: flat columns ``pid, status, mother1, mother2, color1, color2, px, py,
            pz, E, mass`` (GeV).
        counts: particles per event.
        event_info: per-event columns ``weight, scale, aqed, aqcd, process_id``.
        cross_section_pb: Pythia's estimate of the generated cross-section in pb.
        cross_section_error_pb: its statistical uncertainty in pb.
        n_tried: phase-space points Pythia tried to accept the events.
        pythia_version: e.g. ``"8.317"``.
        seconds: wall time of the generation (not of the writing).
        path: the LHE file written, or ``None``.
    """

    process: str
    sqrt_s: float
    beam_ids: tuple[int, int]
    seed: int
    mass_window: tuple[float, float] | None
    settings: tuple[str, ...]
    record: str
    particles: dict[str, np.ndarray]
    counts: np.ndarray
    event_info: dict[str, np.ndarray]
    cross_section_pb: float
    cross_section_error_pb: float
    n_tried: int
    pythia_version: str
    seconds: float
    path: Path | None = field(default=None)

    def __len__(self) -> int:
        return len(self.counts)

    def __repr__(self) -> str:
        where = f", written to {self.path}" if self.path else ""
        return (
            f"<GeneratedSample {self.process}: {len(self)} events at sqrt(s) = {self.sqrt_s:g} "
            f"GeV, seed {self.seed}, sigma = {self.cross_section_pb:.6g} "
            f"+- {self.cross_section_error_pb:.2g} pb ({self.record} record){where}>"
        )

    @property
    def beam_energies(self) -> tuple[float, float]:
        """Energies of the two (symmetric) beams in GeV."""
        return (self.sqrt_s / 2.0, self.sqrt_s / 2.0)

    @property
    def weights(self) -> np.ndarray:
        """Per-event weights (1.0: Pythia's events are unweighted)."""
        return self.event_info["weight"]

    def momenta(self, pid: int, status: int = 1) -> np.ndarray:
        """Four-momenta (px, py, pz, E) of the one particle with ``pid`` and ``status`` per event.

        Returns:
            Array of shape (n_events, 4).

        Raises:
            GeneratorError: if some event has no such particle or more than one.
        """
        sel = (self.particles["pid"] == pid) & (self.particles["status"] == status)
        event_of = np.repeat(np.arange(len(self.counts)), self.counts)
        per_event = np.bincount(event_of[sel], minlength=len(self.counts))
        if not np.all(per_event == 1):
            msg = (
                f"{self.process}: particle {pid} with status {status} is not unique in every "
                f"event ({int(np.sum(per_event != 1))} events have 0 or more than one)"
            )
            raise GeneratorError(msg)
        p = self.particles
        return np.column_stack([p["px"][sel], p["py"][sel], p["pz"][sel], p["E"][sel]])

    def to_events(self) -> Events:
        """The sample as a hepsym :class:`~hepsym.events.Events` record (format ``"generated"``)."""
        from hepsym.events import Beams, Events, make_particles
        from hepsym.particles import pdg_charge

        p = self.particles
        fields = {
            "px": p["px"],
            "py": p["py"],
            "pz": p["pz"],
            "E": p["E"],
            "pid": p["pid"],
            "status": p["status"],
            "charge": pdg_charge(p["pid"]),
            "gen_mass": p["mass"],
            "mother1": p["mother1"],
            "mother2": p["mother2"],
        }
        return Events(
            particles=make_particles(fields, self.counts),
            weights=self.event_info["weight"].copy(),
            beams=Beams(ids=self.beam_ids, energies=self.beam_energies),
            source=str(self.path) if self.path else f"pythia8:{self.process}",
            format="generated",
            metadata=self.to_dict(),
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything but the arrays, as plain Python values."""
        return {
            "process": self.process,
            "n_events": len(self),
            "sqrt_s": self.sqrt_s,
            "beam_ids": list(self.beam_ids),
            "seed": self.seed,
            "mass_window": list(self.mass_window) if self.mass_window else None,
            "settings": list(self.settings),
            "record": self.record,
            "cross_section_pb": self.cross_section_pb,
            "cross_section_error_pb": self.cross_section_error_pb,
            "n_tried": self.n_tried,
            "generator": f"Pythia {self.pythia_version}",
            "seconds": self.seconds,
            "path": str(self.path) if self.path else None,
        }

    def write_lhe(self, path: str | Path) -> Path:
        """Write the sample as an LHE file (gzipped if the name ends in ``.gz``)."""
        from hepsym.io.lhe_write import LHEHeader, write_lhe

        settings = "; ".join(self.settings)
        header = LHEHeader(
            beam_ids=self.beam_ids,
            beam_energies=self.beam_energies,
            cross_section_pb=self.cross_section_pb,
            cross_section_error_pb=self.cross_section_error_pb,
            process_id=int(self.event_info["process_id"][0]),
            generator=("Pythia8", self.pythia_version, f"hepsym.generate {self.process}"),
            comment=(
                f"hepsym.generate: {self.process}, {len(self)} events, "
                f"sqrt(s) = {self.sqrt_s!r} GeV, seed = {self.seed}; Pythia "
                f"{self.pythia_version} settings: {settings}"
            ).replace("--", "- -"),
        )
        return write_lhe(
            path,
            header,
            particles=self.particles,
            counts=self.counts,
            event_info=self.event_info,
        )
