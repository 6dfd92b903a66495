"""The analysis as one call, :func:`analyze_constraints`, and its result table."""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hepsym.constraints.base import Constraint, evaluation_matrix
from hepsym.constraints.candidates import find_constraints
from hepsym.constraints.counting import acts, jacobian, rank, topology
from hepsym.constraints.tally import ConstraintTally, WeightTotals
from hepsym.constraints.verify import (
    PEAK_MAX_WIDTH_RATIO,
    PEAK_MIN_FRACTION,
    PEAK_N_WIDTHS,
    ConstraintRow,
    SampleStats,
    evaluate,
    judge,
    measure,
    peak_rule,
    sample_stats,
    shuffle_events,
    shuffle_groups,
    tally,
)
from hepsym.errors import ConstraintError
from hepsym.features import FeatureMatrix
from hepsym.population import Population
from hepsym.spec import ConstraintSpec, Thresholds, with_fields

__all__ = ("MIN_EVENTS", "ConstraintResult", "analyze_constraints")

#: fewest events for which a rank is reported
MIN_EVENTS = ConstraintSpec().min_events


@dataclass(frozen=True)
class ConstraintResult:
    """Which constraints the data obey, how many are independent, and the dimension.

    Attributes:
        rows: one :class:`~hepsym.constraints.verify.ConstraintRow` per candidate.
        feature_names: the features, in column order.
        n_features: number of features n.
        n_events: events analysed.
        rank: independent holding constraints r (modal Jacobian rank over the sample).
        rank_stability: fraction of sampled events whose Jacobian has rank r.
        n_sampled: events on which the Jacobian was evaluated.
        predicted_dim: d = n - r, the manifold dimension.
        embedding_dim: fewest Euclidean coordinates holding the manifold (d + 1 for a
            sphere); a lower bound when ``embedding_exact`` is False.
        embedding_exact: whether ``embedding_dim`` is exact.
        shape: ``S^2``, ``S^1``, ``closed`` or ``open``.
        shape_reason: the rule that gave the shape, in words.
        rank_rtol: singular values above rank_rtol x the largest count.
        thresholds: the verdict's thresholds.
        beams: the initial state used, in words.
        source: the data's origin.
        notes: how candidates were chosen, mass mismatches, overrides.
        candidates: the :class:`~hepsym.constraints.base.Constraint` behind each row, in
            the same order, to evaluate g(x) again (e.g. for residual plots).
    """

    rows: tuple[ConstraintRow, ...]
    feature_names: tuple[str, ...]
    n_features: int
    n_events: int
    rank: int
    rank_stability: float
    n_sampled: int
    predicted_dim: int
    embedding_dim: int
    embedding_exact: bool
    shape: str
    shape_reason: str
    rank_rtol: float
    thresholds: Thresholds = field(default_factory=Thresholds)
    beams: str = ""
    source: str = ""
    notes: tuple[str, ...] = ()
    candidates: tuple[Constraint, ...] = field(default=(), repr=False, compare=False)

    def row(self, name: str) -> ConstraintRow:
        """The row of the candidate called ``name``."""
        for r in self.rows:
            if r.name == name:
                return r
        msg = f"no constraint {name!r}; constraints are {', '.join(r.name for r in self.rows)}"
        raise ConstraintError(msg)

    def status(self, name: str) -> str:
        return self.row(name).status

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary; the keys of the public ``--json`` schema."""
        return {
            "source": self.source,
            "beams": self.beams,
            "n_events": self.n_events,
            "n_features": self.n_features,
            "features": list(self.feature_names),
            "rank": self.rank,
            "rank_stability": self.rank_stability,
            "n_sampled": self.n_sampled,
            "rank_rtol": self.rank_rtol,
            "predicted_dim": self.predicted_dim,
            "embedding_dim": self.embedding_dim,
            "embedding_exact": self.embedding_exact,
            "shape": self.shape,
            "shape_reason": self.shape_reason,
            "thresholds": self.thresholds.to_dict(),
            "resonance_rule": {
                "rule": peak_rule(),
                "peak_n_widths": PEAK_N_WIDTHS,
                "peak_min_fraction": PEAK_MIN_FRACTION,
                "peak_max_width_ratio": PEAK_MAX_WIDTH_RATIO,
            },
            "constraints": [r.to_dict() for r in self.rows],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        head = (
            f"{'constraint':<24} {'kind':<19} {'expected':>11} {'mean':>11} {'std':>10} "
            f"{'rel.spr':>8} {'vs shuf':>8} {'in tol':>7}  {'status':<11} counted"
        )
        lines = [
            (
                f"constraints of {self.source or '<features>'}: {self.n_events} events, "
                f"{self.n_features} features ({', '.join(self.feature_names)})"
            ),
            f"beams: {self.beams}" if self.beams else "",
            "",
            head,
            "-" * len(head),
        ]
        for r in self.rows:
            ratio = r.spread_ratio if r.spread_ratio is not None else r.terms_ratio
            counted = "yes" if r.counted else _why_not(r)
            lines.append(
                f"{r.name:<24} {r.kind:<19} {r.expected:>11.5g} {r.mean:>11.5g} {r.std:>10.3g} "
                f"{r.rel_spread:>8.1e} {_fmt(ratio):>8} {r.fraction_within:>7.1%}  "
                f"{r.status:<11} {counted}"
            )
        lines.append("")
        for r in self.rows:
            line = f"  {r.name}: {r.formula}"
            if r.width is not None:
                line += (
                    f"; PDG width {r.width:.4g} GeV, measured width (IQR) "
                    f"{_fmt(r.measured_width)} GeV"
                )
            if r.note:
                line += f"; {r.note}"
            lines.append(line)
        t = self.thresholds
        emb = f"{self.embedding_dim}" + ("" if self.embedding_exact else " (at least)")
        lines += [
            "",
            (
                f"exact: |g - c| <= {t.rel_tol:g} x scale in >= {t.exact_fraction:.0%} of events; "
                f"approximate: within {t.n_widths:g} widths in >= {t.approx_fraction:.0%} and "
                f"spread ratio <= {t.max_spread_ratio:g}; {peak_rule()}"
            ),
            (
                f"independent constraints (Jacobian rank, rtol {self.rank_rtol:g}): {self.rank}, "
                f"stable in {self.rank_stability:.0%} of {self.n_sampled} sampled events"
            ),
            f"predicted dimension: {self.n_features} - {self.rank} = {self.predicted_dim}",
            f"embedding dimension: {emb} ({self.shape}: {self.shape_reason})",
        ]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(line for i, line in enumerate(lines) if line or i > 1)


def _why_not(r: ConstraintRow) -> str:
    """The table's word for a row that is not counted."""
    if not r.holds:
        return "no"
    if not r.acts_on_features:
        return "no (does not act)"
    if r.kind == "parton-balance":
        return "no (partons not features)"
    if r.peak_dominates is False:
        return "no (peak on a continuum)"
    return "no"


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if not math.isfinite(x):
        return "inf"
    if x == 0:
        return "0"
    return f"{x:.2g}" if x >= 1e-3 else f"{x:.0e}"


