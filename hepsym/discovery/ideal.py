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
its coefficients.

Two passes. The **exact** pass is plain ABM: a candidate is an *exact* relation when its
relative residual is at most ``exact_tol`` (1e-9, or 10 x the relative precision the
features are written with, whichever is larger), otherwise it joins O. The **approximate**
pass starts again from the constant, among the monomials of the exact O only (every one
is then in normal form modulo the exact relations, which never hold on shuffled events
and so never mix in), and every multiple g m of the approximate relations found so far
(m any monomial of the degree left) joins the span: a candidate they span to rounding
level is their consequence, not a relation. A candidate is an *approximate* relation by
one rule for every dataset (:class:`Rules`), with g on a subsample of the events and on
events shuffled between particles (columns for custom features: particle 1 of event i
with particle 2 of event pi(i)):

* **narrow**: IQR(g) <= ``max_spread`` (0.25) x IQR(g on the shuffled events) where g ties
  several particles together (a law that ties them is narrow against the recombined
  events, a mere correlation of scales is not); for a g of one particle, whose shuffle
  changes nothing, the relative residual instead;
* **peaked**: at least ``PEAK_MIN_FRACTION`` (65%) of the events lie within
  ``PEAK_N_WIDTHS`` (3) x IQR(g) of its median, and at most ``max_shuffled`` (25%) of the
  shuffled events do (constants of :mod:`hepsym.constraints.verify`'s resonance rule). A
  resonance peak holds ~90% of the events there and ~10-20% of the shuffled ones; a
  falling continuum with a peak on it (a Drell-Yan window of 20-1000 GeV) has an IQR as
  wide as its median and 60-70% of the shuffled events in that window: not a relation;
* **noise**: its residual is a width, not a truncated series. The *neighbour ratio*
  mean (g_i - g_nn(i))^2 / (2 var g), nn(i) the nearest other event in z, must be at
  least ``noise`` (0.3): ~1 for the Breit-Wigner spread of m^2 ~ M^2 on a low-dimensional
  surface, 0.45-0.7 for the W masses on the six-dimensional one of e+e- -> WW, below
  0.1 for y - P(x) with y = sin(x) or the truncated series on a sphere;
* **new**: its gradient on the events is not in the span of the relations' found before
  it: the median over events of |grad g off that span| / |grad g| is above
  ``consequence`` (0.04). Products of approximate relations with the width of the data
  vanish nearly as well as the relations and are no polynomial identity, but their
  gradient lies in the others' span to ~1% (measured up to 0.02 at degree 2 and 0.06 at
  degree 3 on e+e- -> WW; a new relation: 0.08 for m(mumu)^2 at the LHC, 0.3-0.5 for
  the W masses).

Approximate relations are sought up to degree ``approx_degree`` (2: an invariant mass
squared is quadratic in the momenta); above it the approximate pass only continues the
order ideal, since near-consequences there reach the gradient share of new relations.
Otherwise t joins O. IQRs and fractions are robust against the Breit-Wigner tails that
dominate a standard deviation.

