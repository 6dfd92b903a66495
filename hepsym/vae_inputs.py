"""What the VAE is given from a feature matrix: the rules ``hepsym learn`` and ``analyze`` share.

* a constant column (:func:`~hepsym.features.constant_columns`) is a constraint x_k = c,
  already in the constraint table: it is left out of the VAE;
* a small file (fewer than two batches of events) trains with smaller batches, down to
  ``MIN_BATCH``, and says that the count will be noisy;
* a raw array given to ``learn`` is checked by :func:`check_features` (finite, named,
  no constant column).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hepsym.errors import FeatureError
from hepsym.features import FeatureMatrix, constant_columns
from hepsym.spec import VAEConfig

__all__ = ("MIN_BATCH", "LearnInputs", "check_features", "learning_inputs")


#: smallest batch the VAE falls back to on small files
MIN_BATCH = 8


@dataclass(frozen=True)
class LearnInputs:
    """What the VAE is given from a feature matrix, by the rules of :func:`learning_inputs`.

    Attributes:
        X: the columns the VAE trains on.
        names: their names.
        vae: the VAE settings, adjusted for small files.
        notes: each rule that changed something, in words.
    """

    X: np.ndarray
    names: tuple[str, ...]
    vae: VAEConfig
    notes: tuple[str, ...] = ()


def learning_inputs(fm: FeatureMatrix, vae: VAEConfig) -> LearnInputs:
    """The VAE's inputs from a feature matrix, the same for ``hepsym learn`` and ``analyze``.

    The rules:

    * a constant column (:func:`~hepsym.features.constant_columns`) is a constraint
      x_k = c, already in the constraint table: it is left out of the VAE;
    * a small file (fewer than two batches of events) trains with smaller batches, down
      to ``MIN_BATCH``, and says that the count will be noisy.
    """
    notes = []
    n = fm.n_events
    if n < 2 * vae.batch_size and n >= 2 * MIN_BATCH:
        vae = dataclasses.replace(vae, batch_size=max(MIN_BATCH, n // 4))
        notes.append(
            f"only {n} events: VAE batch size lowered to {vae.batch_size}; "
            "expect a noisy learned dimension"
        )
    constant = fm.constant_columns()
    if constant.any():
        dropped = [nm for nm, c in zip(fm.names, constant, strict=True) if c]
        notes.append(f"constant features left out of the VAE (they are constraints): {dropped}")
    keep = ~constant
    names = tuple(nm for nm, k in zip(fm.names, keep, strict=True) if k)
    return LearnInputs(fm.X[:, keep], names, vae, tuple(notes))


def check_features(
    X: np.ndarray, names: Sequence[str] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Validate a feature matrix and its names.

    A constant feature is refused rather than dropped: it is a constraint
    x_k = c, which the constraints stage should report, and silently removing
    it would change what "the number of features" means in the result.

    Returns:
        ``X`` as float64 and the names (``x1, x2, ...`` when not given).

    Raises:
        FeatureError: Not 2-D, names that do not match, NaN or infinite
            values (which column, how many rows), a constant column.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        msg = f"features must be a non-empty (n_events, n_features) array, got shape {X.shape}"
        raise FeatureError(msg)
    n, m = X.shape
    names = tuple(f"x{k + 1}" for k in range(m)) if names is None else tuple(map(str, names))
    if len(names) != m:
        msg = f"{len(names)} feature names given for {m} feature columns"
        raise FeatureError(msg)
    if len(set(names)) != m:
        dup = sorted(k for k, c in Counter(names).items() if c > 1)
        msg = f"duplicate feature names: {', '.join(dup)}"
        raise FeatureError(msg)
    bad = ~np.isfinite(X)
    if bad.any():
        k = int(np.argmax(bad.any(axis=0)))
        n_nan, n_inf = int(np.isnan(X[:, k]).sum()), int(np.isinf(X[:, k]).sum())
        msg = (
            f"feature {names[k]!r} (column {k}) has {n_nan} NaN and {n_inf} infinite values "
            f"in {n} events; remove or fix those events first"
        )
        raise FeatureError(msg)
    constant = constant_columns(X) | (np.abs(X).max(axis=0) == 0)
    for k in map(int, np.flatnonzero(constant)):
        msg = (
            f"feature {names[k]!r} (column {k}) is constant (= {X[0, k]:.6g} in all {n} "
            f"events): that is a constraint {names[k]} = c, not a degree of freedom; "
            "drop the column before learning (learn_features does)"
        )
        raise FeatureError(msg)
    return X, names
