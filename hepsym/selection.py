"""Choose the particles to study in each event: ``"mu+ mu-"``, ``"l+ l-"``, ``"13 -13"``.

A query is a list of *slots*, each a particle name known to the ``particle`` package
(``mu-``, ``e+``, ``gamma``, ``Z0``), a PDG id (``13``, ``-13``), or a generic token:

* ``l+`` / ``l-`` / ``l``: a charged lepton (e, mu, tau) of that charge. All generic
  lepton slots of one query take the *same flavour*, so ``"l+ l-"`` is a same-flavour
  opposite-charge pair; per event the flavour whose pair has the largest scalar pT sum wins.
* ``mu`` / ``e`` / ``tau``: that lepton, either charge. ``nu``: any neutrino.
* ``j`` / ``jet``: a quark, a gluon, or a reconstructed jet (pid 0).

* ``x+`` / ``x-`` / ``x``: any particle of that charge (or any charge), whatever its
  species: for collections read without a PDG id.

A query may start with a *scope*, ``"<scope>: <slots>"``: a level (``gen``, ``reco``,
``lhe``, ``trigger``) or a collection (``"Muon: mu+ mu-"``), optionally naming the species
of a collection that has no PDG id branch (``"particle as mu: mu+ mu-"``). Levels are never
mixed: without a scope, a file with several levels is studied at the generator level
where it has one, else at reco level (:func:`default_scope`), and the selection says so.

Each slot takes the highest-pT particle that matches it and that no earlier slot took.
Only final-state particles (status 1) are considered by default. Events in which some slot
finds no particle are dropped and counted; the count is part of the result, never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from hepsym._vector_behavior import component
from hepsym.default_selection import default_query
from hepsym.errors import SelectionError
from hepsym.events import Beams, Events
from hepsym.particles import CHARGED_LEPTONS, JETS, SIGNED_NEUTRINOS, lookup
from hepsym.scopes import (
    LEVELS,
    default_scope,
    scope_events,
    species_hint,
    split_scope,
)

__all__ = (
    "LEVELS",
    "Selection",
    "Slot",
    "default_query",
    "default_scope",
    "parse_query",
    "scope_events",
    "select",
)

#: Charge of an ``x+``/``x-``/``x`` slot: any species.
_ANY_CHARGE = {"x+": 1, "x-": -1, "x": 0}

#: the flavours a generic lepton slot may take, in the order they are tried
_LEPTON_FLAVOURS = tuple(sorted(CHARGED_LEPTONS))


@dataclass(frozen=True)
class Slot:
    """One requested particle.

    Attributes:
        token: what the user wrote (``"mu-"``, ``"l+"``, ``"13"``).
        pids: the PDG ids that fill it; empty for a generic lepton, see ``lepton_sign``.
        label: programmatic name used in feature names (``"mu_minus"``, ``"l_plus"``).
        latex: label for plots (``r"\\mu^{-}"``).
        lepton_sign: for generic leptons ``l+``/``l-``/``l``: +1 for the antilepton
            (negative pid), -1 for the lepton, 0 for either; ``None`` otherwise.
        charge: for ``x+``/``x-``/``x``: the charge's sign (0 for any), and any pid.
    """

    token: str
    pids: frozenset[int]
    label: str
    latex: str
    lepton_sign: int | None = None
    charge: int | None = None

    def ids_for_flavour(self, flavour: int) -> frozenset[int]:
        """The pids of this slot once generic leptons are given a flavour (11, 13, 15)."""
        if self.lepton_sign is None:
            return self.pids
        return {
            -1: frozenset({flavour}),
            1: frozenset({-flavour}),
            0: frozenset({flavour, -flavour}),
        }[self.lepton_sign]


def _slot(token: str) -> Slot:
    generic = {
        "l+": Slot(token, frozenset(), "l_plus", "\\ell^{+}", 1),
        "l-": Slot(token, frozenset(), "l_minus", "\\ell^{-}", -1),
        "l": Slot(token, frozenset(), "l", "\\ell", 0),
        "mu": Slot(token, frozenset({13, -13}), "mu", "\\mu"),
        "e": Slot(token, frozenset({11, -11}), "e", "e"),
        "tau": Slot(token, frozenset({15, -15}), "tau", "\\tau"),
        "nu": Slot(token, SIGNED_NEUTRINOS, "nu", "\\nu"),
        "j": Slot(token, JETS, "j", "j"),
        "jet": Slot(token, JETS, "j", "j"),
    }
    if token in generic:
        return generic[token]
    if token in _ANY_CHARGE:
        label = {"x+": "x_plus", "x-": "x_minus", "x": "x"}[token]
        latex = {"x+": "x^{+}", "x-": "x^{-}", "x": "x"}[token]
        return Slot(token, frozenset(), label, latex, charge=_ANY_CHARGE[token])
    found = lookup(token)
    if found is None:
        msg = (
            f"unknown particle {token!r} in selection: use a name such as 'mu-', 'e+', "
            "'gamma', a PDG id such as 13, or one of l+ l- l mu e tau nu jet x+ x- x"
        )
        raise SelectionError(msg)
    return Slot(token, frozenset({found.pdgid}), found.programmatic_name, found.latex_name)


def parse_query(query: str | list[str] | tuple[str, ...]) -> tuple[Slot, ...]:
    """Split a selection such as ``"mu+ mu-"`` or ``"l+, l-"`` into :class:`Slot` s."""
    tokens = query.replace(",", " ").split() if isinstance(query, str) else list(query)
    if not tokens:
        msg = "empty selection: name at least one particle, e.g. 'mu+ mu-'"
        raise SelectionError(msg)
    return tuple(_slot(str(t)) for t in tokens)


@dataclass(frozen=True, repr=False)
class Selection:
    """The chosen particles of the events that have all of them.

    Attributes:
        particles: n_kept x n_slots ``Momentum4D`` records, slot order as requested.
        slots: the requested particles.
        labels: unique programmatic label per slot (``mu_minus``; ``j_1``, ``j_2``).
        weights: the kept events' weights.
        kept: indices of the kept events in the original :class:`Events`.
        n_input: number of events before the selection.
        n_extra: kept events that had more candidates than slots (the highest pT won).
        beams, source: carried over from the events.
        scope, species: the level or collection studied and the species named for it
            (see :func:`scope_events`), ``None`` when the whole file was.
    """

    particles: ak.Array
    slots: tuple[Slot, ...]
    labels: tuple[str, ...]
    weights: np.ndarray
    kept: np.ndarray
    n_input: int
    n_extra: int
    beams: Beams = field(default_factory=Beams)
    source: str = ""
    query: str = ""
    cuts: dict[str, Any] = field(default_factory=dict)
    scope: str | None = None
    species: str | None = None

    def __len__(self) -> int:
        return len(self.particles)

    @property
    def n_dropped(self) -> int:
        return self.n_input - len(self)

    def __repr__(self) -> str:
        return (
            f"<Selection {self.query!r}: {len(self)} of {self.n_input} events kept, "
            f"{self.n_dropped} dropped (missing a requested particle)>"
        )

    def slot(self, i: int) -> ak.Array:
        """The ``Momentum4D`` particles filling slot ``i`` (one per kept event)."""
        return self.particles[:, i]


def _unique_labels(slots: tuple[Slot, ...]) -> tuple[str, ...]:
    labels = [s.label for s in slots]
    out = []
    for i, lab in enumerate(labels):
        if labels.count(lab) > 1:
            out.append(f"{lab}_{labels[:i].count(lab) + 1}")
        else:
            out.append(lab)
    return tuple(out)


def _pick(
    pt_flat: np.ndarray,
    counts: np.ndarray,
    pid: np.ndarray,
    base: np.ndarray,
    slots: tuple[Slot, ...],
    flavour: int,
    charge: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill the slots greedily by pT. Returns flat indices (events x slots), success, pT sum.

    ``pt_flat``, ``pid`` and ``base`` (eligible) are per particle, ``counts`` per event.
    """
    offsets = np.concatenate([[0], np.cumsum(counts)])
    free = base.copy()
    ok = np.ones(len(counts), dtype=bool)
    score = np.zeros(len(counts))
    chosen = []
    for s in slots:
        cand = free & _matches(s, pid, charge, flavour)
        masked = ak.unflatten(np.where(cand, pt_flat, -np.inf), counts)
        idx = ak.argmax(masked, axis=1, keepdims=True)
        local = ak.to_numpy(ak.fill_none(ak.firsts(idx), 0))
        where = np.minimum(offsets[:-1] + local, max(len(cand) - 1, 0))
        hit = (counts > 0) & cand[where] if len(cand) else np.zeros(len(counts), bool)
        ok &= hit
        score += np.where(hit, pt_flat[where] if len(cand) else 0.0, 0.0)
        free[where[hit]] = False
        chosen.append(where)
    return np.stack(chosen, axis=1), ok, score


