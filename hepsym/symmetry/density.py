r"""Symmetries of the distribution: does a transformed sample look like the original?

**Test.** The events are shuffled and split in two disjoint halves of at most
``n_test`` events each: A is kept, B is transformed. Both are standardised with A's mean
and standard deviation per feature, and compared by kernel two-sample statistics

$$ MMD^2 = \overline{k(a, a')} + \overline{k(b, b')} - 2\,\overline{k(a, b)} $$

for k = -|x - y| (the energy distance) and for a sum of Gaussian kernels
(:func:`two_sample_test`). The p-value comes from ``n_perm`` random relabellings of the
pooled events (counting the observed labelling, so p >= 1/(n_perm + 1)). Under an exact symmetry A and
the transformed B are two independent samples of one distribution, so the test is
valid at any sample size.

**Transformations.** A continuous generator X is exponentiated, x_b -> exp(tX) x_b, with
one t per event: rotations (compact generators) t = +-``angle`` (1 rad, a generic angle)
with a random sign; boosts and other non-compact generators, normalised to unit
spectral radius, t = +-``rapidity`` with a random sign (a rapidity shift of 1 by default; dilations scale by exp(+-1)). Discrete
maps permute or flip feature columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from hepsym.features import FeatureMatrix
from hepsym.symmetry.generators import Basis

__all__ = (
    "Discrete",
    "Transform",
    "continuous",
    "discrete_maps",
    "forward_backward",
    "two_sample_test",
)

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


#: kernel widths, as fractions of the median pairwise distance of the pooled sample
#: (each half the next: the kernels are computed by squaring)
BANDWIDTHS = (0.125, 0.25, 0.5, 1.0)


def _squared_distances(Z: np.ndarray) -> np.ndarray:
    sq = np.einsum("ij,ij->i", Z, Z)
    d2 = Z @ Z.T
    d2 *= -2.0
    d2 += sq[:, None]
    d2 += sq[None, :]
    return np.maximum(d2, 0.0, out=d2)


def _statistics(K: np.ndarray, labels: np.ndarray, n: int, m: int) -> np.ndarray:
    """MMD^2 with kernel matrix K for every labelling (columns of ``labels``: 1 = A)."""
    KU = (K @ labels).astype(np.float64)  # kernel sums against the A-labelled events
    s_aa = np.einsum("ik,ik->k", labels, KU, dtype=np.float64)
    s_ab = KU.sum(axis=0) - s_aa
    s_bb = K.sum(dtype=np.float64) - s_aa - 2.0 * s_ab
    return s_aa / n**2 + s_bb / m**2 - 2.0 * s_ab / (n * m)


def _tail(stat: np.ndarray) -> np.ndarray:
    """Per labelling, the fraction of labellings whose statistic is at least as large."""
    order = np.sort(stat)
    return 1.0 - np.searchsorted(order, stat - 1e-12 * np.abs(stat), side="left") / len(stat)


def two_sample_test(
    A: np.ndarray, B: np.ndarray, n_perm: int, rng: np.random.Generator
) -> tuple[float, float, float]:
    """Do A and B (standardised by A) come from one distribution? A permutation test.

    Two statistics on the same relabellings: the energy distance (the MMD of the kernel
    -|x - y|, sensitive to global shifts and stretches) and the MMD^2 of a sum of
    Gaussian kernels whose widths are :data:`BANDWIDTHS` times the median pairwise
    distance (sensitive to local differences, such as the corners of a square). The
    p-value is that of the smaller of the two per-statistic p-values (a min-P
    permutation test: valid, with no correction to make).

    Returns:
        the energy distance, the kernel MMD^2, and the p-value.
    """
    mu = A.mean(axis=0)
    sd = A.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    # float32 halves the cost; the test stays exact (one fixed kernel matrix for every
    # relabelling), only its power could suffer, and ~1e-6 relative errors do not matter
    Z = np.concatenate([(A - mu) / sd, (B - mu) / sd]).astype(np.float32)
    n, m = len(A), len(B)
    d2 = _squared_distances(Z)
    i, j = rng.integers(0, n + m, (2, 20_000))
    pairs = d2[i[i != j], j[i != j]]
    med2 = float(np.median(pairs)) if len(pairs) else 1.0
    med2 = med2 if med2 > 0 else 1.0
    labels = np.zeros((n + m, n_perm + 1), dtype=np.float32)
    labels[:n, 0] = 1.0
    for k in range(1, n_perm + 1):
        labels[rng.permutation(n + m)[:n], k] = 1.0
    energy = _statistics(-np.sqrt(d2), labels, n, m)
    # widths halve from one kernel to the next: each is the previous one to the 4th power
    g = np.exp(d2 * np.float32(-1.0 / (2.0 * BANDWIDTHS[-1] ** 2 * med2)))
    K = g.copy()
    for _ in BANDWIDTHS[:-1]:
        g *= g
        g *= g
        K += g
    mmd = _statistics(K, labels, n, m)
    min_p = np.minimum(_tail(energy), _tail(mmd))
    p = float(np.mean(min_p <= min_p[0] * (1 + 1e-12)))
    return float(energy[0]), float(mmd[0]), p


def _apply(X: np.ndarray, basis: Basis, mats: np.ndarray) -> np.ndarray:
    """Each event's blocks multiplied by its own matrix (events x D x D)."""
    out = X.copy()
    for block in basis.blocks:
        cols = list(block)
        out[:, cols] = np.einsum("eij,ej->ei", mats, X[:, cols])
    return out


