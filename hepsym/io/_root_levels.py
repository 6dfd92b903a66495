"""Levels and status rules of columnar collections (ROOT, Parquet): what their particles are.

:mod:`hepsym.io._root_naming` finds the collections by name; this module says

* which *level* a collection is (:func:`level_of`: ``lhe``, ``gen``, ``reco``,
  ``trigger``) and whether it is read without being named (:func:`read_by_default`);
* what a stored status means in hepsym's LHE convention (:func:`lhe_status`);
* which NanoAOD ``statusFlags`` bits become particle fields (:data:`STATUS_FLAG_BITS`,
  :func:`flag_fields`).

It works on names and flat numpy columns only, and imports nothing of :mod:`hepsym.io`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = (
    "STATUS_FLAG_BITS",
    "flag_fields",
    "level_of",
    "lhe_status",
    "read_by_default",
)

#: Name prefixes (lower case) of trigger-level collections.
_TRIGGER_PREFIXES = ("trigobj", "l1", "hlt", "trig")
#: Substrings (lower case) of collections that are not particles of the event record:
#: vertices, tracks, candidates, fat and sub-jets, secondary copies of leptons.
_NOT_PARTICLES = (
    "fatjet", "subjet", "ak8", "softactivity", "track", "boostedtau", "lowptelectron",
    "fsrphoton", "dressedlepton", "vistau", "isolatedphoton", "corrt1", "proton", "pfcand",
    "cands", "svs", "vtx", "vertex", "met", "missinget", "particleid", "link", "cluster", "hit",
)  # fmt: skip
_NOT_PARTICLE_NAMES = frozenset(("sv", "pv", "otherpv", "beamspot"))


def level_of(name: str, slot: Mapping[str, str] | None = None) -> str:
    """The level of a collection from its name: ``lhe``, ``gen``, ``reco`` or ``trigger``.

    ``LHEPart`` is ``lhe``; names starting with ``Gen``, ``MC`` or ``Truth``, and
    collections with a generator status branch (EDM4hep ``Particle``), are ``gen``;
    ``TrigObj``, ``L1*`` and ``HLT*`` are ``trigger``; anything else is ``reco``.
    """
    low = name.lower()
    if low.startswith("lhe"):
        return "lhe"
    if low.startswith(("gen", "mc", "truth")) or "mcparticle" in low:
        return "gen"
    if slot and "generatorstatus" in slot.get("status", "").lower():
        return "gen"
    if low.startswith(_TRIGGER_PREFIXES):
        return "trigger"
    return "reco"


def read_by_default(name: str, level: str) -> bool:
    """Whether a recognised collection is read without being named with ``--collections``.

    Trigger objects, vertices, tracks, candidates, fat and sub-jets, and secondary copies
    of leptons and photons (dressed leptons, FSR photons, boosted taus, low-pT
    electrons) are not particles of the event record and are read only when named.
    """
    low = name.lower()
    if level == "trigger" or low in _NOT_PARTICLE_NAMES:
        return False
    return not any(part in low for part in _NOT_PARTICLES)


#: Generator status codes (HepMC, Pythia, EDM4hep ``generatorStatus``) of incoming
#: particles: 4 a beam particle, 21 an incoming parton of the hard process.
_BEAM_STATUS, _HARD_INCOMING_STATUS = 4, 21


def lhe_status(
    level: str,
    raw: np.ndarray | None,
    parents_begin: np.ndarray | None = None,
    parents_end: np.ndarray | None = None,
) -> np.ndarray | np.generic:
    """Each particle's status in the LHE convention: -1 incoming, 1 final, 2 intermediate.

    Reconstructed and trigger objects, and any collection without a status column, are
    final state (one ``int8`` scalar). ``LHEPart_status`` is already -1/+1. A generator
    status (NanoAOD ``GenPart_status``, EDM4hep ``generatorStatus``) is 1 for the final
    state; the beams (4) are the incoming particles where the record has them, else the
    particles without parents (EDM4hep ``parents_begin == parents_end``), else the
    incoming partons of the hard process (21); the rest (the hard process, resonances,
    the shower, hadrons before decay) is intermediate.
    """
    if raw is None or level not in ("gen", "lhe"):
        return np.int8(1)
    raw = raw.astype(np.int32, copy=False)
    if level == "lhe":
        return np.where(raw == -1, -1, np.where(raw == 1, 1, 2)).astype(np.int8)
    if (raw == _BEAM_STATUS).any():
        incoming = raw == _BEAM_STATUS
    else:
        # EDM4hep records without status 4 (FCC): the beams are the particles without parents.
        no_parents = (
            parents_begin == parents_end
            if parents_begin is not None and parents_end is not None
            else None
        )
        incoming = (
            no_parents
            if no_parents is not None and no_parents.any()
            else raw == _HARD_INCOMING_STATUS
        )
    return np.where(raw == 1, 1, np.where(incoming, -1, 2)).astype(np.int8)


#: NanoAOD ``GenPart_statusFlags`` bits (CMSSW ``reco::GenStatusFlags``) read as particle
#: fields. ``is_last_copy``: the last copy of a particle the shower re-records (a top, W
#: or Z appears 2-4 times in GenPart; its last copy once); ``is_hard_process``: a
#: particle of the matrix element (its incoming partons, resonances and decay products).
STATUS_FLAG_BITS = {"is_last_copy": 13, "is_hard_process": 7}


def flag_fields(level: str, raw: np.ndarray | None) -> dict[str, np.ndarray | np.generic]:
    """``is_last_copy`` and ``is_hard_process`` of each particle of a collection.

    From the bits of ``statusFlags`` where the collection has it; else a scalar for the
    whole collection: every particle is its own last copy, and only LHE particles are
    the hard process.
    """
    if raw is None:
        return {"is_last_copy": np.bool_(True), "is_hard_process": np.bool_(level == "lhe")}
    flags = raw.astype(np.int32, copy=False)
    return {name: (flags & (1 << bit)) != 0 for name, bit in STATUS_FLAG_BITS.items()}
