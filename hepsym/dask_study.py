"""A study whose events stay on the Dask workers that read them.

Each partition's features (:class:`~hepsym.inputs.Part`) are kept on its worker. The
client receives a summary of each (its counts and choices, and a 64-bit hash per event
to find events repeated across partitions), then only the events of the study's sample
(:mod:`hepsym.sampling`), and keeps a :class:`DaskPopulation` through which a stage sums
over every event where it lies (the constraint table's tallies). What the client holds
no longer grows with the events: at most ``sample_events`` rows and the hashes.

A worker lost after reading takes its partitions with it; Dask reads them again from
the task graph when a later stage asks for them.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from hepsym.features import FeatureMatrix, join_features
from hepsym.inputs import Part, Prepared, resolved, row_hashes, study_notes, with_counts
from hepsym.population import count_classes
from hepsym.sampling import sample_indices, sample_note
from hepsym.spec import InputSpec

__all__ = ("DaskPopulation", "sample_on_workers", "summarize")

T = TypeVar("T")


def summarize(part: Part) -> tuple[Part, np.ndarray]:
    """The partition without its events (counts, spec, choices kept), and each event's
    hash; runs on the worker that holds it."""
    fm = part.features
    info = dataclasses.replace(part, features=fm.take(slice(0, 0)), classes=part.classes[:0])
    return info, row_hashes(fm.X)


def _take(part: Part, rows: np.ndarray) -> tuple[FeatureMatrix, np.ndarray]:
    return part.features.take(rows), part.classes[rows]


def _classes(part: Part, keep: np.ndarray | None) -> dict[str, int]:
    return count_classes([part.classes if keep is None else part.classes[keep]])


def _apply(func: Callable[[FeatureMatrix], T], part: Part, keep: np.ndarray | None) -> T:
    return func(part.features if keep is None else part.features.take(keep))


@dataclass(frozen=True)
class DaskPopulation:
    """The study's partitions on the workers, each with the events it keeps (``None``:
    all; the others repeat an earlier partition's)."""

    client: Any
    parts: tuple[Any, ...]
    keeps: tuple[np.ndarray | None, ...]
    n_events: int
    retries: int = 2

    def map(self, func: Callable[[FeatureMatrix], T]) -> list[T]:
        return self._each(_apply, func)

    def class_counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for counts in self._each(_classes):
            total.update(counts)
        return dict(total)

    def _each(self, task: Callable[..., T], *args: Any) -> list[T]:
        """``task(*args, part, keep)`` on each partition's worker, in partition order."""
        futures = [
            self.client.submit(task, *args, part, keep, pure=False, retries=self.retries)
            for part, keep in zip(self.parts, self.keeps, strict=True)
        ]
        return list(self.client.gather(futures))


def sample_on_workers(
    client: Any,
    spec: InputSpec,
    done: Sequence[tuple[Part, np.ndarray, Any]],
    cap: int,
    seed: int,
) -> Prepared | None:
    """The study's sample gathered from the workers, with its population; ``None`` where
    every event fits the sample (the caller then gathers them all).

    Args:
        client: the Dask client.
        spec: the study's input specification.
        done: per partition in order: its summary, its events' hashes, its future.
        cap: the sample's size (``sample_events``).
        seed: the study's seed.
    """
    n_rows = sum(len(h) for _, h, _ in done)
    if n_rows <= cap:
        return None
    keeps, n_repeated = _first_occurrences([h for _, h, _ in done], spec.keep_duplicates)
    counts = [len(h) if k is None else len(k) for (_, h, _), k in zip(done, keeps, strict=True)]
    n_events = sum(counts)
    idx = sample_indices(n_events, cap, seed)
    if idx is None:
        return None
    starts = np.cumsum([0, *counts])
    futures = []
    for p, (_, _, future) in enumerate(done):
        local = idx[(idx >= starts[p]) & (idx < starts[p + 1])] - starts[p]
        keep = keeps[p]
        if len(local):
            rows = local if keep is None else keep[local]
            futures.append(client.submit(_take, future, rows, pure=False))
    taken = client.gather(futures)
    infos = [info for info, _, _ in done]
    totals = join_features([i.features for i in infos])
    fm = dataclasses.replace(
        join_features([f for f, _ in taken]), n_input=totals.n_input, n_dropped=totals.n_dropped
    )
    notes = study_notes(infos, totals, n_rows, n_repeated, spec.keep_duplicates)
    population = DaskPopulation(client, tuple(f for _, _, f in done), tuple(keeps), n_events)
    return Prepared(
        with_counts(fm, infos, n_repeated),
        resolved(spec, infos),
        (*notes, sample_note(len(idx), n_events)),
        np.concatenate([c for _, c in taken]),
        population,
    )


def _first_occurrences(
    hashes: list[np.ndarray], keep_all: bool
) -> tuple[list[np.ndarray | None], int]:
    """Per partition, the events that repeat no earlier event (``None``: all of them),
    and how many repeat one; with ``keep_all`` every event is kept (and still counted)."""
    joined = np.concatenate(hashes)
    _, first = np.unique(joined, return_index=True)
    n_repeated = len(joined) - len(first)
    if keep_all or not n_repeated:
        return [None] * len(hashes), n_repeated
    kept = np.zeros(len(joined), dtype=bool)
    kept[first] = True
    keeps: list[np.ndarray | None] = []
    start = 0
    for h in hashes:
        mask = kept[start : start + len(h)]
        keeps.append(None if mask.all() else np.flatnonzero(mask))
        start += len(h)
    return keeps, n_repeated
