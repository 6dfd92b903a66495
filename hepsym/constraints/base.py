"""What a constraint is, and how it reads the particles of a feature matrix.

A constraint is a function g(X) of the feature matrix X (events x features) that the
physics fixes to the same value in every event: g(x) = c, exactly or within a width.
Every g here is vectorised over events and reads only the columns of X, so that its
Jacobian with respect to the features can be taken numerically.

Some numbers a constraint needs differ from event to event but are no features: the mass
of each selected particle (a slot may hold e in one event and mu in the next) and the
incoming partons' energy and pz. They travel with the events as extra columns after the
features, in the *evaluation matrix* (:func:`evaluation_matrix`): rows of it can be
sampled, shuffled and perturbed like rows of X, and the Jacobian is taken only with
respect to the features.

The named constraints built on these (momentum and energy sums, on-shell masses,
resonances) are in :mod:`hepsym.constraints.builders`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hepsym.errors import ConstraintError
from hepsym.features import FeatureMatrix, ParticleInfo

__all__ = (
    "KINDS",
    "Constraint",
    "EventParameter",
    "ParticleKinematics",
    "as_float",
    "check_features",
    "evaluation_matrix",
    "event_parameters",
    "kinematics",
    "minkowski_square",
    "parameter_groups",
)

#: the kinds of constraint hepsym knows, in the order its tables list them
KINDS = (
    "momentum",
    "energy",
    "transverse-momentum",
    "on-shell",
    "resonance",
    "parton-balance",
    "constant-feature",
    "user",
)

Func = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class Constraint:
    """A candidate constraint g(x) = expected on every event.

    Attributes:
        name: short identifier, unique in one analysis (``sum_px``, ``m_Z``).
        formula: the condition in words a physicist can check.
        kind: one of :data:`KINDS`.
        func: g, from the feature matrix (events x features) to one value per event.
        expected: the value g should take; ``None`` means "some constant", taken as
            the median of g over the data.
        width: for an approximate constraint, its natural width in the units of g (the
            PDG width of a resonance); ``None`` for a constraint that should hold exactly.
        scale: the natural scale of g per event (a function of X) or a number, used for
            the relative tolerance of exact constraints; ``None`` uses the sum of the
            absolute values of its terms, or |g|.
        terms: the separate terms whose sum is g (a function of X returning terms x
            events), to compare the spread of g with the spread of its parts.
        features: the feature columns g reads (empty: possibly all).
        acts_on_features: ``False`` when g is known to be identically constant as a
            function of the features (e.g. on-shell with energy derived from |p|);
            ``None`` lets the Jacobian decide.
        sphere: features whose squares g sums: with an expected value R^2 > 0, g = R^2
            is a sphere.
        note: anything the table should say about this constraint.
        parameters: g (and its scale and terms) also reads the per-event parameter
            columns that follow the features in the evaluation matrix (particle masses,
            incoming partons); other constraints are given the features only.
        countable: ``False`` for a check that involves numbers that are no features (the
            incoming partons): it is reported, never counted in the rank.
    """

    name: str
    formula: str
    kind: str
    func: Func
    expected: float | None = None
    width: float | None = None
    scale: Func | float | None = None
    terms: Func | None = None
    features: tuple[str, ...] = ()
    acts_on_features: bool | None = None
    sphere: tuple[str, ...] = ()
    note: str = ""
    parameters: bool = False
    countable: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"constraint {self.name!r}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}"
            raise ConstraintError(msg)
        if self.width is not None and not self.width > 0:
            msg = f"constraint {self.name!r}: width must be positive, got {self.width}"
            raise ConstraintError(msg)

    def view(self, X: np.ndarray, n_features: int) -> np.ndarray:
        """The columns of an evaluation matrix (features, then parameters) that g reads."""
        if self.parameters or X.shape[1] == n_features:
            return X
        return X[:, :n_features]

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """g on every row of X, as a float64 array of one value per event."""
        with np.errstate(all="ignore"):
            g = np.asarray(self.func(X), dtype=np.float64)
        if g.ndim == 0:
            g = np.full(len(X), float(g))
        if g.shape != (len(X),):
            msg = (
                f"constraint {self.name!r} returned shape {g.shape} for {len(X)} events; "
                "it must return one value per event"
            )
            raise ConstraintError(msg)
        return g

    def natural_scale(self, X: np.ndarray, g: np.ndarray, expected: float) -> np.ndarray:
        """The scale of g per event, against which 'exact' is judged."""
        if callable(self.scale):
            with np.errstate(all="ignore"):
                s = np.broadcast_to(np.asarray(self.scale(X), dtype=np.float64), g.shape)
        elif self.scale is not None:
            s = np.full(g.shape, abs(float(self.scale)))
        elif self.terms is not None:
            with np.errstate(all="ignore"):
                s = np.abs(np.asarray(self.terms(X), dtype=np.float64)).sum(axis=0)
        else:
            s = np.maximum(np.abs(g), abs(expected))
        return np.abs(s)


#: the feature kinds that carry particle momenta
KINEMATIC_KINDS = ("p3", "p4", "ptetaphim")


@dataclass(frozen=True, eq=False)
class EventParameter:
    """A number per event that a constraint reads but that is no feature.

    Attributes:
        name: what it is (``m_mu_minus``, ``E_partons``).
        column: its column in the evaluation matrix (after the features).
        values: its value in every event of the feature matrix.
    """

    name: str
    column: int
    values: np.ndarray

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """Its value per row of X: an evaluation matrix, or the feature matrix's own X."""
        if X.shape[1] > self.column:
            return X[:, self.column]
        if len(X) == len(self.values):
            return self.values
        msg = (
            f"{self.name} differs between events and {len(X)} rows without it are not the "
            f"{len(self.values)} events of the features: evaluate on "
            "hepsym.constraints.base.evaluation_matrix(fm) (or its rows)"
        )
        raise ConstraintError(msg)


