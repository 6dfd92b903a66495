"""The input section: what to read, which particles, which features, the initial state."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hepsym._spec_base import problem
from hepsym.beams import Beams
from hepsym.io.options import HEPMC_STATUSES, ReadOptions, json_fields

__all__ = ("COLLIDERS", "FEATURE_KINDS", "InputSpec", "as_paths")

#: the feature sets :func:`~hepsym.features.build_features` knows
FEATURE_KINDS = ("p3", "p4", "ptetaphim")
#: the collider kinds a user may name
COLLIDERS = ("ee", "pp")


def as_paths(source: Any) -> str | tuple[str, ...] | None:
    """An input path as the spec keeps it: one string, or a tuple of several."""
    if source is None or isinstance(source, (str, os.PathLike)):
        return None if source is None else os.fspath(source)
    paths = tuple(os.fspath(p) for p in source)
    return paths[0] if len(paths) == 1 else paths or None


@dataclass(frozen=True)
class InputSpec:
    """What to read and study: the file, the particles, the features, the initial state.

    ``None`` means "hepsym chooses, and says so": the selection from the file's content
    (:func:`~hepsym.default_selection.default_query`), the features from the beams (3-momenta at
    a lepton collider, 4-momenta otherwise), the beams from the file.

    Attributes:
        path: the event file, or several read as one sample (files, globs, filesets;
            see :func:`hepsym.read`); ``None`` when the features are given directly.
        select: the particles, e.g. ``"mu+ mu-"``, ``"l+ l-"``.
        features: ``"p3"``, ``"p4"`` or ``"ptetaphim"``.
        sqrt_s: centre-of-mass energy in GeV of symmetric head-on beams.
        collider: ``"ee"`` (point-like beams: all of sqrt(s) enters) or ``"pp"``.
        beams: the whole initial state, instead of ``sqrt_s``/``collider``.
        max_events: read at most this many events.
        tree, collections, branches: ROOT: which tree, which collections, and an explicit
            branch mapping (see :func:`hepsym.read`).
        final_state, pt_min, eta_max: which candidates the selection considers.
        keep_duplicates: study repeated events too (default: only the distinct ones,
            since a repeated row has a nearest neighbour at distance 0).
        strict: an LHE file without its closing tag is an error, not a warning.
        drop_bad_events: drop events with invalid momenta (NaN, negative energy,
            space-like) and count them, instead of refusing the file.
        species: ROOT and Parquet: the species of collections without a PDG id branch,
            ``{"particle": "mu"}``.
        statuses: HepMC: the particle statuses read (default final state and beams).
    """

    path: str | tuple[str, ...] | None = None
    select: str | None = None
    features: str | None = None
    sqrt_s: float | None = None
    collider: str | None = None
    beams: Beams | None = None
    max_events: int | None = None
    tree: str | None = None
    collections: tuple[str, ...] | None = None
    branches: Mapping[str, Any] | None = None
    final_state: bool = True
    pt_min: float | None = None
    eta_max: float | None = None
    keep_duplicates: bool = False
    strict: bool = False
    drop_bad_events: bool = False
    species: Mapping[str, str | int] | None = None
    statuses: tuple[int, ...] | None = HEPMC_STATUSES

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", as_paths(self.path))
        if self.collections is not None:
            object.__setattr__(self, "collections", tuple(self.collections))
        if self.features is not None and self.features not in FEATURE_KINDS:
            msg = f"unknown features {self.features!r}; choose one of {', '.join(FEATURE_KINDS)}"
            raise problem(msg)
        if self.collider is not None and self.collider not in COLLIDERS:
            msg = f"unknown collider {self.collider!r}; choose one of {', '.join(COLLIDERS)}"
            raise problem(msg)
        if self.sqrt_s is not None and not (math.isfinite(self.sqrt_s) and self.sqrt_s > 0):
            msg = f"sqrt(s) must be a positive number of GeV, got {self.sqrt_s}"
            raise problem(msg)
        if self.beams is not None and (self.sqrt_s is not None or self.collider is not None):
            msg = "give either beams or sqrt_s/collider, not both"
            raise problem(msg)
        reading = self.reading()  # checks max_events, statuses
        object.__setattr__(self, "statuses", reading.statuses)

    def reading(self) -> ReadOptions:
        """What :func:`hepsym.read` is asked to read (the beams are set after reading)."""
        return ReadOptions(
            max_events=self.max_events,
            strict=self.strict,
            drop_bad_events=self.drop_bad_events,
            tree=self.tree,
            collections=self.collections,
            branches=self.branches,
            species=self.species,
            statuses=self.statuses,
        )

    def beams_for(self, file_beams: Beams | None) -> Beams | None:
        """The initial state the user asked for, or ``None`` to keep the file's.

        With only ``sqrt_s``, the file's beam particles are kept (default ``e+ e-``);
        with only ``collider``, the file's energies are kept.
        """
        if self.beams is not None:
            return self.beams
        if self.sqrt_s is None and self.collider is None:
            return None
        if self.collider is None and file_beams is not None and file_beams.ids is not None:
            ids = file_beams.ids
        else:
            ids = (2212, 2212) if self.collider == "pp" else (11, -11)
        sqrt_s = self.sqrt_s
        if sqrt_s is None:
            if file_beams is None or file_beams.sqrt_s is None:
                return Beams(ids=ids, energies=None)
            sqrt_s = file_beams.sqrt_s
        return Beams.symmetric(float(sqrt_s), ids=ids)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values."""
        return json_fields(self)
