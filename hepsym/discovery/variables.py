"""The variables a polynomial relation is sought in: the features, lifted where needed.

E = sqrt(|p|^2 + m^2) is no polynomial of a 3-momentum, so with ``p3`` features every
particle's energy is added as a variable, computed from its 3-momentum and its own mass per
event; with ``ptetaphim`` the four-momenta (E, px, py, pz) replace the features. The lifted
variables are functions of the features, so a relation among them is one of the features
(its Jacobian is taken with respect to the features), and a relation that only restates
the lift (E^2 - |p|^2 = m^2 with E from |p|) does not act on them.

The term order puts the energies last (largest), so that a relation is solved for an
energy where it can be: the printed formulas keep the user's momenta.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hepsym.constraints.base import evaluation_matrix, kinematics
from hepsym.features import FeatureMatrix

__all__ = ("Variables", "variables")


@dataclass(frozen=True)
class Variables:
    """The variables of the search.

    Attributes:
        names: what the formulas print (``px(mu-)``, ``x1``).
        values: events x variables.
        groups: variable columns that travel together when events are shuffled.
        lifted: per variable, whether it is derived from the features (an energy).
        display: the variables in the order formulas print them (the user's order).
        unit: ``GeV`` for momenta, empty for custom features.
        of_evaluation: the variables from rows of the evaluation matrix
            (:func:`hepsym.constraints.base.evaluation_matrix`).
        masses: per particle name, its representative mass in GeV.
        note: what was lifted, in words (empty when nothing was).
    """

    names: tuple[str, ...]
    values: np.ndarray
    groups: tuple[tuple[int, ...], ...]
    lifted: tuple[bool, ...]
    display: tuple[int, ...]
    unit: str
    of_evaluation: Callable[[np.ndarray], np.ndarray]
    masses: dict[str, float]
    note: str


def particle_text(label: str) -> str:
    """``mu_minus`` -> ``mu-``, ``l_plus_2`` -> ``l+_2``."""
    return label.replace("_minus", "-").replace("_plus", "+")


def variables(fm: FeatureMatrix) -> Variables:
    """The variables of ``fm``: its features, with energies lifted for p3 and ptetaphim."""
    kins = kinematics(fm)
    if not kins or fm.kind == "p4":
        if kins:
            return _p4(fm)
        nf = fm.n_features
        return Variables(
            names=fm.names,
            values=fm.X,
            groups=tuple((j,) for j in range(nf)),
            lifted=(False,) * nf,
            display=tuple(range(nf)),
            unit="",
            of_evaluation=lambda X: X[:, :nf],
            masses={},
            note="",
        )
    names: list[str] = []
    lifted: list[bool] = []
    comps = ("px", "py", "pz")
    for k in kins:
        p = particle_text(k.label)
        names += [f"{c}({p})" for c in comps]
        lifted += [fm.kind == "ptetaphim"] * 3
    names += [f"E({particle_text(k.label)})" for k in kins]
    lifted += [True] * len(kins)
    n = len(kins)

    def of_evaluation(X: np.ndarray) -> np.ndarray:
        p4 = [k.p4(X) for k in kins]
        return np.column_stack([c for q in p4 for c in q[1:]] + [q[0] for q in p4])

    what = "energies E = sqrt(|p|^2 + m^2)" if fm.kind == "p3" else "four-momenta (E, px, py, pz)"
    return Variables(
        names=tuple(names),
        values=of_evaluation(evaluation_matrix(fm)),
        groups=tuple((3 * i, 3 * i + 1, 3 * i + 2, 3 * n + i) for i in range(n)),
        lifted=tuple(lifted),
        display=tuple(j for i in range(n) for j in (3 * n + i, 3 * i, 3 * i + 1, 3 * i + 2)),
        unit="GeV",
        of_evaluation=of_evaluation,
        masses={particle_text(k.label): k.mass for k in kins},
        note=(
            f"lifted {fm.kind} features to {what}, each particle with its own mass per event: "
            "energy is no polynomial of a 3-momentum"
        ),
    )


def _p4(fm: FeatureMatrix) -> Variables:
    """p4 features, reordered: momenta first, energies last (the largest variables)."""
    kins = kinematics(fm)
    n = len(kins)
    order = [k.index[c] for k in kins for c in ("px", "py", "pz")] + [k.index["E"] for k in kins]
    names = tuple(
        f"{c}({particle_text(k.label)})" for k in kins for c in ("px", "py", "pz")
    ) + tuple(f"E({particle_text(k.label)})" for k in kins)
    return Variables(
        names=names,
        values=fm.X[:, order],
        groups=tuple((3 * i, 3 * i + 1, 3 * i + 2, 3 * n + i) for i in range(n)),
        lifted=(False,) * len(order),
        display=tuple(j for i in range(n) for j in (3 * n + i, 3 * i, 3 * i + 1, 3 * i + 2)),
        unit="GeV",
        of_evaluation=lambda X: X[:, order],
        masses={particle_text(k.label): k.mass for k in kins},
        note="",
    )
