"""The study's sample: at most ``sample_events`` events, drawn uniformly from all of them,
which the stages that need events in memory work on.

The constraint table's counts, fractions in tolerance, means and spreads, the VAE
ensemble's relevances and KL, and the strata's sizes are summed over every event where
the events lie (:mod:`hepsym.population`); the medians and widths, the Jacobian rank,
the relations, symmetries and strata, TwoNN and the VAE's training see the sample.
Below the cap the sample is every event, and nothing changes. The sample is a function of
the events and the seed only, so that the study in process and on Dask hold the same one.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hepsym.inputs import Prepared
from hepsym.population import InMemory

__all__ = ("sample_indices", "sample_note", "sampled")

#: the sample's own seed stream, apart from the study's other uses of its seed
_SAMPLE_STREAM = 0x5A


def sample_indices(n_events: int, cap: int, seed: int) -> np.ndarray | None:
    """Sorted indices of a uniform sample of ``cap`` of ``n_events``; ``None``: all."""
    if n_events <= cap:
        return None
    rng = np.random.default_rng([seed, _SAMPLE_STREAM])
    return np.sort(rng.choice(n_events, size=cap, replace=False))


def sample_note(n_sample: int, n_events: int) -> str:
    """What the sample is, for the notes."""
    return (
        f"sample: {n_sample} of the {n_events} events, drawn uniformly (--sample-events), "
        "are held here: the medians and widths of the constraint table, the Jacobian rank, "
        "the relations, symmetries, strata, TwoNN and the VAE's training use them; the "
        "counts, fractions in tolerance, means and spreads of the constraint table and the "
        f"VAEs' relevances are over all {n_events}"
    )


def sampled(prepared: Prepared, cap: int, seed: int) -> Prepared:
    """``prepared`` with its features cut to the sample, all of them its population."""
    fm = prepared.features
    idx = sample_indices(fm.n_events, cap, seed)
    if idx is None:
        return prepared
    classes = None if prepared.classes is None else prepared.classes[idx]
    return dataclasses.replace(
        prepared,
        features=fm.take(idx),
        classes=classes,
        notes=(*prepared.notes, sample_note(len(idx), fm.n_events)),
        population=InMemory((fm,), None if prepared.classes is None else (prepared.classes,)),
    )
