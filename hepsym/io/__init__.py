"""Readers: one entry point, :func:`read`, from an event file to :class:`~hepsym.events.Events`.

The format is recognised from the file's first bytes, not only its name: a gzipped
LHE file starts with the gzip magic, a ROOT file with ``root``.
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hepsym.errors import InputFileError
from hepsym.io.fileset import expand_inputs, is_fileset
from hepsym.io.options import ReadOptions, check_max_events, read_options

if TYPE_CHECKING:
    from hepsym.events import Events

__all__ = ("ReadOptions", "check_max_events", "check_path", "detect_format", "read")

_GZIP_MAGIC = b"\x1f\x8b"
_ROOT_MAGIC = b"root"
_NO_PIPES = (
    "reading from standard input or a pipe is not supported; write the events to a file first"
)


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
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    options: ReadOptions | None = None,
    **fields: Any,
) -> Events:
    """Read an LHE (``.lhe``, ``.lhe.gz``), HepMC3/HepMC2 ASCII (``.hepmc``, ``.hepmc.gz``),
    Parquet or ROOT (TTree, RNTuple) file, or several files of one sample.

    Several files (a list, a shell glob such as ``"many/*.lhe.gz"``, or a fileset: a
    ``.json`` ``{path: tree}`` or a ``.txt`` list, see :mod:`hepsym.io.fileset`) are read
    in order and concatenated (:mod:`hepsym.io.many`); they must agree on format,
    beams and collections, and ``max_events`` counts all of them together.

    HepMC files keep the final state (status 1) and the beams (status 4); see
    :func:`hepsym.io.hepmc.read_hepmc`.

    Every particle's momentum is checked after reading (see
    :func:`hepsym.momenta.check_momenta`): NaN or infinite coordinates, a negative
    energy or an energy below ``|p|`` (beyond a relative tolerance of 1e-4 on
    ``E^2 - p^2``), and non-finite weights, are an error naming the file, the event
    (counted from 0) and the particle.

    Args:
        path: the event file (not ``-``: standard input and pipes cannot be read), or
            several: a list, a glob or a fileset.
        options: a :class:`~hepsym.io.options.ReadOptions`.
        fields: its fields to set, by name: ``max_events=``, ``beams=``, ``strict=``,
            ``drop_bad_events=``; ROOT: ``tree=``, ``branches=``, ``step_size=``; ROOT
            and Parquet: ``collections=``, ``species=``; HepMC: ``statuses=``. See
            :class:`~hepsym.io.options.ReadOptions`.

    Returns:
        The events, with ``Momentum4D`` particles, weights and beams.

    Raises:
        InputFileError: missing, empty, truncated or unrecognised file, a pipe,
            malformed event, invalid momentum, or no particle collection found.
        OptionError: ``max_events`` below 1, an unknown option, or an option of another
            format (``tree=`` for an LHE file).
    """
    opts = read_options(options, **fields)
    if not isinstance(path, (str, os.PathLike)) or _is_many(path):
        from hepsym.io.many import read_entries

        return read_entries(expand_inputs(path), opts)
    fmt = detect_format(path)
    opts.check_format(fmt, path)
    if fmt in ("hepmc3", "hepmc2"):
        from hepsym.io.hepmc import read_hepmc

        return read_hepmc(
            path,
            max_events=opts.max_events,
            beams=opts.beams,
            strict=opts.strict,
            drop_bad_events=opts.drop_bad_events,
            statuses=opts.statuses,
        )
    if fmt == "lhe":
        from hepsym.io.lhe import read_lhe

        return read_lhe(
            path,
            max_events=opts.max_events,
            beams=opts.beams,
            strict=opts.strict,
            drop_bad_events=opts.drop_bad_events,
            byte_range=opts.byte_range,
        )
    if fmt == "parquet":
        from hepsym.io.parquet import read_parquet

        return read_parquet(
            path,
            collections=opts.collections,
            max_events=opts.max_events,
            beams=opts.beams,
            drop_bad_events=opts.drop_bad_events,
            species=opts.species,
        )
    from hepsym.io.root import read_root

    return read_root(path, opts)


def _is_many(path: str | os.PathLike[str]) -> bool:
    """A glob that is no existing file, or a fileset."""
    text = os.fspath(path)
    globbed = any(c in text for c in "*?[") and not Path(text).exists()
    return globbed or is_fileset(text)
