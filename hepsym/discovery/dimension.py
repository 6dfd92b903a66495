"""The dimension the discovered relations leave: Jacobian rank, Hilbert growth, TwoNN.

The generators become :class:`~hepsym.constraints.base.Constraint` objects of the
features, so that the constraints stage's Jacobian and rank code counts them
(:mod:`hepsym.constraints.counting`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hepsym.constraints.base import Constraint
from hepsym.constraints.counting import RankResult, acts, jacobian, rank
from hepsym.discovery.formula import Polynomial
from hepsym.discovery.ideal import IdealResult
from hepsym.discovery.monomials import evaluate
from hepsym.discovery.reconcile import EXACT_RTOL, in_span
from hepsym.discovery.variables import Variables
from hepsym.errors import HepsymError
from hepsym.features import FeatureMatrix
from hepsym.spec import ConstraintSpec

__all__ = ("Counted", "count", "growth_dim", "hilbert_dim", "two_nn")


def as_constraint(i: int, poly: Polynomial, V: Variables) -> Constraint:
    """A discovered generator as a constraint of the features."""

    def func(X: np.ndarray) -> np.ndarray:
        return poly(V.of_evaluation(X))

    def terms(X: np.ndarray) -> np.ndarray:
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


@dataclass(frozen=True)
class Counted:
    """The generators on sampled events: their Jacobian, which act, the rank.

    Attributes:
        found: the generators as constraints.
        J: their Jacobian on ``Xs`` (generators x events x features).
        Xs: the sampled rows of the evaluation matrix.
        col_scale: RMS of every feature (the rank code's column scale).
        acting: per generator, whether its gradient is not zero on the features.
        use: the acting generators' indices.
        rank: the rank result of the acting ones, ``None`` if none act.
        restated: generators whose gradient lies in the span of the earlier ones'
            (not listed).
    """

    found: tuple[Constraint, ...]
    J: np.ndarray
    Xs: np.ndarray
    col_scale: np.ndarray
    acting: np.ndarray
    use: tuple[int, ...]
    rank: RankResult | None
    restated: frozenset[int]


def count(
    fm: FeatureMatrix,
    polys: Sequence[Polynomial],
    kinds: Sequence[str],
    V: Variables,
    Xs: np.ndarray,
) -> Counted:
    """The Jacobian rank of the generators on the rows ``Xs`` of the evaluation matrix."""
    spec = ConstraintSpec()
    found = tuple(as_constraint(i, p, V) for i, p in enumerate(polys))
    col_scale = np.sqrt(np.mean(fm.X * fm.X, axis=0))
    col_scale = np.where(col_scale > 0, col_scale, 1.0)
    J = jacobian(list(found), Xs, col_scale, spec.rel_step)
    if found:
        scales = np.stack([np.abs(_terms(c, Xs)).sum(axis=0) for c in found])
        acting = acts(J, col_scale, scales, spec.zero_tol)
    else:
        acting = np.zeros(0, bool)
    use = tuple(i for i in range(len(found)) if acting[i])
    rr = rank(J[list(use)], col_scale, spec.rank_rtol) if use else None
    return Counted(found, J, Xs, col_scale, acting, use, rr, _restated(J, use, kinds, col_scale))


def _terms(c: Constraint, X: np.ndarray) -> np.ndarray:
    assert c.terms is not None
    return np.asarray(c.terms(X))


def _restated(
    J: np.ndarray, use: Sequence[int], kinds: Sequence[str], col_scale: np.ndarray
) -> frozenset[int]:
    """Acting exact generators whose gradient lies in the span of the earlier listed ones'.

    At the exact rank tolerance: a border-basis element that follows from the others (the
    on-shell relation of a second particle of fixed |p|), or the same surface through
    the lift. Approximate ones are not tested here: the search keeps none whose gradient
    lies in the span of those before it (``Rules.consequence``).
    """
    out: set[int] = set()
    for a, i in enumerate(use):
        before = [j for j in use[:a] if j not in out]
        if kinds[i] == "exact" and before and in_span(J[before], J[i], col_scale, EXACT_RTOL):
            out.add(i)
    return frozenset(out)


def growth_dim(hilbert: Sequence[int], fallback: int) -> int:
    """The dimension from the growth of the Hilbert function: h(d) ~ d^(k - 1).

    From the last two degrees, k = 1 + round(log(h(D) / h(D-1)) / log(D / (D-1))):
    constant h (a curve) gives 1, linear h (a surface) 2. A low-degree estimate: it
    approaches the dimension from below for k >= 4 at degree <= 3.
    """
    D = len(hilbert) - 1
    if D < 2 or hilbert[D] == 0 or hilbert[D - 1] == 0:
        return 0 if D >= 1 and hilbert[D] == 0 else fallback
    return 1 + round(math.log(hilbert[D] / hilbert[D - 1]) / math.log(D / (D - 1)))


def hilbert_dim(ideal: IdealResult, n_vars: int) -> int:
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


def two_nn(fm: FeatureMatrix, seed: int, notes: list[str]) -> tuple[float, float] | None:
    """TwoNN's dimension and error on the features (a note where it cannot say)."""
    from hepsym.geometry import two_nn as _two_nn

    try:
        res = _two_nn(fm.X, seed=seed)
    except HepsymError as err:
        notes.append(f"TwoNN not estimated: {err}")
        return None
    if not math.isfinite(res.dim):
        return None
    return float(res.dim), float(res.err)
