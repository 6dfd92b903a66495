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
_INTERMEDIATE = 2

#: PDG ids listed per status in the text; ``--json`` has them all.
_MAX_IDS = 20


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
        weights: sum, mean, min, max, number of negative weights, their standard
            deviation ``std`` and Kish's effective number of events ``n_effective``.
        collections: ROOT collections found.
        metadata: what else the reader reported.
        per_collection: per collection read, its level, species (where its PDG ids come
            from) and number of particles by status (``"final state"``...).
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
    per_collection: dict[str, dict[str, Any]] = field(default_factory=dict)

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
            "per_collection": self.per_collection,
            "not_read": list(self.metadata.get("not_read", [])),
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
        lines.extend(self._collection_lines())
        for status, ids in self.content.items():
            lo, hi = self.multiplicity[status]
            lines.append(f"{status} particles ({lo}-{hi} per event):")
            shown = list(ids.items())[:_MAX_IDS]
            for pid, n in shown:
                lines.append(
                    f"  {pid:>8d}  {_name(pid):<12s} {n:>9d}  ({n / self.n_events:.3g} per event)"
                )
            if len(ids) > len(shown):
                rest = sum(ids.values()) - sum(n for _, n in shown)
                lines.append(
                    f"  ... {len(ids) - len(shown)} more ids, {rest} particles "
                    "(all of them in --json)"
                )
        w = self.weights
        lines.append(
            f"weights     sum {w['sum']:.6g}, mean {w['mean']:.6g}, "
            f"min {w['min']:.6g}, max {w['max']:.6g}, negative {int(w['negative'])}"
            + (
                f"; spread: std {w['std']:.3g}, effective events {w['n_effective']:.6g}"
                if "std" in w and w["std"] > 0
                else ""
            )
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

    def _collection_lines(self) -> list[str]:
        if not self.per_collection:
            return []
        lines = ["by collection (level, species; particles per event by status):"]
        width = max(len(n) for n in self.per_collection)
        for name, info in self.per_collection.items():
            counts = ", ".join(
                f"{label} {n / max(self.n_events, 1):.3g}" for label, n in info["counts"].items()
            )
            lines.append(
                f"  {name:<{width}s}  {info['level']:<7s} {info['species']}; {counts or 'empty'}"
            )
        levels = sorted({i["level"] for i in self.per_collection.values()}, key=_LEVEL_ORDER.index)
        if len(levels) > 1:
            lines.append(
                f"levels      {', '.join(levels)}: counted apart below; a selection takes "
                "one (--select 'gen: ...', 'reco: ...' or 'Muon: ...')"
            )
        not_read = self.metadata.get("not_read") or []
        if not_read:
            lines.append(
                f"not read    {', '.join(not_read)} (trigger objects, vertices, tracks, "
                "fat/sub-jets, secondary copies; name them with --collections)"
            )
        return lines


def _per_collection(events: Events) -> dict[str, dict[str, Any]]:
    parts = events.particles
    if not events.collections or "collection" not in parts.fields:
        return {}
    flat_coll = ak.to_numpy(ak.flatten(parts.collection))
    flat_status = ak.to_numpy(ak.flatten(parts.status))
    levels = events.metadata.get("levels", {})
    species = events.metadata.get("species", {})
    out: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(events.collections):
        statuses = flat_status[flat_coll == i]
        values, n = np.unique(statuses, return_counts=True)
        out[name] = {
            "level": levels.get(name, "?"),
            "species": species.get(name, "?"),
            "counts": {
                _STATUS_NAMES.get(int(v), f"status {int(v)}"): int(c)
                for v, c in zip(values, n, strict=True)
            },
        }
    return out


_LEVEL_ORDER = ["lhe", "gen", "reco", "trigger"]


def _count(
    parts: ak.Array,
    prefix: str,
    content: dict[str, dict[int, int]],
    multiplicity: dict[str, tuple[int, int]],
) -> None:
    """Particles by status and PDG id, most common first, and their number per event.

    Where the record has NanoAOD ``statusFlags`` (field ``is_last_copy``), an
    intermediate particle is counted once, by its last copy: a top the shower records
    three times is one top (label ``intermediate (last copies)``).
    """
    status_flat = ak.to_numpy(ak.flatten(parts.status)) if len(parts) else np.array([], int)
    pid_flat = ak.to_numpy(ak.flatten(parts.pid)) if len(parts) else np.array([], int)
    copies = "is_last_copy" in ak.fields(parts)
    last = ak.to_numpy(ak.flatten(parts.is_last_copy)) if copies and len(parts) else None
    for status in np.unique(status_flat):
        name = _STATUS_NAMES.get(int(status), f"status {int(status)}")
        chosen = parts.status == status
        mask = status_flat == status
        if last is not None and status == _INTERMEDIATE:
            name += " (last copies)"
            chosen = chosen & parts.is_last_copy
            mask &= last
        label = prefix + name
        ids, n = np.unique(pid_flat[mask], return_counts=True)
        order = np.argsort(-n, kind="stable")
        content[label] = {int(ids[i]): int(n[i]) for i in order}
        per_event = ak.to_numpy(ak.sum(chosen, axis=1))
        multiplicity[label] = (int(per_event.min()), int(per_event.max()))


def summarize(events: Events) -> EventsSummary:
    """Count particles by status and id, and summarise the weights."""
    content: dict[str, dict[int, int]] = {}
    multiplicity: dict[str, tuple[int, int]] = {}
    levels = events.metadata.get("levels", {})
    by_level = sorted(set(levels.values()), key=_LEVEL_ORDER.index)
    if len(by_level) > 1:  # levels are counted apart, never mixed
        for level in by_level:
            chosen = [i for i, n in enumerate(events.collections) if levels.get(n) == level]
            parts = events.particles
            counts = ak.num(parts, axis=1)
            keep = np.isin(ak.to_numpy(ak.flatten(parts.collection)), chosen)
            _count(parts[ak.unflatten(keep, counts)], f"{level}: ", content, multiplicity)
    else:
        _count(events.particles, "", content, multiplicity)
    w = np.asarray(events.weights, dtype=np.float64)
    weights = {
        "sum": float(w.sum()),
        "mean": float(w.mean()) if len(w) else 0.0,
        "min": float(w.min()) if len(w) else 0.0,
        "max": float(w.max()) if len(w) else 0.0,
        "negative": float(np.count_nonzero(w < 0)),
        "std": float(w.std()) if len(w) else 0.0,
        # Kish's effective number of events, (sum w)^2 / sum w^2: what the weights
        # leave of the sample's statistical power (n for equal weights)
        "n_effective": float(w.sum() ** 2 / np.sum(w * w)) if np.any(w) else 0.0,
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
        per_collection=_per_collection(events),
    )
