"""``symmetries()``: the symmetries of the events' surface and of their distribution."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from hepsym.constraints import ConstraintResult, analyze_constraints
from hepsym.errors import OptionError
from hepsym.features import FeatureMatrix
from hepsym.symmetry.density import (
    Discrete,
    Transform,
    continuous,
    discrete_maps,
    forward_backward,
    two_sample_test,
)
from hepsym.symmetry.generators import Basis, Named, algebra_name, basis_for
from hepsym.symmetry.result import DensityTest, SupportSymmetry, SymmetryResult, SymmetrySpec
from hepsym.symmetry.support import conditions, support

__all__ = ("symmetries",)

_SPEC_FIELDS = set(SymmetrySpec.__dataclass_fields__)


def symmetries(
    source: FeatureMatrix | str | os.PathLike[str],
    spec: SymmetrySpec | None = None,
    *,
    constraints: ConstraintResult | None = None,
    **options: Any,
) -> SymmetryResult:
    """Which transformations leave the events' surface, and their distribution, unchanged.

    Args:
        source: a feature matrix, or an event file read with :func:`hepsym.prepare`.
        spec: the settings (:class:`SymmetrySpec`); ``options`` override its fields.
        constraints: the constraint analysis of ``source`` if already done (else run).
        options: fields of :class:`SymmetrySpec` (``n_test=``, ``alpha=``, ``seed=``)
            and, for a file, of :class:`~hepsym.spec.InputSpec` (``select=``, ``features=``).

    Returns:
        The support algebra (generators tangent to the surface of the holding
        constraints), one two-sample test per continuous generator and per discrete map,
        A_FB where there is a negative lepton, and the physics in words.
    """
    mine = {k: v for k, v in options.items() if k in _SPEC_FIELDS}
    spec = (spec or SymmetrySpec()).with_options(**mine)
    rest = {k: v for k, v in options.items() if k not in _SPEC_FIELDS}
    if isinstance(source, FeatureMatrix):
        if rest:
            msg = (
                f"unknown symmetry option(s) {', '.join(sorted(rest))}; options are "
                f"{', '.join(sorted(_SPEC_FIELDS))} (input options need a file)"
            )
            raise OptionError(msg)
        fm = source
    else:
        from hepsym.inputs import prepare

        fm = prepare(source, **rest).features
    basis = basis_for(fm)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    cr = constraints if constraints is not None else analyze_constraints(fm, seed=spec.seed)
    timings["constraints_s"] = time.perf_counter() - t0
    counted = [c for c, r in zip(cr.candidates, cr.rows, strict=True) if r.counted]
    rng = np.random.default_rng(spec.seed)

    t0 = time.perf_counter()
    if counted:
        rows = rng.choice(fm.n_events, min(spec.n_sample, fm.n_events), replace=False)
        sup = support(conditions(fm, counted, basis, rows, spec.rel_step), basis, spec.rtol)
        in_support = [g for g in basis.named if sup.contains(g.name, spec.rtol)]
        found = [
            SupportSymmetry(g.name, g.words, g.matrix, sup.residuals[g.name]) for g in in_support
        ]
        found += [
            SupportSymmetry(f"X_{k + 1}", "unnamed generator", m, r)
            for k, (m, r) in enumerate(zip(sup.unnamed, sup.unnamed_residuals, strict=True))
        ]
        algebra = algebra_name(basis, [g.name for g in in_support], len(sup.unnamed))
        note = ""
        residuals = dict(sup.residuals)
        tested: list[Named] = list(in_support) + [
            Named(s.name, s.words, s.generator, bool(np.allclose(s.generator, -s.generator.T)))
            for s in found[len(in_support) :]
        ]
    else:
        found, residuals = [], {}
        algebra = f"gl({basis.size}): every generator"
        note = (
            "no constraint holds, so the surface is all of feature space and the surface test is "
            "empty; every named generator is tested on the distribution"
        )
        tested = list(basis.named)
    timings["support_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    half_a, half_b = _halves(fm.n_events, spec.n_test, rng)
    density = tuple(
        _test(
            fm,
            g.name,
            g.words,
            _range(g, spec),
            _transform(g, basis, spec),
            (half_a, half_b),
            spec,
            rng,
        )
        for g in tested
    )
    discrete = tuple(
        _test(fm, d.name, d.words, d.words, d, (half_a, half_b), spec, rng)
        for d in discrete_maps(fm, basis)
    )
    timings["density_s"] = time.perf_counter() - t0
    named = {g.name for g in basis.named}
    density_algebra = algebra_name(
        basis,
        [t.name for t in density if t.symmetric and t.name in named],
        sum(t.symmetric for t in density if t.name not in named),
    )
    fb = forward_backward(fm) if basis.kind != "custom" else None
    sentences = _sentences(basis, bool(counted), density, discrete, fb, spec, cr.predicted_dim)
    return SymmetryResult(
        source=fm.source,
        features=fm.names,
        kind=basis.kind,
        n_events=fm.n_events,
        support=tuple(found),
        support_algebra=algebra,
        support_note=note,
        named_residuals=residuals,
        density=density,
        density_algebra=density_algebra,
        discrete=discrete,
        forward_backward=fb,
        sentences=sentences,
        spec=spec,
        timings=timings,
    )


def _halves(n: int, n_test: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of the events, of at most ``n_test`` each."""
    order = rng.permutation(n)
    k = min(n_test, n // 2)
    return order[:k], order[k : 2 * k]


def _range(g: Named, spec: SymmetrySpec) -> str:
    if g.compact:
        return f"{g.words} by +-{spec.angle:g} rad"
    if g.name == "D":
        return f"{g.words} by exp(+-{spec.rapidity:g})"
    what = "rapidity" if g.name.startswith("K_") else "parameter"
    return f"{g.words}, {what} +-{spec.rapidity:g}"


def _transform(g: Named, basis: Basis, spec: SymmetrySpec) -> Transform:
    step = spec.angle if g.compact else spec.rapidity
    return continuous(g.matrix, g.compact, basis, step)


def _test(
    fm: FeatureMatrix,
    name: str,
    words: str,
    transform_words: str,
    transform: Transform | Discrete,
    halves: tuple[np.ndarray, np.ndarray],
    spec: SymmetrySpec,
    rng: np.random.Generator,
) -> DensityTest:
    A = fm.X[halves[0]]
    B = transform(fm.X[halves[1]], rng)
    energy, mmd, p = two_sample_test(A, B, spec.n_perm, rng)
    return DensityTest(
        name, words, transform_words, energy, mmd, p, p >= spec.alpha, len(A) + len(B)
    )


def _p(t: DensityTest, spec: SymmetrySpec) -> str:
    floor = 1.0 / (spec.n_perm + 1)
    return f"p <= {floor:.2g}" if t.p_value <= floor * 1.0001 else f"p = {t.p_value:.2g}"


def _sentences(
    basis: Basis,
    constrained: bool,
    density: tuple[DensityTest, ...],
    discrete: tuple[DensityTest, ...],
    fb: tuple[float, float, int] | None,
    spec: SymmetrySpec,
    dim: int,
) -> tuple[str, ...]:
    out: list[str] = []
    of = "of the surface and of the distribution" if constrained else "of the distribution"
    for t in density:
        words = t.words[0].upper() + t.words[1:]
        if t.symmetric:
            out.append(f"{words} ({t.name}): a symmetry {of} ({_p(t, spec)}).")
        elif constrained:
            out.append(
                f"{words} ({t.name}): of the surface only; the distribution changes ({_p(t, spec)})."
            )
        else:
            out.append(f"{words} ({t.name}): broken; the distribution changes ({_p(t, spec)}).")
    by = {t.name: t for t in density}
    dof = f"Of the {dim} degrees of freedom left by the constraints, " if dim else "Here "
    flat_phi = "J_z" in by and by["J_z"].symmetric
    if flat_phi and "J_x" in by and not (by["J_x"].symmetric or by["J_y"].symmetric):
        out.append(
            f"{dof}the azimuth phi is a flat direction and the polar angle theta a shaped "
            "one: the distribution depends on cos(theta) but not on phi."
        )
    if flat_phi and "K_z" in by and not by["K_z"].symmetric:
        out.append(
            f"{dof}the azimuth phi is a flat direction and the rapidity along the beam a "
            "shaped one: the distribution depends on y but not on phi."
        )
    for t in discrete:
        verdict = "a symmetry" if t.symmetric else "broken"
        line = f"{t.name} ({t.words}): {verdict} ({_p(t, spec)})"
        if fb is not None and t.words == "particle swap":
            a, err, _ = fb
            line += f"; forward-backward asymmetry A_FB = {a:.3f} +- {err:.3f}"
            line += (
                " (consistent with 0)"
                if abs(a) < 2 * err
                else f" ({abs(a) / err:.1f} sigma from 0)"
            )
        out.append(line + ".")
    return tuple(out)