def event_parameters(fm: FeatureMatrix) -> list[EventParameter]:
    """The per-event parameters of a feature matrix, in evaluation-matrix column order."""
    if fm.kind not in KINEMATIC_KINDS or not fm.particles:
        return []
    n, nf = fm.n_events, fm.n_features
    out = [
        EventParameter(f"m_{p.label}", nf + i, p.event_masses(n))
        for i, p in enumerate(fm.particles)
    ]
    if fm.partons is not None:
        base = nf + len(out)
        out.append(EventParameter("E_partons", base, fm.partons[:, 0]))
        out.append(EventParameter("pz_partons", base + 1, fm.partons[:, 3]))
    return out


def evaluation_matrix(fm: FeatureMatrix) -> np.ndarray:
    """The features, followed by the per-event parameters the kinematic constraints read.

    Columns: the n features, then the mass of every selected particle (one column each, in
    slot order), then the incoming partons' E and pz where they are known. For features
    without particles it is ``fm.X`` itself.
    """
    params = event_parameters(fm)
    if not params:
        return fm.X
    return np.column_stack([fm.X, *(p.values for p in params)])


def parameter_groups(fm: FeatureMatrix) -> tuple[list[int], list[list[int]]]:
    """Evaluation-matrix columns that travel with the events when they are shuffled.

    Returns:
        the mass column of each selected particle (to travel with that particle), and the
        groups of the other parameter columns (the partons, together).
    """
    params = event_parameters(fm)
    n_particles = len(fm.particles) if params else 0
    masses = [p.column for p in params[:n_particles]]
    rest = [p.column for p in params[n_particles:]]
    return masses, ([rest] if rest else [])


