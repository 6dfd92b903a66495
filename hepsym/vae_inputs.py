"""What the VAE is given from a feature matrix: the rules ``hepsym learn`` and ``analyze`` share.

* a constant column (:func:`~hepsym.features.constant_columns`) is a constraint x_k = c,
  already in the constraint table: it is left out of the VAE;
* a small file (fewer than two batches of events) trains with smaller batches, down to
  ``MIN_BATCH``, and says that the count will be noisy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from hepsym.features import FeatureMatrix
from hepsym.spec import VAEConfig

__all__ = ("MIN_BATCH", "LearnInputs", "learning_inputs")


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
