"""The named kinematic constraints, built on a feature matrix's particles.

Momentum and energy sums, on-shell masses, resonances, parton balance and constant
features: each builder returns a :class:`~hepsym.constraints.base.Constraint` whose
g(X) reads the columns of the evaluation matrix through
:class:`~hepsym.constraints.base.ParticleKinematics`.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from hepsym.constraints.base import (
    Constraint,
    ParticleKinematics,
    event_parameters,
    minkowski_square,
)
from hepsym.features import FeatureMatrix
from hepsym.particles import particle_name, pdg_mass

__all__ = (
    "constant_feature",
    "energy_sum",
    "invariant_mass",
    "mass_mismatch",
    "momentum_sum",
    "on_shell",
    "parton_balance",
)

Func = Callable[[np.ndarray], np.ndarray]


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
        parameters=True,
    )


def energy_sum(
    fm: FeatureMatrix, kins: Sequence[ParticleKinematics], expected: float, *, note: str = ""
) -> Constraint:
    """Total energy of the particles equals the initial energy (energy conservation)."""
    derived = fm.kind != "p4"
    labels = " + ".join(f"E({k.label})" for k in kins)
    how = " with E = sqrt(|p|^2 + m^2) from the features" if derived else ""
    if derived and fm.kind == "p3" and any(k.mixed for k in kins):
        how += ", m each particle's own mass"
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
        parameters=True,
    )


def _species_groups(kin: ParticleKinematics) -> list[tuple[str, float, int]]:
    """(names, mass, PDG id) per species of a slot, a particle and its antiparticle together."""
    out: dict[tuple[int, float], list[int]] = {}
    for pid, m in kin.species:
        out.setdefault((abs(pid), m), []).append(pid)
    return [("/".join(particle_name(p) for p in pids), m, pids[0]) for (_, m), pids in out.items()]


def mass_mismatch(kin: ParticleKinematics) -> str:
    """A note where the file's mass of a species differs from its PDG mass ('' if none)."""
    if not kin.mixed:
        if math.isfinite(kin.pdg_mass) and not math.isclose(
            kin.mass, kin.pdg_mass, rel_tol=1e-3, abs_tol=1e-9
        ):
            return (
                f"file mass {kin.mass:.6g} GeV differs from PDG {kin.pdg_mass:.6g} GeV; "
                "file mass used"
            )
        return ""
    differ = []
    for names, m, pid in _species_groups(kin):
        pdg = pdg_mass(pid)
        if math.isfinite(pdg) and not math.isclose(m, pdg, rel_tol=1e-3, abs_tol=1e-9):
            differ.append(f"{names} {m:.6g} vs {pdg:.6g} GeV")
    if not differ:
        return ""
    return f"file masses differ from PDG ({', '.join(differ)}); file masses used"


def _species_text(kin: ParticleKinematics) -> str:
    return ", ".join(f"{names} {m:.4g}" for names, m, _ in _species_groups(kin))


def on_shell(fm: FeatureMatrix, kin: ParticleKinematics) -> Constraint:
    """E^2 - |p|^2 = m^2 for one particle, m its own mass (the file's, else PDG).

    Where the slot holds particles of different masses, g is E^2 - |p|^2 - m_i^2 with
    m_i the mass of the particle in that event (m - m_i where m is a feature), and it
    should be 0.
    """
    notes = [n for n in (mass_mismatch(kin), *kin.notes) if n]
    acts: bool | None = None
    if fm.kind == "p3":
        acts = False
        notes.append(
            "E is derived from |p| and m: identically true, does not act on these features"
        )

    def e2(X: np.ndarray) -> np.ndarray:
        return kin.p4(X)[0] ** 2

    def p2(X: np.ndarray) -> np.ndarray:
        _, px, py, pz = kin.p4(X)
        return px * px + py * py + pz * pz

    def own_m(X: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(kin.m(X), dtype=np.float64), (len(X),))

    if kin.mixed and fm.kind == "ptetaphim":
        # m is a feature: the linear m - m_i = 0 keeps a gradient where m_i is ~0
        # (electrons, gluons), which m^2 - m_i^2 loses
        m_col = kin.index["m"]
        return Constraint(
            name=f"on_shell_{kin.label}",
            formula=(
                f"m of {kin.label} = m_i, the mass of the particle in each event "
                f"({_species_text(kin)} GeV)"
            ),
            kind="on-shell",
            func=lambda X: X[:, m_col] - own_m(X),
            expected=0.0,
            scale=lambda X: kin.p4(X)[0],
            terms=lambda X: np.stack([X[:, m_col], -own_m(X)]),
            features=_feature_names(fm, [kin]),
            acts_on_features=acts,
            note="; ".join(notes),
            parameters=True,
        )
    if kin.mixed:

        def own_m2(X: np.ndarray) -> np.ndarray:
            m = own_m(X)
            return m * m

        return Constraint(
            name=f"on_shell_{kin.label}",
            formula=(
                f"E^2 - |p|^2 - m_i^2 of {kin.label} = 0, m_i the mass of the particle in "
                f"each event ({_species_text(kin)} GeV)"
            ),
            kind="on-shell",
            func=lambda X: kin.mass_squared(X) - own_m2(X),
            expected=0.0,
            scale=e2,
            terms=lambda X: np.stack([e2(X), -p2(X), -own_m2(X)]),
            features=_feature_names(fm, [kin]),
            acts_on_features=acts,
            note="; ".join(notes),
            parameters=True,
        )
    return Constraint(
        name=f"on_shell_{kin.label}",
        formula=f"E^2 - |p|^2 of {kin.label} = m^2, m = {kin.mass:.6g} GeV",
        kind="on-shell",
        func=kin.mass_squared,
        expected=kin.mass**2,
        scale=e2,
        terms=lambda X: np.stack([e2(X), -p2(X)]),
        features=_feature_names(fm, [kin]),
        acts_on_features=acts,
        note="; ".join(notes),
        parameters=True,
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
        m2 = minkowski_square(*tot)
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
        parameters=True,
    )


def parton_balance(
    fm: FeatureMatrix, kins: Sequence[ParticleKinematics], component: str
) -> Constraint | None:
    """Total E or pz of the selected particles equals that of the incoming partons.

    ``None`` when the feature matrix holds no partons. The partons' E and pz vary from
    event to event and are no features, so the check says whether the selection is the
    whole final state; it is never counted.
    """
    params = {p.name: p for p in event_parameters(fm)}
    par = params.get(f"{component}_partons")
    if par is None:
        return None
    a = {"E": 0, "pz": 3}[component]
    labels = " + ".join(f"{component}({k.label})" for k in kins)
    return Constraint(
        name=f"parton_sum_{component}",
        formula=f"{labels} = {component} of the incoming partons (status -1) in each event",
        kind="parton-balance",
        func=lambda X: _add(k.p4(X)[a] for k in kins) - par(X),
        expected=0.0,
        scale=_energy_scale(kins),
        terms=lambda X: np.stack([*(k.p4(X)[a] for k in kins), -par(X)]),
        features=_feature_names(fm, kins),
        note=(
            "the incoming partons are no features (their momentum fractions vary per "
            "event): this checks whether the selection is the whole final state, and is "
            "never counted"
        ),
        parameters=True,
        countable=False,
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
