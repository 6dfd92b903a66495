"""Readers: one entry point, :func:`read`, from an event file to :class:`~hepsym.events.Events`.

The format is recognised from the file's first bytes, not only its name: a gzipped
LHE file starts with the gzip magic, a ROOT file with ``root``.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

from hepsym.errors import InputFileError
from hepsym.events import Beams, Events

__all__ = ("check_path", "detect_format", "read")

_GZIP_MAGIC = b"\x1f\x8b"
_ROOT_MAGIC = b"root"


def check_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a :class:`Path` if it is a readable, non-empty file.

    Raises:
        InputFileError: the file is missing, a directory, unreadable or empty.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: no such file"
        raise InputFileError(msg)
    if p.is_dir():
        msg = f"{p}: is a directory, not an event file"
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
    """Return ``"lhe"`` or ``"root"`` from the file's content.

    Raises:
        InputFileError: the file is neither an LHE (plain or gzipped) nor a ROOT file.
    """
    p = check_path(path)
    with p.open("rb") as f:
        head = f.read(4096)
    if head.startswith(_ROOT_MAGIC):
        return "root"
    if head.startswith(_GZIP_MAGIC):
        try:
            with gzip.open(p, "rb") as g:
                head = g.read(4096)
        except (OSError, EOFError) as err:
            msg = f"{p}: not a readable gzip file ({err})"
            raise InputFileError(msg) from err
    if b"<LesHouchesEvents" in head or b"<init>" in head or b"<header>" in head:
        return "lhe"
    msg = f"{p}: not an LHE or ROOT file (starts with {head[:16]!r})"
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
) -> Events:
    """Read an LHE (``.lhe``, ``.lhe.gz``) or ROOT (TTree, RNTuple) file.

    Args:
        path: the event file.
        max_events: read at most this many events.
        beams: the initial state; overrides what the file says (LHE ``<init>``) and
            supplies it for ROOT files, which usually carry none.
        tree: ROOT only: name of the TTree or RNTuple (default: the only one there).
        collections: ROOT only: collection prefixes to read, e.g. ``["Muon"]``
            (default: every collection recognised from the branch names).
        branches: ROOT only: explicit mapping for a collection whose branch names
            follow no common convention, ``{"Muon": {"px": "mu_px", ...}}``.
        step_size: ROOT only: chunk size for ``uproot.iterate``.

    Returns:
        The events, with ``Momentum4D`` particles, weights and beams.

    Raises:
        InputFileError: missing, empty, truncated or unrecognised file, malformed
            event, or no particle collection found.
    """
    fmt = detect_format(path)
    if fmt == "lhe":
        from hepsym.io.lhe import read_lhe

        return read_lhe(path, max_events=max_events, beams=beams)
    from hepsym.io.root import read_root

    return read_root(
        path,
        tree=tree,
        collections=collections,
        branches=branches,
        max_events=max_events,
        beams=beams,
        step_size=step_size,
    )
