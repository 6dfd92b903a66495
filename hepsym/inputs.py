"""From an :class:`~hepsym.spec.InputSpec` to the feature matrix a study works on.

:func:`prepare` is what ``hepsym constraints``, ``learn`` and ``analyze`` share: read the
file, set the initial state the user asked for (:meth:`~hepsym.spec.InputSpec.beams_for`),
choose the particles (the user's query or :func:`~hepsym.default_selection.default_query`),
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

from hepsym.default_selection import default_query
from hepsym.errors import OptionError
from hepsym.events import Events
from hepsym.features import FeatureMatrix, build_features, join_features
from hepsym.io import read
from hepsym.particles import particle_name
from hepsym.population import Population
from hepsym.selection import scope_events, select
from hepsym.spec import InputSpec

__all__ = (
    "Part",
    "Prepared",
    "finish",
    "prepare",
    "prepare_part",
    "resolved",
    "row_hashes",
    "study_notes",
    "with_counts",
)


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
        population: all the study's events where ``features`` is a sample of them
            (:mod:`hepsym.sampling`); ``None``: ``features`` holds every event.
    """

    features: FeatureMatrix
    spec: InputSpec
    notes: tuple[str, ...] = field(default_factory=tuple)
    classes: np.ndarray | None = field(default=None, repr=False)
    population: Population | None = field(default=None, repr=False)


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
    return finish([prepare_part(spec)], spec)


@dataclass(frozen=True)
class Part:
    """One partition of a study (one file, or the events of one read) before the events
    of all partitions are joined: its features, final-state classes and counts.

    Attributes:
        features: the partition's feature matrix (repeated rows not yet removed).
        classes: per event of ``features``, its final state in words.
        spec: the input specification with the selection and features resolved.
        choices: what hepsym chose by itself on this partition (selection, features,
            beams), one sentence each.
        n_bad: events with invalid momenta dropped by the reader.
        n_extra: events with more candidates than requested.
    """

    features: FeatureMatrix
    classes: np.ndarray
    spec: InputSpec
    choices: tuple[str, ...] = ()
    n_bad: int = 0
    n_extra: int = 0


def prepare_part(spec: InputSpec, events: Events | None = None) -> Part:
    """Select and build the features of one partition (``events``, or ``spec.path`` read).

    Args:
        spec: the input specification; its unset selection and features are chosen here
            (a study of several partitions resolves them on the first and gives the
            resolved spec to the others, so that every partition is treated alike).
        events: the events already read, or ``None`` to read ``spec.path``.
    """
    if events is None:
        if spec.path is None:
            msg = "no event file given"
            raise OptionError(msg)
        events = read(spec.path, spec.reading())
    choices = []
    beams = spec.beams_for(events.beams)
    if beams is not None:
        events = events.with_beams(beams)
        choices.append(f"beams set by the user: {beams.describe()}")
    query = spec.select
    if query is None:
        query, why = default_query(events)
        choices.append(f"selection: {why}")
    selection = select(
        events, query, final_state=spec.final_state, pt_min=spec.pt_min, eta_max=spec.eta_max
    )
    kind = spec.features
    if kind is None:
        kind = "p3" if events.beams.pointlike else "p4"
        choices.append(_feature_note(kind))
    # The incoming partons and final-state classes of the level (or collection) studied,
    # never of all levels together.
    scoped = scope_events(events, selection.scope)
    fm = build_features(selection, kind, events=scoped)
    fm.check_finite()
    return Part(
        features=fm,
        classes=final_state_classes(scoped, selection.kept),
        spec=dataclasses.replace(spec, select=selection.query, features=kind),
        choices=tuple(choices),
        n_bad=int(events.metadata.get("n_bad_events", 0)),
        n_extra=selection.n_extra,
    )


def finish(parts: list[Part], spec: InputSpec) -> Prepared:
    """Join the partitions of a study, remove repeated events, and say what was done.

    The notes are those of one read of all events: the first partition's choices, then
    the counts summed over partitions.
    """
    fm = join_features([p.features for p in parts])
    classes = np.concatenate([p.classes for p in parts])
    distinct, n_repeated = distinct_rows(fm.X)
    n_rows = fm.n_events
    if n_repeated and not spec.keep_duplicates:
        fm, classes = fm.take(distinct), classes[distinct]
    notes = study_notes(parts, fm, n_rows, n_repeated, spec.keep_duplicates)
    return Prepared(with_counts(fm, parts, n_repeated), resolved(spec, parts), notes, classes)


def resolved(spec: InputSpec, parts: list[Part]) -> InputSpec:
    """``spec`` with the selection and features the first partition chose."""
    first = parts[0].spec
    return dataclasses.replace(spec, select=first.select, features=first.features)


def with_counts(fm: FeatureMatrix, parts: list[Part], n_repeated: int) -> FeatureMatrix:
    """``fm`` with the study's counts of repeated and bad events in its metadata."""
    n_bad = sum(p.n_bad for p in parts)
    return dataclasses.replace(
        fm, metadata={**fm.metadata, "n_repeated": n_repeated, "n_bad_events": n_bad}
    )


