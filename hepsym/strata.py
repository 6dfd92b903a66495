"""Strata: when the events are a union of surfaces of different dimension.

A merged sample (Z + 0, 1 and 2 jets; e+e- and mu+mu- pairs; several processes) is not one
manifold: a law can hold exactly on some events and not on the others (the dilepton pT
balance holds in the 0-jet events only), and one prediction and one TwoNN for all of them
average over surfaces of different dimension. :func:`find_strata` splits the events by one
written rule and studies each part like the whole:

1. **final state**: events whose final states differ (the multiset of final-state particle
   ids, quarks and gluons counted as jets) form one stratum per class that holds at least
   ``MIN_FRACTION`` of the events, when there are 2 to ``MAX_STRATA`` such classes and
   together they hold at least ``MIN_COVERED`` of the events (the rest are not studied);
2. otherwise, **a law that holds exactly on a subset**: a conservation law that is not
   exact overall but holds to floating-point precision (``|g - c| <= rel_tol x scale``) on
   between ``MIN_FRACTION`` and ``1 - MIN_FRACTION`` of the events splits them into the
   events where it holds and the rest.

Each stratum gets its own constraint table, predicted dimension and TwoNN estimate. Strata
smaller than ``MIN_EVENTS`` events are not studied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hepsym.errors import HepsymError
from hepsym.features import FeatureMatrix

if TYPE_CHECKING:
    from hepsym.constraints import ConstraintResult
    from hepsym.spec import ConstraintSpec

__all__ = ("MAX_STRATA", "MIN_EVENTS", "MIN_FRACTION", "Strata", "Stratum", "find_strata")

#: a stratum holds at least this fraction of the events
MIN_FRACTION = 0.05
#: at most this many final-state classes are read as strata (more: showered, not merged)
MAX_STRATA = 6
#: the classes of at least MIN_FRACTION each must hold this fraction of all events
MIN_COVERED = 0.8
#: fewest events a stratum is studied on
MIN_EVENTS = 100
#: the laws that can hold on a subset: conservation of momentum and energy
_SPLITTING_KINDS = ("momentum", "transverse-momentum", "energy")


@dataclass(frozen=True)
class Stratum:
    """One part of the events, studied on its own.

    Attributes:
        label: what the events of this part share, in words.
        n_events: events in it.
        fraction: their (unweighted) fraction of all events.
        predicted_dim: features - independent constraints on this part.
        geometric_dim, geometric_dim_err: TwoNN on this part.
        constraints: the names of the constraints that hold and are counted here.
    """

    label: str
    n_events: int
    fraction: float
    predicted_dim: int
    geometric_dim: float
    geometric_dim_err: float
    constraints: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of one stratum."""
        return {
            "label": self.label,
            "n_events": self.n_events,
            "fraction": self.fraction,
            "predicted_dim": self.predicted_dim,
            "geometric_dim": self.geometric_dim,
            "geometric_dim_err": self.geometric_dim_err,
            "constraints": list(self.constraints),
        }


@dataclass(frozen=True)
class Strata:
    """The strata of a sample and the rule that found them."""

    strata: tuple[Stratum, ...]
    rule: str

    def __len__(self) -> int:
        return len(self.strata)

    @property
    def dims(self) -> tuple[int, ...]:
        """The predicted dimension of each stratum."""
        return tuple(s.predicted_dim for s in self.strata)

    def describe(self) -> str:
        """The union in words: "a union of a 3-dimensional (55%) and a 5-dimensional (45%)
        manifold", the fractions of all events, summed over strata of one dimension."""
        share: dict[int, float] = {}
        for s in self.strata:
            share[s.predicted_dim] = share.get(s.predicted_dim, 0.0) + s.fraction
        if len(share) == 1:
            (d,) = share
            return f"{len(self)} strata, each {d}-dimensional ({self.rule})"
        parts = [f"{d}-dimensional ({f:.0%})" for d, f in sorted(share.items())]
        return f"a union of a {' and a '.join(parts)} manifold ({self.rule})"

    def table(self) -> str:
        """One line per stratum."""
        lines = [f"strata ({self.rule}): {self.describe()}"]
        for s in self.strata:
            lines.append(
                f"  {s.label}: {s.n_events} events ({s.fraction:.0%}), predicted "
                f"{s.predicted_dim}, TwoNN {s.geometric_dim:.2f} +- {s.geometric_dim_err:.2f}; "
                f"holding: {', '.join(s.constraints) or 'none'}"
            )
        return "\n".join(lines)

    def warnings(self, predicted: int) -> tuple[str, ...]:
        """A warning when the strata's dimensions differ from each other or from the whole's."""
        if len(set(self.dims)) > 1 or (self.dims and self.dims[0] != predicted):
            return (
                (
                    f"The events are {self.describe()}; the single predicted dimension {predicted} "
                    "and the single TwoNN estimate average over them (see the strata)."
                ),
            )
        return ()

    def to_list(self) -> list[dict[str, Any]]:
        """The JSON list ``strata``."""
        return [s.to_dict() for s in self.strata]