Cost is linear in the events with bounded memory: per degree the monomials of O and of
the candidates are evaluated chunk by chunk and reduced to one upper-triangular R by a
tall-skinny QR (R of the stacked chunk R's), so that |A v| = |R v| for every coefficient
vector v with the precision of a QR, not of a Gram matrix. **Weights**: with event weights
the rows enter the QR times sqrt(|w| / mean |w|) (weighted least squares, a positive
measure: |w|, as the VAEs' sampling), and the shuffled and neighbour subsamples are drawn
with probability |w|, so that their plain quantiles are weighted ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hepsym.discovery.monomials import (
    ONE,
    Basis,
    Column,
    Exp,
    border,
    columns,
    combine,
    evaluate,
    gradient,
    monomials_of_degree,
    neighbours,
    outside,
    shuffle,
    tsqr,
)
from hepsym.discovery.rules import PEAK_MIN_FRACTION, PEAK_N_WIDTHS, Rules, judge

__all__ = (
    "PEAK_MIN_FRACTION",
    "PEAK_N_WIDTHS",
    "IdealResult",
    "Relation",
    "Rules",
    "evaluate",
    "monomials_of_degree",
    "vanishing_ideal",
)

#: events of the shuffled subsample and of the nearest-neighbour and peak tests
N_SHUFFLED = 20_000
N_NEIGHBOURS = 5_000
#: events on which an approximate relation's gradient is compared with the others'
N_GRADIENT = 200
#: most events the least squares (the chunked QR, linear in events) are fitted on: a
#: uniform draw beyond, so that 10^6 events cost what 10^5 do; files up to this size use
#: every event, as before
N_FIT = 100_000


@dataclass(frozen=True)
class Relation:
    """One generator of the ideal: sum_k coefficients[k] * prod_j z_j^terms[k][j] ~ 0.

    Attributes:
        terms: exponent vectors, the leading term first.
        coefficients: of each term, for monomials in the standardised variables z
            (unscaled: the leading coefficient is 1 / RMS of the leading monomial).
        degree: of the leading term.
        residual_rel: RMS over events / norm of the unit-RMS coefficients.
        spread: the spread that judged it (IQR ratio to shuffled events, or residual).
        spread_ratio: IQR(g) / IQR(g on shuffled events), ``None`` for one group.
        kind: ``exact`` or ``approximate``.
        rms: RMS of g over the events, in z units.
        peak_fraction: share of the events within PEAK_N_WIDTHS IQRs of the median
            (approximate relations).
        shuffled_fraction: the same share of the shuffled events (``None``: one group).
    """

    terms: tuple[Exp, ...]
    coefficients: np.ndarray
    degree: int
    residual_rel: float
    spread: float
    spread_ratio: float | None
    kind: str
    rms: float
    peak_fraction: float | None = None
    shuffled_fraction: float | None = None


@dataclass(frozen=True)
class Rejected:
    """A narrow candidate refused: ``broad`` (not peaked) or ``smooth`` (a truncated series)."""

    term: Exp
    degree: int
    spread: float
    neighbour_ratio: float
    reason: str


@dataclass(frozen=True)
class IdealResult:
    """The relations, the order ideal, and the new order-ideal monomials per degree.

    ``hilbert`` counts the order ideal of all relations, ``hilbert_exact`` that of the
    exact ones alone.
    """

    relations: tuple[Relation, ...]
    order_ideal: tuple[Exp, ...]
    hilbert: tuple[int, ...]
    rejected: tuple[Rejected, ...]
    hilbert_exact: tuple[int, ...] = ()


def _sample(n: int, size: int, p: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """Distinct events, drawn with probability |weight| where there are weights."""
    k = min(n, size) if p is None else min(size, int(np.count_nonzero(p)))
    return np.sort(rng.choice(n, size=k, replace=False, p=p))


def vanishing_ideal(
    Z: np.ndarray,
    groups: Sequence[Sequence[int]],
    max_degree: int,
    rules: Rules,
    *,
    chunk: int = 65_536,
    seed: int = 0,
    weights: np.ndarray | None = None,
) -> IdealResult:
    """The relations of degree <= max_degree that the rows of Z (standardised) obey.

    Args:
        Z: events x variables, standardised (mean 0, std 1; a constant column all 0);
            the least squares use at most :data:`N_FIT` of them (a uniform draw).
        groups: columns that travel together when events are shuffled (one per particle).
        max_degree: highest degree of a leading term.
        rules: when a candidate is a relation.
        chunk: events per step of the QR (memory is chunk x monomials).
        seed: of the shuffle and the subsamples.
        weights: per-event non-negative weights (|w|) of the least squares and the
            subsamples, or ``None``.
    """
    n = len(Z)
    rng = np.random.default_rng(seed)
    p = sw = None
    if weights is not None:
        w = np.abs(np.asarray(weights, dtype=np.float64))
        p = w / w.sum()
        sw = np.sqrt(w / w.mean())
    Zfit, swfit = Z, sw
    if n > N_FIT:
        # its own generator: the draws below stay those of every smaller file
        rows = np.sort(np.random.default_rng([seed, N_FIT]).choice(n, N_FIT, replace=False))
        Zfit, swfit = Z[rows], (None if sw is None else sw[rows])
    exact, order_exact, hilbert_exact = _exact_pass(Zfit, swfit, max_degree, rules, chunk)
    Zsh = shuffle(Z[_sample(n, N_SHUFFLED, p, rng)], groups, rng)
    near = Z[_sample(n, N_NEIGHBOURS, p, rng)]
    grads = [gradient(near[:N_GRADIENT], r.terms, r.coefficients) for r in exact]
    ctx = _Context(Zfit, swfit, groups, Zsh, near, neighbours(near), rules, chunk, grads)
    approx, order, hilbert, rejected = _approximate_pass(ctx, set(order_exact), max_degree)
    return IdealResult(
        tuple(exact + approx), tuple(order), tuple(hilbert), tuple(rejected), tuple(hilbert_exact)
    )


def _exact_pass(
    Z: np.ndarray, sw: np.ndarray | None, max_degree: int, rules: Rules, chunk: int
) -> tuple[list[Relation], list[Exp], list[int]]:
    """Plain ABM with the exact rule: the exact relations and their order ideal."""
    n, f = Z.shape
    order: list[Exp] = [(0,) * f]
    relations: list[Relation] = []
    hilbert = [1]
    for d in range(1, max_degree + 1):
        cands = border(set(order), f, d)
        if not cands:
            hilbert.append(0)
            continue
        cols: list[Column] = [((o,), ONE) for o in order] + [((t,), ONE) for t in cands]
        Rs, safe, rms_col = _scaled_r(Z, cols, chunk, sw)
        k = len(order)
        basis = Basis(Rs, range(k))
        new = 0
        for j, t in enumerate(cands):
            col = k + j
            if rms_col[col] <= 1e-300:
                relations.append(Relation((t,), np.array([1.0]), d, 0.0, 0.0, None, "exact", 0.0))
                continue
            y, w = basis.project(Rs[:, col])
            coef = np.concatenate([[1.0], -basis.solve(y)])
            rms = float(np.linalg.norm(w)) / math.sqrt(n)
            residual_rel = rms / float(np.linalg.norm(coef))
            if residual_rel <= rules.exact_tol:
                idx = [col, *basis.kept]
                terms, tcoef = combine([cols[i] for i in idx], coef / safe[idx])
                relations.append(
                    Relation(terms, tcoef, d, residual_rel, residual_rel, None, "exact", rms)
                )
            else:
                basis.add(col, y, w)
                order.append(t)
                new += 1
        hilbert.append(new)
    return relations, order, hilbert


@dataclass(frozen=True)
class _Context:
    """What the approximate pass reads: the events, their shuffle, the neighbour sample."""

    Z: np.ndarray
    sw: np.ndarray | None
    groups: Sequence[Sequence[int]]
    Zsh: np.ndarray
    near: np.ndarray
    nn: np.ndarray
    rules: Rules
    chunk: int
    gradients: list[np.ndarray]


def _approximate_pass(
    ctx: _Context, allowed: set[Exp], max_degree: int
) -> tuple[list[Relation], list[Exp], list[int], list[Rejected]]:
    """The approximate relations among the monomials the exact relations leave.

    Candidates are the border terms of the approximate order ideal that are in the exact
    one; multiples g z^o of the approximate relations found so far (and, within a degree,
    the relations themselves) join the span a candidate is fitted on, so that nothing they
    imply is found again: a candidate they span to rounding level is their consequence.
    """
    n, f = ctx.Z.shape
    order: list[Exp] = [(0,) * f]
    relations: list[Relation] = []
    rejected: list[Rejected] = []
    hilbert = [1]
    for d in range(1, max_degree + 1):
        cands = [t for t in border(set(order), f, d) if t in allowed]
        if not cands:
            hilbert.append(0)
            continue
        # every multiple g m (m any monomial, not only those of O: g1 g2 and g1 t1 are
        # consequences too), so that what the relations imply is spanned to rounding
        multiples = [
            _shift(r, m)
            for r in relations
            for e in range(d - r.degree + 1)
            for m in monomials_of_degree(f, e)
        ]
        cols: list[Column] = [((o,), ONE) for o in order] + multiples + [((t,), ONE) for t in cands]
        Rs, safe, _ = _scaled_r(ctx.Z, cols, ctx.chunk, ctx.sw)
        judging = d <= ctx.rules.approx_degree
        Ash = columns(ctx.Zsh, cols) / safe if judging else np.zeros((0, len(cols)))
        Anear = columns(ctx.near, cols) / safe if judging else np.zeros((0, len(cols)))
        touches = [_groups_of(terms, ctx.groups) for terms, _ in cols]
        k = len(order) + len(multiples)
        basis = Basis(Rs, range(k), leading=len(order))
        new = 0
        for j, t in enumerate(cands):
            col = k + j
            y, w = basis.project(Rs[:, col])
            coef = np.concatenate([[1.0], -basis.solve(y)])
            rms = float(np.linalg.norm(w)) / math.sqrt(n)
            residual_rel = rms / float(np.linalg.norm(coef))
            idx = [col, *basis.kept]
            if residual_rel <= ctx.rules.exact_tol:
                continue  # spanned by the approximate relations' multiples: their consequence
            if not judging:  # above approx_degree: the order ideal only
                basis.add(col, y, w)
                order.append(t)
                new += 1
                continue
            values = (Anear[:, idx] @ coef, Ash[:, idx] @ coef)
            verdict = judge(
                ctx.rules, ctx.nn, coef, [touches[i] for i in idx], values, residual_rel
            )
            if verdict.kind:
                terms, tcoef = combine([cols[i] for i in idx], coef / safe[idx])
                G = gradient(ctx.near[:N_GRADIENT], terms, tcoef)
                if outside(G, ctx.gradients) <= ctx.rules.consequence:
                    # its gradient lies in the span of the relations found before it on
                    # the events (h g1 + g1 grad h ~ h grad g1 for a multiple h g1): implied
                    basis.add(col, y, w)
                    continue
                ctx.gradients.append(G)
                relations.append(
                    Relation(
                        terms,
                        tcoef,
                        d,
                        residual_rel,
                        verdict.spread,
                        verdict.ratio,
                        "approximate",
                        rms,
                        verdict.peak_fraction,
                        verdict.shuffled_fraction,
                    )
                )
                basis.add(col, y, w)  # span{kept, t} = span{kept, g}: g joins the span
                continue
            if verdict.reason:
                rejected.append(
                    Rejected(t, d, verdict.spread, verdict.neighbour_ratio, verdict.reason)
                )
            basis.add(col, y, w)
            order.append(t)
            new += 1
        hilbert.append(new)
    return relations, order, hilbert, rejected


def _groups_of(terms: Sequence[Exp], groups: Sequence[Sequence[int]]) -> frozenset[int]:
    """The particle groups (indices) a polynomial's terms read."""
    used = {j for t in terms for j, e in enumerate(t) if e}
    return frozenset(k for k, g in enumerate(groups) if used & set(g))


def _scaled_r(
    Z: np.ndarray, cols: Sequence[Column], chunk: int, sw: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R of the (weighted) columns, each scaled to unit RMS; the scales; the RMS."""
    R = tsqr(Z, cols, max(chunk, 2 * len(cols)), sw)
    rms_col = np.linalg.norm(R, axis=0) / math.sqrt(len(Z))
    safe = np.where(rms_col > 0, rms_col, 1.0)
    return R / safe, safe, rms_col


def _shift(r: Relation, o: Exp) -> Column:
    """The relation times the monomial o."""
    return tuple(tuple(a + b for a, b in zip(t, o, strict=True)) for t in r.terms), r.coefficients