def _matches(slot: Slot, pid: np.ndarray, charge: np.ndarray, flavour: int) -> np.ndarray:
    """Which particles may fill ``slot``."""
    if slot.charge is not None:
        with np.errstate(invalid="ignore"):
            return np.ones(len(pid), bool) if slot.charge == 0 else np.sign(charge) == slot.charge
    return np.isin(pid, np.fromiter(slot.ids_for_flavour(flavour), dtype=np.int64))


def select(
    events: Events,
    query: str | list[str] | tuple[str, ...],
    *,
    final_state: bool = True,
    pt_min: float | None = None,
    eta_max: float | None = None,
) -> Selection:
    """Select the particles named by ``query`` in every event.

    Args:
        events: what :func:`hepsym.read` returned.
        query: e.g. ``"mu+ mu-"``, ``"l+ l-"``, ``"13 -13"``, ``["e-", "e+"]``.
        final_state: consider only status-1 particles (default).
        pt_min: minimum transverse momentum in GeV of a candidate.
        eta_max: maximum absolute pseudorapidity of a candidate.

    Returns:
        The :class:`Selection`; events missing a requested particle are dropped and
        counted in ``n_dropped``.

    Raises:
        SelectionError: unknown particle name, or no event has all requested particles.
    """
    scope, species, tokens = split_scope(query)
    if scope is None:
        scope = default_scope(events)
    events = scope_events(events, scope, species)
    slots = parse_query(tokens)
    parts = events.particles
    counts = ak.to_numpy(ak.num(parts, axis=1))
    flat = ak.flatten(parts)
    pt = np.asarray(ak.to_numpy(component(flat, "pt")), dtype=np.float64)
    # Build the eligibility mask on the flat content once, then restore the nesting.
    base = np.ones(len(flat), dtype=bool)
    if final_state:
        base &= ak.to_numpy(flat.status) == 1
    if pt_min is not None:
        base &= pt >= pt_min
    if eta_max is not None:
        with np.errstate(invalid="ignore"):
            base &= np.abs(ak.to_numpy(flat.eta)) <= eta_max
    pid = ak.to_numpy(flat.pid)
    charge = ak.to_numpy(flat.charge) if "charge" in flat.fields else np.full(len(pid), np.nan)

    flavours = _LEPTON_FLAVOURS if any(s.lepton_sign is not None for s in slots) else (0,)
    best_ok = np.zeros(len(parts), dtype=bool)
    best_score = np.full(len(parts), -np.inf)
    best_idx = np.zeros((len(parts), len(slots)), dtype=np.int64)
    for flavour in flavours:
        chosen, ok, score = _pick(pt, counts, pid, base, slots, flavour, charge)
        better = ok & (score > best_score)
        best_idx = np.where(better[:, None], chosen, best_idx)
        best_ok |= ok
        best_score = np.where(better, score, best_score)

    kept = np.flatnonzero(best_ok)
    query_str = " ".join(s.token for s in slots)
    if scope is not None or species is not None:
        query_str = f"{scope or ''}{f' as {species}' if species else ''}: {query_str}"
    if len(kept) == 0:
        content = ", ".join(f"{pid}: {n}" for pid, n in list(events.content(1).items())[:8])
        msg = (
            f"{events.source or '<events>'}: no event has all of {query_str!r}"
            f"{' among final-state particles' if final_state else ''}"
            f" (final-state content by PDG id: {content or 'none'}){species_hint(events)}"
        )
        raise SelectionError(msg)
    particles = ak.to_regular(ak.unflatten(flat[best_idx[kept].ravel()], len(slots)), axis=1)
    matching = base & np.any([_matches(s, pid, charge, f) for s in slots for f in flavours], axis=0)
    n_candidates = ak.to_numpy(ak.sum(ak.unflatten(matching, counts), axis=1))[kept]
    n_extra = int(np.count_nonzero(n_candidates > len(slots)))
    return Selection(
        particles=particles,
        slots=slots,
        labels=_unique_labels(slots),
        weights=np.asarray(events.weights)[kept],
        kept=kept,
        n_input=len(events),
        n_extra=n_extra,
        beams=events.beams,
        source=events.source,
        query=query_str,
        cuts={"final_state": final_state, "pt_min": pt_min, "eta_max": eta_max},
        scope=scope,
        species=species,
    )
