"""Where in a file a selection looks: a level (``gen``, ``reco``, ``lhe``, ``trigger``) or
a collection, and the species of collections read without a PDG id.

A query may start with a scope, ``"<scope>: <slots>"`` (``"Muon: mu+ mu-"``,
``"particle as mu: mu+ mu-"``); :func:`split_scope` takes it apart and
:func:`scope_events` keeps only that scope's particles. Levels are never mixed: without
a scope, a file with several levels is studied at :func:`default_scope`.
"""

from __future__ import annotations

import dataclasses
import re

import awkward as ak
import numpy as np

from hepsym.errors import SelectionError
from hepsym.events import Events
from hepsym.particles import CHARGED_LEPTONS, lookup

__all__ = (
    "LEVELS",
    "default_scope",
    "scope_events",
    "species_hint",
    "split_scope",
    "unknown_species",
)

#: The levels of a columnar file, in the order the default scope prefers them.
LEVELS = ("gen", "reco", "lhe", "trigger")

_SCOPE = re.compile(
    r"^\s*(?P<scope>[A-Za-z_][\w#.]*)(?:\s+as\s+(?P<species>\S+))?\s*:(?P<rest>.*)$"
)


def split_scope(query: str | list[str] | tuple[str, ...]) -> tuple[str | None, str | None, str]:
    """(scope, species, slots) of ``"Muon: mu+ mu-"``, ``"particle as mu: mu+ mu-"``."""
    text = query if isinstance(query, str) else " ".join(map(str, query))
    m = _SCOPE.match(text)
    if m is None:
        return None, None, text
    return m["scope"], m["species"], m["rest"]


def default_scope(events: Events) -> str | None:
    """The level studied when the query names none: ``gen`` where the file has it, else
    ``reco``, else ``lhe``; ``None`` when the file has a single level (or none, LHE)."""
    levels = set(events.metadata.get("levels", {}).values())
    if len(levels) < 2:
        return None
    return next(level for level in (*LEVELS, *sorted(levels)) if level in levels)


def scope_events(events: Events, scope: str | None, species: str | None = None) -> Events:
    """The events with only the particles of ``scope`` (a level or a collection).

    ``species`` (``mu``, ``e``, ``tau``, ``gamma`` or a PDG id) names the species of a
    scope's collections that have no PDG id branch: their particles get its PDG id with
    the sign of their charge (a negative muon is 13).

    Raises:
        SelectionError: the scope is neither a level nor a collection of the file, or the
            species is unknown or given for a collection that has a PDG id.
    """
    if scope is None and species is None:
        return events
    names = list(events.collections)
    levels = dict(events.metadata.get("levels", {}))
    source = events.source or "<events>"
    if not names and species is None and scope is not None and scope.lower() == _level(events):
        return events  # an event record of one level: LHE is lhe, HepMC is gen
    if scope is None:
        chosen = list(range(len(names)))
    elif scope.lower() in LEVELS or scope.lower() in levels.values():
        chosen = [i for i, n in enumerate(names) if levels.get(n) == scope.lower()]
    else:
        chosen = [i for i, n in enumerate(names) if n.lower() == scope.lower()]
    if not chosen:
        have = ", ".join(f"{n} ({levels.get(n, '?')})" for n in names) or "none (not a ROOT file)"
        msg = (
            f"{source}: selection scope {scope!r} is neither a level (gen, reco, lhe, trigger) "
            f"nor a collection of the file (read: {have}; others with --collections)"
        )
        raise SelectionError(msg)
    parts = events.particles
    counts = ak.num(parts, axis=1)
    flat = ak.flatten(parts)
    collection = ak.to_numpy(flat.collection) if "collection" in flat.fields else None
    if collection is None:
        return events
    if species is not None:
        flat = _with_species(events, flat, collection, chosen, species)
    keep = np.isin(collection, chosen)
    particles = ak.unflatten(flat, counts)[ak.unflatten(keep, counts)]
    return dataclasses.replace(events, particles=particles)


def _level(events: Events) -> str | None:
    """The level of a file without collections (an event record), from its format."""
    fmt = events.format.lower()
    return "lhe" if fmt.startswith("lhe") else "gen" if fmt.startswith("hepmc") else None


def _with_species(
    events: Events, flat: ak.Array, collection: np.ndarray, chosen: list[int], species: str
) -> ak.Array:
    found = lookup(species)
    base = abs(found.pdgid) if found is not None else 0
    if species in ("mu", "e", "tau"):
        base = {"mu": 13, "e": 11, "tau": 15}[species]
    unknown = {
        n for n, how in events.metadata.get("species", {}).items() if how.startswith("unknown")
    }
    targets = [i for i in chosen if events.collections[i] in unknown]
    if not base or not targets:
        msg = (
            f"{events.source or '<events>'}: cannot name the species {species!r} here: "
            + ("use mu, e, tau, gamma or a PDG id" if not base else
               "the scope has no collection of unknown species (no PDG id branch)")
        )  # fmt: skip
        raise SelectionError(msg)
    target = np.isin(collection, targets)
    charge = ak.to_numpy(flat.charge).astype(np.float64)
    pid = ak.to_numpy(flat.pid).astype(np.int64)
    if base in CHARGED_LEPTONS:
        signed = np.where(charge > 0, -base, base)
    else:
        signed = np.full(len(pid), base)
    return ak.with_field(flat, np.where(target, signed, pid).astype(np.int32), "pid")


def unknown_species(events: Events) -> list[str]:
    how = events.metadata.get("species", {})
    return [n for n in events.collections if str(how.get(n, "")).startswith("unknown")]


def species_hint(events: Events) -> str:
    unknown = unknown_species(events)
    if not unknown:
        return ""
    return (
        f"; the species of {', '.join(unknown)} is unknown (no PDG id branch): name it, "
        f"e.g. --select '{unknown[0]} as mu: mu+ mu-', or select by charge, 'x+ x-'"
    )
