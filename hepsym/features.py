"""From selected particles to a named feature matrix (numpy float64, events x features).

Feature sets (``kind``):

* ``p3``: (px, py, pz) of each selected particle, the paper's e+e- features.
* ``p4``: (E, px, py, pz) of each particle, the paper's pp features.
* ``ptetaphim``: (pt, eta, phi, m) of each particle.

Columns are named ``<component>_<particle>``, e.g. ``px_mu_minus``, so that they are valid
Python identifiers in user constraint expressions.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from hepsym.errors import FeatureError
from hepsym.events import Beams
from hepsym.particles import pdg_mass
from hepsym.selection import Selection

__all__ = (
    "CONSTANT_RTOL",
    "KINDS",
    "FeatureMatrix",
    "ParticleInfo",
    "build_features",
    "constant_columns",
)

#: a column is constant when its range (max - min) is at most this fraction of its
#: largest magnitude: hepsym's one rule, used by the constraints (a constant feature is
#: a constraint x_k = c) and by learning (such a column is left out of the VAE)
CONSTANT_RTOL = 1e-6


def constant_columns(X: np.ndarray) -> np.ndarray:
    """A boolean per column of ``X`` (events x features): constant by ``CONSTANT_RTOL``.

    An all-zero column is constant; with fewer than two events nothing is.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 2:
        return np.zeros(X.shape[-1] if X.ndim else 0, dtype=bool)
    lo, hi = X.min(axis=0), X.max(axis=0)
    return (hi - lo) <= CONSTANT_RTOL * np.maximum(np.abs(lo), np.abs(hi))


#: component names and plot labels of each feature kind
KINDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "p3": (("px", "p_x", "GeV"), ("py", "p_y", "GeV"), ("pz", "p_z", "GeV")),
    "p4": (("E", "E", "GeV"), ("px", "p_x", "GeV"), ("py", "p_y", "GeV"), ("pz", "p_z", "GeV")),
    "ptetaphim": (
        ("pt", "p_T", "GeV"),
        ("eta", "\\eta", ""),
        ("phi", "\\phi", "rad"),
        ("m", "m", "GeV"),
    ),
}
_VECTOR_ATTR = {
    "E": "E",
    "px": "px",
    "py": "py",
    "pz": "pz",
    "pt": "pt",
    "eta": "eta",
    "phi": "phi",
    "m": "mass",
}


@dataclass(frozen=True)
class ParticleInfo:
    """What the later stages need to know of one selected particle.

    Attributes:
        label: programmatic label (``mu_minus``).
        latex: plot label (``\\mu^{-}``).
        pids: the PDG ids seen in this slot (usually one).
        mass: the mass the events carry, in GeV: the generator's mass column (LHE) where
            present, else the median invariant mass of the four-momenta.
        pdg_mass: the PDG mass of the (first) id, ``nan`` when unknown or mixed.
        columns: feature name of each component, e.g. ``{"px": "px_mu_minus", ...}``.
    """

    label: str
    latex: str
    pids: tuple[int, ...]
    mass: float
    pdg_mass: float
    columns: dict[str, str]


