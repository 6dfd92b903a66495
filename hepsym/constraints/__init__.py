"""Kinematic constraints: find them, test them on the data, count the independent ones.

The physics half of hepsym's answer (see ``docs/physics.md``). For a feature matrix:

1. :func:`find_constraints` proposes candidates from what is known of the initial state
   and of the selected particles (momentum and energy conservation, transverse momentum
   conservation, on-shell masses, resonance masses, constant features) plus the user's own;
2. each candidate is measured on every event and classified exact, approximate or
   violated (:mod:`hepsym.constraints.verify`);
3. the rank of the Jacobian of the holding constraints counts the independent ones, so
   that the predicted dimension is n_features - rank; the embedding dimension says how
   many coordinates the manifold needs (d + 1 for a sphere)
   (:mod:`hepsym.constraints.counting`).

:func:`analyze_constraints` does all three and returns a :class:`ConstraintResult`.
"""

from __future__ import annotations

from hepsym.constraints.base import KINDS, Constraint
from hepsym.constraints.candidates import find_constraints, resonance_properties
from hepsym.constraints.expression import parse_expression, user_constraint
from hepsym.constraints.result import MIN_EVENTS, ConstraintResult, analyze_constraints
from hepsym.constraints.verify import ConstraintRow, Thresholds

__all__ = (
    "KINDS",
    "MIN_EVENTS",
    "Constraint",
    "ConstraintResult",
    "ConstraintRow",
    "Thresholds",
    "analyze_constraints",
    "find_constraints",
    "parse_expression",
    "resonance_properties",
    "user_constraint",
)
