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

import numpy as np

from hepsym.constraints.counting import rank

__all__ = ("APPROX_RTOL", "EXACT_RTOL", "in_span", "match")

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
    exact_rows = J_found[[i for i in range(len(J_found)) if not approx_found[i]]]
    for i in range(len(J_found)):
        name = ""
        if approx_found[i]:
            name = _closest(J_found[i], exact_rows, J_named, approx_named, named, col_scale)
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
