"""The statistics of a constraint table that add up across partitions of the events.

A study too big for one machine's memory is checked partition by partition (files, or
ranges of them, on Dask workers). What the verdict needs from *every* event is here,
in a form that merges exactly, up to the order of floating-point additions:

* the moments of g over the events where it is finite (count, mean and the sum of
  squared deviations, merged by Chan et al.'s pairwise rule, which stays accurate
  where g barely varies, as it does for an exact law);
* for each tolerance (floating-point level, ``n_widths`` widths, the resonance rule's
  window), the events inside it: their number and the sums of their weights and of
  their absolute weights;
* the weights of all events (sums, extremes, negatives), which decide how the
  fractions are formed, as :func:`~hepsym.constraints.verify.event_weights` says.

What needs the events in order (the median, the interquartile range, the spread of g
on shuffled events, the Jacobian) is measured on a uniform sample instead
(:func:`~hepsym.constraints.verify.sample_stats`); with every event in the sample the
two give the table of one pass over all events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ("ConstraintTally", "Moments", "WeightTotals", "Within")


@dataclass(frozen=True)
class WeightTotals:
    """The event weights of a set of events, as far as the fractions need them.

    Attributes:
        n: events.
        present: every event has a weight (``False``: unweighted events).
        finite: every weight is finite.
        sum_w, sum_abs: sums of the weights and of their absolute values.
        w_min, w_max: the extremes (equal: unweighted in effect).
        n_negative, sum_negative: the negative weights, their number and sum.
    """

    n: int
    present: bool
    finite: bool = True
    sum_w: float = 0.0
    sum_abs: float = 0.0
    w_min: float = np.inf
    w_max: float = -np.inf
    n_negative: int = 0
    sum_negative: float = 0.0

    @classmethod
    def of(cls, weights: np.ndarray | None, n: int) -> WeightTotals:
        if weights is None or len(weights) != n:
            return cls(n, present=False)
        w = np.asarray(weights, dtype=np.float64)
        if n == 0:
            return cls(0, present=True)
        finite = bool(np.all(np.isfinite(w)))
        negative = w[w < 0]
        return cls(
            n,
            True,
            finite,
            float(np.sum(w)),
            float(np.sum(np.abs(w))),
            float(np.min(w)) if finite else np.nan,
            float(np.max(w)) if finite else np.nan,
            len(negative),
            float(np.sum(negative)),
        )

    def merge(self, other: WeightTotals) -> WeightTotals:
        return WeightTotals(
            self.n + other.n,
            self.present and other.present,
            self.finite and other.finite,
            self.sum_w + other.sum_w,
            self.sum_abs + other.sum_abs,
            min(self.w_min, other.w_min),
            max(self.w_max, other.w_max),
            self.n_negative + other.n_negative,
            self.sum_negative + other.sum_negative,
        )

    @property
    def mode(self) -> str:
        """``none`` (plain counts), ``signed`` or ``abs``: the rule of
        :func:`~hepsym.constraints.verify.event_weights` on the merged weights."""
        if not self.present or self.n == 0 or not self.finite or self.w_min == self.w_max:
            return "none"
        return "signed" if self.sum_w > 0 else "abs"


@dataclass(frozen=True)
class Within:
    """The events inside one tolerance: how many, and their weights summed."""

    k: int = 0
    sum_w: float = 0.0
    sum_abs: float = 0.0

    @classmethod
    def of(cls, mask: np.ndarray, weights: np.ndarray | None) -> Within:
        k = int(np.count_nonzero(mask))
        if weights is None or len(weights) != len(mask):
            return cls(k)
        w = np.asarray(weights, dtype=np.float64)[mask]
        return cls(k, float(np.sum(w)), float(np.sum(np.abs(w))))

    def merge(self, other: Within) -> Within:
        return Within(self.k + other.k, self.sum_w + other.sum_w, self.sum_abs + other.sum_abs)

    def fraction(self, totals: WeightTotals) -> float:
        """The (weighted) fraction of all events that are inside; signed weights can take
        the ratio out of [0, 1] by a fluctuation, and it is clipped to that range."""
        mode = totals.mode
        if mode == "none":
            return self.k / totals.n if totals.n else 0.0
        num, den = (
            (self.sum_w, totals.sum_w) if mode == "signed" else (self.sum_abs, totals.sum_abs)
        )
        return float(min(max(num / den, 0.0), 1.0))


@dataclass(frozen=True)
class Moments:
    """Count, mean and sum of squared deviations of the finite values of g."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        if len(values) == 0:
            return cls()
        mean = float(np.mean(values))
        return cls(len(values), mean, float(np.sum((values - mean) ** 2)))

    def merge(self, other: Moments) -> Moments:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        return Moments(
            n,
            self.mean + delta * other.n / n,
            self.m2 + other.m2 + delta * delta * self.n * other.n / n,
        )

    @property
    def std(self) -> float:
        return float(np.sqrt(self.m2 / self.n)) if self.n else float("nan")


@dataclass(frozen=True)
class ConstraintTally:
    """One constraint over a set of events: what :func:`~hepsym.constraints.verify.judge`
    needs from every event.

    Attributes:
        weights: the events' weights.
        moments: of g where it is finite.
        exact: events with |g - expected| within rel_tol x the natural scale.
        within: events within the approximate tolerance (``n_widths`` widths); ``None``
            for a constraint without a width.
        near: events within the resonance rule's window; ``None`` but for a resonance.
    """

    weights: WeightTotals
    moments: Moments
    exact: Within
    within: Within | None = None
    near: Within | None = None

    def merge(self, other: ConstraintTally) -> ConstraintTally:
        return ConstraintTally(
            self.weights.merge(other.weights),
            self.moments.merge(other.moments),
            self.exact.merge(other.exact),
            _merge_optional(self.within, other.within),
            _merge_optional(self.near, other.near),
        )


def _merge_optional(a: Within | None, b: Within | None) -> Within | None:
    if a is None or b is None:
        return a if b is None else b
    return a.merge(b)
