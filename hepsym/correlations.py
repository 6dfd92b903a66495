"""How each latent's posterior mean <z_j> relates to the features (paper figs. 4 and 7).

Three coefficients per (latent, column): Pearson (linear), Spearman (monotonic) and
Linfoot's informational coefficient from a rank-binned mutual information, which also
sees non-monotonic relations such as a latent that runs around a ring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hepsym.errors import FeatureError

__all__ = ("MI_BINS", "Correlations", "correlations")

#: Rank bins per axis of the mutual-information estimate (10 x 10 cells).
MI_BINS = 10


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # a: (..., n, p), b: (n, q) -> (..., p, q)
    a = a - a.mean(axis=-2, keepdims=True)
    b = b - b.mean(axis=0)
    na = np.sqrt((a**2).sum(axis=-2))[..., :, None]
    nb = np.sqrt((b**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(np.swapaxes(a, -1, -2) @ b / (na * nb))


def _ranks(a: np.ndarray, axis: int) -> np.ndarray:
    return np.argsort(np.argsort(a, axis=axis, kind="stable"), axis=axis, kind="stable").astype(
        np.float64
    )


def _info_corr(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Linfoot's informational correlation sqrt(1 - exp(-2 I)) from rank-binned mutual information."""
    n = ra.shape[-2]
    qa = (ra * MI_BINS // n).astype(np.int64)
    qb = (rb * MI_BINS // n).astype(np.int64)
    lead, p, q = qa.shape[:-2], qa.shape[-1], qb.shape[-1]
    qa2 = qa.reshape(-1, n, p)
    out = np.zeros((qa2.shape[0], p, q))
    for m in range(qa2.shape[0]):
        for i in range(p):
            joint = (qa2[m, :, i, None] * MI_BINS + qb).T  # (q, n)
            cells = np.stack([np.bincount(j, minlength=MI_BINS**2) for j in joint]) / n
            pa = cells.reshape(q, MI_BINS, MI_BINS).sum(axis=2)
            pb = cells.reshape(q, MI_BINS, MI_BINS).sum(axis=1)
            outer = (pa[:, :, None] * pb[:, None, :]).reshape(q, -1)
            with np.errstate(divide="ignore", invalid="ignore"):
                mi = np.where(cells > 0, cells * np.log(cells / outer), 0).sum(axis=1)
            mi -= (MI_BINS - 1) ** 2 / (2 * n)  # Miller-Madow bias of the plug-in estimate
            out[m, i] = np.sqrt(1 - np.exp(-2 * np.clip(mi, 0, None)))
    return out.reshape(*lead, p, q)


@dataclass(frozen=True, eq=False)
class Correlations:
    """Correlations of each member's <z_j> (rows in relevance order) with named columns.

    Attributes:
        columns: Feature names, then the user's extra combinations.
        pearson: ``(members, latent, columns)`` linear correlation.
        spearman: Same, rank correlation (monotonic relations).
        info: Same, Linfoot's informational coefficient sqrt(1 - exp(-2 I)) from
            a rank-binned mutual information I: 0 for independence, |rho| for
            Gaussians, and it sees non-monotonic relations (a ring) too.
    """

    columns: tuple[str, ...]
    pearson: np.ndarray
    spearman: np.ndarray
    info: np.ndarray

    def mean_abs(self, kind: str = "pearson") -> np.ndarray:
        """Mean over members of |correlation| per relevance rank, ``(latent, columns)``."""
        return np.abs(getattr(self, kind)).mean(axis=0)

    def table(self, kind: str = "pearson", ranks: int | None = None) -> str:
        """A text table of :meth:`mean_abs`: one row per column, one column per relevance rank."""
        mat = self.mean_abs(kind)[:ranks]
        width = max(6, *(len(c) for c in self.columns))
        lines = [
            f"mean |{kind}| of <z> (columns: latents by relevance rank) with:",
            " " * width + "".join(f"  <z_{i + 1}>" for i in range(mat.shape[0])),
        ]
        lines += [
            f"{name:>{width}}" + "".join(f"  {v:>5.2f}" for v in mat[:, j])
            for j, name in enumerate(self.columns)
        ]
        return "\n".join(lines)


def correlations(
    mu: np.ndarray,
    order: np.ndarray,
    X: np.ndarray,
    names: Sequence[str],
    extra: Mapping[str, np.ndarray] | None = None,
) -> Correlations:
    """Correlate posterior means ``mu`` (members, n, latent) with features and extra columns."""
    cols, data = list(names), [X]
    for key, val in (extra or {}).items():
        v = np.asarray(val, dtype=np.float64).reshape(-1)
        if v.shape[0] != X.shape[0] or not np.isfinite(v).all():
            msg = f"extra column {key!r}: need {X.shape[0]} finite values, got {v.shape[0]}"
            raise FeatureError(msg)
        cols.append(str(key))
        data.append(v[:, None])
    B = np.hstack(data)
    Z = np.take_along_axis(mu, order[:, None, :], axis=2)
    rz, rb = _ranks(Z, axis=1), _ranks(B, axis=0)
    return Correlations(tuple(cols), _pearson(Z, B), _pearson(rz, rb), _info_corr(rz, rb))
