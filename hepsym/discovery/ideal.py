"""The approximate vanishing ideal of a point set, degree by degree (an ABM / OAVI variant).

The variables are standardised, z_j = (x_j - mean_j) / std_j. Monomials in z are visited
in degree-lexicographic order (the last variable the largest), degree by degree. At degree
d the candidates are the *border* terms: monomials t whose every divisor t / z_i is in the
order ideal O (the monomials kept so far). A multiple of a leading term is never a border
term, so a relation implied by lower-degree ones is not found again.

Every candidate t is fitted by least squares on the span of the monomials of O (the
constant included) and of the candidates before it that were kept:
g = t - sum_s c_s s, with every monomial scaled to unit RMS over the events. Its
**relative residual** is RMS(g) / |(1, c)|: the RMS over events relative to the norm of
its coefficients. The rules (:class:`Rules`):

* *exact* when the relative residual is at most ``exact_tol`` (1e-9, or 10 x the relative
  precision the features are written with, whichever is larger);
* *approximate* when its **spread** is at most ``max_spread`` (0.25): the spread is
  std(g) / std(g on events shuffled between particles or columns) where g ties several
  of them together, and the relative residual (g against its own terms) where it does
  not; and when its residual is a width, not a truncated series: a spread across the
  surface is noise between neighbouring events, a truncated series (y - P(x) for
  y = sin(x)) is a smooth function of the position. So the *neighbour ratio*
  mean (g_i - g_nn(i))^2 / (2 var g), nn(i) the nearest other event in z, must be at least
  ``noise`` (0.5): ~1 for the Breit-Wigner spread of m^2 ~ M^2, ~0 for sin(x);
* otherwise t joins O.

Cost is linear in the events with bounded memory: per degree the monomials of O and of
the candidates are evaluated chunk by chunk and reduced to one upper-triangular R by a
tall-skinny QR (R of the stacked chunk R's), so that |A v| = |R v| for every coefficient
vector v with the precision of a QR, not of a Gram matrix. The shuffled spread needs only
variances: the Gram matrix of the same monomials on a shuffled subsample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

__all__ = ("IdealResult", "Relation", "Rules", "monomials_of_degree", "vanishing_ideal")

Exp = tuple[int, ...]

#: events of the shuffled subsample (a variance) and of the nearest-neighbour test
N_SHUFFLED = 50_000
N_NEIGHBOURS = 5_000


@dataclass(frozen=True)
class Rules:
    """When a candidate is a relation (see the module docstring)."""

    exact_tol: float = 1e-9
    max_spread: float = 0.25
    noise: float = 0.5


@dataclass(frozen=True)
class Relation:
    """One generator of the ideal: sum_k coefficients[k] * prod_j z_j^terms[k][j] ~ 0.

    Attributes:
        terms: exponent vectors, the leading term first.
        coefficients: of each term, for monomials in the standardised variables z
            (unscaled: the leading coefficient is 1 / RMS of the leading monomial).
        degree: of the leading term.
        residual_rel: RMS over events / norm of the unit-RMS coefficients.
        spread: the spread that judged it (shuffle ratio or residual).
        spread_ratio: std(g) / std(g on shuffled events), ``None`` for one group.
        kind: ``exact`` or ``approximate``.
        rms: RMS of g over the events, in z units.
    """

    terms: tuple[Exp, ...]
    coefficients: np.ndarray
    degree: int
    residual_rel: float
    spread: float
    spread_ratio: float | None
    kind: str
    rms: float


@dataclass(frozen=True)
class Rejected:
    """A candidate that looked approximate but whose residual is smooth (a truncated series)."""

    term: Exp
    degree: int
    spread: float
    neighbour_ratio: float


@dataclass(frozen=True)
class IdealResult:
    """The relations, the order ideal, and the new order-ideal monomials per degree."""

    relations: tuple[Relation, ...]
    order_ideal: tuple[Exp, ...]
    hilbert: tuple[int, ...]
    rejected: tuple[Rejected, ...]


def _key(e: Exp) -> tuple[int, ...]:
    return (sum(e), *reversed(e))


def monomials_of_degree(n_vars: int, d: int) -> list[Exp]:
    """All exponent vectors of total degree d in n_vars variables, in term order."""
    out: list[Exp] = []

    def rec(prefix: list[int], left: int, i: int) -> None:
        if i == n_vars - 1:
            out.append((*prefix, left))
            return
        for k in range(left + 1):
            rec([*prefix, k], left - k, i + 1)

    if n_vars:
        rec([], d, 0)
    return sorted(out, key=_key)


def _border(order: set[Exp], n_vars: int, d: int) -> list[Exp]:
    cands = set()
    for o in order:
        if sum(o) != d - 1:
            continue
        for i in range(n_vars):
            t = list(o)
            t[i] += 1
            te = tuple(t)
            divisors = (
                tuple(v - (j == k) for k, v in enumerate(te)) for j in range(n_vars) if te[j]
            )
            if all(dv in order for dv in divisors):
                cands.add(te)
    return sorted(cands, key=_key)


def evaluate(Z: np.ndarray, terms: Sequence[Exp]) -> np.ndarray:
    """The monomials ``terms`` of the columns of Z: events x terms."""
    n, f = Z.shape
    out = np.ones((n, len(terms)))
    top = max((max(t) for t in terms if t), default=0)
    powers = [np.ones((n, f))]
    for _ in range(top):
        powers.append(powers[-1] * Z)
    for k, t in enumerate(terms):
        for j, e in enumerate(t):
            if e:
                out[:, k] *= powers[e][:, j]
    return out


def _tsqr(Z: np.ndarray, cols: Sequence[Column], chunk: int) -> np.ndarray:
    """R of the QR of the column matrix, one chunk of events at a time."""
    m = len(cols)
    R: np.ndarray = np.zeros((0, m))
    for i in range(0, len(Z), chunk):
        A = _columns(Z[i : i + chunk], cols)
        R = np.asarray(np.linalg.qr(np.vstack([R, A]), mode="r"))
    if R.shape[0] < m:
        R = np.vstack([R, np.zeros((m - R.shape[0], m))])
    return R


def _shuffle(
    Z: np.ndarray, groups: Sequence[Sequence[int]], rng: np.random.Generator
) -> np.ndarray:
    out = Z.copy()
    for g in groups[1:]:
        out[:, list(g)] = Z[rng.permutation(len(Z))][:, list(g)]
    return out


def _touched(
    terms: Sequence[Exp], weights: np.ndarray, floor: float, groups: Sequence[Sequence[int]]
) -> int:
    used = {
        j
        for t, w in zip(terms, weights, strict=True)
        if abs(w) > floor
        for j, e in enumerate(t)
        if e
    }
    return sum(1 for g in groups if used & set(g))


class _Basis:
    """An orthonormal basis of kept columns of R, with R[:, kept] = B T (T upper triangular)."""

    def __init__(self, R: np.ndarray, k: int) -> None:
        self.B = np.eye(R.shape[0])[:, :k]
        self.T = R[:k, :k].copy()

    def project(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = self.B.T @ v
        w = v - self.B @ y
        y2 = self.B.T @ w  # once more: classical Gram-Schmidt needs it
        return y + y2, w - self.B @ y2

    def solve(self, y: np.ndarray) -> np.ndarray:
        """Coefficients on the kept columns of the projection with basis coordinates y."""
        return solve_triangular(self.T, y) if len(y) else y

    def add(self, y: np.ndarray, w: np.ndarray) -> None:
        nrm = float(np.linalg.norm(w))
        r = self.T.shape[0]
        T = np.zeros((r + 1, r + 1))
        T[:r, :r], T[:r, r], T[r, r] = self.T, y, nrm
        self.T = T
        self.B = np.column_stack([self.B, w / nrm if nrm > 0 else w])


def _neighbours(Z: np.ndarray) -> np.ndarray:
    """Index of every row's nearest other row (exact, k-d tree)."""
    from scipy.spatial import cKDTree

    _, idx = cKDTree(Z).query(Z, k=2)
    return idx[:, 1]


