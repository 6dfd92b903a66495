"""Test each candidate on the data: residuals, scale-free spread, and a verdict.

For a candidate g(x) = c the residual per event is r = g - c. Three numbers judge it:

* **relative spread** std(r) / scale, with the constraint's natural scale (the energy of
  the particles for conservation laws, E^2 for on-shell, the resonance mass);
* **spread ratio** std(g) / std(g on shuffled events): the particles (or, for custom
  features, the columns) are recombined across events, particle 1 of event i with
  particle 2 of event pi(i). A law that ties the particles together has a ratio << 1;
  a mere correlation of scales has a ratio ~ 1. For a g of one particle only, shuffling
  changes nothing and the ratio std(g) / sqrt(sum of var(term)) of g to its separate
  terms is used instead (E^2 and |p|^2 for on-shell);
* **fraction within tolerance**: |r| <= rel_tol x scale for an exact law, |r| <= n_widths
  x width for an approximate one.

**Weights.** Fractions of events, the expected value when none is given (the median),
the measured width (the IQR) and the resonance rule are weighted by the events' signed
weights: sum(w in) / sum(w) estimates the fraction of the cross-section without bias,
NLO's negative weights included (|w| would not: it counts a subtracted event as an
added one). Where the weights sum to zero or less, |w| is used. Equal weights give the
unweighted numbers exactly. The spreads and spread ratios are unweighted.

Verdict: *exact* when at least ``exact_fraction`` of the events are within the relative
tolerance (floating-point level); *approximate* when the constraint has a width, at least
``approx_fraction`` of the events lie within ``n_widths`` widths and the spread ratio is
at most ``max_spread_ratio``; *violated* otherwise.

**Resonance or continuum.** A resonance condition m(group) = M is a constraint only where
the peak dominates the sample. The rule, one for every resonance: at least
``PEAK_MIN_FRACTION`` of the events (weighted) lie within ``PEAK_N_WIDTHS`` PDG widths of
M, and the measured core width (the interquartile range, Gamma for a Breit-Wigner) is at
most ``PEAK_MAX_WIDTH_RATIO`` x the PDG width. A resonance row that is approximate but fails
the rule is a peak on a continuum (a wide Drell-Yan mass window, where the gamma*
continuum holds half the events): reported with both numbers, never counted.

**Sample and tally.** Each row is judged (:func:`~hepsym.constraints.row.judge`) from two
halves: what needs the events together, measured on the study's sample
(:func:`sample_stats`: the expected value, scale, IQR and spread ratios), and what every
event adds up to (:func:`tally`: counts, weighted fractions, mean and spread), which
partitions merge exactly (:mod:`hepsym.constraints.tally`). Where the sample is every
event, :func:`measure` does both in one pass.

The functions here take an *evaluation matrix* (:func:`hepsym.constraints.base.evaluation_matrix`:
the features, then per-event parameters such as the particles' masses); each constraint is
given the columns it reads (:meth:`~hepsym.constraints.base.Constraint.view`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hepsym.constraints.base import Constraint, parameter_groups
from hepsym.constraints.row import (
    PEAK_MAX_WIDTH_RATIO,
    PEAK_MIN_FRACTION,
    PEAK_N_WIDTHS,
    ConstraintRow,
    SampleStats,
    judge,
    ratio,
)
from hepsym.constraints.tally import ConstraintTally, Moments, WeightTotals, Within
from hepsym.errors import ConstraintError, HepsymError
from hepsym.features import FeatureMatrix
from hepsym.spec import Thresholds

__all__ = (
    "PEAK_MAX_WIDTH_RATIO",
    "PEAK_MIN_FRACTION",
    "PEAK_N_WIDTHS",
    "ConstraintRow",
    "SampleStats",
    "Thresholds",
    "event_weights",
    "judge",
    "measure",
    "peak_rule",
    "sample_stats",
    "shuffle_events",
    "tally",
    "weighted_quantiles",
)


def peak_rule() -> str:
    """The resonance rule in words, with its constants."""
    return (
        f"a resonance counts only where its peak dominates: >= {PEAK_MIN_FRACTION:.0%} of "
        f"events (weighted) within {PEAK_N_WIDTHS:g} PDG widths of the mass and measured width "
        f"(IQR) <= {PEAK_MAX_WIDTH_RATIO:g} x the PDG width"
    )


def shuffle_groups(fm: FeatureMatrix) -> list[list[int]]:
    """Columns of the evaluation matrix that travel together when events are shuffled.

    One group per particle (its features and its mass), one per remaining feature, and
    the incoming partons' columns together.
    """
    masses, rest = parameter_groups(fm)
    groups = [[fm.names.index(c) for c in p.columns.values()] for p in fm.particles]
    if masses:
        groups = [[*g, m] for g, m in zip(groups, masses, strict=True)]
    taken = {j for g in groups for j in g}
    groups += [[j] for j in range(fm.n_features) if j not in taken]
    groups += rest
    return [g for g in groups if g]


def shuffle_events(X: np.ndarray, groups: list[list[int]], rng: np.random.Generator) -> np.ndarray:
    """X with every group but the first taken from an independently permuted event."""
    out = X.copy()
    for g in groups[1:]:
        out[:, g] = X[:, g][rng.permutation(len(X))]  # only the columns that move
    return out


def _touched(c: Constraint, groups: list[list[int]], names: tuple[str, ...]) -> int:
    if not c.features:
        return len(groups)
    cols = {names.index(f) for f in c.features}
    return sum(1 for g in groups if cols & set(g))


def evaluate(c: Constraint, X: np.ndarray) -> np.ndarray:
    """g on X, with a user's own error turned into a :class:`ConstraintError`."""
    try:
        return c.evaluate(X)
    except HepsymError:
        raise
    except Exception as err:
        msg = f"constraint {c.name!r} failed on the data: {type(err).__name__}: {err}"
        raise ConstraintError(msg) from err


