"""Count independent constraints (the Jacobian's rank) and the embedding dimension.

**Rank.** For the constraints that hold, the Jacobian J_ij = dg_i/dx_j is taken by
central finite differences with a relative step (h_j = ``rel_step`` x max(|x_j|, rms_j))
on a random sample of events. Each column is multiplied by the feature's rms (so that
features in different units weigh alike), each row is divided by its norm, and the
rank is the number of singular values above ``rank_rtol`` x the largest. The rank is
computed per sampled event; the reported rank is the most common one, and its
stability is the fraction of sampled events that give it. A row whose norm, in units
of the constraint's natural scale, is below ``zero_tol`` on most events does not act on
the features (e.g. on-shell when E is derived from |p|): it is reported, never counted.

**Embedding.** The predicted dimension is d = n_features - rank. The fewest Euclidean
coordinates that hold the manifold one to one are d + 1 when the holding constraints
leave a closed (compact, boundaryless) manifold, d otherwise. Two structures are
recognised from the constraints themselves, never from the dataset's name:

* total 3-momentum and energy of two particles fixed (a two-body final state at fixed
  sqrt(s), with or without the on-shell conditions): p2 = P - p1 and E1 + E2 = E leave
  p1 on an ellipsoid, the sphere S^2 (d = 2, embedding 3);
* a user constraint sum_i x_i^2 = R^2 > 0 on k features, d = k - 1, and no other holding
  constraint cutting the sphere (on those k features every other gradient is zero or
  parallel to the sphere's): the sphere S^(k-1) (embedding k). Features fixed by a
  constant-feature constraint are left out of k (a sphere cut by x_k = c is a smaller one).

n >= 3 particles at fixed total four-momentum form a closed manifold of dimension 3n - 4
too, but not a sphere: embedding d + 1 is then a lower bound, and the output says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hepsym.constraints.base import Constraint
from hepsym.features import FeatureMatrix

__all__ = ("RankResult", "Topology", "jacobian", "rank", "topology")


def jacobian(
    constraints: Sequence[Constraint], X: np.ndarray, col_scale: np.ndarray, rel_step: float
) -> np.ndarray:
    """dg_i/dx_j per event by central differences: constraints x events x features.

    X may be an evaluation matrix: the features (one per entry of ``col_scale``) followed
    by per-event parameters, which travel with each event but are not differentiated.
    """
    n, width = X.shape
    f = len(col_scale)
    h = rel_step * np.maximum(np.abs(X[:, :f]), col_scale)  # events x features
    eye = np.eye(f, width)
    plus = (X[None, :, :] + h.T[:, :, None] * eye[:, None, :]).reshape(f * n, width)
    minus = (X[None, :, :] - h.T[:, :, None] * eye[:, None, :]).reshape(f * n, width)
    both = np.concatenate([plus, minus])
    out = np.empty((len(constraints), n, f))
    for i, c in enumerate(constraints):
        with np.errstate(all="ignore"):
            g = np.asarray(c.evaluate(c.view(both, f)), dtype=np.float64)
        gp, gm = g[: f * n].reshape(f, n), g[f * n :].reshape(f, n)
        out[i] = ((gp - gm) / (2.0 * h.T)).T
    return out


@dataclass(frozen=True)
class RankResult:
    """The modal Jacobian rank over the sampled events and the fraction giving it."""

    rank: int
    stability: float


def rank(J: np.ndarray, col_scale: np.ndarray, rtol: float) -> RankResult:
    """Modal rank over events of the column-scaled, row-normalised Jacobian."""
    n_c, n_s, _ = J.shape
    if n_c == 0:
        return RankResult(0, 1.0)
    A = np.transpose(J, (1, 0, 2)) * col_scale[None, None, :]  # events x constraints x features
    norms = np.linalg.norm(A, axis=2, keepdims=True)
    A = np.where(norms > 0, A / np.where(norms > 0, norms, 1.0), 0.0)
    A = np.nan_to_num(A, nan=0.0, posinf=0.0, neginf=0.0)
    sv = np.linalg.svd(A, compute_uv=False)
    ranks = np.sum(sv > rtol * np.maximum(sv[:, :1], 1e-300), axis=1)
    modal, count = Counter(ranks.tolist()).most_common(1)[0]
    return RankResult(int(modal), count / n_s)


def acts(J: np.ndarray, col_scale: np.ndarray, scales: np.ndarray, zero_tol: float) -> np.ndarray:
    """Per constraint: does its gradient (in units of its natural scale) differ from zero?"""
    norms = np.linalg.norm(J * col_scale[None, None, :], axis=2)  # constraints x events
    with np.errstate(all="ignore"):
        rel = norms / np.where(scales > 0, scales, 1e-300)
    rel = np.nan_to_num(rel, nan=0.0)
    return np.median(rel, axis=1) > zero_tol


def _cuts(J: np.ndarray, i: int, cols: list[int], rtol: float = 1e-6) -> bool:
    """Do the other constraints restrict the sphere of constraint ``i`` (on ``cols``)?

    They do not when, on the sphere's features, every other gradient is zero or parallel
    to the sphere's own (a duplicate), i.e. the rows restricted to ``cols`` have rank 1.
    """
    A = np.transpose(J[:, :, cols], (1, 0, 2))  # events x constraints x sphere features
    norms = np.linalg.norm(A, axis=2, keepdims=True)
    A = np.where(norms > 0, A / np.where(norms > 0, norms, 1.0), 0.0)
    sv = np.linalg.svd(A, compute_uv=False)
    ranks = np.sum(sv > rtol * np.maximum(sv[:, :1], 1e-300), axis=1)
    return bool(np.median(ranks) > 1)


@dataclass(frozen=True)
class Topology:
    """What the holding constraints say about the manifold's shape.

    Attributes:
        embedding_dim: fewest Euclidean coordinates (a lower bound when ``exact`` is False).
        shape: ``"S^2"``, ``"S^1"``, ``"closed"`` or ``"open"``.
        exact: whether ``embedding_dim`` is known exactly (sphere or open manifold).
        reason: the rule that applied, in words.
    """

    embedding_dim: int
    shape: str
    exact: bool
    reason: str


def topology(
    fm: FeatureMatrix,
    holding: Sequence[Constraint],
    expected: Sequence[float],
    J_holding: np.ndarray,
    predicted_dim: int,
) -> Topology:
    """The embedding dimension from the structure of the holding constraints."""
    d = predicted_dim
    kinds = Counter(c.kind for c in holding)
    names = {c.name for c in holding}
    n_particles = len(fm.particles)
    full_p4 = {"sum_px", "sum_py", "sum_pz", "sum_E"} <= names and kinds["momentum"] >= 3
    if full_p4 and fm.kind in ("p3", "p4", "ptetaphim") and d > 0:
        if n_particles == 2 and d == 2:
            return Topology(
                3,
                "S^2",
                True,
                "two particles at fixed total momentum and energy: p1 lies on an "
                "ellipsoid (the sphere S^2), which needs d + 1 = 3 coordinates",
            )
        return Topology(
            d + 1,
            "closed",
            False,
            f"{n_particles} particles at fixed total four-momentum form a closed "
            f"manifold: it needs at least d + 1 = {d + 1} coordinates",
        )
    for i, c in enumerate(holding):
        if not c.sphere or not expected[i] > 0:
            continue
        # features pinned by a constant-feature constraint leave a smaller sphere
        fixed = {f for h in holding if h.kind == "constant-feature" for f in h.features}
        free = [s for s in c.sphere if s not in fixed]
        k = len(free)
        cols = [fm.names.index(s) for s in free]
        if d == k - 1 and d > 0 and not _cuts(J_holding, i, cols):
            return Topology(
                k,
                f"S^{k - 1}",
                True,
                f"{c.name}: a sum of {k} squares fixed to R^2 > 0 leaves the sphere "
                f"S^{k - 1}, which needs d + 1 = {k} coordinates",
            )
    return Topology(
        d, "open", True, "no closed manifold recognised (a free direction remains): embedding = d"
    )
