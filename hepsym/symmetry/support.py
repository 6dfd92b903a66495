"""Symmetries of the surface: the generators tangent to it, by linear algebra.

A generator X (a D x D matrix acting alike on every particle block x_b of the features)
moves an event along delta x_b = X x_b. It is tangent to the surface {g_i(x) = c_i}
when every counted constraint stays constant to first order:

$$ \\sum_b \\nabla_b g_i(x)^T X x_b = \\langle \\sum_b \\nabla_b g_i \\, x_b^T, X \\rangle = 0 $$

on every event. Each (sampled event, constraint) pair gives one linear condition on the
D^2 entries of X, with the gradient taken by central differences as in
:func:`hepsym.constraints.counting.jacobian`. Each row is divided by
|grad g_i| |x| (the largest change a unit generator could make), so that a row reads as
a relative change. The symmetries of the surface are the null space of the stacked
conditions: the right singular vectors whose singular value, divided by sqrt(rows), is
at most ``rtol``. A named generator lies in it when its own residual
|A g| / (sqrt(rows) |g|) is at most ``rtol``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hepsym.constraints.base import Constraint, evaluation_matrix
from hepsym.constraints.counting import jacobian
from hepsym.features import FeatureMatrix
from hepsym.symmetry.generators import Basis

__all__ = ("Support", "conditions", "support")


def conditions(
    fm: FeatureMatrix,
    constraints: Sequence[Constraint],
    basis: Basis,
    rows: np.ndarray,
    rel_step: float = 1e-5,
) -> np.ndarray:
    """The normalised tangency conditions: (events x constraints) x D^2."""
    Xe = evaluation_matrix(fm)[rows]
    X = fm.X[rows]
    col_scale = np.sqrt(np.mean(fm.X * fm.X, axis=0))
    col_scale = np.where(col_scale > 0, col_scale, 1.0)
    J = jacobian(constraints, Xe, col_scale, rel_step)  # constraints x events x features
    D = basis.size
    out = np.zeros((len(constraints), len(rows), D, D))
    for block in basis.blocks:
        cols = list(block)
        out += J[:, :, cols, None] * X[None, :, None, cols]
    flat = out.reshape(len(constraints), len(rows), D * D)
    grad = np.linalg.norm(J, axis=2)
    size = np.linalg.norm(X, axis=1)[None, :]
    norm = grad * size
    keep = np.isfinite(norm) & (norm > 0)
    A = flat[keep] / norm[keep][:, None]
    return np.nan_to_num(A, nan=0.0, posinf=0.0, neginf=0.0)


@dataclass(frozen=True)
class Support:
    """The null space of the tangency conditions and the named generators in it.

    Attributes:
        null: orthonormal basis of the symmetry algebra, k x D^2 (row-major matrices).
        singular: the conditions' singular values / sqrt(rows), descending.
        residuals: per named generator, |A g| / (sqrt(rows) |g|).
        unnamed: the part of the null space no named generator spans, as D x D matrices.
        unnamed_residuals: their residuals.
        n_rows: the number of conditions.
    """

    null: np.ndarray
    singular: np.ndarray
    residuals: dict[str, float]
    unnamed: tuple[np.ndarray, ...]
    unnamed_residuals: tuple[float, ...]
    n_rows: int

    def contains(self, name: str, rtol: float) -> bool:
        return self.residuals[name] <= rtol


def support(A: np.ndarray, basis: Basis, rtol: float) -> Support:
    """The symmetry algebra of the surface: the null space of ``A`` at tolerance ``rtol``."""
    D = basis.size
    n_rows = max(len(A), 1)
    # zero rows up to D^2 leave the null space as it is and give every right singular vector
    padded = np.vstack([A, np.zeros((max(D * D - len(A), 0), D * D))])
    _, s, vt = np.linalg.svd(padded, full_matrices=False)
    s = s / np.sqrt(n_rows)
    null = vt[s <= rtol]
    residuals = {}
    for g in basis.named:
        v = g.matrix.ravel()
        residuals[g.name] = float(np.linalg.norm(A @ v) / (np.sqrt(n_rows) * np.linalg.norm(v)))
    inside = [g.matrix.ravel() for g in basis.named if residuals[g.name] <= rtol]
    unnamed: list[np.ndarray] = []
    unnamed_res: list[float] = []
    if len(null):
        P = null.T @ null  # projector onto the null space
        if inside:
            q, _ = np.linalg.qr(np.array(inside).T)
            P = P - q @ q.T
        w, V = np.linalg.eigh((P + P.T) / 2)
        for k in np.flatnonzero(w > 0.5):
            v = V[:, k]
            v = v / np.max(np.abs(v)) if np.max(np.abs(v)) > 0 else v
            v = np.where(np.abs(v) < 1e-9, 0.0, v)
            unnamed.append(v.reshape(D, D))
            unnamed_res.append(float(np.linalg.norm(A @ v) / (np.sqrt(n_rows) * np.linalg.norm(v))))
    return Support(null, s, residuals, tuple(unnamed), tuple(unnamed_res), len(A))
