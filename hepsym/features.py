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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from hepsym._vector_behavior import component
from hepsym.errors import FeatureError
from hepsym.events import Beams, Events
from hepsym.particle_info import ParticleInfo, particle_info
from hepsym.selection import Selection

__all__ = (
    "CONSTANT_RTOL",
    "KINDS",
    "FeatureMatrix",
    "ParticleInfo",
    "build_features",
    "constant_columns",
    "join_features",
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
        partons: per event, the total (E, px, py, pz) in GeV of the incoming partons of the
            record (LHE status -1), shape ``(n_events, 4)``; ``None`` where the file has
            none or the features were built without the events. They are no features:
            they serve to check that a selection is the whole final state.

    Rows must stay aligned with the per-event arrays (weights, particle masses, partons):
    take a subset of the events with :meth:`take`, not by replacing ``X``.
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
    partons: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.X.ndim != 2 or self.X.shape[1] != len(self.names):
            msg = f"feature matrix of shape {self.X.shape} does not match {len(self.names)} names"
            raise FeatureError(msg)
        n = self.X.shape[0]
        lengths = {f"masses of {p.label}": p.masses for p in self.particles}
        lengths["partons"] = self.partons
        for what, values in lengths.items():
            if values is not None and len(values) != n:
                msg = (
                    f"{self.source or '<features>'}: {what} hold {len(values)} events, the "
                    f"features {n}; take a subset of events with FeatureMatrix.take(rows)"
                )
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

    def take(self, rows: Any) -> FeatureMatrix:
        """The same features on a subset of the events, per-event arrays kept aligned.

        Args:
            rows: indices of the events to keep (in that order), a boolean mask or a slice.
        """
        idx: Any = rows if isinstance(rows, slice) else np.asarray(rows)
        if not isinstance(idx, slice) and idx.dtype == bool and idx.shape != (self.n_events,):
            msg = f"{self.source or '<features>'}: a mask of shape {idx.shape} for {self.n_events} events"
            raise FeatureError(msg)
        return dataclasses.replace(
            self,
            X=self.X[idx],
            weights=None if self.weights is None else np.asarray(self.weights)[idx],
            particles=tuple(p.take(idx) for p in self.particles),
            partons=None if self.partons is None else self.partons[idx],
        )

    def event_masses(self) -> np.ndarray:
        """Per event, the mass of every selected particle in GeV (events x particles)."""
        if not self.particles:
            return np.empty((self.n_events, 0))
        return np.column_stack([p.event_masses(self.n_events) for p in self.particles])

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


def _partons(events: Events, selection: Selection) -> np.ndarray | None:
    """Per kept event, the total (E, px, py, pz) of the incoming partons (status -1)."""
    if len(events) != selection.n_input:
        msg = (
            f"{selection.source or '<events>'}: the selection was made from {selection.n_input} "
            f"events, not from these {len(events)}"
        )
        raise FeatureError(msg)
    per_event = _sum_by_status(events.particles, -1, ("E", "px", "py", "pz"))
    counts, sums = per_event[0][selection.kept], per_event[1][selection.kept]
    if len(counts) == 0 or counts.min() < 1:
        return None
    return sums


def _sum_by_status(
    particles: ak.Array, status: int, fields: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per event, how many of its particles have ``status`` and the sums of their
    ``fields`` (events x fields), from the flat particle columns (no jagged masking)."""
    n = len(particles)
    counts = ak.to_numpy(ak.num(particles, axis=1))
    mask = ak.to_numpy(ak.flatten(particles.status)) == status
    event = np.repeat(np.arange(n, dtype=np.int32), counts)[mask]
    sums = [
        np.bincount(
            event,
            weights=np.asarray(ak.to_numpy(ak.flatten(component(particles, f))))[mask],
            minlength=n,
        )
        for f in fields
    ]
    return np.bincount(event, minlength=n), np.column_stack(sums)


def join_features(parts: Sequence[FeatureMatrix]) -> FeatureMatrix:
    """The events of ``parts`` (feature matrices of one study's partitions) one after the
    other: the same as building the features of all events at once.

    Raises:
        FeatureError: the parts differ in their features, kind or initial state.
    """
    if not parts:
        msg = "no feature matrices to join"
        raise FeatureError(msg)
    first = parts[0]
    if len(parts) == 1:
        return first
    for other in parts[1:]:
        if other.beams != first.beams:
            why = f"different initial states ({first.beams.describe()}; {other.beams.describe()})"
        elif other.names != first.names or other.kind != first.kind:
            why = f"different features ({', '.join(first.names)}; {', '.join(other.names)})"
        else:
            continue
        msg = f"{first.source} and {other.source}: {why}; they cannot be studied as one sample"
        raise FeatureError(msg)
    weights = (
        None
        if any(p.weights is None for p in parts)
        else np.concatenate([np.asarray(p.weights) for p in parts])
    )
    given = [p.partons for p in parts if p.partons is not None]
    partons = np.vstack(given) if len(given) == len(parts) else None
    particles = tuple(
        info.join([p.particles[i] for p in parts[1:]]) for i, info in enumerate(first.particles)
    )
    return dataclasses.replace(
        first,
        X=np.vstack([p.X for p in parts]),
        particles=particles,
        weights=weights,
        source=_sources(p.source for p in parts),
        n_input=sum(p.n_input for p in parts),
        n_dropped=sum(p.n_dropped for p in parts),
        partons=partons,
    )


def _sources(names: Iterable[str]) -> str:
    unique = list(dict.fromkeys(names))
    if len(unique) == 1:
        return unique[0]
    return f"{unique[0]} and {len(unique) - 1} more file{'s' if len(unique) > 2 else ''}"


def build_features(
    selection: Selection, kind: str = "p4", *, events: Events | None = None
) -> FeatureMatrix:
    """Build the feature matrix of one kind from a selection.

    Every selected particle carries its own mass per event (``ParticleInfo.masses``).

    Args:
        selection: what :func:`hepsym.select` returned.
        kind: ``"p3"``, ``"p4"`` or ``"ptetaphim"``.
        events: the events the selection was made from; where they hold incoming partons
            (status -1), their total four-momentum per event is kept (``partons``) to
            check whether the selection is the whole final state.

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
        mapping = {}
        for comp, tex, unit in KINDS[kind]:
            cols.append(
                np.asarray(ak.to_numpy(component(part, _VECTOR_ATTR[comp])), dtype=np.float64)
            )
            name = f"{comp}_{label}"
            names.append(name)
            mapping[comp] = name
            latex.append(f"${tex}({slot.latex})$" + (f" [{unit}]" if unit else ""))
        infos.append(particle_info(part, label, slot.latex, mapping))
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
        partons=None if events is None else _partons(events, selection),
    )
