"""The whole study: from an event file to constraints, a VAE count and a verdict.

:func:`analyze` is what ``hepsym analyze`` runs: it prepares the features
(:func:`~hepsym.inputs.prepare`), finds the constraints, trains the ensemble on the
features by the rules of :func:`~hepsym.learning.learning_inputs`, and compares the
numbers (:func:`~hepsym.verdict.compare`). What it runs is one
:class:`~hepsym.spec.StudySpec`; the result is an :class:`~hepsym.result.AnalysisResult`.
This module also holds what only a study needs: the pair observables the latents are read
by, and the evidence the verdict weighs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hepsym.cluster import open_study
from hepsym.features import FeatureMatrix
from hepsym.input_spec import as_paths
from hepsym.inputs import Prepared
from hepsym.result import AnalysisResult
from hepsym.spec import StudySpec
from hepsym.strata import find_strata

if TYPE_CHECKING:
    from hepsym.constraints import ConstraintResult
    from hepsym.learning import LearnResult

__all__ = ("analyze",)


def analyze(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | FeatureMatrix,
    spec: StudySpec | None = None,
    **options: Any,
) -> AnalysisResult:
    """From an event file (or a feature matrix) to constraints, a VAE count and a verdict.

    Args:
        source: an event file, several (a list, a glob, a fileset: see
            :func:`hepsym.read`), or a :class:`~hepsym.features.FeatureMatrix` (for
            non-collider data, e.g. ``FeatureMatrix.from_array(X)``).
        spec: the whole study (:class:`~hepsym.spec.StudySpec`); default: hepsym's.
        options: settings by their flat names, applied on top of ``spec``
            (:meth:`~hepsym.spec.StudySpec.with_options`): ``select``, ``features``,
            ``sqrt_s``, ``collider``, ``max_events``, ``tree``, ``collections``,
            ``pt_min``, ``eta_max``; ``extra``, ``exclude``, ``resonances``; ``ensemble``,
            ``epochs``, ``latent``, ``hidden``, ``vae``, ``seed``, ``device``, ``threads``,
            ``progress``.

    Returns:
        The :class:`~hepsym.result.AnalysisResult`; its ``spec`` is the study as it ran.

    Raises:
        HepsymError: from any stage, naming the file and the problem.
    """
    from hepsym.learning import start_workers

    spec = (spec or StudySpec()).with_options(**options)
    start_workers(spec.learn)  # ready by the time the features are
    if isinstance(source, FeatureMatrix):
        return _study(Prepared(source, spec.input), spec)
    inputs = dataclasses.replace(spec.input, path=as_paths(source))
    with open_study(inputs, spec.scale, seed=spec.seed) as prepared:
        return _study(prepared, dataclasses.replace(spec, input=prepared.spec))


def _study(prepared: Prepared, spec: StudySpec) -> AnalysisResult:
    """Every stage on the study's features (a sample of its population, if it has one)."""
    from hepsym.constraints import analyze_constraints
    from hepsym.learning import start_learning_features
    from hepsym.verdict import compare

    fm, notes, classes = prepared.features, prepared.notes, prepared.classes
    fm.check_finite()
    # the ensemble trains in the worker processes while this process checks constraints
    learning = start_learning_features(
        fm, spec.learn, extra=_physics_combinations(fm), population=prepared.population
    )
    try:
        c_result = analyze_constraints(
            fm, spec.constraints, seed=spec.seed, population=prepared.population
        )
        population = prepared.population
        strata = find_strata(
            fm,
            c_result,
            spec.constraints,
            classes=classes,
            counts=population.class_counts() if population is not None else None,
            seed=spec.seed,
        )
        discovery, symmetry, notes = _beyond(fm, c_result, spec, notes)
        l_result = learning.result()
    except BaseException:  # an error, Ctrl-C, SIGTERM: the training is given up too
        learning.cancel()
        raise
    spec = dataclasses.replace(spec, learn=dataclasses.replace(spec.learn, vae=l_result.config))
    verdict = compare(
        c_result,
        l_result,
        epochs=l_result.config.epochs,
        n_events=min(fm.n_events, spec.learn.train_events or fm.n_events),  # trained on
        evidence=_surplus_evidence(c_result.predicted_dim, l_result),
        warnings=(
            *_repeated_warning(fm, spec),
            *(strata.warnings(c_result.predicted_dim) if strata else ()),
            *_discovery_warnings(discovery, c_result.predicted_dim),
        ),
        **_approximate(c_result),
    )
    return AnalysisResult(
        fm,
        c_result,
        l_result,
        verdict,
        (*notes, *l_result.notes),
        spec,
        strata,
        discovery,
        symmetry,
    )


