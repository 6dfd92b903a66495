"""What is known of the initial state: the beams' ids and energies.

Apart from :mod:`hepsym.events` (which re-exports it) so that the settings
(:mod:`hepsym.input_spec`) and the command line can name beams without loading awkward
and vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hepsym.particles import POINTLIKE_BEAMS, particle_name, pdg_mass

__all__ = ("Beams",)


@dataclass(frozen=True)
class Beams:
    """What is known of the initial state.

    Beam A travels along +z and beam B along -z, as in the LHE ``<init>`` block
    (IDBMUP, EBMUP). Either both ids and energies are known, or the initial state is
    unknown (typical for ROOT files unless the user gives it).

    Args:
        ids: PDG ids of beams A and B, or ``None`` if unknown.
        energies: beam energies in GeV, or ``None`` if unknown.
    """

    ids: tuple[int, int] | None = None
    energies: tuple[float, float] | None = None

    @classmethod
    def unknown(cls) -> Beams:
        """An initial state about which nothing is known."""
        return cls()

    @classmethod
    def symmetric(cls, sqrt_s: float, ids: tuple[int, int] = (11, -11)) -> Beams:
        """Head-on beams of equal energy sqrt(s)/2 (lepton beams by default)."""
        return cls(ids=(int(ids[0]), int(ids[1])), energies=(sqrt_s / 2.0, sqrt_s / 2.0))

    @property
    def known(self) -> bool:
        return self.energies is not None

    @property
    def pointlike(self) -> bool:
        """True when both beams are leptons or photons: the hard process gets all of sqrt(s)."""
        return self.ids is not None and all(i in POINTLIKE_BEAMS for i in self.ids)

    @property
    def hadronic(self) -> bool:
        """True when at least one beam is a hadron: only transverse momentum is known."""
        return self.ids is not None and not self.pointlike

    def _pz(self) -> tuple[float, float]:
        assert self.energies is not None
        out = []
        for pid, energy in zip(self.ids or (0, 0), self.energies, strict=True):
            mass = pdg_mass(pid) if pid else 0.0
            mass = 0.0 if math.isnan(mass) else mass
            out.append(math.sqrt(max(energy * energy - mass * mass, 0.0)))
        return out[0], out[1]

    @property
    def initial_p4(self) -> tuple[float, float, float, float] | None:
        """Total (E, px, py, pz) of the two beams in the laboratory frame, or ``None``."""
        if self.energies is None:
            return None
        pz_a, pz_b = self._pz()
        return (self.energies[0] + self.energies[1], 0.0, 0.0, pz_a - pz_b)

    @property
    def sqrt_s(self) -> float | None:
        """Centre-of-mass energy of the beams in GeV, or ``None`` if unknown."""
        p4 = self.initial_p4
        if p4 is None:
            return None
        e, _, _, pz = p4
        return math.sqrt(max(e * e - pz * pz, 0.0))

    def describe(self) -> str:
        """One line for humans, e.g. ``p p at sqrt(s) = 8000 GeV (4000 + 4000 GeV)``."""
        if not self.known:
            return (
                "unknown (give --sqrt-s GEV and --collider ee|pp, or sqrt_s=/collider= in "
                "Python, to test the constraints that need it)"
            )
        assert self.energies is not None
        names = [particle_name(i) for i in self.ids] if self.ids else ["?", "?"]
        return (
            f"{names[0]} {names[1]} at sqrt(s) = {self.sqrt_s:g} GeV "
            f"({self.energies[0]:g} + {self.energies[1]:g} GeV)"
        )