def event_weights(weights: np.ndarray | None, n_events: int) -> np.ndarray | None:
    """The weights the statistics use, or ``None`` where they change nothing.

    ``None`` when there are none, they do not match the events, are not finite, or are
    all equal (unweighted events: the plain statistics, bit for bit). Signed weights
    are kept: a weighted fraction sum(w in) / sum(w) is then the unbiased estimate of
    the fraction of the cross-section, NLO's negative weights included. Where the
    weights sum to zero or less that ratio means nothing, and |w| is used instead.
    """
    if weights is None or len(weights) != n_events or n_events == 0:
        return None
    w = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(w)) or np.all(w == w[0]):
        return None
    return w if np.sum(w) > 0 else np.abs(w)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray | None, q: Any) -> np.ndarray:
    """Quantiles ``q`` (in [0, 1]) of ``values`` under the event weights.

    Without weights (or equal ones), :func:`numpy.percentile`. Otherwise the smallest
    value where the weighted cumulative distribution, sum of the weights up to it over
    their sum, reaches ``q``; with negative weights that distribution can step down, and
    its running maximum is used (the first crossing).
    """
    q = np.atleast_1d(np.asarray(q, dtype=np.float64))
    w = event_weights(weights, len(values))
    if w is None:
        return np.asarray(np.percentile(values, 100.0 * q), dtype=np.float64)
    order = np.argsort(values, kind="stable")
    cdf = np.maximum.accumulate(np.cumsum(w[order]) / np.sum(w))
    idx = np.minimum(np.searchsorted(cdf, q, side="left"), len(values) - 1)
    return np.asarray(values[order][idx], dtype=np.float64)


def sample_stats(
    c: Constraint,
    X: np.ndarray,
    X_shuffled: np.ndarray,
    groups: list[list[int]],
    names: tuple[str, ...],
    th: Thresholds,
    weights: np.ndarray | None = None,
) -> SampleStats:
    """Measure on a sample what cannot be summed over partitions.

    Args:
        c: the candidate.
        X, X_shuffled: the sample's evaluation matrix (features, then per-event
            parameters) and the same with events shuffled between groups.
        groups: the shuffle groups (:func:`shuffle_groups`).
        names: the feature names (the first ``len(names)`` columns of X).
        th: the verdict's thresholds.
        weights: the sample's weights (signed; see :func:`event_weights`): the expected
            value (weighted median) and the measured width (weighted IQR) use them; the
            spread ratios do not (an event shuffled from several has no one weight).

    Raises:
        ConstraintError: g is not finite on any event, or the user's g fails.
    """
    return _stats(c, X, X_shuffled, groups, names, th, weights)[0]


