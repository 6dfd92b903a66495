"""All the events of a study, wherever they are: in this process, or partition by
partition on Dask workers.

A stage that needs every event (the constraint table's counts, fractions, means and
spreads; the VAE ensemble's relevances; the final-state classes of the strata) maps a
function over the partitions and merges what comes back; everything else works on the
study's sample, a :class:`~hepsym.features.FeatureMatrix` of at most ``sample_events``
events drawn uniformly from all of them. :class:`InMemory` is the population of features
held here; :class:`hepsym.dask_study.DaskPopulation` the one on Dask workers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from hepsym.features import FeatureMatrix

__all__ = ("InMemory", "Population", "count_classes")

T = TypeVar("T")


class Population(Protocol):
    """The partitions of a study's events (after every selection and deduplication)."""

    @property
    def n_events(self) -> int:
        """The events in all partitions."""

    def map(self, func: Callable[[FeatureMatrix], T]) -> list[T]:
        """``func`` of each partition's features, in partition order."""

    def class_counts(self) -> dict[str, int]:
        """The events of each final-state class (:func:`~hepsym.inputs.final_state_classes`)."""


@dataclass(frozen=True)
class InMemory:
    """Feature matrices held in this process, with their events' final-state classes."""

    parts: tuple[FeatureMatrix, ...]
    classes: tuple[np.ndarray, ...] | None = None

    @property
    def n_events(self) -> int:
        return sum(p.n_events for p in self.parts)

    def map(self, func: Callable[[FeatureMatrix], T]) -> list[T]:
        return [func(p) for p in self.parts]

    def class_counts(self) -> dict[str, int]:
        return count_classes(self.classes or ())


def count_classes(classes: Iterable[np.ndarray]) -> dict[str, int]:
    """The events of each class, over every array of ``classes``."""
    total: Counter[str] = Counter()
    for c in classes:
        labels, n = np.unique(np.asarray(c), return_counts=True)
        total.update(dict(zip(labels.tolist(), n.tolist(), strict=True)))
    return dict(total)
