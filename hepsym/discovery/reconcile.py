"""Discovered relations against the named constraints: by their gradients on the events.

Two functions that vanish on the events describe the same constraint surface where their
gradients are parallel there; a named constraint c follows from the discovered relations
where its gradient lies in the span of theirs on the events (then c is constant along the
surface they cut: it vanishes modulo them). Both are rank tests of the Jacobians of
:mod:`hepsym.constraints.counting`, per sampled event, column-scaled and row-normalised,
the modal rank over the events deciding. Approximate relations are fitted, not derived:
their gradients are compared with a looser rank tolerance (``APPROX_RTOL``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hepsym.constraints.counting import jacobian, rank
from hepsym.discovery.result import Reconciled
from hepsym.errors import HepsymError
from hepsym.features import FeatureMatrix
from hepsym.spec import ConstraintSpec

__all__ = ("APPROX_RTOL", "EXACT_RTOL", "NamedCheck", "in_span", "match", "reconcile")

#: singular values above rtol x the largest count in the rank tests
EXACT_RTOL = 1e-6
APPROX_RTOL = 0.05
#: an approximate relation is the approximate named constraint whose gradient (modulo the
#: exact relations') makes at most this |cos| with its own, median over events
MIN_COS = 0.9


def in_span(J: np.ndarray, g: np.ndarray, col_scale: np.ndarray, rtol: float) -> bool:
    """Does the gradient g (events x features) lie in the span of the rows J (k x events x f)?"""
    if len(J) == 0:
        return bool(np.all(g == 0))
    base = rank(J, col_scale, rtol).rank
    return rank(np.concatenate([J, g[None]]), col_scale, rtol).rank == base


def match(
    J_found: np.ndarray,
    approx_found: Sequence[bool],
    J_named: np.ndarray,
    approx_named: Sequence[bool],
    named: Sequence[str],
    col_scale: np.ndarray,
) -> list[str]:
    """For every discovered relation: the named constraint it is, or ``new``.

    First by parallel gradients (the same constraint); then modulo the named constraints
    matched so: ``sum_E (with sum_px, sum_py, sum_pz)`` where the relation's gradient lies
    in the span of sum_E's and theirs but not of theirs alone.
    """
    out: list[str] = []
    direct: list[int] = []
    for i in range(len(J_found)):
        name = ""
        if approx_found[i]:
            # modulo the exact relations and the other approximate ones (a fit is defined
            # only modulo what its span held)
            others = J_found[[j for j in range(len(J_found)) if j != i]]
            name = _closest(J_found[i], others, J_named, approx_named, named, col_scale)
            if name:
                out.append(name)
                continue
        for k in range(len(J_named)):
            tol = APPROX_RTOL if approx_found[i] or approx_named[k] else EXACT_RTOL
            if in_span(J_named[k : k + 1], J_found[i], col_scale, tol):
                name = named[k]
                direct.append(k)
                break
        out.append(name)
    base = sorted(set(direct))
    for i, name in enumerate(out):
        if name:
            continue
        tol_base = APPROX_RTOL if approx_found[i] else EXACT_RTOL
        for k in range(len(J_named)):
            if k in base:
                continue
            tol = APPROX_RTOL if approx_found[i] or approx_named[k] else tol_base
            with_k = J_named[[*base, k]]
            if in_span(with_k, J_found[i], col_scale, tol) and not in_span(
                J_named[base], J_found[i], col_scale, tol
            ):
                helpers = [
                    named[b]
                    for b in base
                    if not in_span(
                        J_named[[x for x in base if x != b] + [k]], J_found[i], col_scale, tol
                    )
                ]
                out[i] = named[k] + (f" (with {', '.join(helpers)})" if helpers else "")
                break
        else:
            out[i] = "new"
    return out


def _closest(
    g: np.ndarray,
    exact: np.ndarray,
    J_named: np.ndarray,
    approx_named: Sequence[bool],
    named: Sequence[str],
    col_scale: np.ndarray,
) -> str:
    """The approximate named constraint whose gradient is closest to an approximate relation's.

    Both gradients are taken modulo the exact relations' (their components along those are
    left out, per event); the median |cos| of the angle must be at least ``MIN_COS``.
    """
    best, best_cos = "", MIN_COS
    for k in range(len(J_named)):
        if not approx_named[k]:
            continue
        cos = []
        for e in range(g.shape[0]):
            a, b = g[e] * col_scale, J_named[k, e] * col_scale
            if len(exact):
                Q, _ = np.linalg.qr((exact[:, e] * col_scale).T)
                a, b = a - Q @ (Q.T @ a), b - Q @ (Q.T @ b)
            na, nb = np.linalg.norm(a), np.linalg.norm(b)
            if na > 0 and nb > 0:
                cos.append(abs(float(a @ b)) / (na * nb))
        c = float(np.median(cos)) if cos else 0.0
        if c >= best_cos:
            best, best_cos = f"{named[k]} (cos {c:.3f})", c
    return best


@dataclass(frozen=True)
class NamedCheck:
    """What the reconciliation compares: the features, the generators, their gradients.

    Attributes:
        fm: the features.
        J: the generators' Jacobian on the sampled rows ``Xs`` (generators x events x f).
        approximate: per generator, whether it is approximate.
        use: the acting generators (the others are not matched).
        Xs, col_scale: the sampled rows of the evaluation matrix and the column scale.
        named: the constraint table of ``fm`` if the caller has it (``analyze`` does);
            ``None``: computed here.
        seed: of that computation.
    """

    fm: FeatureMatrix
    J: np.ndarray
    approximate: Sequence[bool]
    use: Sequence[int]
    Xs: np.ndarray
    col_scale: np.ndarray
    named: Any = None
    seed: int = 0


def reconcile(check: NamedCheck) -> tuple[int, dict[int, str], list[Reconciled], list[str]]:
    """Match every acting generator to a named constraint; test the named ones that count.

    Returns how many named constraints were compared, the match of every acting
    generator, the named ones with whether the generators imply them, and notes.
    """
    from hepsym.constraints import analyze_constraints

    named = check.named
    if named is None:
        try:
            named = analyze_constraints(check.fm, seed=check.seed)
        except HepsymError as err:
            return 0, {}, [], [f"named constraints not checked: {err}"]
    keep = [
        k
        for k, row in enumerate(named.rows)
        if row.holds
        and row.acts_on_features
        and named.candidates[k].countable
        and row.peak_dominates is not False
    ]
    cands = [named.candidates[k] for k in keep]
    Jn = jacobian(cands, check.Xs, check.col_scale, ConstraintSpec().rel_step)
    approx_n = [named.rows[k].status == "approximate" for k in keep]
    use = list(check.use)
    approx_f = [bool(check.approximate[i]) for i in use]
    names = [named.rows[k].name for k in keep]
    Ju = check.J[use]
    labels = match(Ju, approx_f, Jn, approx_n, names, check.col_scale)
    out = []
    exact_rows = Ju[[a for a, ap in enumerate(approx_f) if not ap]]
    for k, name in enumerate(names):
        # an exact named constraint follows from the exact relations, to the exact rank
        # tolerance; an approximate one from all of them, to the looser one
        rows, tol = (Ju, APPROX_RTOL) if approx_n[k] else (exact_rows, EXACT_RTOL)
        ok = bool(len(rows)) and in_span(rows, Jn[k], check.col_scale, tol)
        row = named.rows[keep[k]]
        out.append(Reconciled(name, row.formula, row.status, ok))
    return len(keep), dict(zip(use, labels, strict=True)), out, []
