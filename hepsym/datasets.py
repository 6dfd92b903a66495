"""The paper's toy datasets: points in the plane with a known number of degrees of freedom.

Each toy carries, next to its points, what the physics (here: geometry) says about it: its
true intrinsic dimension, its embedding dimension and its defining constraint, so that the
constraint stage and the final verdict can be checked against the truth.

* ``square`` (paper eq. 4.1): x1, x2 independent and uniform in [-R, R]. No constraint,
  dimension 2, embedding 2.
* ``circle`` (paper eq. 4.2): uniform in angle on $$x_1^2 + x_2^2 = R^2$$. One constraint,
  dimension 1, embedding 2 (a circle cannot be mapped one to one onto a line).

Collider samples come from a real generator, see :mod:`hepsym.generate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hepsym.errors import GeneratorError
from hepsym.features import FeatureMatrix

__all__ = ("TOYS", "ToyDataset", "circle", "load_toy", "square")


@dataclass(frozen=True, eq=False)
class ToyDataset:
    """Points of a toy dataset and what is known about them.

    Attributes:
        X: the points, float64 array of shape (n, 2).
        names: feature names, one per column of ``X``.
        true_dim: intrinsic (manifold) dimension of the noise-free set.
        embedding_dim: fewest Euclidean coordinates that embed it one to one.
        constraint: expression g(x1, x2) (Python/numpy syntax) that equals
            ``constraint_value`` on every noise-free point, or ``None``.
        constraint_value: the value g takes on the set, or ``None``.
        name: registry name (``"square"``, ``"circle"``).
        n: number of points.
        R: half side of the square or radius of the circle.
        seed: seed of the numpy generator that drew the points.
        noise: standard deviation of the Gaussian noise added to each coordinate.
    """

    X: np.ndarray
    names: tuple[str, ...]
    true_dim: int
    embedding_dim: int
    constraint: str | None
    constraint_value: float | None
    name: str
    n: int
    R: float
    seed: int
    noise: float

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        law = (
            "no constraint"
            if self.constraint is None
            else f"{self.constraint} = {self.constraint_value:g}"
        )
        return (
            f"<ToyDataset {self.name}: {self.n} points in {self.X.shape[1]} features "
            f"{self.names}, R = {self.R:g}, seed = {self.seed}, noise = {self.noise:g}; "
            f"true dim {self.true_dim}, embedding dim {self.embedding_dim}; {law}>"
        )

    def features(self) -> FeatureMatrix:
        """The points as a custom :class:`~hepsym.features.FeatureMatrix` ("toy <name>")."""
        return FeatureMatrix.from_array(self.X, self.names, source=f"toy {self.name}")

    def constraint_values(self) -> np.ndarray | None:
        """Evaluate the defining constraint g(x) on every point (``None`` without one)."""
        if self.constraint is None:
            return None
        from hepsym.constraints import parse_expression

        return np.asarray(parse_expression(self.constraint, self.names)(self.X))

    def to_dict(self) -> dict[str, Any]:
        """Metadata (everything but the points) as plain Python values."""
        return {
            "name": self.name,
            "names": list(self.names),
            "n": self.n,
            "R": self.R,
            "seed": self.seed,
            "noise": self.noise,
            "true_dim": self.true_dim,
            "embedding_dim": self.embedding_dim,
            "constraint": self.constraint,
            "constraint_value": self.constraint_value,
        }


def _check(name: str, n: int, R: float, noise: float) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        msg = f"{name}: n must be a positive integer, got {n!r}"
        raise GeneratorError(msg)
    if not (math.isfinite(R) and R > 0):
        msg = f"{name}: R must be positive and finite, got {R!r}"
        raise GeneratorError(msg)
    if not (math.isfinite(noise) and noise >= 0):
        msg = f"{name}: noise must be >= 0 and finite, got {noise!r}"
        raise GeneratorError(msg)


def square(n: int = 10_000, R: float = 10.0, seed: int = 0, noise: float = 0.0) -> ToyDataset:
    """Points uniform in the square [-R, R]^2 (paper eq. 4.1): two free coordinates.

    Args:
        n: number of points.
        R: half side of the square.
        seed: seed of ``numpy.random.default_rng``.
        noise: standard deviation of Gaussian noise added to each coordinate.

    Returns:
        The dataset, with ``true_dim = embedding_dim = 2`` and no constraint.

    Raises:
        GeneratorError: if n, R or noise is out of range.
    """
    _check("square", n, R, noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-R, R, size=(int(n), 2))
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return ToyDataset(
        X=X,
        names=("x1", "x2"),
        true_dim=2,
        embedding_dim=2,
        constraint=None,
        constraint_value=None,
        name="square",
        n=int(n),
        R=float(R),
        seed=seed,
        noise=float(noise),
    )


def circle(n: int = 10_000, R: float = 10.0, seed: int = 0, noise: float = 0.0) -> ToyDataset:
    """Points uniform in angle on the circle $$x_1^2 + x_2^2 = R^2$$ (paper eq. 4.2).

    Without noise every point lies on the circle to floating-point precision:
    (x1, x2) = R (cos phi, sin phi) with phi uniform in [0, 2 pi).

    Args:
        n: number of points.
        R: radius.
        seed: seed of ``numpy.random.default_rng``.
        noise: standard deviation of Gaussian noise added to each coordinate.

    Returns:
        The dataset, with ``true_dim = 1``, ``embedding_dim = 2`` and the constraint
        ``x1**2 + x2**2 = R**2``.

    Raises:
        GeneratorError: if n, R or noise is out of range.
    """
    _check("circle", n, R, noise)
    rng = np.random.default_rng(seed)
    phi = rng.uniform(0.0, 2.0 * np.pi, size=int(n))
    X = np.column_stack([R * np.cos(phi), R * np.sin(phi)])
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return ToyDataset(
        X=X,
        names=("x1", "x2"),
        true_dim=1,
        embedding_dim=2,
        constraint="x1**2 + x2**2",
        constraint_value=float(R) ** 2,
        name="circle",
        n=int(n),
        R=float(R),
        seed=seed,
        noise=float(noise),
    )


#: Toy datasets by name.
TOYS: dict[str, Callable[..., ToyDataset]] = {"square": square, "circle": circle}


def load_toy(name: str, **kwargs: Any) -> ToyDataset:
    """Make the toy dataset called ``name`` (``"square"`` or ``"circle"``).

    Args:
        name: registry name, see :data:`TOYS`.
        **kwargs: passed to the maker (``n``, ``R``, ``seed``, ``noise``).

    Raises:
        GeneratorError: for an unknown name or bad parameters.
    """
    try:
        maker = TOYS[name]
    except KeyError as err:
        msg = f"unknown toy dataset {name!r}; known: {', '.join(sorted(TOYS))}"
        raise GeneratorError(msg) from err
    try:
        return maker(**kwargs)
    except TypeError as err:
        msg = f"{name}: {err}"
        raise GeneratorError(msg) from err
