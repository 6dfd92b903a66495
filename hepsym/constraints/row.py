"""One row of the constraint table: a candidate's measurements and its verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ("ConstraintRow",)


@dataclass(frozen=True)
class ConstraintRow:
    """One candidate's measurements and verdict.

    Attributes:
        name, formula, kind: as in the :class:`~hepsym.constraints.base.Constraint`.
        expected: the value g should take (the data's median if the user gave none).
        mean, std: of g over the events.
        scale: median over events of the natural scale of g.
        rel_spread: std(g - expected) / scale.
        spread_ratio: std(g) / std(g on events shuffled between events), ``None`` where
            shuffling cannot change g (one particle or one column).
        terms_ratio: std(g) / sqrt(sum of the variances of its terms), ``None`` if g has
            no separate terms.
        tolerance: the absolute tolerance (median over events for exact laws).
        fraction_within: fraction of events with |g - expected| within ``tolerance``.
        fraction_exact: fraction within rel_tol x scale (floating-point level).
        width: the stated width (PDG width of a resonance), ``None`` for exact laws.
        measured_width: interquartile range of g (equal to Gamma for a Breit-Wigner);
            only for constraints with a width.
        status: ``exact``, ``approximate`` or ``violated``.
        acts_on_features: whether g changes with the features at all (its Jacobian is
            not zero); a constraint that does not act is reported, never counted.
        counted: holds and acts: enters the rank.
        note: anything else (mass mismatch, why it does not act).
        peak_fraction: for a resonance, the (weighted) fraction of events within
            ``PEAK_N_WIDTHS`` PDG widths of its mass; ``None`` otherwise.
        peak_dominates: for a resonance, whether it passes the resonance rule (``False``:
            a peak on a continuum, never counted); ``None`` otherwise.
    """

    name: str
    formula: str
    kind: str
    expected: float
    mean: float
    std: float
    scale: float
    rel_spread: float
    spread_ratio: float | None
    terms_ratio: float | None
    tolerance: float
    fraction_within: float
    fraction_exact: float
    width: float | None
    measured_width: float | None
    status: str
    acts_on_features: bool = True
    counted: bool = False
    note: str = ""
    peak_fraction: float | None = None
    peak_dominates: bool | None = None

    @property
    def holds(self) -> bool:
        return self.status in ("exact", "approximate")

    def to_dict(self) -> dict[str, Any]:
        return {k: _json(v) for k, v in self.__dict__.items()}


def _json(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (np.floating, np.integer)):
        return _json(v.item())
    return v
