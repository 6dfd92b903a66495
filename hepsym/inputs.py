"""From an :class:`~hepsym.spec.InputSpec` to the feature matrix a study works on.

:func:`prepare` is what ``hepsym constraints``, ``learn`` and ``analyze`` share: read the
file, set the initial state the user asked for (:meth:`~hepsym.spec.InputSpec.beams_for`),
choose the particles (the user's query or :func:`~hepsym.selection.default_query`),
choose the features (the paper's: 3-momenta at a lepton collider, 4-momenta otherwise)
and build the :class:`~hepsym.features.FeatureMatrix`. Everything it chose by itself is
said in its notes.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from hepsym.errors import OptionError
from hepsym.events import Events
from hepsym.features import FeatureMatrix, build_features
from hepsym.io import read
from hepsym.particles import particle_name
from hepsym.selection import default_query, scope_events, select
from hepsym.spec import InputSpec

__all__ = ("Prepared", "prepare")


@dataclass(frozen=True)
class Prepared:
    """A feature matrix, the input specification as resolved, and how it was chosen.

    Attributes:
        features: the feature matrix.
        spec: the :class:`~hepsym.spec.InputSpec` with hepsym's choices filled in (the
            selection and feature kind actually used).
        notes: what hepsym chose by itself and dropped, one sentence each.
        classes: per event of the features, its final state in words (the final-state
            particle names, sorted), for :func:`~hepsym.strata.find_strata`.
    """

    features: FeatureMatrix
    spec: InputSpec
    notes: tuple[str, ...] = field(default_factory=tuple)
    classes: np.ndarray | None = field(default=None, repr=False)


def _feature_note(kind: str) -> str:
    where = "at a lepton collider" if kind == "p3" else "at a hadron collider"
    what = "3-momenta" if kind == "p3" else "4-momenta"
    return f"features: {kind} ({what}, as the paper does {where})"


def prepare(spec: InputSpec | str | os.PathLike[str], **options: Any) -> Prepared:
    """Read, select and build features as ``spec`` says, with defaults for what is unset.

    Args:
        spec: an :class:`~hepsym.spec.InputSpec`, or the event file's path.
        options: fields of the :class:`~hepsym.spec.InputSpec` to set (``select=``,
            ``features=``, ``sqrt_s=``, ``max_events=`` ...).

    Raises:
        HepsymError: from the reader, the selection or the features, naming the file;
            :class:`~hepsym.errors.OptionError` for an unknown option or no file.
    """
    if not isinstance(spec, InputSpec):
        spec = InputSpec(path=os.fspath(spec))
    try:
        spec = dataclasses.replace(spec, **options)
    except TypeError as err:
        msg = f"unknown input option: {err}"
        raise OptionError(msg) from err
    if spec.path is None:
        msg = "no event file given"
        raise OptionError(msg)
    events = read(spec.path, spec.reading())
    notes = []
    n_bad = int(events.metadata.get("n_bad_events", 0))
    if n_bad:
        notes.append(f"{n_bad} events with invalid momenta dropped, as asked (--drop-bad-events)")
    beams = spec.beams_for(events.beams)
    if beams is not None:
        events = events.with_beams(beams)
        notes.append(f"beams set by the user: {beams.describe()}")
    query = spec.select
    if query is None:
        query, why = default_query(events)
        notes.append(f"selection: {why}")
    selection = select(
        events, query, final_state=spec.final_state, pt_min=spec.pt_min, eta_max=spec.eta_max
    )
    if selection.n_dropped:
        notes.append(
            f"{selection.n_dropped} of {selection.n_input} events dropped: "
            f"they lack one of {selection.query!r}"
        )
    if selection.n_extra:
        notes.append(
            f"{selection.n_extra} events had more candidates than requested: "
            "the highest-pT ones were taken"
        )
    kind = spec.features
    if kind is None:
        kind = "p3" if events.beams.pointlike else "p4"
        notes.append(_feature_note(kind))
    # The incoming partons and final-state classes of the level (or collection) studied,
    # never of all levels together.
    scoped = scope_events(events, selection.scope)
    fm = build_features(selection, kind, events=scoped)
    fm.check_finite()
    classes = final_state_classes(scoped, selection.kept)
    distinct, n_repeated = distinct_rows(fm.X)
    if n_repeated:
        share = f"{n_repeated} of {fm.n_events} events ({n_repeated / fm.n_events:.0%})"
        if spec.keep_duplicates:
            notes.append(f"{share} repeat an earlier event's features exactly; kept as asked")
        else:
            fm, classes = fm.take(distinct), classes[distinct]
            notes.append(
                f"{share} repeat an earlier event's features exactly: the {fm.n_events} "
                "distinct ones are studied (--keep-duplicates to keep them)"
            )
    fm = dataclasses.replace(
        fm, metadata={**fm.metadata, "n_repeated": n_repeated, "n_bad_events": n_bad}
    )
    resolved = dataclasses.replace(spec, select=selection.query, features=kind)
    return Prepared(fm, resolved, tuple(notes), classes)


def distinct_rows(X: np.ndarray) -> tuple[np.ndarray, int]:
    """The indices of the first occurrence of each distinct row of ``X``, in order, and how
    many rows repeat an earlier one exactly."""
    if len(X) == 0:
        return np.arange(0), 0
    _, first = np.unique(np.ascontiguousarray(X), axis=0, return_index=True)
    first.sort()
    return first, len(X) - len(first)


def final_state_classes(events: Events, kept: np.ndarray) -> np.ndarray:
    """Per kept event, its final state in words: its status-1 particles, sorted.

    Quarks and gluons are one species here, ``j`` (a jet's flavour is no different final
    state). Events with the same multiset of final-state ids share a label; the multiset is
    keyed by its size and two sums over the ids (no Python loop per event), and each label
    is written once, from its first event.
    """
    parts = events.particles[kept]
    final = parts[parts.status == 1]
    counts = ak.to_numpy(ak.num(final, axis=1))
    flat = ak.to_numpy(ak.flatten(final.pid)).astype(np.int64)
    flat = np.where(np.isin(np.abs(flat), _PARTONS), _JET, flat)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    sums = [np.add.reduceat(flat**k, starts) if len(flat) else flat for k in (1, 2)]
    sums = [np.where(counts > 0, s, 0) for s in sums]
    keys = np.column_stack([counts, *sums])
    uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    names = []
    for i in first:
        ids = sorted(
            flat[starts[i] : starts[i] + counts[i]].tolist(), key=lambda p: (abs(p), p < 0)
        )
        names.append(" ".join("j" if p == _JET else particle_name(p) for p in ids) or "nothing")
    return np.asarray(names, dtype=object)[inverse.ravel()] if len(uniq) else np.empty(0, object)


#: quarks, the gluon and reconstructed jets (id 0): one species, a jet, in a final-state class
_PARTONS = (0, 1, 2, 3, 4, 5, 21)
_JET = 21
