"""Recognise particle collections from the branch names of a ROOT tree.

Only names and shapes (jagged or one value per event) are looked at here, never
data, so that :mod:`hepsym.io.root` reads just the branches it needs.

Component names are matched case-insensitively:

========== =======================================
component  accepted spellings
========== =======================================
px py pz   ``px``, ``p_x`` (and y, z)
E          ``E``, ``e``, ``energy``, ``en``
pt         ``pt``, ``perp``
eta phi    ``eta``, ``phi``
mass       ``mass``, ``m``
charge     ``charge``, ``q``, ``chg``
pid        ``pdgId``, ``pid``, ``pdg`` (and ``id`` in numbered names only,
           because ``Jet_ID`` is a quality flag)
status     ``status``
flags      ``statusFlags`` (NanoAOD ``GenPart``)
========== =======================================

Four layouts are recognised (the branch kinds come from :mod:`hepsym.io._root_kinds`):

1. jagged collections, ``<Prefix>_<component>`` with one entry per particle
   (``Muon_Px``, ``Muon_pt``, ``Jet_E``), counter ``nMuon``/``NMuon`` if present,
   or the fields of an RNTuple record ``Muon.pt`` (as ``uproot`` writes ``ak.zip``);
   NanoAOD RNTuples also list ``_collection0.Muon_pt``, which matches nothing;
2. numbered particles in one-value-per-event branches: ``px1``, ``px_1``, ``E1``,
   ``mu1_px``, ``mu_1_px``, ``mu_px1``, ``mu_px_1``; particle ``i`` of collection
   ``mu`` (or ``particle`` when there is no prefix) is built from the branches with
   number ``i``;
3. one particle per event, ``<Prefix>_<component>`` with one value per event;
4. split objects, ``<Prefix>/<Prefix>.<member>``: EDM4hep (podio) ``momentum.x``,
   ``energy``, ``mass``, ``PDG``, ``charge``, ``generatorStatus``, and
   TreeMaker's ``ROOT::Math::LorentzVector`` members ``fCoordinates.fPt`` (``fEta``,
   ``fPhi``, ``fE``, ``fM``, ``fX``...).

Each collection has a *level* (:mod:`hepsym.io._root_levels`): ``lhe`` (``LHEPart``),
``gen`` (``GenPart``, ``GenJet``, ``GenParticles``, EDM4hep ``MCParticles``), ``trigger``
(``TrigObj``, ``L1*``, ``HLT*``) or ``reco`` (everything else). Trigger objects,
vertices, tracks, fat and sub-jets and other secondary collections are recognised but
not read unless named (:func:`hepsym.io._root_levels.read_by_default`).

A particle needs ``px, py, pz`` with ``E`` or ``mass`` (Cartesian), or ``pt, eta, phi``
with ``E`` or ``mass`` (or neither) in the same layout; incomplete groups such as
``MET_px, MET_py`` are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hepsym.io._root_levels import level_of

__all__ = (
    "CARTESIAN",
    "POLAR",
    "CollectionSpec",
    "find_weight_branch",
    "pid_from_name",
    "recognise",
    "spec_from_mapping",
)

CARTESIAN = ("px", "py", "pz", "E")
POLAR = ("pt", "eta", "phi", "mass")

_SPELLINGS: dict[str, tuple[str, ...]] = {
    "px": ("px", "p_x"),
    "py": ("py", "p_y"),
    "pz": ("pz", "p_z"),
    "E": ("e", "energy", "en"),
    "pt": ("pt", "perp"),
    "eta": ("eta",),
    "phi": ("phi",),
    "mass": ("mass", "m"),
    "charge": ("charge", "q", "chg"),
    "pid": ("pdgid", "pid", "pdg"),
    "status": ("status",),
    "flags": ("statusflags",),
    "incomingpz": ("incomingpz",),
}
_COMPONENT = {s: comp for comp, spellings in _SPELLINGS.items() for s in spellings}
_COMPONENT_NUMBERED = {**_COMPONENT, "id": "pid"}


def _alternation(tokens: Iterable[str]) -> str:
    return "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))


_TOK = _alternation(_COMPONENT)
_TOK_N = _alternation(_COMPONENT_NUMBERED)
_PREFIXED = re.compile(rf"^(?P<prefix>[^.]+)[._](?P<comp>{_TOK})$", re.IGNORECASE)
_NUMBERED = (
    re.compile(rf"^(?P<comp>{_TOK_N})_?(?P<n>\d+)$", re.IGNORECASE),
    re.compile(rf"^(?P<prefix>[A-Za-z]+?)_?(?P<n>\d+)_(?P<comp>{_TOK_N})$", re.IGNORECASE),
    re.compile(
        rf"^(?P<prefix>[A-Za-z][A-Za-z0-9]*?)_(?P<comp>{_TOK_N})_?(?P<n>\d+)$", re.IGNORECASE
    ),
)

#: Weight branches, most specific first (matched case-insensitively).
WEIGHT_BRANCHES = ("EventWeight", "genWeight", "Generator_weight", "mcWeight", "weight")

#: Collection names (lower case) that name one particle species: |PDG id|.
_SPECIES = {
    "muon": 13, "muons": 13, "mu": 13, "mus": 13,
    "electron": 11, "electrons": 11, "ele": 11, "el": 11, "elec": 11, "e": 11,
    "tau": 15, "taus": 15, "ta": 15,
    "photon": 22, "photons": 22, "gamma": 22, "gammas": 22, "pho": 22, "ph": 22, "a": 22,
}  # fmt: skip
_SPECIES_SUFFIXES = (("electron", 11), ("muon", 13), ("tau", 15), ("photon", 22))


def pid_from_name(name: str) -> int:
    """|PDG id| of the species a collection is named for, 0 for jets and unknown names.

    ``Muon``, ``mu``, ``Electron``, ``Ele``, ``Tau``, ``Photon``, ``Gamma``... are
    recognised case-insensitively, and so are names ending in a species
    (``FsrPhoton``, ``LowPtElectron``).
    """
    low = name.lower()
    if low in _SPECIES:
        return _SPECIES[low]
    for suffix, pid in _SPECIES_SUFFIXES:
        if low.endswith((suffix, suffix + "s")):
            return pid
    return 0


@dataclass(frozen=True)
class CollectionSpec:
    """Where the particles of one collection are stored.

    Attributes:
        name: collection name (``Muon``, ``Jet``, ``particle``...).
        coords: ``"cartesian"`` (px, py, pz, E), ``"cartesian_m"`` (px, py, pz, mass),
            ``"polar_e"`` (pt, eta, phi, E) or ``"polar"`` (pt, eta, phi, mass).
        jagged: True when each branch holds a list per event (one slot); False when
            each slot is one particle stored as one value per event.
        slots: per particle slot, component (``px``, ``pt``, ``charge``, ``pid``...)
            to branch name.
        counter: the ``nMuon``-like branch of a jagged collection, if any (not read).
        level: ``"lhe"``, ``"gen"``, ``"reco"`` or ``"trigger"`` (see
            :func:`hepsym.io._root_levels.level_of`).
    """

    name: str
    coords: str
    jagged: bool
    slots: tuple[Mapping[str, str], ...]
    counter: str | None = None
    level: str = "reco"

    @property
    def branches(self) -> list[str]:
        """Every branch needed to build this collection, without duplicates."""
        return list(dict.fromkeys(b for slot in self.slots for b in slot.values()))

    def mapping(self) -> dict[str, str | list[str]]:
        """Component to branch (or list of branches, one per particle) for metadata."""
        if len(self.slots) == 1:
            return dict(self.slots[0])
        comps = dict.fromkeys(c for slot in self.slots for c in slot)
        return {c: [slot.get(c, "") for slot in self.slots] for c in comps}


#: Coordinate systems: the components each needs (``polar`` takes ``mass`` if present).
COORDS: dict[str, tuple[str, ...]] = {
    "cartesian": CARTESIAN,
    "cartesian_m": ("px", "py", "pz", "mass"),
    "polar_e": ("pt", "eta", "phi", "E"),
    "polar": POLAR[:3],
}
_EXTRA = (
    "charge", "pid", "status", "flags", "incomingpz", "parents_begin", "parents_end", "type",
)  # fmt: skip


def _coords_of(comps: Iterable[str]) -> str | None:
    have = set(comps)
    return next((c for c, need in COORDS.items() if have.issuperset(need)), None)


def _has(slot: Mapping[str, str], coords: str) -> bool:
    return set(slot).issuperset(COORDS[coords])


def _keep(slot: Mapping[str, str], coords: str) -> dict[str, str]:
    wanted = POLAR if coords == "polar" else COORDS[coords]
    if "type" in slot and "pid" not in slot:
        wanted = (*wanted, "mass")  # the mass tells the species of an EDM4hep type 0
    return {c: b for c, b in slot.items() if c in wanted or c in _EXTRA}


def _counter(prefix: str, kinds: Mapping[str, str]) -> str | None:
    candidates = {f"n{prefix}".lower(), f"n_{prefix}".lower(), f"{prefix}_n".lower()}
    for name, kind in kinds.items():
        if kind == "scalar" and name.lower() in candidates:
            return name
    return None


def recognise(kinds: Mapping[str, str]) -> list[CollectionSpec]:
    """Find the particle collections among branches.

    Args:
        kinds: branch name to ``"jagged"`` (a list of numbers per event),
            ``"scalar"`` (one number per event) or anything else (ignored), in the
            tree's order.

    Returns:
        The complete collections, in the order their first branch appears.
    """
    # (layout, prefix.lower()) -> [display name, {slot number: {component: branch}}]
    groups: dict[tuple[str, str], tuple[str, dict[int, dict[str, str]]]] = {}
    for name, kind in kinds.items():
        parsed = _parse_member(name, kind) if "/" in name else _parse(name, kind)
        if parsed is None:
            continue
        layout, prefix, comp, n = parsed
        entry = groups.setdefault((layout, prefix.lower()), (prefix or "particle", {}))
        entry[1].setdefault(n, {}).setdefault(comp, name)

    specs: list[CollectionSpec] = []
    taken: set[str] = set()
    # NanoAOD v12 also lists nJet_pt... beside Jet_pt: a counter's shadow, not particles.
    counted = {f"n{prefix}" for layout, prefix in groups if layout == "jagged"}
    for (layout, prefix), (display, slots) in groups.items():
        ordered = [slots[n] for n in sorted(slots)]
        coords = next((c for c in map(_coords_of, ordered) if c is not None), None)
        if coords is None or display.lower() in taken:
            continue
        if layout != "jagged" and any(c.startswith(prefix) for c in counted if prefix):
            continue
        taken.add(display.lower())
        complete = tuple(_keep(s, coords) for s in ordered if _has(s, coords))
        jagged = layout == "jagged"
        counter = _counter(display, kinds) if jagged else None
        level = level_of(display, complete[0] if complete else {})
        specs.append(CollectionSpec(display, coords, jagged, complete, counter, level))
    return specs


#: Split-object members (lower case) to components: EDM4hep and ROOT::Math vectors.
_MEMBERS = {
    "momentum.x": "px", "momentum.y": "py", "momentum.z": "pz", "energy": "E",
    "mass": "mass", "charge": "charge", "pdg": "pid", "generatorstatus": "status",
    "type": "type",
    "parents_begin": "parents_begin", "parents_end": "parents_end",
    "fcoordinates.fpt": "pt", "fcoordinates.feta": "eta", "fcoordinates.fphi": "phi",
    "fcoordinates.fe": "E", "fcoordinates.fm": "mass", "fcoordinates.fx": "px",
    "fcoordinates.fy": "py", "fcoordinates.fz": "pz", "fcoordinates.ft": "E",
}  # fmt: skip
_MEMBER = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9_]*)\.(?P<member>.+)$")


def _parse_member(name: str, kind: str) -> tuple[str, str, str, int] | None:
    """(layout, prefix, component, 0) of a split-object leaf ``Muons/Muons.fCoordinates.fPt``."""
    if kind not in ("jagged", "scalar"):
        return None
    m = _MEMBER.match(name.rsplit("/", 1)[-1])
    if m is None or name.split("/", 1)[0] != m["prefix"]:
        return None
    comp = _MEMBERS.get(m["member"].lower())
    if comp is None:
        return None
    return ("jagged" if kind == "jagged" else "single", m["prefix"], comp, 0)


def _parse(name: str, kind: str) -> tuple[str, str, str, int] | None:
    """(layout, prefix, component, particle number) of a branch name, or None."""
    if kind == "jagged":
        m = _PREFIXED.match(name)
        return ("jagged", m["prefix"], _COMPONENT[m["comp"].lower()], 0) if m else None
    if kind != "scalar":
        return None
    for pattern in _NUMBERED:
        m = pattern.match(name)
        if m:
            prefix = m.groupdict().get("prefix") or ""
            return ("numbered", prefix, _COMPONENT_NUMBERED[m["comp"].lower()], int(m["n"]))
    m = _PREFIXED.match(name)
    return ("single", m["prefix"], _COMPONENT[m["comp"].lower()], 0) if m else None


def spec_from_mapping(
    name: str, mapping: Mapping[str, str | Sequence[str]], kinds: Mapping[str, str]
) -> CollectionSpec:
    """Build a collection from an explicit ``{component: branch}`` mapping.

    Args:
        name: the collection's name (gives the particle species, see :func:`pid_from_name`).
        mapping: components (``px py pz E`` or ``pt eta phi [mass]``, plus optional
            ``charge`` and ``pid``; any accepted spelling) to one branch name, or to a
            list of one-value-per-event branches, one per particle.
        kinds: branch name to ``"jagged"``/``"scalar"``, as for :func:`recognise`.

    Raises:
        ValueError: an unknown component, a missing branch, an incomplete set of
            coordinates, or branches of different layouts (message without the path).
    """
    comps: dict[str, list[str]] = {}
    for key, value in mapping.items():
        comp = _COMPONENT_NUMBERED.get(str(key).lower())
        if comp is None:
            msg = f"collection {name!r}: unknown component {key!r} (use px, py, pz, E or pt, eta, phi, mass, plus charge, pid)"
            raise ValueError(msg)
        comps[comp] = [value] if isinstance(value, str) else list(value)
    coords = _coords_of(comps)
    if coords is None:
        msg = f"collection {name!r}: needs px, py, pz, E or pt, eta, phi (got {', '.join(comps)})"
        raise ValueError(msg)
    missing = [b for bs in comps.values() for b in bs if b not in kinds]
    if missing:
        msg = f"collection {name!r}: no branch {', '.join(map(repr, missing))} in the tree"
        raise ValueError(msg)
    layouts = {kinds[b] for bs in comps.values() for b in bs}
    lengths = {len(bs) for bs in comps.values()}
    if len(layouts) != 1 or layouts - {"jagged", "scalar"} or len(lengths) != 1:
        msg = (
            f"collection {name!r}: branches must all be jagged (one list per event) or all "
            "one number per event, with the same number of branches per component"
        )
        raise ValueError(msg)
    jagged = layouts == {"jagged"}
    if jagged and lengths != {1}:
        msg = f"collection {name!r}: give one jagged branch per component, not a list"
        raise ValueError(msg)
    n = lengths.pop()
    slots = tuple(_keep({c: bs[i] for c, bs in comps.items()}, coords) for i in range(n))
    return CollectionSpec(name, coords, jagged, slots, level=level_of(name, slots[0]))


def find_weight_branch(kinds: Mapping[str, str]) -> str | None:
    """The per-event weight branch (see :data:`WEIGHT_BRANCHES`), or None."""
    by_lower = {n.lower(): n for n, k in kinds.items() if k == "scalar"}
    for candidate in WEIGHT_BRANCHES:
        if candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    return None
