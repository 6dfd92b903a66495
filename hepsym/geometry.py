"""Model-free intrinsic dimension: the TwoNN estimator (Facco et al. 2017).

For each point let r1 and r2 be the distances to its first and second nearest
neighbours. If the density is locally uniform on a d-dimensional manifold, the
ratio mu = r2 / r1 follows a Pareto law, P(mu) = d mu^-(d+1), whose maximum
likelihood estimate over N points is::

    d = (N - 1) / sum_i log(mu_i)

The estimate sees the manifold dimension (1 for a circle, 2 for a sphere), not
the embedding dimension, because it only looks at the nearest neighbours.
Nearest neighbours are found exactly with :func:`torch.cdist` on subsamples of
at most a few thousand points, so neither scipy nor scikit-learn is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hepsym.errors import LearnError

__all__ = ("TwoNNResult", "latent_manifold_dims", "two_nn")

#: Fewest points for which the estimate is attempted.
MIN_POINTS = 20


@dataclass(frozen=True)
class TwoNNResult:
    """An intrinsic-dimension estimate with its uncertainty.

    Attributes:
        dim: Mean of the estimates over the disjoint subsamples.
        err: Standard error of ``dim``: the larger of the subsample estimates'
            standard error of the mean and the MLE's statistical error
            d / sqrt(points used).
        estimates: The estimate from each subsample.
        points: Points per subsample.
    """

    dim: float
    err: float
    estimates: tuple[float, ...]
    points: int

    def __str__(self) -> str:
        return f"{self.dim:.2f} +- {self.err:.2f} (TwoNN, {len(self.estimates)} x {self.points} points)"


def _two_nn_once(X: torch.Tensor, chunk: int = 1024) -> float:
    r1s, r2s = [], []
    for i in range(0, len(X), chunk):
        d = torch.cdist(X[i : i + chunk], X, compute_mode="donot_use_mm_for_euclid_dist")
        d[torch.arange(d.shape[0]), torch.arange(i, i + d.shape[0])] = torch.inf
        two = torch.topk(d, 2, dim=1, largest=False).values
        r1s.append(two[:, 0])
        r2s.append(two[:, 1])
    r1, r2 = torch.cat(r1s), torch.cat(r2s)
    keep = r1 > 0  # duplicated points carry no scale information
    log_mu = torch.log(r2[keep] / r1[keep])
    if keep.sum() < MIN_POINTS or float(log_mu.sum()) <= 0:
        return float("nan")
    return float((keep.sum() - 1) / log_mu.sum())


def two_nn(
    X: np.ndarray,
    *,
    points: int = 2000,
    subsamples: int = 5,
    seed: int = 0,
    standardize: bool = True,
) -> TwoNNResult:
    """Estimate the intrinsic dimension of the point cloud ``X`` with TwoNN.

    Repeated rows are removed first. The events are shuffled and split into up to ``subsamples`` disjoint sets of
    ``points`` events each (fewer and smaller when the data are small); the
    estimate is computed on each and averaged.

    Args:
        X: ``(n_points, n_features)`` finite array.
        points: Points per subsample (the cost is points^2 distances).
        subsamples: Number of disjoint subsamples.
        seed: Seed of the shuffling.
        standardize: Scale every feature to unit std first (a linear map, which
            leaves the dimension unchanged but stops one large feature from
            dominating the distances).

    Returns:
        A :class:`TwoNNResult`.

    Raises:
        LearnError: If ``X`` is not 2-D, has non-finite values or too few points.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.isfinite(X).all():
        msg = f"two_nn: need a finite 2-D array, got shape {X.shape}"
        raise LearnError(msg)
    # Repeated points (r1 = 0, or r1 = r2 for their neighbours) bias the estimate.
    X = np.unique(X, axis=0)
    n = len(X)
    if n < MIN_POINTS:
        msg = f"two_nn: need at least {MIN_POINTS} distinct points, got {n}"
        raise LearnError(msg)
    if standardize:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    k = max(1, min(subsamples, n // max(points, 1)))
    m = min(points, n // k)
    order = np.random.default_rng(seed).permutation(n)
    data = torch.from_numpy(X)
    estimates = tuple(_two_nn_once(data[order[j * m : (j + 1) * m]]) for j in range(k))
    good = np.array([e for e in estimates if np.isfinite(e)])
    if len(good) == 0:
        msg = "two_nn: every point coincides with its neighbours; no dimension can be estimated"
        raise LearnError(msg)
    dim = float(good.mean())
    stat = dim / np.sqrt(len(good) * m)
    spread = float(good.std(ddof=1) / np.sqrt(len(good))) if len(good) > 1 else 0.0
    err = max(spread, stat)
    return TwoNNResult(dim=dim, err=err, estimates=estimates, points=m)


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
            est = two_nn(cloud, seed=seed).dim
        except LearnError:
            est = float("nan")
        out.append(round(est) if np.isfinite(est) else -1)
    return tuple(out)
