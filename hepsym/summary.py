"""What an event file holds, for ``hepsym info``: format, events, beams, particles, weights."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from hepsym.events import Events
from hepsym.particles import particle_name

__all__ = ("EventsSummary", "summarize")

_STATUS_NAMES = {-1: "incoming", 1: "final state", 2: "intermediate"}


def _name(pid: int) -> str:
    if pid == 0:
        return "jet/unknown"
    name = particle_name(pid)
    return "?" if name == str(pid) else name


@dataclass(frozen=True)
class EventsSummary:
    """A short description of an :class:`~hepsym.events.Events`.

    Attributes:
        source, format: the file and its format.
        n_events: number of events read.
        beams: human description of the initial state.
        content: per status (``"final state"``, ...), PDG id -> number of particles.
        multiplicity: per status, (min, max) particles per event.
        weights: sum, mean, min, max and number of negative weights.
        collections: ROOT collections found.
        metadata: what else the reader reported.
    """

    source: str
    format: str
    n_events: int
    beams: str
    content: dict[str, dict[int, int]]
    multiplicity: dict[str, tuple[int, int]]
    weights: dict[str, float]
    collections: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "n_events": self.n_events,
            "beams": self.beams,
            "content": {k: {str(p): n for p, n in v.items()} for k, v in self.content.items()},
            "multiplicity": {k: list(v) for k, v in self.multiplicity.items()},
            "weights": self.weights,
            "collections": list(self.collections),
        }

    def __str__(self) -> str:
        lines = [
            f"file        {self.source}",
            f"format      {self.format}",
            f"events      {self.n_events}",
            f"beams       {self.beams}",
        ]
        if self.collections:
            lines.append(f"collections {', '.join(self.collections)}")
        for status, ids in self.content.items():
            lo, hi = self.multiplicity[status]
            lines.append(f"{status} particles ({lo}-{hi} per event):")
            for pid, n in ids.items():
                lines.append(
                    f"  {pid:>8d}  {_name(pid):<12s} {n:>9d}  ({n / self.n_events:.3g} per event)"
                )
        w = self.weights
        lines.append(
            f"weights     sum {w['sum']:.6g}, mean {w['mean']:.6g}, "
            f"min {w['min']:.6g}, max {w['max']:.6g}, negative {int(w['negative'])}"
        )
        gens = self.metadata.get("generators") or []
        if gens:
            names = ", ".join(
                f"{g.get('name', '?')} {g.get('version') or ''}".strip() for g in gens
            )
            lines.append(f"generator   {names}")
        for key in ("cross_section_pb", "tree"):
            if self.metadata.get(key):
                lines.append(f"{key:<11s} {self.metadata[key]}")
        return "\n".join(lines)


def summarize(events: Events) -> EventsSummary:
    """Count particles by status and id, and summarise the weights."""
    parts = events.particles
    status_flat = ak.to_numpy(ak.flatten(parts.status)) if len(parts) else np.array([], int)
    content, multiplicity = {}, {}
    for status in np.unique(status_flat):
        label = _STATUS_NAMES.get(int(status), f"status {int(status)}")
        content[label] = events.content(int(status))
        per_event = ak.to_numpy(ak.sum(parts.status == status, axis=1))
        multiplicity[label] = (int(per_event.min()), int(per_event.max()))
    w = np.asarray(events.weights, dtype=np.float64)
    weights = {
        "sum": float(w.sum()),
        "mean": float(w.mean()) if len(w) else 0.0,
        "min": float(w.min()) if len(w) else 0.0,
        "max": float(w.max()) if len(w) else 0.0,
        "negative": float(np.count_nonzero(w < 0)),
    }
    return EventsSummary(
        source=events.source,
        format=events.format,
        n_events=len(events),
        beams=events.beams.describe(),
        content=content,
        multiplicity=multiplicity,
        weights=weights,
        collections=tuple(events.collections),
        metadata=dict(events.metadata),
    )
