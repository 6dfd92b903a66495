"""Propose the constraints that could apply to a feature matrix.

What is proposed depends on what is known of the initial state (``fm.beams``):

* point-like beams of known energy (a lepton collider): total px, py, pz of the selected
  particles equal the beams' (zero in a symmetric frame, (0, 0, E1 - E2) otherwise) and
  their total energy equals E1 + E2;
* hadron beams, or beams unknown: only the transverse components px, py are proposed
  (the partons' momentum fractions leave pz and E free); where the record holds the
  incoming partons (LHE status -1), total E and pz of the selected particles are checked
  against theirs (``parton_sum_E``, ``parton_sum_pz``): a check that the selection is the
  whole final state, never counted, since the partons are no features;
* per particle: on-shell E^2 - |p|^2 = m^2, with m each particle's own mass (the file's,
  reported when it differs from the PDG mass; else PDG);
* per opposite-charge same-flavour lepton pair: m(pair) = m_Z (lepton + neutrino: m_W;
  two photons or two lepton pairs: m_H), approximate within the PDG width; at a lepton
  collider of known sqrt(s) only resonances the selection can be made on shell at:
  none whose mass lies more than ``REACH_N_WIDTHS`` PDG widths above sqrt(s);
* per feature with no spread: x_k = c;
* for custom (non-collider) features: sum of squares of all features = a constant (a sphere
  about the origin), so that a circle is found without being told.

The user adds (``extra``), removes (``exclude``) or overrides (an extra with a candidate's
name) any of them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from hepsym.constraints.base import Constraint, ParticleKinematics, check_features, kinematics
from hepsym.constraints.builders import (
    constant_feature,
    energy_sum,
    invariant_mass,
    mass_mismatch,
    momentum_sum,
    on_shell,
    parton_balance,
)
from hepsym.constraints.expression import user_constraint
from hepsym.errors import ConstraintError
from hepsym.events import Beams
from hepsym.features import FeatureMatrix, constant_columns
from hepsym.particles import (
    CHARGED_LEPTONS,
    NEUTRINOS,
    lookup,
    particle_name,
    pdg_mass,
    pdg_width,
)

__all__ = (
    "REACH_N_WIDTHS",
    "RESONANCES",
    "ExtraSpec",
    "find_constraints",
    "resonance_properties",
)

#: at a lepton collider of known sqrt(s), a resonance is proposed only where the selected
#: group can be made near its mass: sqrt(s) >= M - REACH_N_WIDTHS x Gamma (the group's
#: invariant mass never exceeds sqrt(s))
REACH_N_WIDTHS = 3.0

#: names accepted for the resonances, to PDG ids
RESONANCES = {
    "Z": 23,
    "Z0": 23,
    "W": 24,
    "W+": 24,
    "W-": -24,
    "H": 25,
    "H0": 25,
    "h": 25,
    "t": 6,
    "top": 6,
}

#: one user constraint: a Constraint, an expression, a callable, or a mapping of
#: :func:`~hepsym.constraints.expression.user_constraint` arguments (``{"g": ..., ...}``)
ExtraSpec = Constraint | str | Callable[..., Any] | Mapping[str, Any]


def resonance_properties(name: str) -> tuple[str, float, float]:
    """(PDG name, mass, width) of a resonance in GeV, from the ``particle`` package."""
    if name in RESONANCES:
        pid = RESONANCES[name]
    else:
        found = lookup(name, ids=False)
        if found is None:
            msg = f"unknown resonance {name!r}; use one of Z, W, H, top or a particle name"
            raise ConstraintError(msg)
        pid = found.pdgid
    mass = pdg_mass(pid)
    if math.isnan(mass):
        msg = f"resonance {name!r} has no PDG mass"
        raise ConstraintError(msg)
    width = pdg_width(pid)
    return particle_name(pid), mass, 0.0 if math.isnan(width) else width


def _flavour(k: ParticleKinematics) -> tuple[set[int], int] | None:
    """(|pid| set, sign of pid) if every id of the particle is of one charge sign."""
    signs = {int(np.sign(p)) for p in k.pids}
    if len(signs) != 1 or not k.pids:
        return None
    return {abs(p) for p in k.pids}, signs.pop()


def _auto_groups(kins: Sequence[ParticleKinematics]) -> list[tuple[str, tuple[int, ...]]]:
    """(resonance, particle indices) pairs that the particle content suggests."""
    out: list[tuple[str, tuple[int, ...]]] = []
    sfos = []
    for i, j in itertools.combinations(range(len(kins)), 2):
        fi, fj = _flavour(kins[i]), _flavour(kins[j])
        if fi is None or fj is None:
            continue
        (ai, si), (aj, sj) = fi, fj
        if ai == aj and ai <= CHARGED_LEPTONS and si != sj:
            out.append(("Z", (i, j)))
            sfos.append((i, j))
        lep, nu = (ai, aj) if ai <= CHARGED_LEPTONS else (aj, ai)
        if lep <= CHARGED_LEPTONS and nu <= NEUTRINOS and {a + 1 for a in lep} == nu:
            out.append(("W", (i, j)))
        if ai == aj == {22}:
            out.append(("H", (i, j)))
    for (a, b), (c, d) in itertools.combinations(sfos, 2):
        if len({a, b, c, d}) == 4:
            out.append(("H", tuple(sorted((a, b, c, d)))))
    return out


def _reach(fm: FeatureMatrix) -> float | None:
    """The largest invariant mass the selected particles can have, where the beams fix it."""
    beams = fm.beams
    if beams.known and beams.pointlike:
        return beams.sqrt_s
    return None


def _resonances(
    fm: FeatureMatrix,
    kins: Sequence[ParticleKinematics],
    spec: Sequence[str] | Mapping[str, Sequence[str]] | None,
) -> tuple[list[Constraint], list[str], list[str]]:
    """Resonance candidates, the names of those not proposed, and notes on why."""
    labels = [k.label for k in kins]
    groups: list[tuple[str, tuple[int, ...]]]
    if spec is None:
        groups = _auto_groups(kins)
    elif isinstance(spec, Mapping):
        groups = []
        for res, members in spec.items():
            missing = [m for m in members if m not in labels]
            if missing or len(members) < 2:
                msg = (
                    f"resonance {res!r}: particles {list(members)} must be at least two of "
                    f"the selected {', '.join(labels)}"
                )
                raise ConstraintError(msg)
            groups.append((res, tuple(labels.index(m) for m in members)))
    else:
        pairs = [g for _, g in _auto_groups(kins) if len(g) == 2]
        every = [tuple(range(len(kins)))] if len(kins) >= 2 else []
        members_list = list(dict.fromkeys(pairs + every))
        groups = [(str(res), g) for res in spec for g in members_list]
    per_res: dict[str, int] = {}
    for res, _ in groups:
        per_res[res] = per_res.get(res, 0) + 1
    reach = _reach(fm) if spec is None else None
    out, skipped, notes = [], [], []
    for res, group in groups:
        pdg_name, mass, width = resonance_properties(res)
        short = res if res in RESONANCES else pdg_name
        short = {"Z0": "Z", "H0": "H", "W+": "W", "W-": "W", "top": "t", "h": "H"}.get(short, short)
        name = f"m_{short}"
        if per_res[res] > 1:
            name += "(" + ",".join(labels[i] for i in group) + ")"
        if reach is not None and reach < mass - REACH_N_WIDTHS * width:
            skipped.append(name)
            off = f"{(mass - reach) / width:.1f} PDG widths" if width > 0 else "below it"
            notes.append(
                f"{name} not proposed: the invariant mass of "
                f"({', '.join(labels[i] for i in group)}) is at most sqrt(s) = {reach:g} GeV, "
                f"{off} below m({pdg_name}) = {mass:.6g} GeV (a resonance is proposed "
                f"within {REACH_N_WIDTHS:g} widths of reach)"
            )
            continue
        out.append(
            invariant_mass(
                fm, [kins[i] for i in group], mass, width or None, name=name, resonance=pdg_name
            )
        )
    return out, skipped, notes


def _conservation(
    fm: FeatureMatrix, kins: Sequence[ParticleKinematics], beams: Beams
) -> tuple[list[Constraint], list[str]]:
    notes: list[str] = []
    if beams.known and beams.pointlike:
        p4 = beams.initial_p4
        assert p4 is not None
        e, px, py, pz = p4
        frame = "symmetric beams" if abs(pz) < 1e-9 * e else f"asymmetric beams, pz = {pz:g} GeV"
        note = f"initial state: {beams.describe()} ({frame})"
        out = [
            momentum_sum(fm, kins, ax, v, note=note)
            for ax, v in (("px", px), ("py", py), ("pz", pz))
        ]
        out.append(energy_sum(fm, kins, e, note=note))
        return out, notes
    if beams.hadronic:
        notes.append(
            "hadron beams: the partons' momentum fractions vary per event, so only transverse "
            "momentum conservation is proposed"
        )
    else:
        notes.append(
            "initial state unknown: only transverse momentum conservation is tested "
            "(give the centre-of-mass energy, --sqrt-s GEV or sqrt_s= in Python, for a lepton "
            "collider to test pz and E too)"
        )
    out = [momentum_sum(fm, kins, ax, 0.0, transverse=True) for ax in ("px", "py")]
    balance = [c for c in (parton_balance(fm, kins, comp) for comp in ("E", "pz")) if c]
    if balance:
        notes.append(
            "the record holds the incoming partons: total E and pz of the selection are "
            "checked against theirs (parton_sum_E, parton_sum_pz), never counted, since the "
            "partons are no features"
        )
    return out + balance, notes


def _constants(fm: FeatureMatrix) -> list[Constraint]:
    X = fm.X
    return [
        constant_feature(fm, int(j), float(np.median(X[:, j])))
        for j in np.flatnonzero(constant_columns(X))
    ]


def _extra(spec: ExtraSpec, names: Sequence[str]) -> Constraint:
    if isinstance(spec, Constraint):
        check_features(spec, names)
        return spec
    if isinstance(spec, Mapping):
        args = dict(spec)
        if "g" not in args:
            msg = f"a user constraint given as a mapping needs a 'g' entry, got {sorted(args)}"
            raise ConstraintError(msg)
        return user_constraint(args.pop("g"), names, **args)
    return user_constraint(spec, names)


def find_constraints(
    fm: FeatureMatrix,
    *,
    extra: Sequence[ExtraSpec] = (),
    exclude: Sequence[str] = (),
    resonances: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    sphere: bool | None = None,
) -> tuple[list[Constraint], list[str]]:
    """The candidate constraints for a feature matrix, and notes on how they were chosen.

    Args:
        fm: the feature matrix.
        extra: user constraints to add; one with the name of a candidate replaces it.
        exclude: names (``"m_Z"``) or kinds (``"resonance"``) of candidates to drop.
        resonances: ``None`` proposes m_Z per opposite-charge same-flavour lepton pair (and
            m_W, m_H where the content suggests them); a list of names (``["Z", "H"]``) tests
            each against every such pair and against all selected particles together; a
            mapping ``{"Z": ["mu_minus", "mu_plus"]}`` names the groups; ``[]`` proposes none.
        sphere: propose "sum of squares of all features = constant"; by default only for
            custom features.

    Returns:
        (candidates, notes).

    Raises:
        ConstraintError: an excluded name that is no candidate, a user constraint on a
            feature that does not exist, a malformed expression.
    """
    notes: list[str] = []
    kins = kinematics(fm)
    cands: list[Constraint] = []
    skipped: list[str] = []
    if kins:
        cons, n = _conservation(fm, kins, fm.beams)
        cands += cons
        notes += n
        cands += [on_shell(fm, k) for k in kins]
        res, skipped, n = _resonances(fm, kins, resonances)
        cands += res
        notes += n
        notes += [
            f"on_shell_{k.label}: {text}"
            for k in kins
            for text in (mass_mismatch(k), *k.notes)
            if text
        ]
    elif fm.kind != "custom":
        notes.append(f"{fm.kind} features carry no particle layout: no kinematic candidates")
    cands += _constants(fm)
    if sphere if sphere is not None else (fm.kind == "custom" and fm.n_features >= 2):
        expr = " + ".join(f"{n}**2" for n in fm.names)
        if all(n.isidentifier() for n in fm.names):
            cands.append(
                user_constraint(
                    expr,
                    fm.names,
                    name="sum_sq",
                    formula=f"{expr} = a constant (sphere about the origin, proposed for any "
                    "custom features)",
                )
            )
    by_name = {c.name: c for c in cands}
    for spec in extra:
        c = _extra(spec, fm.names)
        if c.name in by_name:
            notes.append(f"{c.name}: candidate replaced by the user's constraint")
        by_name[c.name] = c
    # a resonance that was considered but not proposed may be excluded all the same
    names_kinds = {n for c in by_name.values() for n in (c.name, c.kind)} | set(skipped)
    unknown = [e for e in exclude if e not in names_kinds]
    if unknown:
        msg = (
            f"cannot exclude {', '.join(map(repr, unknown))}: no such candidate; candidates "
            f"are {', '.join(by_name)}"
        )
        raise ConstraintError(msg)
    out = [c for c in by_name.values() if c.name not in exclude and c.kind not in exclude]
    return out, notes