def _stats(
    c: Constraint,
    X: np.ndarray,
    X_shuffled: np.ndarray,
    groups: list[list[int]],
    names: tuple[str, ...],
    th: Thresholds,
    weights: np.ndarray | None,
) -> tuple[SampleStats, np.ndarray, np.ndarray]:
    """:func:`sample_stats`, with g and its natural scale on the events of ``X``."""
    n_features = len(names)
    X, X_shuffled = c.view(X, n_features), c.view(X_shuffled, n_features)
    g = evaluate(c, X)
    finite = np.isfinite(g)
    if not finite.any():
        msg = f"constraint {c.name!r} is not finite on any event"
        raise ConstraintError(msg)
    w = event_weights(weights, len(g))
    w_finite = None if w is None else w[finite]
    expected = (
        float(weighted_quantiles(g[finite], w_finite, 0.5)[0])
        if c.expected is None
        else float(c.expected)
    )
    with np.errstate(all="ignore"):
        s = c.natural_scale(X, g, expected)
    std = float(np.std(g[finite]))
    scale = float(np.median(s[finite]))
    spread_ratio = None
    if _touched(c, groups, names) > 1:
        gs = evaluate(c, X_shuffled)
        std_s = float(np.std(gs[np.isfinite(gs)])) if np.isfinite(gs).any() else math.nan
        # Where even shuffled events keep g at rounding level (each term constant), the
        # ratio of two rounding noises says nothing.
        if std_s > th.rel_tol * scale:
            spread_ratio = std / std_s
    terms_ratio = None
    if c.terms is not None:
        with np.errstate(all="ignore"):
            t = np.asarray(c.terms(X), dtype=np.float64)[:, finite]
        terms_ratio = ratio(std, float(np.sqrt(np.sum(np.var(t, axis=1)))))
    measured_width = None
    if c.width is not None:
        q1, q3 = weighted_quantiles(g[finite], w_finite, [0.25, 0.75])
        measured_width = float(q3 - q1)
    tolerance = th.n_widths * c.width if c.width is not None else th.rel_tol * scale
    stats = SampleStats(
        expected, scale, float(tolerance), spread_ratio, terms_ratio, measured_width
    )
    return stats, g, s


def tally(
    c: Constraint,
    X: np.ndarray,
    names: tuple[str, ...],
    stats: SampleStats,
    th: Thresholds,
    weights: np.ndarray | None = None,
    values: tuple[np.ndarray, np.ndarray] | None = None,
) -> ConstraintTally:
    """Sum over the events of ``X`` (one partition's evaluation matrix) what the verdict
    needs from every event; :meth:`ConstraintTally.merge` adds partitions. ``values``:
    g and its natural scale on these events, where already evaluated."""
    if values is None:
        X = c.view(X, len(names))
        g = evaluate(c, X)
        with np.errstate(all="ignore"):
            s = c.natural_scale(X, g, stats.expected)
    else:
        g, s = values
    finite = np.isfinite(g)
    with np.errstate(all="ignore"):
        r = g - stats.expected
        exact = finite & (np.abs(r) <= th.rel_tol * s)
    within = near = None
    if c.width is not None:
        within = Within.of(finite & (np.abs(r) <= stats.tolerance), weights)
        if c.kind == "resonance":
            near = Within.of(finite & (np.abs(r) <= PEAK_N_WIDTHS * c.width), weights)
    return ConstraintTally(
        WeightTotals.of(weights, len(g)),
        Moments.of(g[finite]),
        Within.of(exact, weights),
        within,
        near,
    )


def measure(
    c: Constraint,
    X: np.ndarray,
    X_shuffled: np.ndarray,
    groups: list[list[int]],
    names: tuple[str, ...],
    th: Thresholds,
    weights: np.ndarray | None = None,
) -> tuple[SampleStats, ConstraintTally]:
    """The sample statistics and the tally of the same events, g evaluated once: the
    table of a study whose sample is all of its events."""
    stats, g, s = _stats(c, X, X_shuffled, groups, names, th, weights)
    return stats, tally(c, X, names, stats, th, weights, values=(g, s))