def _beyond(
    fm: FeatureMatrix, c_result: ConstraintResult, spec: StudySpec, notes: tuple[str, ...]
) -> tuple[Any, Any, tuple[str, ...]]:
    """The relations found from the data alone, and the symmetries, as the spec asks.

    A stage that cannot run on these features (e.g. symmetries of ptetaphim) is left out
    with a note; the study goes on.
    """
    from hepsym.errors import HepsymError

    discovery = symmetry = None
    if spec.discover:
        from hepsym.discovery import discover

        try:
            discovery = discover(
                fm,
                max_degree=spec.discovery.max_degree,
                tolerance=spec.discovery.tolerance,
                seed=spec.seed,
                geometric=False,
                constraints=c_result,
            )
        except HepsymError as err:
            notes = (*notes, f"relations from the data alone not searched: {err}")
    if spec.symmetries:
        from hepsym.symmetry import symmetries

        try:
            symmetry = symmetries(fm, constraints=c_result, seed=spec.seed)
        except HepsymError as err:
            notes = (*notes, f"symmetries not searched: {err}")
    return discovery, symmetry, notes


def _discovery_warnings(discovery: Any, predicted: int) -> tuple[str, ...]:
    """What the data obey that the named constraints do not say, and a differing count."""
    if discovery is None:
        return ()
    out = []
    new = [d.formula for d in discovery.discovered if d.acts and d.matches == "new"]
    if new:
        out.append(
            "The data obey relations the candidate list does not name: " + "; ".join(new) + "."
        )
    if discovery.discovered_dim != predicted:
        out.append(
            f"The relations found from the data alone leave {discovery.discovered_dim} "
            f"dimensions, the named constraints {predicted} (see the discovered relations)."
        )
    return tuple(out)


def _repeated_warning(fm: FeatureMatrix, spec: StudySpec) -> tuple[str, ...]:
    """Repeated events kept on request bias TwoNN (a nearest neighbour at distance 0)."""
    n = int(fm.metadata.get("n_repeated", 0))
    if not n or not spec.input.keep_duplicates:
        return ()
    return (
        (
            f"{n} of {fm.n_events} events repeat an earlier event's features exactly and were "
            "kept: nearest-neighbour estimates (TwoNN) and the VAE see them as one point "
            "weighted more."
        ),
    )


def _approximate(c_result: ConstraintResult) -> dict[str, Any]:
    """The counted approximate constraints in words, and which pair column measures each.

    A resonance of the selected pair is measured by the pair mass among the combinations.
    """
    rows = [r for r in c_result.rows if r.counted and r.status == "approximate"]
    approximate = tuple(
        f"{r.name} ({r.formula}; measured width {r.measured_width:.3g}, stated {r.width:.3g})"
        if r.width is not None and r.measured_width is not None
        else f"{r.name} ({r.formula})"
        for r in rows
    )
    measured_by = {
        a: "m(pair)" for a, r in zip(approximate, rows, strict=True) if r.kind == "resonance"
    }
    return {"approximate": approximate, "measured_by": measured_by}


def _surplus_evidence(predicted: int, learned: LearnResult) -> dict[str, float]:
    """For latents ranked beyond ``predicted``: their largest informational correlation per column."""
    if learned.learned_dim <= predicted:
        return {}
    info = learned.correlations.mean_abs("info")[predicted : learned.learned_dim]
    return {
        c: float(v) for c, v in zip(learned.correlations.columns, info.max(axis=0), strict=True)
    }


def _physics_combinations(fm: FeatureMatrix) -> dict[str, Any]:
    """Pair observables to read the latents by, for two selected particles.

    The differences of like components (paper fig. 7: p(mu-) - p(mu+)), and the pair's
    invariant mass, rapidity and cos(theta) of the first particle: a latent that tracks
    m(pair) is resolving the width of an approximate resonance constraint, one that tracks
    y(pair) the longitudinal boost of a hadron collision.
    """
    if len(fm.particles) != 2:
        return {}
    from hepsym.constraints.base import kinematics

    a, b = fm.particles
    out = {}
    for comp, col in a.columns.items():
        if comp in b.columns:
            out[f"{comp}({a.label})-{comp}({b.label})"] = fm.column(col) - fm.column(
                b.columns[comp]
            )
    ka, kb = kinematics(fm)
    (ea, xa, ya, za), (eb, xb, yb, zb) = ka.p4(fm.X), kb.p4(fm.X)
    e, px, py, pz = ea + eb, xa + xb, ya + yb, za + zb
    with np.errstate(invalid="ignore", divide="ignore"):
        pair = "pair"
        out[f"m({pair})"] = np.sqrt(np.maximum(e * e - px * px - py * py - pz * pz, 0.0))
        out[f"y({pair})"] = 0.5 * np.log((e + pz) / (e - pz))
        out[f"cos_theta({a.label})"] = za / np.sqrt(xa * xa + ya * ya + za * za)
    # a combination fixed by a constraint (m(pair) = sqrt(s) at a lepton collider) says nothing
    return {
        k: v
        for k, v in out.items()
        if np.isfinite(v).all() and np.ptp(v) > 1e-9 * max(np.abs(v).max(), 1e-300)
    }
