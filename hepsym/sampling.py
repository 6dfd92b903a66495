"""The study's sample: at most ``sample_events`` events, drawn uniformly from all of them,
which the stages that need events in memory work on.

The constraint table's counts, fractions in tolerance, means and spreads, the VAE
ensemble's relevances and KL, and the strata's sizes are summed over every event where the
events lie
(:mod:`hepsym.population`); the medians and widths, the Jacobian rank, the relations,
symmetries and strata, TwoNN and the VAE's training see the sample.
Below the cap the sample is every event, and nothing changes. The sample is a function of
the events and the seed only, so that the study in process and on Dask hold the same one.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hepsym.inputs import Prepared
from hepsym.population import InMemory

__all__ = ("row_hashes", "sample_indices", "sample_note", "sampled")

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


_MIX = np.uint64(0x9E3779B97F4A7C15)


def row_hashes(X: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's values (-0.0 taken as 0.0), for finding repeated
    events across partitions without holding them in one place. Two distinct rows
    share a hash with probability about 2^-64 per pair (10^7 events: ~3 x 10^-6)."""
    rows = np.ascontiguousarray(X, dtype=np.float64) + 0.0
    words = rows.view(np.uint64).reshape(len(rows), -1)
    h = np.full(len(rows), np.uint64(0xCBF29CE484222325), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            h ^= words[:, j]
            h *= _MIX
            h ^= h >> np.uint64(29)
    return h
