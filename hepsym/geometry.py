"""Model-free intrinsic dimension: the TwoNN estimator (Facco et al. 2017).

For each point let r1 and r2 be the distances to its first and second nearest
neighbours. If the density is locally uniform on a d-dimensional manifold, the
ratio mu = r2 / r1 follows a Pareto law, F(mu) = 1 - mu^-d, so -log(1 - F) = d log(mu):
d is the slope through the origin of the empirical -log(1 - F_i) against log(mu_i),
fitted without the largest 10% of the ratios (Facco et al. 2017; the same estimate as
scikit-dimension's ``TwoNN``, tested against its values).

The estimate sees the manifold dimension (1 for a circle, 2 for a sphere), not
the embedding dimension, because it only looks at the nearest neighbours.
Nearest neighbours are found exactly with a k-d tree (:class:`scipy.spatial.cKDTree`)
on every distinct point, up to ``MAX_POINTS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepsym.errors import LearnError

__all__ = ("TwoNNResult", "latent_manifold_dims", "two_nn")

#: Fewest points for which the estimate is attempted.
MIN_POINTS = 20
#: Most points an estimate uses (a random draw beyond): 5x10^4 take 0.4 s on pp -> Z events.
MAX_POINTS = 50_000
#: Inputs of more than PRE_DRAW x cap rows are cut to that many by a uniform draw first.
PRE_DRAW = 4
#: Fraction of the largest ratios r2 / r1 left out of the fit (scikit-dimension's default).
DISCARD = 0.1


@dataclass(frozen=True)
class TwoNNResult:
    """An intrinsic-dimension estimate with its uncertainty.

    Attributes:
        dim: The estimate on all the points used.
        err: Its standard error: the larger of d / sqrt(points) and the standard error of
            the mean of the estimates on disjoint parts.
        estimates: The estimate on each disjoint part.
        points: Points used.
    """

    dim: float
    err: float
    estimates: tuple[float, ...]
    points: int

    def __str__(self) -> str:
        return f"{self.dim:.2f} +- {self.err:.2f} (TwoNN on {self.points} points)"


def _mu(X: np.ndarray) -> np.ndarray:
    """r2 / r1 of every point: its second over its first nearest-neighbour distance."""
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(X).query(X, k=3, workers=-1)
    return dist[:, 2] / dist[:, 1]


def _estimate(mu: np.ndarray, discard: float) -> float:
    """The TwoNN fit: slope through the origin of -log(1 - F(mu)) against log(mu).

    The largest ``discard`` fraction of the ratios is left out (the tail where the
    locally-uniform assumption fails), and the empirical distribution function of the rest
    is F_i = i / N (i = 1, 2, ...), as in scikit-dimension's ``TwoNN``.
    """
    n = len(mu)
    kept = int(n * (1 - discard))
    x = np.log(np.sort(mu)[:kept])
    y = -np.log(1 - np.arange(1, kept + 1) / n)
    xx = float(np.dot(x, x))
    return float(np.dot(x, y) / xx) if xx > 0 else float("nan")


def two_nn(
    X: np.ndarray,
    *,
    cap: int = MAX_POINTS,
    subsamples: int = 5,
    seed: int = 0,
    standardize: bool = True,
    discard: float = DISCARD,
) -> TwoNNResult:
    """Estimate the intrinsic dimension of the point cloud ``X`` with TwoNN.

    Repeated rows are removed first (from a uniform draw of ``PRE_DRAW x cap`` rows where
    there are more). The estimate uses every distinct point, up to ``cap`` of them drawn
    at random, with exact nearest neighbours from a k-d tree
    (:class:`scipy.spatial.cKDTree`); its uncertainty is the larger of the statistical
    error d / sqrt(N) and the spread of the estimates on ``subsamples`` disjoint parts.

    Args:
        X: ``(n_points, n_features)`` finite array.
        cap: most points used.
        subsamples: disjoint parts for the spread (their estimates are kept).
        seed: seed of the draw and of the split.
        standardize: scale every feature to unit std first (a linear map, which leaves
            the dimension unchanged but stops one large feature from dominating).
        discard: fraction of the largest ratios left out of the fit.

    Returns:
        A :class:`TwoNNResult`.

    Raises:
        LearnError: If ``X`` is not 2-D, has non-finite values or too few points.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.isfinite(X).all():
        msg = f"two_nn: need a finite 2-D array, got shape {X.shape}"
        raise LearnError(msg)
    if len(X) > PRE_DRAW * cap:
        # a uniform draw of the rows first: sorting 10^6 rows for np.unique costs seconds,
        # and at most ``cap`` distinct points are used anyway (smaller inputs: as before)
        rows = np.random.default_rng([seed, cap]).choice(len(X), PRE_DRAW * cap, replace=False)
        X = X[np.sort(rows)]
    # Repeated points (r1 = 0, or r1 = r2 for their neighbours) bias the estimate.
    X = np.unique(X, axis=0)
    n = len(X)
    if n < MIN_POINTS:
        msg = f"two_nn: need at least {MIN_POINTS} distinct points, got {n}"
        raise LearnError(msg)
    if standardize:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    order = np.random.default_rng(seed).permutation(n)[: min(cap, n)]
    points = X[order]
    dim = _estimate(_mu(points), discard)
    if not np.isfinite(dim):
        msg = "two_nn: every point coincides with its neighbours; no dimension can be estimated"
        raise LearnError(msg)
    k = max(1, min(subsamples, len(points) // MIN_POINTS))
    parts = np.array_split(np.arange(len(points)), k)
    estimates = tuple(_estimate(_mu(points[p]), discard) for p in parts) if k > 1 else (dim,)
    good = np.array([e for e in estimates if np.isfinite(e)])
    # the standard error of the mean of k parts of N/k points estimates the whole's error
    spread = float(good.std(ddof=1) / np.sqrt(len(good))) if len(good) > 1 else 0.0
    err = max(dim / np.sqrt(len(points)), spread)
    return TwoNNResult(dim=dim, err=err, estimates=estimates, points=len(points))


def latent_manifold_dims(
    mu: np.ndarray, order: np.ndarray, member_dims: tuple[int, ...], *, seed: int = 0
) -> tuple[int, ...]:
    """The dimension of each member's cloud of posterior means, in its relevant latents.

    The relevance count is how many coordinates the encoder spends on the events' surface
    (its embedding); the cloud of posterior means <z> in those coordinates is the learned
    surface itself, and TwoNN on it, rounded, is its manifold dimension: 1 for the ring a
    circle becomes, 2 for the sphere of e+e- -> mu+mu-. ``-1`` where it cannot be
    estimated (fewer than two relevant latents' worth of distinct points).

    Args:
        mu: posterior means, ``(members, events, latent)``.
        order: each member's latents by decreasing relevance, ``(members, latent)``.
        member_dims: each member's relevance count.
        seed: seeds TwoNN's subsampling.
    """
    out = []
    for m, k in enumerate(member_dims):
        if k == 0:
            out.append(0)
            continue
        cloud = mu[m][:, order[m][:k]]
        try:
            # only the estimate on every point is used: no parts for the spread
            est = two_nn(cloud, seed=seed, subsamples=1).dim
        except LearnError:
            est = float("nan")
        out.append(round(est) if np.isfinite(est) else -1)
    return tuple(out)
