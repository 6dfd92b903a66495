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

from hepsym.errors import OptionError
from hepsym.features import FeatureMatrix, build_features
from hepsym.io import read
from hepsym.selection import default_query, select
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
    """

    features: FeatureMatrix
    spec: InputSpec
    notes: tuple[str, ...] = field(default_factory=tuple)


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
    events = read(
        spec.path,
        max_events=spec.max_events,
        tree=spec.tree,
        collections=spec.collections,
        branches=dict(spec.branches) if spec.branches is not None else None,
    )
    notes = []
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
    fm = build_features(selection, kind)
    fm.check_finite()
    resolved = dataclasses.replace(spec, select=selection.query, features=kind)
    return Prepared(fm, resolved, tuple(notes))