def analyze_constraints(
    fm: FeatureMatrix,
    spec: ConstraintSpec | None = None,
    *,
    seed: int = 0,
    population: Population | None = None,
    **options: Any,
) -> ConstraintResult:
    """Find, verify and count the constraints of a feature matrix.

    The initial state is the feature matrix's (``fm.beams``; another one with
    ``fm.with_beams(...)``).

    Args:
        fm: the features (from :func:`hepsym.features.build_features` or
            :meth:`FeatureMatrix.from_array`).
        spec: which candidates and how to judge and count them
            (:class:`~hepsym.spec.ConstraintSpec`); default: hepsym's.
        seed: seeds the event shuffle and the Jacobian sample.
        population: all the events of the study, where ``fm`` is a uniform sample of
            them (:mod:`hepsym.population`): the counts, fractions in tolerance, means
            and spreads of the table are summed over every partition, the rest is
            measured on ``fm``. ``None``: ``fm`` holds every event.
        options: fields of the :class:`~hepsym.spec.ConstraintSpec` to set, e.g.
            ``extra=["x1**2 + x2**2 = 100"]``, ``exclude=["m_Z"]``, ``resonances=[]``.

    Returns:
        The :class:`ConstraintResult`.

    Raises:
        FeatureError: non-finite features.
        ConstraintError: too few events, a bad user constraint, a bad exclusion.
        OptionError: an unknown option.
    """
    spec = _spec_with(spec, options)
    th, min_events = spec.thresholds, spec.min_events
    fm.check_finite()
    if fm.n_events < min_events:
        msg = (
            f"{fm.source or '<features>'}: {fm.n_events} events are too few for a stable rank; "
            f"need at least {min_events}"
        )
        raise ConstraintError(msg)
    cands, notes = find_constraints(
        fm,
        extra=spec.extra,
        exclude=spec.exclude,
        resonances=spec.resonances,
        sphere=spec.sphere,
    )
    # the features, then per-event numbers that are no features (particle masses, partons)
    Xe = evaluation_matrix(fm)
    nf = fm.n_features
    rng = np.random.default_rng(seed)
    groups = shuffle_groups(fm)
    X_shuffled = shuffle_events(Xe, groups, rng)
    if population is None:  # the sample is every event: one pass over them
        w = WeightTotals.of(fm.weights, fm.n_events)
        measured = [
            measure(c, Xe, X_shuffled, groups, fm.names, th, fm.weights if w.present else None)
            for c in cands
        ]
        stats, merged = [m[0] for m in measured], [m[1] for m in measured]
        totals, n_events = w, fm.n_events
    else:
        stats = [sample_stats(c, Xe, X_shuffled, groups, fm.names, th, fm.weights) for c in cands]
        tallies = population.map(functools.partial(tally_partition, cands, stats, th))
        totals, merged = functools.reduce(_merge, tallies)
        n_events = population.n_events
    rows = [judge(c, s, t, th) for c, s, t in zip(cands, stats, merged, strict=True)]
    weights_note = _weights_note(totals)
    if weights_note:
        notes = [*notes, weights_note]

    sample = np.sort(rng.choice(fm.n_events, size=min(spec.n_sample, fm.n_events), replace=False))
    Xs = Xe[sample]
    col_scale = np.sqrt(np.mean(fm.X * fm.X, axis=0))
    col_scale = np.where(col_scale > 0, col_scale, 1.0)
    J = jacobian(cands, Xs, col_scale, spec.rel_step)
    scales = (
        np.stack(
            [
                c.natural_scale(c.view(Xs, nf), evaluate(c, c.view(Xs, nf)), r.expected)
                for c, r in zip(cands, rows, strict=True)
            ]
        )
        if cands
        else np.empty((0, len(Xs)))
    )
    acting = acts(J, col_scale, scales, spec.zero_tol) if cands else np.zeros(0, bool)
    for i, c in enumerate(cands):
        a = bool(acting[i]) and c.acts_on_features is not False
        note = rows[i].note
        if not a and c.acts_on_features is None:
            note = (
                note + "; " if note else ""
            ) + "its gradient is zero: does not act on these features"
        # a check on numbers that are no features, or a peak on a continuum: never counted
        counted = a and rows[i].holds and c.countable and rows[i].peak_dominates is not False
        rows[i] = dataclasses.replace(rows[i], acts_on_features=a, counted=counted, note=note)
    idx = [i for i, r in enumerate(rows) if r.counted]
    rr = rank(J[idx], col_scale, spec.rank_rtol)
    d = fm.n_features - rr.rank
    topo = topology(fm, [cands[i] for i in idx], [rows[i].expected for i in idx], J[idx], d)
    b = fm.beams
    return ConstraintResult(
        rows=tuple(rows),
        feature_names=fm.names,
        n_features=fm.n_features,
        n_events=n_events,
        rank=rr.rank,
        rank_stability=rr.stability,
        n_sampled=len(sample),
        predicted_dim=d,
        embedding_dim=topo.embedding_dim,
        embedding_exact=topo.exact,
        shape=topo.shape,
        shape_reason=topo.reason,
        rank_rtol=spec.rank_rtol,
        thresholds=th,
        beams=b.describe() if (b.known or fm.particles) else "",
        source=fm.source,
        notes=tuple(notes),
        candidates=tuple(cands),
    )


