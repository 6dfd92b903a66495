"""What a constraint is, and the kinematic building blocks that act on a feature matrix.

A constraint is a function g(X) of the feature matrix X (events x features) that the
physics fixes to the same value in every event: g(x) = c, exactly or within a width.
Every g here is vectorised over events and reads only the columns of X, so that its
Jacobian with respect to the features can be taken numerically.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hepsym.errors import ConstraintError
from hepsym.features import FeatureMatrix, ParticleInfo

__all__ = (
    "KINDS",
    "Constraint",
    "ParticleKinematics",
    "constant_feature",
    "energy_sum",
    "invariant_mass",
    "kinematics",
    "momentum_sum",
    "on_shell",
)

#: the kinds of constraint hepsym knows, in the order its tables list them
KINDS = (
    "momentum",
    "energy",
    "transverse-momentum",
    "on-shell",
    "resonance",
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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"constraint {self.name!r}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}"
            raise ConstraintError(msg)
        if self.width is not None and not self.width > 0:
            msg = f"constraint {self.name!r}: width must be positive, got {self.width}"
            raise ConstraintError(msg)

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


@dataclass(frozen=True)
class ParticleKinematics:
    """Where one particle's momentum sits in a feature matrix, and its mass.

    Attributes:
        label: the particle's label (``mu_minus``).
        kind: the feature kind, ``p3``, ``p4`` or ``ptetaphim``.
        index: column index of each component present (``px`` -> 3).
        mass: the mass used where the features lack the energy (GeV): the file's.
        pdg_mass: the PDG mass (``nan`` if unknown).
        pids: the PDG ids seen for this particle.
    """

    label: str
    kind: str
    index: dict[str, int]
    mass: float
    pdg_mass: float
    pids: tuple[int, ...]

    @property
    def columns(self) -> tuple[int, ...]:
        return tuple(self.index.values())

    def p4(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(E, px, py, pz) per event, in GeV, from the features.

        For ``p3`` the energy is derived, E = sqrt(|p|^2 + m^2) with the particle's mass;
        for ``ptetaphim``, px = pT cos(phi), py = pT sin(phi), pz = pT sinh(eta) and
        E = sqrt(pT^2 cosh^2(eta) + m^2) with m the feature.
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
        return np.sqrt(px * px + py * py + pz * pz + self.mass**2), px, py, pz

    def mass_squared(self, X: np.ndarray) -> np.ndarray:
        """E^2 - |p|^2 per event, computed without cancellation.

        With measured energies (``p4``) it is (E - |p|)(E + |p|), which keeps the relative
        precision that E^2 - |p|^2 loses for light particles at high energy. Where E is
        derived from a mass (``p3``: the particle's; ``ptetaphim``: the m feature) the
        difference is m^2 by construction, and is returned as such rather than as the
        rounding noise of a subtraction.
        """
        if self.kind == "p4":
            return _mass_squared(*self.p4(X))
        if self.kind == "ptetaphim":
            m = X[:, self.index["m"]]
            return m * m
        return np.full(len(X), self.mass**2)


def kinematics(fm: FeatureMatrix) -> tuple[ParticleKinematics, ...]:
    """The momentum layout of every selected particle of a kinematic feature matrix."""
    if fm.kind not in ("p3", "p4", "ptetaphim"):
        return ()
    out = []
    for info in fm.particles:
        index = {comp: fm.names.index(col) for comp, col in info.columns.items()}
        out.append(
            ParticleKinematics(
                info.label, fm.kind, index, _usable_mass(info), info.pdg_mass, info.pids
            )
        )
    return tuple(out)


def _usable_mass(info: ParticleInfo) -> float:
    if math.isfinite(info.mass):
        return float(info.mass)
    return float(info.pdg_mass) if math.isfinite(info.pdg_mass) else 0.0


def _feature_names(fm: FeatureMatrix, kins: Sequence[ParticleKinematics]) -> tuple[str, ...]:
    return tuple(fm.names[j] for k in kins for j in k.columns)


def _add(arrays: Iterable[np.ndarray]) -> np.ndarray:
    """The sum of per-event arrays, in order (as ``sum`` adds them, without its 0 start)."""
    return functools.reduce(operator.add, arrays)


def _energy_scale(kins: Sequence[ParticleKinematics]) -> Func:
    return lambda X: _add(k.p4(X)[0] for k in kins)


_AXES = {"px": 1, "py": 2, "pz": 3}


def momentum_sum(
    fm: FeatureMatrix,
    kins: Sequence[ParticleKinematics],
    axis: str,
    expected: float,
    *,
    transverse: bool = False,
    note: str = "",
) -> Constraint:
    """Total momentum along ``axis`` (px, py or pz) of the particles equals ``expected``."""
    a = _AXES[axis]
    labels = " + ".join(f"{axis}({k.label})" for k in kins)
    return Constraint(
        name=f"sum_{axis}",
        formula=f"{labels} = initial {axis}"
        + (" (transverse momentum conservation)" if transverse else " (momentum conservation)"),
        kind="transverse-momentum" if transverse else "momentum",
        func=lambda X: _add(k.p4(X)[a] for k in kins),
        expected=expected,
        scale=_energy_scale(kins),
        terms=lambda X: np.stack([k.p4(X)[a] for k in kins]),
        features=_feature_names(fm, kins),
        note=note,
    )


def energy_sum(
    fm: FeatureMatrix, kins: Sequence[ParticleKinematics], expected: float, *, note: str = ""
) -> Constraint:
    """Total energy of the particles equals the initial energy (energy conservation)."""
    derived = fm.kind != "p4"
    labels = " + ".join(f"E({k.label})" for k in kins)
    how = " with E = sqrt(|p|^2 + m^2) from the features" if derived else ""
    return Constraint(
        name="sum_E",
        formula=f"{labels} = initial E (energy conservation{how})",
        kind="energy",
        func=lambda X: _add(k.p4(X)[0] for k in kins),
        expected=expected,
        scale=_energy_scale(kins),
        terms=lambda X: np.stack([k.p4(X)[0] for k in kins]),
        features=_feature_names(fm, kins),
        note=note,
    )


def _mass_squared(E: np.ndarray, px: np.ndarray, py: np.ndarray, pz: np.ndarray) -> np.ndarray:
    # (E - |p|)(E + |p|) keeps the relative precision that E^2 - |p|^2 loses for light
    # particles at high energy (the two squares cancel to many digits).
    p = np.sqrt(px * px + py * py + pz * pz)
    return (E - p) * (E + p)


def on_shell(fm: FeatureMatrix, kin: ParticleKinematics) -> Constraint:
    """E^2 - |p|^2 = m^2 for one particle, m from the file (else PDG)."""
    note = ""
    if math.isfinite(kin.pdg_mass) and not math.isclose(
        kin.mass, kin.pdg_mass, rel_tol=1e-3, abs_tol=1e-9
    ):
        note = (
            f"file mass {kin.mass:.6g} GeV differs from PDG {kin.pdg_mass:.6g} GeV; file mass used"
        )
    acts: bool | None = None
    if fm.kind == "p3":
        acts = False
        note = "E is derived from |p| and m: identically true, does not act on these features"
    return Constraint(
        name=f"on_shell_{kin.label}",
        formula=f"E^2 - |p|^2 of {kin.label} = m^2, m = {kin.mass:.6g} GeV",
        kind="on-shell",
        func=kin.mass_squared,
        expected=kin.mass**2,
        scale=lambda X: kin.p4(X)[0] ** 2,
        terms=lambda X: np.stack(
            [kin.p4(X)[0] ** 2, -(kin.p4(X)[1] ** 2 + kin.p4(X)[2] ** 2 + kin.p4(X)[3] ** 2)]
        ),
        features=_feature_names(fm, [kin]),
        acts_on_features=acts,
        note=note,
    )


def invariant_mass(
    fm: FeatureMatrix,
    kins: Sequence[ParticleKinematics],
    mass: float,
    width: float | None,
    *,
    name: str,
    resonance: str = "",
) -> Constraint:
    """The invariant mass of a group of particles equals a resonance mass (within its width)."""

    def m_inv(X: np.ndarray) -> np.ndarray:
        tot = [_add(c) for c in zip(*(k.p4(X) for k in kins), strict=True)]
        m2 = _mass_squared(*tot)
        return np.sign(m2) * np.sqrt(np.abs(m2))

    labels = ", ".join(k.label for k in kins)
    res = f" ({resonance})" if resonance else ""
    wtxt = f", width {width:.4g} GeV" if width else ""
    return Constraint(
        name=name,
        formula=f"invariant mass of ({labels}) = m{res} = {mass:.6g} GeV{wtxt}",
        kind="resonance",
        func=m_inv,
        expected=mass,
        width=width,
        scale=mass,
        features=_feature_names(fm, kins),
    )


def constant_feature(fm: FeatureMatrix, j: int, value: float) -> Constraint:
    """Feature ``j`` takes the same value in every event."""
    name = fm.names[j]
    return Constraint(
        name=f"const_{name}",
        formula=f"{name} = {value:.6g} in every event (constant feature)",
        kind="constant-feature",
        func=lambda X: X[:, j],
        expected=value,
        features=(name,),
    )


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
