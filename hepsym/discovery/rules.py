"""The approximate rule: narrow against shuffled events, peaked, noise (``ideal``'s docstring).

One rule for every dataset; its constants are :class:`Rules`' fields and, for the peak,
those of :mod:`hepsym.constraints.verify`'s resonance rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hepsym.constraints.verify import PEAK_MIN_FRACTION, PEAK_N_WIDTHS
from hepsym.discovery.monomials import (
    EVENTS_PER_MONOMIAL,
    EXACT_EVENTS_PER_MONOMIAL,
    smoothness,
    supported_degree,
)
from hepsym.errors import ConstraintError

__all__ = ("PEAK_MIN_FRACTION", "PEAK_N_WIDTHS", "Rules", "Verdict", "judge", "search_degrees")


@dataclass(frozen=True)
class Rules:
    """When a candidate is a relation (the rules of :mod:`hepsym.discovery.ideal`)."""

    exact_tol: float = 1e-9
    max_spread: float = 0.25
    max_shuffled: float = 0.25
    noise: float = 0.3
    consequence: float = 0.04
    approx_degree: int = 2


@dataclass(frozen=True)
class Verdict:
    """The rule's numbers for one candidate and its kind (``""``: none) or why not."""

    kind: str
    spread: float
    ratio: float | None
    peak_fraction: float
    shuffled_fraction: float | None
    neighbour_ratio: float
    reason: str


def judge(
    rules: Rules,
    nn: np.ndarray,
    coef: np.ndarray,
    touches: Sequence[frozenset[int]],
    values: tuple[np.ndarray, np.ndarray],
    residual_rel: float,
) -> Verdict:
    """The approximate rule (module docstring) for one fitted candidate g.

    ``nn``: every neighbour-sample event's nearest other one; ``coef``: of its unit-RMS columns, which touch the particle groups ``touches``;
    ``values``: g on the neighbour sample and on the shuffled events.
    """
    g, g_sh = values
    q1, med, q3 = np.percentile(g, [25.0, 50.0, 75.0])
    s1, s3 = np.percentile(g_sh, [25.0, 75.0])
    iqr, iqr_sh = float(q3 - q1), float(s3 - s1)
    ratio: float | None = iqr / iqr_sh if iqr_sh > 0 else math.inf
    if min(ratio or math.inf, residual_rel) > rules.max_spread:
        return Verdict("", min(ratio or math.inf, residual_rel), ratio, 0.0, None, 1.0, "")
    floor = max(float(np.std(g)), 1e-12 * float(np.abs(coef).max()))
    used: set[int] = set()
    for c, grp in zip(coef, touches, strict=True):
        if abs(c) > floor:
            used |= grp
    many = len(used) > 1
    window = PEAK_N_WIDTHS * iqr
    peak = float(np.mean(np.abs(g - med) <= window))
    shuffled = float(np.mean(np.abs(g_sh - med) <= window)) if many else None
    if not many:
        ratio = None
    spread = ratio if ratio is not None else residual_rel
    nb = 1.0
    kind = reason = ""
    if spread <= rules.max_spread:
        peaked = peak >= PEAK_MIN_FRACTION and (shuffled is None or shuffled <= rules.max_shuffled)
        if not peaked:
            reason = "broad"
        else:
            nb = smoothness(g, nn)
            if nb >= rules.noise:
                kind = "approximate"
            else:
                reason = "smooth"
    return Verdict(kind, spread, ratio, peak, shuffled, nb, reason)


def search_degrees(n: int, n_vars: int, max_degree: int, source: str) -> tuple[int, int, list[str]]:
    """The highest degrees the events support for exact and for approximate relations
    (:func:`~.monomials.supported_degree`), and notes where they are below the asked.

    An exact relation needs ``EXACT_EVENTS_PER_MONOMIAL`` events per monomial (more
    events than unknowns, with a margin); an approximate one, fitted to a spread,
    ``EVENTS_PER_MONOMIAL``.

    Raises:
        ConstraintError: too few events even for the linear exact relations.
    """
    exact = supported_degree(n, n_vars, max_degree, EXACT_EVENTS_PER_MONOMIAL)
    approx = supported_degree(n, n_vars, min(max_degree, Rules.approx_degree), EVENTS_PER_MONOMIAL)
    if exact == 0:
        msg = (
            f"{source}: {n} events are too few to search for relations "
            f"among {n_vars} variables: even degree 1 needs {EXACT_EVENTS_PER_MONOMIAL} "
            f"events per monomial ({EXACT_EVENTS_PER_MONOMIAL * (n_vars + 1)})"
        )
        raise ConstraintError(msg)

    def why(d: int, per: int) -> str:
        m = math.comb(n_vars + d + 1, n_vars)
        return (
            f"degree {d + 1} has {m} monomials in {n_vars} variables and needs {per} events "
            f"per monomial ({per * m}); {n} events given"
        )

    notes = []
    if exact < max_degree:
        notes.append(
            f"searched up to degree {exact}, not {max_degree}: "
            + why(exact, EXACT_EVENTS_PER_MONOMIAL)
        )
    if approx < min(exact, Rules.approx_degree):
        upto = f"up to degree {approx}" if approx else "at no degree"
        notes.append(f"approximate relations searched {upto}: " + why(approx, EVENTS_PER_MONOMIAL))
    return exact, approx, notes