def tally_partition(
    cands: list[Constraint], stats: list[SampleStats], th: Thresholds, fm: FeatureMatrix
) -> tuple[WeightTotals, list[ConstraintTally]]:
    """The tallies of every candidate over one partition's events (runs where they are)."""
    Xe = evaluation_matrix(fm)
    weights = WeightTotals.of(fm.weights, fm.n_events)
    w = fm.weights if weights.present else None
    return weights, [tally(c, Xe, fm.names, s, th, w) for c, s in zip(cands, stats, strict=True)]


def _merge(
    a: tuple[WeightTotals, list[ConstraintTally]], b: tuple[WeightTotals, list[ConstraintTally]]
) -> tuple[WeightTotals, list[ConstraintTally]]:
    return a[0].merge(b[0]), [x.merge(y) for x, y in zip(a[1], b[1], strict=True)]


def _weights_note(w: WeightTotals) -> str:
    """How the event weights entered the table, or ``""`` for unweighted events."""
    if w.mode == "none":
        return ""
    how = (
        "signed weights (unbiased for NLO's negative weights)"
        if w.mode == "signed"
        else "|weights| (the signed weights sum to zero or less)"
    )
    return (
        f"weighted events ({w.n_negative} of {w.n} negative, sum of the negative ones "
        f"{w.sum_negative / w.sum_abs:.1%} of sum |w|): the fractions in "
        f"tolerance, the expected values (median), the measured widths (IQR) and the "
        f"resonance rule use {how}; spreads and spread ratios are unweighted"
    )


def _spec_with(spec: ConstraintSpec | None, options: dict[str, Any]) -> ConstraintSpec:
    result: ConstraintSpec = with_fields(spec, ConstraintSpec, options, "constraint")
    return result
