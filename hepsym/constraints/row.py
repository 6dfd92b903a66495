"""One row of the constraint table: a candidate's measurements and its verdict, judged
from what a sample measured and what every event added up to (see
:mod:`hepsym.constraints.verify`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hepsym.constraints.base import Constraint
from hepsym.constraints.tally import ConstraintTally
from hepsym.errors import ConstraintError
from hepsym.spec import Thresholds

__all__ = (
    "PEAK_MAX_WIDTH_RATIO",
    "PEAK_MIN_FRACTION",
    "PEAK_N_WIDTHS",
    "ConstraintRow",
    "SampleStats",
    "judge",
    "ratio",
)

#: the resonance rule (see :mod:`hepsym.constraints.verify`): a resonance counts only
#: where at least PEAK_MIN_FRACTION of the events (weighted) lie within PEAK_N_WIDTHS PDG
#: widths of its mass and its measured width (IQR) is at most PEAK_MAX_WIDTH_RATIO x the PDG width
PEAK_N_WIDTHS = 3.0
PEAK_MIN_FRACTION = 0.65
PEAK_MAX_WIDTH_RATIO = 3.0


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


@dataclass(frozen=True)
class SampleStats:
    """What a constraint's verdict takes from a uniform sample of the events: the
    numbers that need the events in order or together (see :mod:`hepsym.constraints.tally`
    for those summed over every event).

    Attributes:
        expected: the value g should take (the sample's weighted median if none given).
        scale: median of the natural scale.
        tolerance: the absolute tolerance (``n_widths`` widths, or rel_tol x scale).
        spread_ratio, terms_ratio, measured_width: as in :class:`ConstraintRow`.
    """

    expected: float
    scale: float
    tolerance: float
    spread_ratio: float | None
    terms_ratio: float | None
    measured_width: float | None


def ratio(a: float, b: float) -> float:
    """a / b, with 0 / 0 = 0 and a / 0 = inf."""
    if b > 0:
        return a / b
    return 0.0 if a == 0 else math.inf


def _peak_note(fraction: float, measured: float, width: float, dominates: bool) -> str:
    numbers = (
        f"{fraction:.0%} of events within {PEAK_N_WIDTHS:g} widths (counted from "
        f"{PEAK_MIN_FRACTION:.0%}), measured width {measured:.3g} GeV vs PDG {width:.3g} GeV "
        f"(counted up to {PEAK_MAX_WIDTH_RATIO:g}x)"
    )
    if dominates:
        return f"the peak dominates: {numbers}"
    return f"peak on a continuum: {numbers}; not counted"


def judge(c: Constraint, stats: SampleStats, t: ConstraintTally, th: Thresholds) -> ConstraintRow:
    """The row of one candidate, from its sample statistics and its tally over all events.

    Raises:
        ConstraintError: g is not finite on any event.
    """
    if t.moments.n == 0:
        msg = f"constraint {c.name!r} is not finite on any event"
        raise ConstraintError(msg)
    fraction_exact = t.exact.fraction(t.weights)
    if c.width is not None and t.within is not None:
        fraction_within = t.within.fraction(t.weights)
    else:
        fraction_within = fraction_exact
    spread = stats.spread_ratio if stats.spread_ratio is not None else stats.terms_ratio
    if fraction_exact >= th.exact_fraction:
        status = "exact"
    elif (
        c.width is not None
        and fraction_within >= th.approx_fraction
        and (spread is None or spread <= th.max_spread_ratio)
    ):
        status = "approximate"
    else:
        status = "violated"
    note = c.note
    peak_fraction = peak_dominates = None
    if t.near is not None and c.width is not None and stats.measured_width is not None:
        peak_fraction = t.near.fraction(t.weights)
        peak_dominates = bool(
            peak_fraction >= PEAK_MIN_FRACTION
            and stats.measured_width <= PEAK_MAX_WIDTH_RATIO * c.width
        )
        if status == "approximate":
            peak = _peak_note(peak_fraction, stats.measured_width, c.width, peak_dominates)
            note = f"{note}; {peak}" if note else peak
    std = t.moments.std
    return ConstraintRow(
        name=c.name,
        formula=c.formula,
        kind=c.kind,
        expected=stats.expected,
        mean=t.moments.mean,
        std=std,
        scale=stats.scale,
        rel_spread=ratio(std, stats.scale),
        spread_ratio=stats.spread_ratio,
        terms_ratio=stats.terms_ratio,
        tolerance=stats.tolerance,
        fraction_within=fraction_within,
        fraction_exact=fraction_exact,
        width=c.width,
        measured_width=stats.measured_width,
        status=status,
        note=note,
        peak_fraction=peak_fraction,
        peak_dominates=peak_dominates,
    )