def smoothness(r: np.ndarray, nn: np.ndarray) -> float:
    """mean (r_i - r_nn(i))^2 / (2 var r): ~1 for noise, ~0 for a smooth function of x."""
    var = float(np.var(r))
    if var <= 0:
        return 0.0
    return float(np.mean((r - r[nn]) ** 2)) / (2.0 * var)


def vanishing_ideal(
    Z: np.ndarray,
    groups: Sequence[Sequence[int]],
    max_degree: int,
    rules: Rules,
    *,
    chunk: int = 65_536,
    seed: int = 0,
) -> IdealResult:
    """The relations of degree <= max_degree that the rows of Z (standardised) obey.

    Args:
        Z: events x variables, standardised (mean 0, std 1; a constant column all 0).
        groups: columns that travel together when events are shuffled (one per particle).
        max_degree: highest degree of a leading term.
        rules: when a candidate is a relation.
        chunk: events per step of the QR (memory is chunk x monomials).
        seed: of the shuffle.
    """
    n, f = Z.shape
    rng = np.random.default_rng(seed)
    sub = rng.choice(n, size=min(n, N_SHUFFLED), replace=False)
    Zsh = _shuffle(Z[sub], groups, rng)
    near = Z[rng.choice(n, size=min(n, N_NEIGHBOURS), replace=False)]
    nn = _neighbours(near)
    order: list[Exp] = [(0,) * f]
    relations: list[Relation] = []
    rejected: list[Rejected] = []
    hilbert = [1]
    for d in range(1, max_degree + 1):
        cands = _border(set(order), f, d)
        if not cands:
            hilbert.append(0)
            continue
        # multiples of the approximate relations span what they imply (g x_i ~ 0 too),
        # so that no combination of them is found again as a relation of its own
        multiples = [
            _shift(r, o)
            for r in relations
            if r.kind == "approximate"
            for o in order
            if sum(o) <= d - r.degree
        ]
        cols: list[Column] = (
            [((o,), _ONE) for o in order] + multiples + [((t,), _ONE) for t in cands]
        )
        chunk_rows = max(chunk, 2 * len(cols))
        R = _tsqr(Z, cols, chunk_rows)
        rms_col = np.linalg.norm(R, axis=0) / math.sqrt(n)
        safe = np.where(rms_col > 0, rms_col, 1.0)
        Rs = R / safe
        Ash = _columns(Zsh, cols) / safe
        mean_sh = Ash.mean(axis=0)
        cov_sh = Ash.T @ Ash / len(Ash) - np.outer(mean_sh, mean_sh)
        k_o = len(order)
        k = k_o + len(multiples)
        basis = _Basis(Rs, k)  # with the multiples of the approximate relations
        plain = _Basis(Rs, k_o)  # without them: the exact test (plain ABM)
        kept = list(range(k))
        new = 0
        for j, t in enumerate(cands):
            col = k + j
            if rms_col[col] <= 1e-300:
                relations.append(Relation((t,), np.array([1.0]), d, 0.0, 0.0, None, "exact", 0.0))
                continue
            v = Rs[:, col]
            y, w = basis.project(v)
            y2, w2 = plain.project(v)
            if multiples:
                v_plain = plain.solve(y2)
                rel_plain = _residual_rel(w2, v_plain, n)
            c = solve_triangular(basis.T, y) if len(y) else y
            rms = float(np.linalg.norm(w)) / math.sqrt(n)
            coef = np.concatenate([[1.0], -c])
            residual_rel = rms / float(np.linalg.norm(coef))
            if multiples:
                if rel_plain <= rules.exact_tol:
                    # exact without the approximate relations: judge it by the plain fit
                    residual_rel, rms = rel_plain, float(np.linalg.norm(w2)) / math.sqrt(n)
                    c = np.concatenate([v_plain[:k_o], np.zeros(k - k_o), v_plain[k_o:]])
                    coef = np.concatenate([[1.0], -c])
                elif float(np.linalg.norm(w2)) > 2.0 * float(np.linalg.norm(w)) and (
                    residual_rel <= rules.exact_tol
                    or _spread_ok(coef, [col, *kept], cov_sh, rms, rules)
                ):
                    # what it has it owes to the approximate relations' multiples: their consequence
                    continue
            idx = [col, *kept]
            var_sh = float(coef @ cov_sh[np.ix_(idx, idx)] @ coef)
            ratio = rms / math.sqrt(var_sh) if var_sh > 0 else math.inf
            terms, tcoef = _combine([cols[i] for i in idx], coef / safe[idx])
            floor = max(rms, 1e-12 * float(np.abs(coef).max()))
            many = _touched(terms, tcoef * _rms_terms(near, terms), floor, groups) > 1
            spread = ratio if many else residual_rel
            kind = ""
            if residual_rel <= rules.exact_tol:
                kind = "exact"
            elif spread <= rules.max_spread:
                tr = smoothness(evaluate(near, terms) @ tcoef, nn)
                if tr >= rules.noise:
                    kind = "approximate"
                else:
                    rejected.append(Rejected(t, d, spread, tr))
            if kind:
                relations.append(
                    Relation(
                        terms, tcoef, d, residual_rel, spread, ratio if many else None, kind, rms
                    )
                )
            else:
                basis.add(y, w)
                plain.add(y2, w2)
                kept.append(col)
                order.append(t)
                new += 1
        hilbert.append(new)
    return IdealResult(tuple(relations), tuple(order), tuple(hilbert), tuple(rejected))