def continuous(
    matrix: np.ndarray, compact: bool, basis: Basis, step: float, *, uniform: bool = False
) -> Transform:
    """exp(tX) with t = +-``step`` per event (random sign), or uniform in [0, 2 pi).

    ``uniform`` (compact generators only) draws the angle over the whole circle: the
    transformed sample is then the group average, a weaker test of a breaking.
    """
    radius = float(np.max(np.abs(np.linalg.eigvals(matrix))))
    X = matrix / radius if radius > 0 else matrix

    def transform(Xev: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(Xev)
        if compact and uniform:
            t = rng.uniform(0.0, 2.0 * np.pi, n)
            return _apply(Xev, basis, scipy.linalg.expm(t[:, None, None] * X[None, :, :]))
        both = np.stack([scipy.linalg.expm(step * X), scipy.linalg.expm(-step * X)])
        return _apply(Xev, basis, both[rng.integers(0, 2, n)])

    return transform


@dataclass(frozen=True)
class Discrete:
    """A discrete map of the features: its name, what it does, and a column map."""

    name: str
    words: str
    columns: tuple[int, ...]
    signs: tuple[float, ...]

    def __call__(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return X[:, list(self.columns)] * np.asarray(self.signs)[None, :]


def discrete_maps(fm: FeatureMatrix, basis: Basis) -> tuple[Discrete, ...]:
    """Particle swaps, C x P, z -> -z and parity for momenta; swaps and flips for custom."""
    n = fm.n_features
    ident = list(range(n))
    ones = [1.0] * n
    out: list[Discrete] = []
    if basis.kind == "custom":
        names = fm.names
        for i in range(n):
            for j in range(i + 1, n):
                cols = ident.copy()
                cols[i], cols[j] = j, i
                out.append(Discrete(f"{names[i]} <-> {names[j]}", "swap", tuple(cols), tuple(ones)))
        for i in range(n):
            signs = ones.copy()
            signs[i] = -1.0
            out.append(Discrete(f"{names[i]} -> -{names[i]}", "flip", tuple(ident), tuple(signs)))
        return tuple(out)
    labels = [p.label for p in fm.particles]
    spatial = [c for b in basis.blocks for c in b[basis.size - 3 :]]
    zcols = [b[-1] for b in basis.blocks]
    if len(basis.blocks) == 2:
        (a, b) = basis.blocks
        cols = ident.copy()
        for i, j in zip(a, b, strict=True):
            cols[i], cols[j] = j, i
        pair = f"{_pretty(labels[0])} <-> {_pretty(labels[1])}"
        out.append(Discrete(pair, "particle swap", tuple(cols), tuple(ones)))
        cp = [-1.0 if c in spatial else 1.0 for c in range(n)]
        out.append(Discrete("C x P", f"{pair} with p -> -p", tuple(cols), tuple(cp)))
    zs = [-1.0 if c in zcols else 1.0 for c in range(n)]
    out.append(Discrete("z -> -z", "pz -> -pz of every particle", tuple(ident), tuple(zs)))
    ps = [-1.0 if c in spatial else 1.0 for c in range(n)]
    out.append(Discrete("parity", "p -> -p of every particle", tuple(ident), tuple(ps)))
    return tuple(out)


def _pretty(label: str) -> str:
    return label.replace("_minus", "-").replace("_plus", "+")


def forward_backward(fm: FeatureMatrix) -> tuple[float, float, int] | None:
    """A_FB = (N(cos theta > 0) - N(cos theta < 0)) / N of the negative lepton w.r.t. +z.

    Returns:
        A_FB, its binomial error sqrt((1 - A^2) / N), and N; ``None`` without a
        negatively charged particle with momentum columns.
    """
    part = next((p for p in fm.particles if p.label.endswith("_minus") and "pz" in p.columns), None)
    if part is None:
        return None
    pz = fm.column(part.columns["pz"])
    n_f, n_b = int(np.sum(pz > 0)), int(np.sum(pz < 0))
    n = n_f + n_b
    if n == 0:
        return None
    a = (n_f - n_b) / n
    return a, float(np.sqrt(max(1.0 - a * a, 0.0) / n)), n
