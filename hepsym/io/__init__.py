"""Readers: one entry point, :func:`read`, from an event file to :class:`~hepsym.events.Events`.

The format is recognised from the file's first bytes, not only its name: a gzipped
LHE file starts with the gzip magic, a ROOT file with ``root``.
"""

from __future__ import annotations

import gzip
import numbers
import os
import stat
import zlib
from pathlib import Path
from typing import Any

from hepsym.errors import InputFileError, OptionError
from hepsym.events import Beams, Events

__all__ = ("check_max_events", "check_path", "detect_format", "read")

_GZIP_MAGIC = b"\x1f\x8b"
_ROOT_MAGIC = b"root"
_FORMAT_NAMES = {"lhe": "LHE", "hepmc3": "HepMC3", "hepmc2": "HepMC2"}
_NO_PIPES = (
    "reading from standard input or a pipe is not supported; write the events to a file first"
)


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


def check_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a :class:`Path` if it is a readable, non-empty file.

    Raises:
        InputFileError: the file is missing, a directory, standard input (``-``), a
            pipe or another special file, unreadable or empty.
    """
    p = Path(path)
    if os.fspath(path) == "-":
        msg = f"{p}: {_NO_PIPES}"
        raise InputFileError(msg)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        msg = f"{p}: cannot be opened ({err.strerror})"
        raise InputFileError(msg) from err
    if mode is None:
        msg = f"{p}: no such file"
        raise InputFileError(msg)
    if stat.S_ISDIR(mode):
        msg = f"{p}: is a directory, not an event file"
        raise InputFileError(msg)
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode):
        # Opening a FIFO would block; a pipe can be read once only, and the format
        # is told from the first bytes before the reader starts again from the top.
        msg = f"{p}: {_NO_PIPES}"
        raise InputFileError(msg)
    if not stat.S_ISREG(mode):
        msg = f"{p}: not a regular file"
        raise InputFileError(msg)
    try:
        size = p.stat().st_size
        with p.open("rb"):
            pass
    except OSError as err:
        msg = f"{p}: cannot be opened ({err.strerror})"
        raise InputFileError(msg) from err
    if size == 0:
        msg = f"{p}: file is empty"
        raise InputFileError(msg)
    return p


def detect_format(path: str | os.PathLike[str]) -> str:
    """Return ``"lhe"``, ``"hepmc3"``, ``"hepmc2"`` or ``"root"`` from the file's content.

    Raises:
        InputFileError: the file is neither an LHE nor a HepMC ASCII file (plain or
            gzipped) nor a ROOT file.
    """
    p = check_path(path)
    with p.open("rb") as f:
        head = f.read(4096)
    if head.startswith(_ROOT_MAGIC):
        return "root"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(_GZIP_MAGIC):
        try:
            with gzip.open(p, "rb") as g:
                head = g.read(4096)
        except (OSError, EOFError, zlib.error) as err:
            msg = f"{p}: not a readable gzip file ({err})"
            raise InputFileError(msg) from err
    from hepsym.io.hepmc import hepmc_format

    hepmc = hepmc_format(head)
    if hepmc is not None:
        return hepmc
    if b"<LesHouchesEvents" in head or b"<init>" in head or b"<header>" in head:
        return "lhe"
    msg = f"{p}: not an LHE, HepMC or ROOT file (starts with {head[:16]!r})"
    raise InputFileError(msg)


def read(
    path: str | os.PathLike[str],
    *,
    max_events: int | None = None,
    beams: Beams | None = None,
    tree: str | None = None,
    collections: list[str] | tuple[str, ...] | None = None,
    branches: dict[str, Any] | None = None,
    step_size: str | int = "100 MB",
    strict: bool = False,
    drop_bad_events: bool = False,
    species: dict[str, str | int] | None = None,
) -> Events:
    """Read an LHE (``.lhe``, ``.lhe.gz``), HepMC3/HepMC2 ASCII (``.hepmc``, ``.hepmc.gz``)
    or ROOT (TTree, RNTuple) file.

    HepMC files keep the final state (status 1) and the beams (status 4); see
    :func:`hepsym.io.hepmc.read_hepmc`.

    Every particle's momentum is checked after reading (see
    :func:`hepsym.events.check_momenta`): NaN or infinite coordinates, a negative
    energy or an energy below ``|p|`` (beyond a relative tolerance of 1e-4 on
    ``E^2 - p^2``), and non-finite weights, are an error naming the file, the event
    (counted from 0) and the particle.

    Args:
        path: the event file (not ``-``: standard input and pipes cannot be read).
        max_events: read at most this many events (at least 1).
        beams: the initial state; overrides what the file says (LHE ``<init>``) and
            supplies it for ROOT files, which usually carry none.
        tree: ROOT only: name of the TTree or RNTuple (default: the only one there).
        collections: ROOT only: collection prefixes to read, e.g. ``["Muon"]``
            (default: every collection recognised from the branch names).
        branches: ROOT only: explicit mapping for a collection whose branch names
            follow no common convention, ``{"Muon": {"px": "mu_px", ...}}``.
        step_size: ROOT only: chunk size for ``uproot.iterate``.
        species: ROOT and Parquet: the species of a collection without a PDG id
            branch, ``{"particle": "mu"}`` (see :func:`hepsym.io.root.read_root`).
        strict: LHE and HepMC: an error, not a :class:`~hepsym.errors.HepsymWarning`,
            when the file ends without its closing ``</LesHouchesEvents>`` tag (HepMC:
            ``END_EVENT_LISTING`` line); it may be truncated at an event boundary.
        drop_bad_events: remove the events with an invalid momentum or weight, with a
            :class:`~hepsym.errors.HepsymWarning` giving their number, instead of
            raising; ``metadata["n_bad_events"]`` counts them (0 when none).

    Returns:
        The events, with ``Momentum4D`` particles, weights and beams.

    Raises:
        InputFileError: missing, empty, truncated or unrecognised file, a pipe,
            malformed event, invalid momentum, or no particle collection found.
        OptionError: ``max_events`` below 1, or a ROOT-only option (``tree=``,
            ``collections=``, ``branches=``) for an LHE or HepMC file.
    """
    check_max_events(max_events)
    fmt = detect_format(path)
    if fmt != "root":
        for name, value in (("tree", tree), ("collections", collections), ("branches", branches)):
            if value is not None:
                msg = f"{name}= applies to ROOT files; {Path(path)} is {_FORMAT_NAMES[fmt]}"
                raise OptionError(msg)
    if fmt in ("hepmc3", "hepmc2"):
        from hepsym.io.hepmc import read_hepmc

        return read_hepmc(
            path,
            max_events=max_events,
            beams=beams,
            strict=strict,
            drop_bad_events=drop_bad_events,
        )
    if fmt == "lhe":
        from hepsym.io.lhe import read_lhe

        return read_lhe(
            path,
            max_events=max_events,
            beams=beams,
            strict=strict,
            drop_bad_events=drop_bad_events,
        )
    if fmt == "parquet":
        from hepsym.io.parquet import read_parquet

        for name, value in (("tree", tree), ("branches", branches)):
            if value is not None:
                msg = f"{name}= applies to ROOT files; {Path(path)} is Parquet"
                raise OptionError(msg)
        return read_parquet(
            path,
            collections=collections,
            max_events=max_events,
            beams=beams,
            drop_bad_events=drop_bad_events,
            species=species,
        )
    from hepsym.io.root import read_root

    return read_root(
        path,
        tree=tree,
        collections=collections,
        branches=branches,
        max_events=max_events,
        beams=beams,
        step_size=step_size,
        drop_bad_events=drop_bad_events,
        species=species,
    )
