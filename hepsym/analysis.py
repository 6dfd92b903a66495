"""From an event file to a feature matrix with sensible defaults, saying what was picked.

This is the glue that ``hepsym analyze``/``constraints``/``learn`` share: read, choose
the particles (the user's query or :func:`~hepsym.selection.default_query`), choose the
features (the paper's: 3-momenta at a lepton collider, 4-momenta otherwise) and build the
:class:`~hepsym.features.FeatureMatrix`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hepsym.events import Beams
from hepsym.features import FeatureMatrix, build_features
from hepsym.io import read
from hepsym.selection import default_query, select

__all__ = ("Prepared", "beams_from_options", "prepare")


@dataclass(frozen=True)
class Prepared:
    """A feature matrix and the sentences saying how it was chosen."""

    features: FeatureMatrix
    notes: tuple[str, ...] = field(default_factory=tuple)


def beams_from_options(
    sqrt_s: float | None, collider: str | None, file_beams: Beams | None = None
) -> Beams | None:
    """The initial state a user asked for on the command line, or ``None`` to keep the file's.

    Args:
        sqrt_s: centre-of-mass energy in GeV (symmetric head-on beams).
        collider: ``"ee"`` (point-like beams: all of sqrt(s) enters) or ``"pp"``; default:
            the file's beam particles, else ``"ee"``.
        file_beams: what the file said, to keep its beam ids when only sqrt(s) changes.
    """
    if sqrt_s is None and collider is None:
        return None
    if collider is None and file_beams is not None and file_beams.ids is not None:
        ids = file_beams.ids
    else:
        ids = (2212, 2212) if collider == "pp" else (11, -11)
    if sqrt_s is None:
        if file_beams is None or file_beams.sqrt_s is None:
            return Beams(ids=ids, energies=None)
        sqrt_s = file_beams.sqrt_s
    return Beams.symmetric(float(sqrt_s), ids=ids)


def prepare(
    path: str | os.PathLike[str],
    *,
    select_query: str | None = None,
    features: str | None = None,
    sqrt_s: float | None = None,
    collider: str | None = None,
    max_events: int | None = None,
    tree: str | None = None,
    final_state: bool = True,
    pt_min: float | None = None,
    eta_max: float | None = None,
) -> Prepared:
    """Read ``path``, select particles and build features, with defaults for what is unset.

    Raises:
        HepsymError: from the reader, the selection or the features, naming the file.
    """
    events = read(path, max_events=max_events, tree=tree)
    override = beams_from_options(sqrt_s, collider, events.beams)
    notes = []
    if override is not None:
        events = type(events)(
            particles=events.particles,
            weights=events.weights,
            beams=override,
            source=events.source,
            format=events.format,
            collections=events.collections,
            metadata=events.metadata,
        )
        notes.append(f"beams set by the user: {override.describe()}")
    if select_query is None:
        select_query, why = default_query(events)
        notes.append(f"selection: {why}")
    selection = select(events, select_query, final_state=final_state, pt_min=pt_min,
                       eta_max=eta_max)
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
    if features is None:
        features = "p3" if events.beams.pointlike else "p4"
        notes.append(
            f"features: {features} ("
            + ("3-momenta, as the paper does at a lepton collider)" if features == "p3"
               else "4-momenta, as the paper does at a hadron collider)")
        )
    fm = build_features(selection, features)
    fm.check_finite()
    return Prepared(fm, tuple(notes))
