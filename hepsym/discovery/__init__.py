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

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from hepsym.constraints.base import Constraint, evaluation_matrix
from hepsym.constraints.counting import acts, jacobian, rank
from hepsym.discovery.formula import Polynomial, expand, readable
from hepsym.discovery.ideal import IdealResult, Rules, vanishing_ideal
from hepsym.discovery.reconcile import APPROX_RTOL, EXACT_RTOL, in_span, match
from hepsym.discovery.result import Discovered, Discovery, Reconciled
from hepsym.discovery.variables import Variables, variables
from hepsym.errors import ConstraintError, FeatureError, HepsymError, OptionError
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
    float64 data computed in memory give ~1e-16.
    """
    x = np.asarray(X, dtype=np.float64).ravel()
    x = x[np.isfinite(x) & (x != 0)][:sample]
    if not len(x):
        return 1e-16
    for digits in range(4, 17):
        back = np.array([float(f"{v:.{digits - 1}e}") for v in x])
        if np.array_equal(back, x):
            return 0.5 * 10.0 ** (1 - digits)
    return 1e-16


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


def _growth_dim(hilbert: Sequence[int], fallback: int) -> int:
    """The dimension from the growth of the Hilbert function: h(d) ~ d^(k - 1).

    From the last two degrees, k = 1 + round(log(h(D) / h(D-1)) / log(D / (D-1))):
    constant h (a curve) gives 1, linear h (a surface) 2. A low-degree estimate: it
    approaches the dimension from below for k >= 4 at degree <= 3.
    """
    D = len(hilbert) - 1
    if D < 2 or hilbert[D] == 0 or hilbert[D - 1] == 0:
        return 0 if D >= 1 and hilbert[D] == 0 else fallback
    return 1 + round(math.log(hilbert[D] / hilbert[D - 1]) / math.log(D / (D - 1)))


def _hilbert_dim(ideal: IdealResult, n_vars: int) -> int:
    """Largest set of variables no leading term is a monomial of: the dimension of the
    leading-term ideal (an upper bound where the relations found are not all)."""
    supports = [frozenset(j for j, e in enumerate(r.terms[0]) if e) for r in ideal.relations]
    for k in range(n_vars, -1, -1):
        combos = itertools.combinations(range(n_vars), k)
        for S in itertools.islice(combos, 200_000):
            s = set(S)
            if not any(sup <= s for sup in supports):
                return k
    return 0


def _as_constraint(i: int, poly: Polynomial, V: Variables) -> Constraint:
    def func(X: np.ndarray) -> np.ndarray:
        return poly(V.of_evaluation(X))

    def terms(X: np.ndarray) -> np.ndarray:
        from hepsym.discovery.ideal import evaluate

        return (evaluate(V.of_evaluation(X), poly.terms) * np.asarray(poly.coefficients)).T

    return Constraint(
        name=f"discovered_{i + 1}",
        formula=poly.formula,
        kind="user",
        func=func,
        expected=0.0,
        terms=terms,
        parameters=True,
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
    if not 1 <= int(max_degree) <= MAX_DEGREE:
        msg = f"max_degree must be from 1 to {MAX_DEGREE}, got {max_degree}"
        raise OptionError(msg)
    if tolerance is not None and not 0 < tolerance < 1:
        msg = f"tolerance must be in (0, 1), got {tolerance}"
        raise OptionError(msg)
    if chunk < 1:
        msg = f"chunk must be at least 1, got {chunk}"
        raise OptionError(msg)
    fm = X_or_fm if isinstance(X_or_fm, FeatureMatrix) else FeatureMatrix.from_array(X_or_fm, names)
    fm.check_finite()
    if fm.n_events < MIN_EVENTS:
        msg = f"{fm.source or '<features>'}: {fm.n_events} events are too few; need at least {MIN_EVENTS}"
        raise ConstraintError(msg)
    V = variables(fm)
    precision = feature_precision(fm.X)
    exact_tol = tolerance if tolerance is not None else max(EXACT_TOL, 10 * precision)
    rules = Rules(exact_tol=exact_tol)
    mean = V.values.mean(axis=0)
    std = V.values.std(axis=0)
    const = constant_columns(V.values)
    std = np.where(const | (std == 0), 1.0, std)
    Z = (V.values - mean) / std
    Z[:, const] = 0.0
    try:
        ideal = vanishing_ideal(Z, V.groups, int(max_degree), rules, chunk=chunk, seed=seed)
    except np.linalg.LinAlgError as err:
        # a known limit: nearly dependent monomials on few, coarse events (reco NanoAOD)
        msg = (
            f"{fm.source or '<features>'}: the monomial evaluations are numerically singular "
            f"({err}); try a lower --max-degree or more events"
        )
        raise FeatureError(msg) from err

    rng = np.random.default_rng(seed)
    check = np.sort(rng.choice(fm.n_events, size=min(fm.n_events, N_CHECK), replace=False))
    Vs = V.values[check]
    constants = _constants(fm, V)
    polys = [
        readable(expand(r, mean, std), Vs, V.names, V.display, V.unit, r.kind == "exact", constants)
        for r in ideal.relations
    ]
    found = [_as_constraint(i, p, V) for i, p in enumerate(polys)]

    spec = ConstraintSpec()
    Xe = evaluation_matrix(fm)
    sample = np.sort(rng.choice(fm.n_events, size=min(spec.n_sample, fm.n_events), replace=False))
    Xs = Xe[sample]
    col_scale = np.sqrt(np.mean(fm.X * fm.X, axis=0))
    col_scale = np.where(col_scale > 0, col_scale, 1.0)
    J = jacobian(found, Xs, col_scale, spec.rel_step)
    scales = (
        np.stack([np.abs(_terms(c, Xs)).sum(axis=0) for c in found])
        if found
        else np.empty((0, len(Xs)))
    )
    acting = acts(J, col_scale, scales, spec.zero_tol) if found else np.zeros(0, bool)
    use = [i for i in range(len(found)) if acting[i]]
    rr = rank(J[use], col_scale, spec.rank_rtol) if use else None
    r = rr.rank if rr is not None else 0

    notes = [V.note] if V.note else []
    resonance_forms: dict[int, str] = {}
    named_rows, matches, reconciled = _reconcile(
        fm, resonance_forms, found, ideal, J, use, Xs, col_scale, constraints, seed, notes
    )
    items = []
    same = _restated(J, use, col_scale) if any(V.lifted) else set()
    if same:
        notes.append(
            f"{len(same)} generator(s) of the lifted variables restate an earlier one on the "
            "features (the same surface through E = sqrt(|p|^2 + m^2)): not listed"
        )
    for i, (rel, poly) in enumerate(zip(ideal.relations, polys, strict=True)):
        if i in same:
            continue
        as_momentum = _energy_as_momentum(poly, V, constants)
        formula = as_momentum or poly.formula
        if i in resonance_forms:
            formula = f"{resonance_forms[i]} {formula.split(' ~ ')[0]})"
        note = (
            ""
            if acting[i]
            else "restates the lift (E from |p| and m): does not act on the features"
        )
        items.append(
            Discovered(
                formula=formula,
                degree=2 if as_momentum else rel.degree,
                kind=rel.kind,
                residual_rel=rel.residual_rel,
                width=poly.width,
                matches=matches.get(i, "-"),
                spread_ratio=rel.spread_ratio,
                acts=bool(acting[i]),
                note=note,
            )
        )
    two_nn = None
    if geometric:
        two_nn = _two_nn(fm, seed, notes)
    d = fm.n_features - r
    if not ideal.relations:
        notes.append(f"no polynomial relation up to degree {int(max_degree)}")
    if ideal.rejected:
        worst = max(r.neighbour_ratio for r in ideal.rejected)
        notes.append(
            f"{len(ideal.rejected)} candidates looked approximate (spread <= {rules.max_spread:g}) "
            f"but their residual is a smooth function of the position (neighbour ratio <= "
            f"{worst:.2g} < {rules.noise:g}): truncated series of relations that are no "
            "polynomials, not counted"
        )
    if two_nn is not None and two_nn[0] < d - 0.5:
        notes.append(
            f"TwoNN sees {two_nn[0]:.2f} dimensions, fewer than the {d} the polynomial relations "
            f"leave: the events obey a relation that is no polynomial of degree <= {int(max_degree)}"
        )
    return Discovery(
        discovered=tuple(items),
        discovered_dim=d,
        n_features=fm.n_features,
        n_events=fm.n_events,
        rank=r,
        rank_stability=rr.stability if rr is not None else 1.0,
        hilbert=ideal.hilbert,
        hilbert_dim=_growth_dim(ideal.hilbert, _hilbert_dim(ideal, len(V.names))),
        leading_dim=_hilbert_dim(ideal, len(V.names)),
        max_degree=int(max_degree),
        exact_tol=exact_tol,
        max_spread=rules.max_spread,
        noise=rules.noise,
        variables=V.names,
        reconciled=tuple(reconciled),
        named_checked=named_rows,
        two_nn=two_nn,
        source=fm.source,
        notes=tuple(notes),
    )


def _reconcile(
    fm: FeatureMatrix,
    resonance_forms: dict[int, str],
    found: Sequence[Constraint],
    ideal: IdealResult,
    J: np.ndarray,
    use: Sequence[int],
    Xs: np.ndarray,
    col_scale: np.ndarray,
    named: Any,
    seed: int,
    notes: list[str],
) -> tuple[int, dict[int, str], list[Reconciled]]:
    """Match every acting discovered relation to a named one; test the named that hold.

    ``named`` is the constraint table of ``fm`` when the caller has it (``analyze`` does);
    otherwise it is computed here.
    """
    from hepsym.constraints import analyze_constraints

    if named is None:
        try:
            named = analyze_constraints(fm, seed=seed)
        except HepsymError as err:
            notes.append(f"named constraints not checked: {err}")
            return 0, {}, []
    keep = [
        k
        for k, row in enumerate(named.rows)
        if row.holds and row.acts_on_features and named.candidates[k].countable
    ]
    cands = [named.candidates[k] for k in keep]
    Jn = jacobian(cands, Xs, col_scale, ConstraintSpec().rel_step)
    approx_n = [named.rows[k].status == "approximate" for k in keep]
    approx_f = [ideal.relations[i].kind == "approximate" for i in use]
    names = [named.rows[k].name for k in keep]
    labels = match(J[list(use)], approx_f, Jn, approx_n, names, col_scale)
    matches = dict(zip(use, labels, strict=True))
    Xe = evaluation_matrix(fm)
    for i, label in matches.items():
        k = next((j for j, nm in enumerate(names) if label.startswith(nm + " ")), None)
        if (
            k is None
            or named.rows[keep[k]].kind != "resonance"
            or ideal.relations[i].kind != "approximate"
        ):
            continue
        c = cands[k]
        m2 = c.evaluate(c.view(Xe, fm.n_features)) ** 2
        q1, q3 = np.percentile(m2, [25.0, 75.0])
        pair = c.formula.split("invariant mass of ")[-1].split(" =")[0]
        pair = pair.replace("_minus", "-").replace("_plus", "+").replace(", ", " ")
        resonance_forms[i] = (
            f"m{pair}^2 ~ {float(np.median(m2)):.5g} GeV^2, spread (IQR) {float(q3 - q1):.3g} GeV^2 "
            f"(approximate; found as"
        )
    out = []
    Ju = J[list(use)]
    for k, name in enumerate(names):
        tol = APPROX_RTOL if approx_n[k] or any(approx_f) else EXACT_RTOL
        ok = bool(len(use)) and in_span(Ju, Jn[k], col_scale, tol)
        out.append(Reconciled(name, named.rows[k].formula, named.rows[k].status, ok))
    return len(keep), matches, out


def _terms(c: Constraint, X: np.ndarray) -> np.ndarray:
    assert c.terms is not None
    return np.asarray(c.terms(X))


def _restated(J: np.ndarray, use: Sequence[int], col_scale: np.ndarray) -> set[int]:
    """Acting generators whose gradient is parallel to an earlier one's on every event."""
    out = set()
    for a, i in enumerate(use):
        if any(in_span(J[[j]], J[i], col_scale, EXACT_RTOL) for j in use[:a] if j not in out):
            out.add(i)
    return out


def _two_nn(fm: FeatureMatrix, seed: int, notes: list[str]) -> tuple[float, float] | None:
    from hepsym.geometry import two_nn

    try:
        res = two_nn(fm.X, seed=seed)
    except HepsymError as err:
        notes.append(f"TwoNN not estimated: {err}")
        return None
    if not math.isfinite(res.dim):
        return None
    return float(res.dim), float(res.err)
