"""The particles hepsym studies when the user names none, and why.

The rule, one for every file: if every event has the same final state with at most four
particles, study all of it; otherwise, if most events hold a same-flavour
opposite-charge lepton pair, study that pair (``l+ l-``); particles of unknown species
are studied by charge. Otherwise the user is asked, with the most common final state as
a suggestion.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from hepsym.errors import SelectionError
from hepsym.events import Events
from hepsym.particles import CHARGED_LEPTONS, particle_name
from hepsym.scopes import default_scope, scope_events, unknown_species

__all__ = ("default_query",)

#: the flavours a generic lepton pair may take, in the order they are tried
_LEPTON_FLAVOURS = tuple(sorted(CHARGED_LEPTONS))


def default_query(events: Events, *, max_particles: int = 4) -> tuple[str, str]:
    """Pick the particles to study when the user names none, and say why.

    The rule: if every event has the same final-state content (the same PDG ids) with at
    most ``max_particles`` particles, study all of them; otherwise, if most events hold a
    same-flavour opposite-charge lepton pair, study that pair (``"l+ l-"``).

    Returns:
        The query and a sentence explaining the choice.

    Raises:
        SelectionError: neither rule applies; the message lists the content to choose from.
    """
    scope = default_scope(events)
    where = ""
    if scope is not None:
        others = sorted(set(events.metadata["levels"].values()) - {scope})
        where = (
            f"; at {scope} level (the file also has {', '.join(others)}: choose with "
            f"--select '{others[0]}: ...')"
        )
        events = scope_events(events, scope)
    query, why = _default_tokens(events, max_particles)
    return (f"{scope}: {query}" if scope else query), why + where


def _default_tokens(events: Events, max_particles: int) -> tuple[str, str]:
    parts = events.particles
    final_parts = parts[parts.status == 1]
    final = final_parts.pid
    counts = ak.to_numpy(ak.num(final, axis=1))
    source = events.source or "<events>"
    unknown = set(unknown_species(events))
    same_size = len(counts) and counts.min() == counts.max() and 0 < counts[0] <= max_particles
    # Species unknown: study every particle, by charge when the charges are known.
    if unknown and set(events.collections) <= unknown and same_size:
        charges = ak.to_numpy(final_parts.charge[0]).astype(np.float64)
        tokens = [
            "x" if np.isnan(q) else ("x+" if q > 0 else "x-" if q < 0 else "x") for q in charges
        ]
        query = " ".join(tokens)
        return query, (
            f"every event has {counts[0]} particles of unknown species (no PDG id "
            f"branch): studying all of them ({query}); name the species with "
            f"--select '{min(unknown)} as mu: mu+ mu-'"
        )
    if len(counts) and counts.min() == counts.max() and 0 < counts[0] <= max_particles:
        ordered = ak.to_numpy(ak.sort(final, axis=1))
        if (ordered == ordered[0]).all():
            tokens = [particle_name(int(p)) for p in ak.to_numpy(final[0])]
            query = " ".join(tokens)
            return query, f"every event has the same final state ({query}): studying all of it"
    flat = np.abs(ak.to_numpy(ak.flatten(final)))
    has_pair = np.zeros(len(parts), dtype=bool)
    for flavour in _LEPTON_FLAVOURS:
        has_pair |= ak.to_numpy(
            ak.any(final == flavour, axis=1) & ak.any(final == -flavour, axis=1)
        )
    if has_pair.mean() >= 0.5:
        return "l+ l-", (
            f"{has_pair.mean():.0%} of events hold a same-flavour opposite-charge lepton pair: "
            "studying it (l+ l-)"
        )
    ids, n = np.unique(flat, return_counts=True)
    common = ", ".join(f"{i}" for i in ids[np.argsort(-n)][:6])
    pair = (
        f"only {has_pair.mean():.0%} of events hold a same-flavour opposite-charge lepton pair"
        if has_pair.any()
        else "there is no lepton pair"
    )
    example, share = _most_common_final_state(final)
    suggestion = (
        f"--select '{example}' (the most common final state, {share:.0%} of events)"
        if example
        else "--select 'mu+ mu-'"
    )
    msg = (
        f"{source}: cannot choose the particles to study by myself (final states differ between "
        f"events and {pair}); pass --select, e.g. {suggestion} "
        f"(most common |PDG ids|: {common or 'none'})"
    )
    raise SelectionError(msg)


#: events looked at to name the most common final state in a refusal, and its largest size
_COMMON_SAMPLE, _COMMON_MAX = 10_000, 8


def _most_common_final_state(final: ak.Array) -> tuple[str, float]:
    """The most common final-state content (as a query) of the first events, and its share.

    ``("", 0.0)`` where it has more than ``_COMMON_MAX`` particles or no event has any.
    """
    head = final[:_COMMON_SAMPLE]
    states: dict[tuple[int, ...], int] = {}
    first: dict[tuple[int, ...], list[int]] = {}  # in the order of its first event
    for state in ak.to_list(head):
        key = tuple(sorted(int(p) for p in state))
        states[key] = states.get(key, 0) + 1
        first.setdefault(key, state)
    if not states:
        return "", 0.0
    best = max(states, key=lambda k: states[k])
    if not 0 < len(best) <= _COMMON_MAX:
        return "", 0.0
    return " ".join(particle_name(int(p)) for p in first[best]), states[best] / len(head)
