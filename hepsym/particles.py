"""Particle data in one place: PDG id sets, and masses, widths, charges and names.

Every lookup goes to the ``particle`` package (imported on first use) once per distinct
id or token, then comes from a cache. None of them raises for an unknown or invalid id
(``0``, ``999999999``, an id that fails ``particle``'s PDGID validation, text that is no
integer): the mass, width or charge is ``nan``, the name is the id as text, and a token
lookup gives ``None``. Callers that must refuse an unknown particle (a selection token, a
resonance name) raise their own error.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = (
    "CHARGED_LEPTONS",
    "JETS",
    "NEUTRINOS",
    "POINTLIKE_BEAMS",
    "SIGNED_NEUTRINOS",
    "ParticleToken",
    "lookup",
    "particle_name",
    "pdg_charge",
    "pdg_mass",
    "pdg_masses",
    "pdg_width",
)

#: |PDG id| of the charged leptons e, mu, tau (the particle, of charge -1, has the
#: positive id: 13 is mu-).
CHARGED_LEPTONS = frozenset({11, 13, 15})

#: |PDG id| of the neutrinos nu_e, nu_mu, nu_tau (each is its charged lepton's id + 1).
NEUTRINOS = frozenset({12, 14, 16})

#: PDG ids of the neutrinos and the antineutrinos.
SIGNED_NEUTRINOS = frozenset({12, -12, 14, -14, 16, -16})

#: PDG ids that fill a jet: the quarks d, u, s, c, b and their antiquarks, the gluon (21),
#: and 0, the id given to a reconstructed jet.
JETS = frozenset({0, 1, 2, 3, 4, 5, -1, -2, -3, -4, -5, 21})

#: PDG ids of beams whose whole energy enters the hard process (no parton distribution).
POINTLIKE_BEAMS = frozenset({11, -11, 13, -13, 22})

_INTEGER = re.compile(r"[+-]?\d+")


class ParticleToken(NamedTuple):
    """A particle found from what a user wrote (``"mu-"``, ``"gamma"``, ``"-13"``).

    Attributes:
        pdgid: its PDG id.
        name: the ``particle`` package's name (``"mu-"``).
        programmatic_name: a name usable as an identifier (``"mu_minus"``).
        latex_name: label for plots (``r"\\mu^{-}"``).
    """

    pdgid: int
    name: str
    programmatic_name: str
    latex_name: str


class _Record(NamedTuple):
    name: str
    mass: float  # GeV, nan if unknown
    width: float  # GeV, nan if unknown
    charge: float  # units of e, nan if unknown


def _lookup_errors() -> tuple[type[Exception], ...]:
    """What ``particle`` raises for a name or id it does not know or cannot validate."""
    from particle.particle.particle import InvalidParticle, ParticleNotFound

    return (ParticleNotFound, InvalidParticle, ValueError, TypeError, OverflowError)


def _gev(mev: float | None) -> float:
    return math.nan if mev is None else mev / 1000.0


@functools.lru_cache(maxsize=4096)
def _record(pid: int) -> _Record | None:
    from particle import Particle

    try:
        p = Particle.from_pdgid(pid)
        charge = p.charge
        return _Record(
            p.name, _gev(p.mass), _gev(p.width), math.nan if charge is None else float(charge)
        )
    except _lookup_errors():
        return None


def _find(pid: Any) -> _Record | None:
    try:
        key = int(pid)
    except (TypeError, ValueError, OverflowError):
        return None
    return _record(key)


def pdg_mass(pid: int) -> float:
    """PDG mass of a particle in GeV (``nan`` if the id is unknown to ``particle``)."""
    record = _find(pid)
    return math.nan if record is None else record.mass


def pdg_masses(pids: np.ndarray) -> np.ndarray:
    """PDG mass in GeV for an array of PDG ids, ``nan`` where unknown.

    Looks each distinct id up once, so it costs the number of species, not the number
    of particles.
    """
    return _per_species(pids, pdg_mass)


def pdg_width(pid: int) -> float:
    """PDG total width of a particle in GeV (``nan`` if unknown, or not in the table)."""
    record = _find(pid)
    return math.nan if record is None else record.width


def pdg_charge(pids: np.ndarray) -> np.ndarray:
    """Electric charge (units of e) for an array of PDG ids, ``nan`` where unknown.

    Looks each distinct id up once, so it costs the number of species, not the number
    of particles.
    """
    return _per_species(pids, _charge)


def _charge(pid: int) -> float:
    record = _find(pid)
    return math.nan if record is None else record.charge


def _per_species(pids: np.ndarray, lookup: Callable[[int], float]) -> np.ndarray:
    """``lookup`` of every id of ``pids``, called once per distinct id.

    Integer ids within ``_SPAN`` of each other (a hard process, a final state of
    leptons and light hadrons) are found by counting and read back from a table:
    one pass, where sorting 8x10^6 ids for ``numpy.unique`` took 0.3 s per call.
    """
    pids = np.asarray(pids)
    if pids.dtype.kind in "iu" and pids.size:
        lo, hi = int(pids.min()), int(pids.max())
        if hi - lo < _SPAN:
            shifted = np.subtract(pids, lo, dtype=np.intp)  # no overflow in int16
            table = np.full(hi - lo + 1, np.nan)
            for at in np.flatnonzero(np.bincount(shifted.ravel(), minlength=hi - lo + 1)):
                table[at] = lookup(int(at) + lo)
            return table[shifted]
    unique, inverse = np.unique(pids, return_inverse=True)
    values = np.array([lookup(pid) for pid in unique], dtype=np.float64)
    return values[inverse].reshape(pids.shape)


#: the widest range of ids looked up through a table (a few MB at most)
_SPAN = 1 << 16


def particle_name(pid: int) -> str:
    """The ``particle`` package's name of a PDG id (``mu-``), or the id as text if unknown."""
    record = _find(pid)
    return str(pid) if record is None else record.name


#: PDG ids whose names users type most (leptons, neutrinos, quarks, bosons, light
#: hadrons): their names are found through the id table, without ``from_name``'s scan of
#: every particle (0.4 s per distinct name)
_COMMON_IDS = (
    *(s * i for i in (1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 24, 211, 321, 2212, 2112)
      for s in (1, -1)),
    21, 22, 23, 25, 111, 130, 310, 221,
)  # fmt: skip


@functools.lru_cache(maxsize=1)
def _common_names() -> dict[str, int]:
    from particle import Particle

    names = {}
    for pid in _COMMON_IDS:
        try:
            names[Particle.from_pdgid(pid).name] = pid
        except _lookup_errors():
            continue
    return names


@functools.lru_cache(maxsize=1024)
def _token(token: str, ids: bool) -> ParticleToken | None:
    from particle import Particle

    try:
        if ids and _INTEGER.fullmatch(token):
            p = Particle.from_pdgid(int(token))
        elif token in _common_names():
            p = Particle.from_pdgid(_common_names()[token])
        else:
            p = Particle.from_name(token)
        return ParticleToken(int(p.pdgid), p.name, p.programmatic_name, p.latex_name)
    except _lookup_errors():
        return None


def lookup(token: str, *, ids: bool = True) -> ParticleToken | None:
    """The particle a user token names, or ``None`` if ``particle`` knows none.

    Args:
        token: a ``particle`` name (``"mu-"``, ``"e+"``, ``"gamma"``, ``"Z0"``) or, when
            ``ids`` is true, a PDG id written as an integer (``"13"``, ``"-13"``).
        ids: read integer tokens as PDG ids; when false every token is a name.
    """
    return _token(str(token), bool(ids))
