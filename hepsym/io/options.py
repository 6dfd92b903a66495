"""How to read a file: one frozen value that :func:`hepsym.read` passes to every reader.

The reading options used to be threaded by hand through ``read``, each reader and the
CLI; a new one (HepMC's ``statuses``, Parquet's ``species``) is now one new field here.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepsym._spec_base import with_fields
from hepsym.beams import Beams
from hepsym.errors import OptionError

__all__ = ("HEPMC_STATUSES", "ReadOptions", "check_max_events", "json_fields", "read_options")

# The options that mean something to one family of formats only; giving one for a file
# of another format is an error rather than silently ignored.
_ONLY_FOR: dict[str, tuple[str, ...]] = {
    "tree": ("root",),
    "branches": ("root",),
    "step_size": ("root",),
    "collections": ("root", "parquet"),
    "species": ("root", "parquet"),
    "statuses": ("hepmc3", "hepmc2"),
    "entries": ("root",),
    "byte_range": ("lhe",),
}
_FORMAT_NAMES = {
    "lhe": "LHE",
    "hepmc3": "HepMC3",
    "hepmc2": "HepMC2",
    "parquet": "Parquet",
    "root": "ROOT",
}
_DEFAULT_STEP = "100 MB"
# HepMC statuses kept by default: the final state (1) and the beams (4).
HEPMC_STATUSES = (1, 4)


def check_max_events(max_events: Any) -> None:
    """Refuse a ``max_events`` that is not ``None`` or an integer of at least 1.

    Raises:
        OptionError: ``max_events`` is below 1 or not an integer.
    """
    if max_events is None:
        return
    if isinstance(max_events, bool) or not isinstance(max_events, numbers.Integral):
        msg = f"max_events must be an integer, got {max_events!r}"
        raise OptionError(msg)
    if max_events < 1:
        msg = f"max_events must be at least 1, got {max_events}"
        raise OptionError(msg)


@dataclass(frozen=True)
class ReadOptions:
    """What to read of an event file and how strictly.

    Attributes:
        max_events: read at most this many events (at least 1).
        beams: the initial state; overrides what the file says (LHE ``<init>``) and
            supplies it for ROOT files, which usually carry none.
        strict: LHE and HepMC: an error, not a warning, when the file ends without its
            closing tag (it may be truncated at an event boundary).
        drop_bad_events: remove the events with an invalid momentum or weight, counted
            in ``metadata["n_bad_events"]``, instead of refusing the file.
        tree: ROOT: name of the TTree or RNTuple (default: the only one there).
        collections: ROOT and Parquet: collection prefixes to read, e.g. ``("Muon",)``
            (default: every collection recognised from the branch names).
        branches: ROOT: explicit mapping for a collection whose branch names follow no
            convention, ``{"Muon": {"px": "mu_px", ...}}``.
        step_size: ROOT: chunk size for ``uproot.iterate`` (``"100 MB"`` or entries).
        species: ROOT and Parquet: the species of a collection without a PDG id
            branch, ``{"particle": "mu"}``.
        statuses: HepMC: the particle statuses kept (default final state 1 and beams
            4); ``None`` or ``"all"`` keeps every particle of the record.
        entries: ROOT: read only the entries ``[start, stop)`` of the tree (a partition
            of a big file); ``max_events`` counts from ``start``.
        byte_range: LHE: read only the events of the bytes ``[start, stop)`` of an
            uncompressed file, a range made by :func:`hepsym.io.lhe.event_ranges` (whole
            events; the header is read from the file's start).
    """

    max_events: int | None = None
    beams: Beams | None = None
    strict: bool = False
    drop_bad_events: bool = False
    tree: str | None = None
    collections: tuple[str, ...] | None = None
    branches: Mapping[str, Any] | None = None
    step_size: str | int | None = None
    species: Mapping[str, str | int] | None = None
    statuses: tuple[int, ...] | None = HEPMC_STATUSES
    entries: tuple[int, int] | None = None
    byte_range: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        check_max_events(self.max_events)
        if self.collections is not None:
            if isinstance(self.collections, str):
                object.__setattr__(self, "collections", (self.collections,))
            else:
                object.__setattr__(self, "collections", tuple(self.collections))
        if isinstance(self.statuses, str) and self.statuses.lower() == "all":
            object.__setattr__(self, "statuses", None)
        if self.statuses is not None:
            statuses: Any = self.statuses
            if isinstance(statuses, numbers.Integral):
                statuses = (int(statuses),)
            if not isinstance(statuses, Sequence) or not all(
                isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in statuses
            ):
                msg = f"statuses must be integers, got {self.statuses!r}"
                raise OptionError(msg)
            object.__setattr__(self, "statuses", tuple(int(s) for s in statuses))
        for name in ("entries", "byte_range"):
            self._check_range(name)
        if self.step_size is not None and not isinstance(self.step_size, (str, int)):
            msg = f"step_size must be a size like '100 MB' or entries, got {self.step_size!r}"
            raise OptionError(msg)

    def _check_range(self, name: str) -> None:
        given = getattr(self, name)
        if given is None:
            return
        try:
            start, stop = (int(x) for x in given)
        except (TypeError, ValueError):
            start, stop = -1, -1
        if not 0 <= start < stop:
            msg = f"{name} must be (start, stop) with 0 <= start < stop, got {given!r}"
            raise OptionError(msg)
        object.__setattr__(self, name, (start, stop))

    @property
    def chunk(self) -> str | int:
        """The ROOT chunk size to use."""
        return _DEFAULT_STEP if self.step_size is None else self.step_size

    def given(self) -> dict[str, Any]:
        """The options set away from their defaults, by name."""
        defaults = ReadOptions()
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(defaults, f.name)
        }

    def check_format(self, fmt: str, path: str | os.PathLike[str]) -> None:
        """Refuse an option that does not apply to a file of format ``fmt``.

        Raises:
            OptionError: e.g. ``tree=`` for an LHE file, naming the file.
        """
        family = "root" if fmt.startswith("root") else fmt
        for name in self.given():
            formats = _ONLY_FOR.get(name)
            if formats is not None and family not in formats:
                applies = " and ".join(_FORMAT_NAMES[f] for f in formats if f != "hepmc2")
                msg = (
                    f"{name}= applies to {applies} files; "
                    f"{Path(path)} is {_FORMAT_NAMES.get(family, family)}"
                )
                raise OptionError(msg)

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON values."""
        return json_fields(self)


def json_fields(settings: Any) -> dict[str, Any]:
    """A settings dataclass's fields as JSON values: beams described, tuples as lists,
    mappings as dicts (one rule for the reading options and the input spec)."""
    return {f.name: _json_value(getattr(settings, f.name)) for f in dataclasses.fields(settings)}


def _json_value(value: Any) -> Any:
    if isinstance(value, Beams):
        return value.describe()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def read_options(options: ReadOptions | None = None, **fields: Any) -> ReadOptions:
    """``options`` (default all defaults) with ``fields`` set.

    Raises:
        OptionError: an unknown option or a value a field refuses.
    """
    result: ReadOptions = with_fields(options, ReadOptions, fields, "reading")
    return result
