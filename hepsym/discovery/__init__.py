"""Discover the constraints from the data alone: the polynomials that vanish on the events.

:func:`discover` finds the approximate vanishing ideal of the events degree by degree
(:mod:`hepsym.discovery.ideal`), writes every generator as a formula in the original units
(:mod:`hepsym.discovery.formula`), counts the dimension they leave twice (the Jacobian rank
of the generators on the events, and the growth of the Hilbert function of their leading
terms), and reconciles them with the named constraints of
:func:`hepsym.constraints.analyze_constraints` (:mod:`hepsym.discovery.reconcile`). The
method, the rules and their tolerances: ``docs/discover.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hepsym.constraints.base import evaluation_matrix
from hepsym.discovery.dimension import count, growth_dim, hilbert_dim, two_nn
from hepsym.discovery.formula import Polynomial, expand, readable
from hepsym.discovery.ideal import (
    PEAK_MIN_FRACTION,
    PEAK_N_WIDTHS,
    IdealResult,
    Relation,
    Rules,
    vanishing_ideal,
)
from hepsym.discovery.recognise import invariant_masses, on_shell
from hepsym.discovery.reconcile import NamedCheck, reconcile
from hepsym.discovery.result import Discovered, Discovery, Reconciled
from hepsym.discovery.rules import search_degrees
from hepsym.discovery.variables import Variables, particle_text, variables
from hepsym.errors import ConstraintError, FeatureError, OptionError
from hepsym.features import FeatureMatrix, constant_columns
from hepsym.spec import ConstraintSpec

__all__ = ("Discovered", "Discovery", "Reconciled", "Rules", "discover")

#: the exact rule: relative residual at most this, or 10 x the features' written precision
EXACT_TOL = 1e-9
#: highest degree accepted (the monomials grow as C(n + d, d))
MAX_DEGREE = 6
#: fewest events accepted
MIN_EVENTS = 20
#: events on which formulas are cleaned and gradients compared
N_CHECK = 20_000


def feature_precision(X: np.ndarray, sample: int = 2000) -> float:
    """The relative precision the features are written with (10^-(digits - 1) / 2).

    The fewest significant decimal digits that reproduce a sample of the values exactly;
    values that are all float32 numbers (a ROOT file's float branches) have float32's
    2^-24; float64 data computed in memory give ~1e-16.
    """
    x = np.asarray(X, dtype=np.float64).ravel()
    x = x[np.isfinite(x) & (x != 0)][:sample]
    if not len(x):
        return 1e-16
    if np.array_equal(x.astype(np.float32).astype(np.float64), x):
        return float(np.finfo(np.float32).eps) / 2
    for digits in range(4, 17):
        back = np.array([float(f"{v:.{digits - 1}e}") for v in x])
        if np.array_equal(back, x):
            return 0.5 * 10.0 ** (1 - digits)
    return 1e-16


def _abs_weights(fm: FeatureMatrix) -> np.ndarray | None:
    """|w| of weighted events (``None`` for none or equal ones): the least squares' measure."""
    from hepsym.constraints.verify import event_weights

    w = event_weights(fm.weights, fm.n_events)
    if w is None:
        return None
    w = np.abs(w)
    return w if float(w.sum()) > 0 else None


def _constants(fm: FeatureMatrix, V: Variables) -> dict[str, float]:
    out: dict[str, float] = {}
    sqrt_s = fm.beams.sqrt_s if fm.beams.known else None
    if sqrt_s:
        s = sqrt_s * sqrt_s
        out |= {"sqrt(s)": sqrt_s, "sqrt(s)/2": sqrt_s / 2, "s": s, "s/4": s / 4}
    for p, m in V.masses.items():
        if m > 0:
            out[f"m^2, m({p}) = {m:.4g} GeV"] = m * m
            if sqrt_s:
                out[f"s/4 - m({p})^2"] = sqrt_s * sqrt_s / 4 - m * m
    return out


def _energy_as_momentum(poly: Polynomial, V: Variables, constants: dict[str, float]) -> str:
    """E(p) = c for a lifted energy, written in the user's momenta: |p|^2 = c^2 - m^2."""
    lhs = [t for t in poly.terms if any(t)]
    if len(lhs) != 1 or sum(lhs[0]) != 1 or poly.constant <= 0:
        return ""
    j = lhs[0].index(1)
    name = V.names[j]
    if not (V.lifted[j] and name.startswith("E(")):
        return ""
    p = name[2:-1]
    if p not in V.masses or not all(
        not V.lifted[V.names.index(f"{c}({p})")] for c in ("px", "py", "pz")
    ):
        return ""
    c = poly.constant / poly.coefficients[poly.terms.index(lhs[0])]
    value = c * c - V.masses[p] ** 2
    what = next((k for k, v in constants.items() if abs(v - c) <= 1e-6 * abs(v)), "")
    return (
        f"px({p})^2 + py({p})^2 + pz({p})^2 = {value:.6g} GeV^2 "
        f"(E({p}) = {c:.6g} GeV" + (f" = {what}" if what else "") + f", m = {V.masses[p]:.4g} GeV)"
    )


def discover(
    X_or_fm: Any,
    names: Sequence[str] | None = None,
    *,
    max_degree: int = 3,
    tolerance: float | None = None,
    seed: int = 0,
    chunk: int = 65_536,
    geometric: bool = True,
    constraints: Any = None,
) -> Discovery:
    """The polynomial relations the events obey, named, counted and reconciled.

    Args:
        X_or_fm: a :class:`~hepsym.features.FeatureMatrix` or an array (events x features).
            A feature matrix's event weights weigh the least squares and the samples (|w|).
        names: feature names for an array (default ``x1, x2, ...``).
        max_degree: highest degree searched (1 to 6; 3 by default, 4 finds a torus).
        tolerance: the exact rule's relative residual (default: 1e-9, or 10 x the
            precision the features are written with where that is larger).
        seed: of the event shuffle and the samples.
        chunk: events per step of the chunked QR (memory is chunk x monomials).
        geometric: also estimate the dimension with TwoNN (model-free cross-check).
        constraints: the features' named constraint table
            (:func:`~hepsym.constraints.analyze_constraints`), if already computed; the
            relations are matched against it instead of a table computed again.

    Returns:
        The :class:`~hepsym.discovery.result.Discovery`.

    Raises:
        OptionError: a degree or tolerance out of range.
        FeatureError: non-finite features.
        ConstraintError: too few events.
    """
    _check_options(max_degree, tolerance, chunk)
    fm = X_or_fm if isinstance(X_or_fm, FeatureMatrix) else FeatureMatrix.from_array(X_or_fm, names)
    fm.check_finite()
    if fm.n_events < MIN_EVENTS:
        msg = f"{fm.source or '<features>'}: {fm.n_events} events are too few; need at least {MIN_EVENTS}"
        raise ConstraintError(msg)
    V = variables(fm)
    degree, approx_degree, degree_notes = search_degrees(
        fm.n_events, V.values.shape[1], int(max_degree), fm.source or "<features>"
    )
    exact_tol = tolerance if tolerance is not None else max(EXACT_TOL, 10 * feature_precision(fm.X))
    rules = Rules(exact_tol=exact_tol, approx_degree=approx_degree)
    weights = _abs_weights(fm)
    mean = np.average(V.values, axis=0, weights=weights)
    std = np.sqrt(np.average((V.values - mean) ** 2, axis=0, weights=weights))
    const = constant_columns(V.values)
    std = np.where(const | (std == 0), 1.0, std)
    Z = (V.values - mean) / std
    Z[:, const] = 0.0
    try:
        ideal = vanishing_ideal(Z, V.groups, degree, rules, chunk=chunk, seed=seed, weights=weights)
    except np.linalg.LinAlgError as err:
        # a known limit: nearly dependent monomials on few, coarse events (reco NanoAOD)
        msg = (
            f"{fm.source or '<features>'}: the monomial evaluations are numerically singular "
            f"({err}); try a lower --max-degree or more events"
        )
        raise FeatureError(msg) from err

    rng = np.random.default_rng(seed)
    check = np.sort(rng.choice(fm.n_events, size=min(fm.n_events, N_CHECK), replace=False))
    constants = _constants(fm, V)
    polys = [
        readable(
            expand(r, mean, std),
            V.values[check],
            V.names,
            V.display,
            V.unit,
            r.kind == "exact",
            constants,
        )
        for r in ideal.relations
    ]
    kinds = [r.kind for r in ideal.relations]
    n_sample = min(ConstraintSpec().n_sample, fm.n_events)
    Xs = evaluation_matrix(fm)[np.sort(rng.choice(fm.n_events, size=n_sample, replace=False))]
    counted = count(fm, polys, kinds, V, Xs)
    r = counted.rank.rank if counted.rank is not None else 0

    notes = [n for n in (V.note, *degree_notes) if n]
    approximate = [k == "approximate" for k in kinds]
    n_named, matches, reconciled, named_notes = reconcile(
        NamedCheck(
            fm, counted.J, approximate, counted.use, Xs, counted.col_scale, constraints, seed
        )
    )
    notes += named_notes
    if counted.restated:
        notes.append(
            f"{len(counted.restated)} generator(s) restate earlier ones on the features (their "
            "gradient lies in the span of those before: a consequence, or the same surface "
            "through E = sqrt(|p|^2 + m^2)): not listed"
        )
    masses = invariant_masses(
        {i: p for i, (p, k) in enumerate(zip(polys, kinds, strict=True)) if k == "approximate"},
        [p for p, k in zip(polys, kinds, strict=True) if k == "exact"],
        V,
        V.of_evaluation(Xs),
        V.values[check],
    )
    masses |= on_shell(
        {i: p for i, (p, k) in enumerate(zip(polys, kinds, strict=True)) if k == "exact"},
        V,
        V.of_evaluation(Xs),
        V.values[check],
    )
    named_as = {i: _named_as_read(reading, reconciled) for i, reading in masses.items()}
    used = set(named_as.values()) - {""}
    for i, name in named_as.items():
        if name:
            matches[i] = name
        elif matches.get(i, "-").split(" (")[0] in used:
            # the named constraint it resembles modulo the others is another group's
            matches[i] = "new"
    items = [
        _item(
            rel,
            poly,
            (V, constants, masses.get(i, "")),
            bool(counted.acting[i]),
            matches.get(i, "-"),
        )
        for i, (rel, poly) in enumerate(zip(ideal.relations, polys, strict=True))
        if i not in counted.restated
    ]
    tnn = two_nn(fm, seed, notes) if geometric else None
    d = fm.n_features - r
    notes += _search_notes(ideal, rules, degree, d, tnn)
    return Discovery(
        discovered=tuple(items),
        discovered_dim=d,
        n_features=fm.n_features,
        n_events=fm.n_events,
        rank=r,
        rank_stability=counted.rank.stability if counted.rank is not None else 1.0,
        hilbert=ideal.hilbert,
        hilbert_dim=growth_dim(ideal.hilbert, hilbert_dim(ideal, len(V.names))),
        leading_dim=hilbert_dim(ideal, len(V.names)),
        max_degree=degree,
        exact_tol=exact_tol,
        max_spread=rules.max_spread,
        noise=rules.noise,
        variables=V.names,
        reconciled=tuple(reconciled),
        named_checked=n_named,
        two_nn=tnn,
        source=fm.source,
        notes=tuple(notes),
        weighted=weights is not None,
        max_shuffled=rules.max_shuffled,
        consequence=rules.consequence,
        approx_degree=rules.approx_degree,
    )


def _named_as_read(reading: str, reconciled: Sequence[Reconciled]) -> str:
    """The named constraint over the particles a reading names, if any: the approximate
    resonance of an m(S)^2 reading, the on-shell constraint of an on-shell one."""
    if "(on-shell" in reading:
        p = reading.split("(", 1)[1].split(")", 1)[0]
        on = [r.name for r in reconciled if r.name.startswith("on_shell_")]
        return next((n for n in on if particle_text(n[len("on_shell_") :]) == p), "")
    group = set(reading.split("(", 1)[1].split(")", 1)[0].split())
    for r in reconciled:
        if r.status != "approximate" or "invariant mass of (" not in r.formula:
            continue
        inside = r.formula.split("invariant mass of (", 1)[1].split(")", 1)[0]
        if {particle_text(x.strip()) for x in inside.split(",")} == group:
            return r.name
    return ""


def _check_options(max_degree: int, tolerance: float | None, chunk: int) -> None:
    if not 1 <= int(max_degree) <= MAX_DEGREE:
        msg = f"max_degree must be from 1 to {MAX_DEGREE}, got {max_degree}"
        raise OptionError(msg)
    if tolerance is not None and not 0 < tolerance < 1:
        msg = f"tolerance must be in (0, 1), got {tolerance}"
        raise OptionError(msg)
    if chunk < 1:
        msg = f"chunk must be at least 1, got {chunk}"
        raise OptionError(msg)


def _item(
    rel: Relation,
    poly: Polynomial,
    where: tuple[Variables, dict[str, float], str],
    acting: bool,
    matches: str,
) -> Discovered:
    """One generator as listed: the readable formula, its kind, match and numbers.

    ``where``: the variables, the constants of the physics, and the invariant mass the
    relation was read as (empty: none).
    """
    V, constants, mass = where
    as_momentum = _energy_as_momentum(poly, V, constants)
    formula = mass or as_momentum or poly.formula
    return Discovered(
        formula=formula,
        degree=2 if as_momentum else rel.degree,
        kind=rel.kind,
        residual_rel=rel.residual_rel,
        width=poly.width,
        matches=matches,
        spread_ratio=rel.spread_ratio,
        acts=acting,
        note=_note(acting, bool(mass), poly.formula),
        polynomial=poly.formula,
        peak_fraction=rel.peak_fraction,
        shuffled_fraction=rel.shuffled_fraction,
    )


def _note(acting: bool, read: bool, fitted: str) -> str:
    if not acting:
        return "restates the lift (E from |p| and m): does not act on the features"
    if read:
        what = f"fitted as {fitted}" if len(fitted) <= 100 else "fitted polynomial: --json"
        return f"{what}; the same modulo the other relations"
    return ""


def _search_notes(
    ideal: IdealResult, rules: Rules, max_degree: int, d: int, tnn: tuple[float, float] | None
) -> list[str]:
    """What the search refused, and what TwoNN says beside it."""
    notes = []
    if not ideal.relations:
        notes.append(f"no polynomial relation up to degree {max_degree}")
    smooth = [r for r in ideal.rejected if r.reason == "smooth"]
    broad = [r for r in ideal.rejected if r.reason == "broad"]
    if broad:
        notes.append(
            f"{len(broad)} candidates were narrow against shuffled events (IQR ratio <= "
            f"{rules.max_spread:g}) but not peaked (fewer than {PEAK_MIN_FRACTION:.0%} of the "
            f"events within {PEAK_N_WIDTHS:g} IQRs of the median, or more than "
            f"{rules.max_shuffled:.0%} of the shuffled events there): a continuum, not counted"
        )
    if smooth:
        notes.append(
            f"{len(smooth)} candidates looked approximate (narrow and peaked) but their "
            f"residual is a smooth function of the position (neighbour ratio < {rules.noise:g}): "
            "truncated series of relations that are no polynomials, not counted"
        )
    if tnn is not None and tnn[0] < d - 0.5:
        notes.append(
            f"TwoNN sees {tnn[0]:.2f} dimensions, fewer than the {d} the polynomial relations "
            f"leave: the events obey a relation that is no polynomial of degree <= {max_degree}"
        )
    return notes