@dataclass(frozen=True, eq=False)
class ParticleKinematics:
    """Where one particle's momentum sits in a feature matrix, and its mass.

    Attributes:
        label: the particle's label (``mu_minus``).
        kind: the feature kind, ``p3``, ``p4`` or ``ptetaphim``.
        index: column index of each component present (``px`` -> 3).
        mass: the representative mass (GeV): the species' mass where the slot holds one.
        pdg_mass: the PDG mass (``nan`` if unknown).
        pids: the PDG ids seen for this particle.
        event_mass: the particle's own mass per event (``None``: ``mass`` in every event).
        species: (PDG id, mass) of every species seen in this slot.
        mass_source: where the masses come from, in words.
        notes: what the file's masses say beyond that.
    """

    label: str
    kind: str
    index: dict[str, int]
    mass: float
    pdg_mass: float
    pids: tuple[int, ...]
    event_mass: EventParameter | None = None
    species: tuple[tuple[int, float], ...] = ()
    mass_source: str = ""
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[int, ...]:
        return tuple(self.index.values())

    @property
    def mixed(self) -> bool:
        """Whether the particle's mass differs between events (several species)."""
        if self.event_mass is None or len(self.event_mass.values) == 0:
            return False
        m = self.event_mass.values
        return bool(m.max() != m.min())

    def m(self, X: np.ndarray) -> np.ndarray | float:
        """The particle's own mass per row of X (GeV), or one number where all agree."""
        if self.event_mass is not None and self.mixed:
            return self.event_mass(X)
        return self.mass

    def p4(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(E, px, py, pz) per event, in GeV, from the features.

        For ``p3`` the energy is derived, E = sqrt(|p|^2 + m^2) with the particle's own
        mass; for ``ptetaphim``, px = pT cos(phi), py = pT sin(phi), pz = pT sinh(eta)
        and E = sqrt(pT^2 cosh^2(eta) + m^2) with m the feature.
        """
        i = self.index
        if self.kind == "ptetaphim":
            pt, eta, phi, m = X[:, i["pt"]], X[:, i["eta"]], X[:, i["phi"]], X[:, i["m"]]
            px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
            p = pt * np.cosh(eta)
            return np.sqrt(p * p + m * m), px, py, pz
        px, py, pz = X[:, i["px"]], X[:, i["py"]], X[:, i["pz"]]
        if self.kind == "p4":
            return X[:, i["E"]], px, py, pz
        mass = self.m(X)
        return np.sqrt(px * px + py * py + pz * pz + mass * mass), px, py, pz

    def mass_squared(self, X: np.ndarray) -> np.ndarray:
        """E^2 - |p|^2 per event, computed without cancellation.

        With measured energies (``p4``) it is (E - |p|)(E + |p|), which keeps the relative
        precision that E^2 - |p|^2 loses for light particles at high energy. Where E is
        derived from a mass (``p3``: the particle's; ``ptetaphim``: the m feature) the
        difference is m^2 by construction, and is returned as such rather than as the
        rounding noise of a subtraction.
        """
        if self.kind == "p4":
            return minkowski_square(*self.p4(X))
        if self.kind == "ptetaphim":
            m = X[:, self.index["m"]]
            return m * m
        mass = np.asarray(self.m(X), dtype=np.float64)
        return np.broadcast_to(mass * mass, (len(X),)).copy()


def kinematics(fm: FeatureMatrix) -> tuple[ParticleKinematics, ...]:
    """The momentum layout of every selected particle of a kinematic feature matrix."""
    if fm.kind not in KINEMATIC_KINDS:
        return ()
    params = event_parameters(fm)
    out = []
    for i, info in enumerate(fm.particles):
        index = {comp: fm.names.index(col) for comp, col in info.columns.items()}
        species = tuple(info.species_masses().items()) if info.masses is not None else ()
        out.append(
            ParticleKinematics(
                info.label,
                fm.kind,
                index,
                _usable_mass(info),
                info.pdg_mass,
                info.pids,
                event_mass=params[i] if info.masses is not None else None,
                species=species,
                mass_source=info.mass_source,
                notes=info.mass_notes,
            )
        )
    return tuple(out)


def _usable_mass(info: ParticleInfo) -> float:
    if math.isfinite(info.mass):
        return float(info.mass)
    return float(info.pdg_mass) if math.isfinite(info.pdg_mass) else 0.0


def minkowski_square(E: np.ndarray, px: np.ndarray, py: np.ndarray, pz: np.ndarray) -> np.ndarray:
    """E^2 - |p|^2 per event."""
    # (E - |p|)(E + |p|) keeps the relative precision that E^2 - |p|^2 loses for light
    # particles at high energy (the two squares cancel to many digits).
    p = np.sqrt(px * px + py * py + pz * pz)
    return (E - p) * (E + p)


def check_features(constraint: Constraint, names: Sequence[str]) -> None:
    """Raise :class:`ConstraintError` if ``constraint`` reads a feature not in ``names``."""
    missing = [f for f in constraint.features if f not in names]
    if missing:
        msg = (
            f"constraint {constraint.name!r} uses feature(s) {', '.join(map(repr, missing))} "
            f"that do not exist; features are {', '.join(names)}"
        )
        raise ConstraintError(msg)


def as_float(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as err:
        msg = f"{what} must be a number, got {value!r}"
        raise ConstraintError(msg) from err
