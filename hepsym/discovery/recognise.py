"""An approximate relation as a physicist reads it: the invariant mass of a group of particles.

A fitted approximate relation is a least-squares polynomial, defined modulo the exact
relations and mixed with whatever correlates with it in the sample. Where the particles
are known (momentum features), every group S of two or more particles is tried: the relation *is* m(S)^2 ~ M^2 where its gradient and that of m(S)^2,
both taken modulo the exact relations' gradients (their components along those removed,
event by event), are parallel: median |cos| over events at least ``MIN_COS``. The best
group is printed with the median and interquartile range of m(S)^2 on the events; the
fitted polynomial is kept beside it. Nothing here is told a mass: the groups are all
groups, and the value is the data's.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from hepsym.discovery.formula import Polynomial
from hepsym.discovery.monomials import gradient
from hepsym.discovery.variables import Variables

__all__ = ("MIN_COS", "invariant_masses", "on_shell")

#: median |cos| between the relation's gradient and m(S)^2's, modulo the exact relations
MIN_COS = 0.9
#: most groups tried
MAX_GROUPS = 500


def _m2(V: np.ndarray, group: Sequence[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """m(S)^2 on the rows of V and its gradient (events x variables)."""
    E = np.sum([V[:, g[3]] for g in group], axis=0)
    P = [np.sum([V[:, g[c]] for g in group], axis=0) for c in range(3)]
    grad = np.zeros_like(V)
    for g in group:
        grad[:, g[3]] = 2 * E
        for c in range(3):
            grad[:, g[c]] = -2 * P[c]
    return E * E - P[0] ** 2 - P[1] ** 2 - P[2] ** 2, grad


def _off(G: np.ndarray, exact: Sequence[np.ndarray]) -> np.ndarray:
    """G with its components along the exact gradients removed, event by event."""
    if not exact:
        return G
    S = np.stack(exact, axis=1)
    out = np.empty_like(G)
    for e in range(len(G)):
        _, s, Vt = np.linalg.svd(S[e], full_matrices=False)
        Q = Vt[s > 1e-10 * (s[0] if len(s) and s[0] > 0 else 1.0)]
        out[e] = G[e] - Q.T @ (Q @ G[e])
    return out


def _median_cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    ok = (na > 0) & (nb > 0)
    if not ok.any():
        return 0.0
    return float(np.median(np.abs(np.sum(a[ok] * b[ok], axis=1)) / (na[ok] * nb[ok])))


def invariant_masses(
    approximate: dict[int, Polynomial],
    exact: Sequence[Polynomial],
    V: Variables,
    Vs: np.ndarray,
    values: np.ndarray,
) -> dict[int, str]:
    """``m(mu- mu+)^2 ~ 8298 GeV^2, spread 460 GeV^2 (approximate)`` per approximate relation.

    Each relation is compared modulo the exact relations and the other approximate ones
    (a W energy E(S) ~ c is m(complement)^2 ~ M^2 modulo m(S)^2 ~ M^2 and the sums), the
    highest degree first, each group named once. ``Vs``: the variables on the events the
    gradients are compared on; ``values``: on those the median and IQR are taken.
    Relations no group matches are left out.
    """
    groups = list(V.groups)
    if V.unit != "GeV" or len(groups) < 2 or any(len(g) != 4 for g in groups) or not approximate:
        return {}
    grads = {i: gradient(Vs, p.terms, np.asarray(p.coefficients)) for i, p in approximate.items()}
    ex = [gradient(Vs, p.terms, np.asarray(p.coefficients)) for p in exact]
    combos = itertools.chain.from_iterable(
        itertools.combinations(groups, k) for k in range(2, len(groups) + 1)
    )
    cands = [(grp, _m2(Vs, grp)[1]) for grp in itertools.islice(combos, MAX_GROUPS)]
    taken: set[tuple[tuple[int, ...], ...]] = set()
    out: dict[int, str] = {}
    for i in sorted(approximate, key=lambda i: -max(sum(t) for t in approximate[i].terms)):
        others = ex + [G for j, G in grads.items() if j != i]
        g = _off(grads[i], others)
        best, best_cos = None, MIN_COS
        for grp, grad in cands:
            if grp in taken:
                continue
            c = _median_cos(g, _off(grad, others))
            if c >= best_cos:
                best, best_cos = grp, c
        if best is None:
            continue
        taken.add(best)
        m2, _ = _m2(values, best)
        q1, med, q3 = np.percentile(m2, [25.0, 50.0, 75.0])
        names = " ".join(V.names[g[3]][2:-1] for g in best)
        out[i] = (
            f"m({names})^2 ~ {float(med):.4g} GeV^2, spread {float(q3 - q1):.3g} GeV^2 "
            "(approximate)"
        )
    return out


#: an exact relation with more terms than this is tried as an on-shell relation
MAX_TERMS = 6
#: median |cos| for an exact relation to be an on-shell one modulo the others
EXACT_COS = 0.999


def on_shell(
    exact: dict[int, Polynomial], V: Variables, Vs: np.ndarray, values: np.ndarray
) -> dict[int, str]:
    """A long exact relation that is one particle's on-shell relation modulo the others.

    The search writes a relation in normal form (an energy fixed by the energy sum is
    replaced by it), which for a fourth particle is a long quadric; where its gradient,
    modulo the other exact relations', is parallel to that of E^2 - |p|^2 of one
    particle (median |cos| >= ``EXACT_COS``), it is printed as that particle's mass.
    """
    groups = list(V.groups)
    if V.unit != "GeV" or any(len(g) != 4 for g in groups):
        return {}
    long = [i for i, p in exact.items() if len(p.terms) > MAX_TERMS + 1]
    if not long:
        return {}
    grads = {i: gradient(Vs, p.terms, np.asarray(p.coefficients)) for i, p in exact.items()}
    out: dict[int, str] = {}
    for i in long:
        others = [G for j, G in grads.items() if j != i]
        g = _off(grads[i], others)
        for grp in groups:
            _, grad = _m2(Vs, (grp,))
            if _median_cos(g, _off(grad, others)) >= EXACT_COS:
                m2 = _m2(values, (grp,))[0]
                med = float(np.median(m2))
                scale = float(np.median(values[:, grp[3]] ** 2))
                med = 0.0 if abs(med) <= 1e-9 * scale else med
                p = V.names[grp[3]][2:-1]
                mass = f", m = {np.sqrt(med):.4g} GeV" if med > 0 else ""
                out[i] = (
                    f"E({p})^2 - px({p})^2 - py({p})^2 - pz({p})^2 = {med:.6g} GeV^2"
                    f" (on-shell{mass})"
                )
                break
    return out