@dataclass(frozen=True, repr=False)
class FeatureMatrix:
    """A feature matrix with named columns and what is known about where it came from.

    Attributes:
        X: events x features, float64.
        names: one name per column.
        kind: ``"p3"``, ``"p4"``, ``"ptetaphim"`` or ``"custom"`` for user arrays.
        latex: plot label of each column, with unit.
        particles: per selected particle, its label, masses and columns (empty for custom).
        weights: per-event weights.
        beams: the initial state (unknown for custom data).
        source: the file, or a description.
        n_input, n_dropped: events before the selection and dropped by it.
        metadata: anything else (the selection query, the cuts).
    """

    X: np.ndarray
    names: tuple[str, ...]
    kind: str = "custom"
    latex: tuple[str, ...] = ()
    particles: tuple[ParticleInfo, ...] = ()
    weights: np.ndarray | None = None
    beams: Beams = field(default_factory=Beams)
    source: str = ""
    n_input: int = 0
    n_dropped: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.X.ndim != 2 or self.X.shape[1] != len(self.names):
            msg = f"feature matrix of shape {self.X.shape} does not match {len(self.names)} names"
            raise FeatureError(msg)

    @classmethod
    def from_array(
        cls, X: Any, names: Sequence[str] | None = None, *, source: str = "<array>"
    ) -> FeatureMatrix:
        """Wrap any 2-D array (events x features) as custom features ``x1, x2, ...``."""
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim != 2:
            msg = (
                f"{source}: features must be a 2-D array (events x features), got shape {arr.shape}"
            )
            raise FeatureError(msg)
        names = (
            tuple(names) if names is not None else tuple(f"x{i + 1}" for i in range(arr.shape[1]))
        )
        return cls(
            X=arr,
            names=names,
            latex=tuple(f"${n}$" for n in names),
            source=source,
            n_input=len(arr),
        )

    @property
    def n_events(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def column(self, name: str) -> np.ndarray:
        """The column called ``name``."""
        try:
            return self.X[:, self.names.index(name)]
        except ValueError as err:
            msg = f"{self.source}: no feature {name!r}; features are {', '.join(self.names)}"
            raise FeatureError(msg) from err

    def with_beams(self, beams: Beams) -> FeatureMatrix:
        """The same features with another initial state."""
        return dataclasses.replace(self, beams=beams)

    def constant_columns(self) -> np.ndarray:
        """Which columns are constant by :func:`constant_columns`."""
        return constant_columns(self.X)

    def check_finite(self) -> None:
        """Raise :class:`FeatureError` naming the columns that hold NaN or infinity."""
        bad = ~np.isfinite(self.X)
        if bad.any():
            per_col = bad.sum(axis=0)
            cols = ", ".join(
                f"{n} ({c} events)" for n, c in zip(self.names, per_col, strict=True) if c
            )
            msg = f"{self.source}: non-finite values (NaN or inf) in features {cols}"
            raise FeatureError(msg)

    def __repr__(self) -> str:
        return (
            f"<FeatureMatrix {self.n_events} events x {self.n_features} features ({self.kind}) "
            f"from {self.source}: {', '.join(self.names)}>"
        )


def _mass_of(sel: Selection, i: int) -> float:
    col = sel.slot(i)
    if "gen_mass" in ak.fields(col):
        m = ak.to_numpy(col.gen_mass)
        m = m[np.isfinite(m)]
        if len(m):
            return float(np.median(m))
    # The invariant mass of light particles at high energy cancels catastrophically
    # (E^2 - p^2); the median over events is robust to that noise.
    return float(np.median(np.abs(ak.to_numpy(col.mass))))


def build_features(selection: Selection, kind: str = "p4") -> FeatureMatrix:
    """Build the feature matrix of one kind from a selection.

    Args:
        selection: what :func:`hepsym.select` returned.
        kind: ``"p3"``, ``"p4"`` or ``"ptetaphim"``.

    Returns:
        The :class:`FeatureMatrix` (columns grouped per particle, in slot order).

    Raises:
        FeatureError: unknown kind.
    """
    if kind not in KINDS:
        msg = f"unknown feature kind {kind!r}; choose one of {', '.join(KINDS)}"
        raise FeatureError(msg)
    cols, names, latex, infos = [], [], [], []
    for i, (slot, label) in enumerate(zip(selection.slots, selection.labels, strict=True)):
        part = selection.slot(i)
        pids = tuple(int(p) for p in np.unique(ak.to_numpy(part.pid)))
        mapping = {}
        for comp, tex, unit in KINDS[kind]:
            cols.append(
                np.asarray(ak.to_numpy(getattr(part, _VECTOR_ATTR[comp])), dtype=np.float64)
            )
            name = f"{comp}_{label}"
            names.append(name)
            mapping[comp] = name
            latex.append(f"${tex}({slot.latex})$" + (f" [{unit}]" if unit else ""))
        pdg = pdg_mass(pids[0]) if len(pids) == 1 or len({abs(p) for p in pids}) == 1 else math.nan
        infos.append(ParticleInfo(label, slot.latex, pids, _mass_of(selection, i), pdg, mapping))
    X = np.column_stack(cols) if cols else np.empty((len(selection), 0))
    return FeatureMatrix(
        X=X,
        names=tuple(names),
        kind=kind,
        latex=tuple(latex),
        particles=tuple(infos),
        weights=selection.weights,
        beams=selection.beams,
        source=selection.source,
        n_input=selection.n_input,
        n_dropped=selection.n_dropped,
        metadata={"select": selection.query, **selection.cuts},
    )