def _residual_rel(w: np.ndarray, c: np.ndarray, n: int) -> float:
    return float(np.linalg.norm(w)) / math.sqrt(n) / math.sqrt(1.0 + float(c @ c))


def _spread_ok(
    coef: np.ndarray, idx: Sequence[int], cov_sh: np.ndarray, rms: float, rules: Rules
) -> bool:
    var_sh = float(coef @ cov_sh[np.ix_(idx, idx)] @ coef)
    return var_sh > 0 and rms / math.sqrt(var_sh) <= rules.max_spread


Column = tuple[tuple[Exp, ...], np.ndarray]
_ONE = np.ones(1)


def _shift(r: Relation, o: Exp) -> Column:
    """The relation times the monomial o."""
    return tuple(tuple(a + b for a, b in zip(t, o, strict=True)) for t in r.terms), r.coefficients


def _columns(Z: np.ndarray, cols: Sequence[Column]) -> np.ndarray:
    """Each column (a polynomial: terms and coefficients) on the rows of Z."""
    out = np.empty((len(Z), len(cols)))
    for k, (terms, coef) in enumerate(cols):
        out[:, k] = evaluate(Z, terms) @ coef if len(terms) > 1 else evaluate(Z, terms)[:, 0]
    return out


def _combine(cols: Sequence[Column], weights: np.ndarray) -> tuple[tuple[Exp, ...], np.ndarray]:
    """sum_k weights_k column_k as one polynomial; its first term first."""
    acc: dict[Exp, float] = {}
    for (terms, coef), w in zip(cols, weights, strict=True):
        for t, c in zip(terms, coef, strict=True):
            acc[t] = acc.get(t, 0.0) + float(w * c)
    terms = tuple(acc)
    return terms, np.array([acc[t] for t in terms])


def _rms_terms(Z: np.ndarray, terms: Sequence[Exp]) -> np.ndarray:
    return np.sqrt(np.mean(evaluate(Z, terms) ** 2, axis=0))