def _groups_by_class(
    classes: Sequence[str] | np.ndarray, counts: Mapping[str, int] | None
) -> list[tuple[str, np.ndarray, int, float]]:
    """The final-state strata: label, rows of ``classes``, events and fraction. The rule
    decides on ``counts`` (the classes of every event, where ``classes`` are a sample's)."""
    labels, inverse = np.unique(np.asarray(classes), return_inverse=True)
    inverse = inverse.ravel()
    if counts is None:
        counts = dict(zip(labels.tolist(), np.bincount(inverse).tolist(), strict=True))
    n = sum(counts.values())
    ranked = sorted(counts, key=lambda c: (-counts[c], c))
    big = [c for c in ranked if counts[c] >= MIN_FRACTION * n]
    if not 2 <= len(big) <= MAX_STRATA or sum(counts[c] for c in big) < MIN_COVERED * n:
        return []
    where = {lab: i for i, lab in enumerate(labels.tolist())}
    return [
        (
            f"final state {c}",
            np.flatnonzero(inverse == where[c]) if c in where else np.arange(0),
            counts[c],
            counts[c] / n,
        )
        for c in big
    ]


def _groups_by_law(
    fm: FeatureMatrix, result: ConstraintResult
) -> list[tuple[str, np.ndarray, int, float]]:
    X, rel_tol = fm.X, result.thresholds.rel_tol
    for row, c in zip(result.rows, result.candidates, strict=True):
        if row.kind not in _SPLITTING_KINDS or row.status == "exact":
            continue
        with np.errstate(all="ignore"):
            g = np.asarray(c.evaluate(X), dtype=np.float64)
            scale = c.natural_scale(X, g, row.expected)
            holds = np.abs(g - row.expected) <= rel_tol * np.maximum(scale, 1e-300)
        f = holds.mean()
        if MIN_FRACTION <= f <= 1 - MIN_FRACTION:
            rows = (np.flatnonzero(holds), np.flatnonzero(~holds))
            return [
                (f"{row.name} holds exactly", rows[0], len(rows[0]), len(rows[0]) / fm.n_events),
                (f"{row.name} does not hold", rows[1], len(rows[1]), len(rows[1]) / fm.n_events),
            ]
    return []


def _study(
    fm: FeatureMatrix,
    group: tuple[str, np.ndarray, int, float],
    spec: ConstraintSpec,
    seed: int,
) -> Stratum | None:
    """One stratum studied on its rows of ``fm``; its events and fraction as counted."""
    label, rows, n_events, fraction = group
    from hepsym.constraints import analyze_constraints
    from hepsym.geometry import two_nn

    if len(rows) < MIN_EVENTS:
        return None
    part = fm.take(rows)
    try:
        c = analyze_constraints(part, spec, seed=seed)
        geo = two_nn(part.X, seed=seed)
        dim, err = geo.dim, geo.err
    except HepsymError:
        return None
    counted = tuple(r.name for r in c.rows if r.counted)
    return Stratum(label, n_events, fraction, c.predicted_dim, dim, err, counted)


def find_strata(
    fm: FeatureMatrix,
    result: ConstraintResult,
    spec: ConstraintSpec,
    *,
    classes: Sequence[str] | np.ndarray | None = None,
    counts: Mapping[str, int] | None = None,
    seed: int = 0,
) -> Strata | None:
    """Split the events into strata by the module's rule and study each; ``None`` if one.

    Args:
        fm: the features of all events.
        result: their constraint table (for the laws that hold on a subset).
        spec: the constraint settings, used again on every stratum.
        classes: per event, a label of its final state (from :func:`~hepsym.inputs.prepare`).
        counts: the events of each final state among all of the study's, where ``fm`` is
            a sample of them (:meth:`~hepsym.population.Population.class_counts`): the
            rule and the strata's sizes use them; each stratum is studied on the sample.
        seed: seeds each stratum's constraint sampling and TwoNN.
    """
    groups, rule = [], ""
    if classes is not None and len(classes) == fm.n_events:
        groups, rule = _groups_by_class(classes, counts), "by final state"
    if not groups:
        groups, rule = _groups_by_law(fm, result), "by a law that holds on a subset"
    studied = [s for s in (_study(fm, group, spec, seed) for group in groups) if s]
    if len(studied) < 2:
        return None
    return Strata(tuple(studied), rule)