def study_notes(
    parts: list[Part], fm: FeatureMatrix, n_rows: int, n_repeated: int, keep: bool
) -> tuple[str, ...]:
    """What was chosen and dropped over all partitions, one sentence each.

    Args:
        parts: the partitions (their counts, and the first one's choices).
        fm: the study's features: only its ``n_input`` and ``n_dropped`` are read.
        n_rows: the events selected, before repeated ones were removed.
        n_repeated: of them, those that repeat an earlier event's features exactly.
        keep: whether the repeated events were kept.
    """
    notes = []
    n_bad = sum(p.n_bad for p in parts)
    if n_bad:
        notes.append(f"{n_bad} events with invalid momenta dropped, as asked (--drop-bad-events)")
    choices = list(parts[0].choices)
    feature_notes = [c for c in choices if c.startswith("features: ")]
    notes.extend(c for c in choices if not c.startswith("features: "))
    query = parts[0].spec.select
    if fm.n_dropped:
        notes.append(f"{fm.n_dropped} of {fm.n_input} events dropped: they lack one of {query!r}")
    n_extra = sum(p.n_extra for p in parts)
    if n_extra:
        notes.append(
            f"{n_extra} events had more candidates than requested: the highest-pT ones were taken"
        )
    notes.extend(feature_notes)
    if n_repeated:
        share = f"{n_repeated} of {n_rows} events ({n_repeated / n_rows:.0%})"
        if keep:
            notes.append(f"{share} repeat an earlier event's features exactly; kept as asked")
        else:
            notes.append(
                f"{share} repeat an earlier event's features exactly: the "
                f"{n_rows - n_repeated} distinct ones are studied (--keep-duplicates to keep them)"
            )
    return tuple(notes)


def distinct_rows(X: np.ndarray) -> tuple[np.ndarray, int]:
    """The indices of the first occurrence of each distinct row of ``X``, in order, and how
    many rows repeat an earlier one exactly.

    Rows are compared by a 64-bit hash first (:func:`row_hashes`: one sort of integers);
    only the rows whose hash occurs more than once, all repeats among them, are compared
    by their values, so the answer is exact and costs a fraction of sorting the rows.
    """
    n = len(X)
    if n == 0:
        return np.arange(0), 0
    h = row_hashes(X)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    run = np.r_[False, hs[1:] == hs[:-1]]
    if not run.any():
        return np.arange(n), 0
    shared = run | np.r_[run[1:], False]  # every member of a run of equal hashes
    candidates = np.sort(order[shared])
    first = candidates[_first_of_rows(X[candidates])]
    keep = np.ones(n, dtype=bool)
    keep[candidates] = False
    keep[first] = True
    distinct = np.flatnonzero(keep)
    return distinct, n - len(distinct)


def _first_of_rows(X: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row of ``X``, sorted."""
    # Each row as one opaque value: sorting raw bytes is 3x faster than np.unique's
    # row-wise comparison; + 0.0 turns -0.0 into 0.0, the one pair of equal floats
    # whose bytes differ (the features are finite: no NaN).
    rows = np.ascontiguousarray(X, dtype=np.float64) + 0.0
    _, first = np.unique(
        rows.view(np.dtype((np.void, 8 * rows.shape[1]))).ravel(), return_index=True
    )
    first.sort()
    return first


_HASH_MIX = np.uint64(0x9E3779B97F4A7C15)


def row_hashes(X: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's values (-0.0 taken as 0.0), for finding repeated
    events across partitions without holding them in one place. Two distinct rows
    share a hash with probability about 2^-64 per pair (10^7 events: ~3 x 10^-6)."""
    rows = np.ascontiguousarray(X, dtype=np.float64) + 0.0
    words = rows.view(np.uint64).reshape(len(rows), -1)
    h = np.full(len(rows), np.uint64(0xCBF29CE484222325), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            h ^= words[:, j]
            h *= _HASH_MIX
            h ^= h >> np.uint64(29)
    return h


def final_state_classes(events: Events, kept: np.ndarray) -> np.ndarray:
    """Per kept event, its final state in words: its status-1 particles, sorted.

    Quarks and gluons are one species here, ``j`` (a jet's flavour is no different final
    state). Events with the same multiset of final-state ids share a label; the multiset is
    keyed by its size and two sums over the ids (no Python loop per event), and each label
    is written once, from its first event.
    """
    counts, flat = _final_ids(events.particles, np.asarray(kept))
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


def _final_ids(particles: ak.Array, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per kept event, its number of status-1 particles, and their ids one event after
    another, from the flat particle columns (no jagged masking of every field)."""
    if kept.dtype == bool:
        kept = np.flatnonzero(kept)
    if len(kept) > 1 and np.any(np.diff(kept) <= 0):  # not in order: the events as given
        final = particles[kept]
        final = final[final.status == 1]
        return ak.to_numpy(ak.num(final, axis=1)), ak.to_numpy(ak.flatten(final.pid)).astype(
            np.int64
        )
    n = len(particles)
    event = np.repeat(np.arange(n, dtype=np.int32), ak.to_numpy(ak.num(particles, axis=1)))
    wanted = np.zeros(n, dtype=bool)
    wanted[kept] = True
    chosen = (ak.to_numpy(ak.flatten(particles.status)) == 1) & wanted[event]
    counts = np.bincount(event[chosen], minlength=n)[kept]
    return counts, ak.to_numpy(ak.flatten(particles.pid))[chosen].astype(np.int64)


#: quarks, the gluon and reconstructed jets (id 0): one species, a jet, in a final-state class
_PARTONS = (0, 1, 2, 3, 4, 5, 21)
_JET = 21
