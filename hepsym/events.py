"""The in-memory event record every reader returns and every later stage consumes.

An :class:`Events` holds one awkward array of particles per event with scikit-hep
``vector`` ``Momentum4D`` behaviour, the per-event weights, and what is known of the
initial state (:class:`Beams`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from hepsym import _vector_behavior
from hepsym.beams import Beams

_vector_behavior.install()

__all__ = ("Beams", "Events", "make_particles")


def make_particles(fields: Mapping[str, Any], counts: np.ndarray | None = None) -> ak.Array:
    """Zip per-particle columns into a jagged ``Momentum4D`` array.

    Args:
        fields: coordinate columns that ``vector`` recognises (``px, py, pz, E`` or
            ``pt, eta, phi, mass``) plus any extra per-particle columns (``pid``,
            ``status``, ``charge``, ...). Flat numpy columns need ``counts``; jagged
            awkward columns are zipped as they are.
        counts: number of particles in each event, when ``fields`` are flat.

    Returns:
        An awkward array of events x particles with ``Momentum4D`` behaviour (``vector``
        is imported when the behaviour is first used: see :mod:`hepsym._vector_behavior`).
    """
    return _vector_behavior.momentum4d(fields, counts)


@dataclass(frozen=True, repr=False)
class Events:
    """Events read from one file (or generated), ready for selection.

    Attributes:
        particles: events x particles, ``Momentum4D`` with extra fields ``pid``,
            ``status`` (LHE convention: -1 incoming, 1 final state, 2 intermediate)
            and ``charge``, plus format-specific ones (``gen_mass``, ``mother1``...).
        weights: per-event weights (1.0 where the format has none; negative NLO
            weights are kept).
        beams: what is known of the initial state.
        source: the file the events came from.
        format: ``"lhe"``, ``"root-ttree"`` or ``"root-rntuple"`` (or ``"generated"``).
        collections: names of the particle collections found (ROOT) or ``()``.
        metadata: anything else the reader learned (generator, cross-section, tree).
    """

    particles: ak.Array
    weights: np.ndarray
    beams: Beams = field(default_factory=Beams)
    source: str = ""
    format: str = ""
    collections: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.particles)

    def with_beams(self, beams: Beams) -> Events:
        """The same events with another initial state."""
        return dataclasses.replace(self, beams=beams)

    def __repr__(self) -> str:
        return (
            f"<Events {len(self)} events from {self.source or '<memory>'} ({self.format}); "
            f"beams: {self.beams.describe()}>"
        )

    def content(self, status: int | None = None) -> dict[int, int]:
        """Number of particles of each PDG id (optionally of one status), most common first."""
        parts = self.particles
        pid = (
            ak.flatten(parts.pid)
            if status is None
            else ak.flatten(parts.pid[parts.status == status])
        )
        ids, counts = np.unique(ak.to_numpy(pid), return_counts=True)
        order = np.argsort(-counts, kind="stable")
        return {int(ids[i]): int(counts[i]) for i in order}
