"""Many inputs: paths, shell globs and fileset files, expanded to a list of event files.

A *fileset* names the files of one sample, as ``uproot.dask`` and coffea take them:

* a JSON object ``{"path.root": "Events", ...}`` (the tree of each file; ``null`` for
  the reader's default), or coffea's ``{"dataset": {"files": {path: tree}}}``;
* a text file (``.txt``, ``.list``): one path or glob per line, ``#`` comments.

Relative paths in a fileset are relative to the fileset's own folder.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepsym.errors import InputFileError

__all__ = ("FileEntry", "expand_inputs", "is_fileset")

_GLOB_CHARS = frozenset("*?[")
_TEXT_FILESETS = (".txt", ".list")

Source = str | os.PathLike[str]


@dataclass(frozen=True)
class FileEntry:
    """One event file of a sample, the tree to read in it (``None``: the default), and
    for a partition of a big ROOT file its entries ``[start, stop)``, of a big plain LHE
    file its bytes."""

    path: str
    tree: str | None = None
    entries: tuple[int, int] | None = None
    byte_range: tuple[int, int] | None = None


def is_fileset(path: Source) -> bool:
    """Whether ``path`` names a fileset (``.json``, ``.txt``, ``.list``) rather than events
    (an LHE file named ``.txt`` is events: its first bytes say so)."""
    p = Path(path)
    return p.suffix.lower() in (".json", *_TEXT_FILESETS) and not _holds_events(p)


def expand_inputs(sources: Source | Sequence[Source]) -> tuple[FileEntry, ...]:
    """The event files that ``sources`` name, in order, each once.

    Args:
        sources: a path, a shell glob (``"many/*.lhe.gz"``, quoted so that hepsym and
            not the shell expands it), a fileset file, or a sequence of those.

    Raises:
        InputFileError: a glob that matches nothing, an unreadable or malformed fileset,
            or no file at all.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    entries: list[FileEntry] = []
    for source in sources:
        entries.extend(_expand_one(os.fspath(source), None))
    if not entries:
        msg = "no event file given"
        raise InputFileError(msg)
    seen: dict[str, FileEntry] = {}
    for e in entries:
        seen.setdefault(os.path.normpath(e.path), e)
    return tuple(seen.values())


def _expand_one(source: str, tree: str | None) -> list[FileEntry]:
    if _GLOB_CHARS & set(source) and not Path(source).exists():
        matches = sorted(glob.glob(os.path.expanduser(source), recursive=True))
        if not matches:
            msg = f"{source}: no file matches this pattern"
            raise InputFileError(msg)
        return [FileEntry(m, tree) for m in matches]
    if is_fileset(source):
        return _read_fileset(Path(source))
    return [FileEntry(source, tree)]


def _holds_events(path: Path) -> bool:
    """An event file that happens to be named ``.txt``: LHE, HepMC, gzip or ROOT bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(64).lstrip()
    except OSError:
        return False
    return head.startswith((b"<", b"HepMC", b"\x1f\x8b", b"root", b"PAR1"))


def _read_fileset(path: Path) -> list[FileEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: no such fileset"
        raise InputFileError(msg) from None
    except (OSError, UnicodeDecodeError) as err:
        msg = f"{path}: cannot read the fileset ({err})"
        raise InputFileError(msg) from None
    base = path.parent
    if path.suffix.lower() == ".json":
        pairs = _json_pairs(path, text)
    else:
        lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
        pairs = [(line, None) for line in lines if line]
    entries: list[FileEntry] = []
    for name, tree in pairs:
        full = os.path.expanduser(name)
        full = full if os.path.isabs(full) else str(base / full)
        if is_fileset(full):
            msg = f"{path}: a fileset may not name another fileset ({name})"
            raise InputFileError(msg)
        if not (_GLOB_CHARS & set(full) or Path(full).exists()):
            msg = (
                f"{path}: names {name!r}, no such file ({path.suffix} inputs are filesets: "
                "one event file per line, or {path: tree} in JSON)"
            )
            raise InputFileError(msg)
        entries.extend(_expand_one(full, tree))
    if not entries:
        msg = f"{path}: the fileset names no file"
        raise InputFileError(msg)
    return entries


def _json_pairs(path: Path, text: str) -> list[tuple[str, str | None]]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as err:
        msg = f"{path}: not valid JSON ({err.msg}, line {err.lineno})"
        raise InputFileError(msg) from None
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        return [(x, None) for x in data]
    if not isinstance(data, dict):
        msg = f"{path}: a fileset is {{path: tree}} or a list of paths, not {type(data).__name__}"
        raise InputFileError(msg)
    # coffea's form: {dataset: {"files": {path: tree}}}
    if data and all(isinstance(v, dict) and "files" in v for v in data.values()):
        merged: dict[str, Any] = {}
        for v in data.values():
            files = v["files"]
            merged.update(files if isinstance(files, dict) else dict.fromkeys(files))
        data = merged
    pairs: list[tuple[str, str | None]] = []
    for name, tree in data.items():
        if tree is not None and not isinstance(tree, str):
            msg = f"{path}: the tree of {name!r} must be a name or null, got {tree!r}"
            raise InputFileError(msg)
        pairs.append((str(name), tree))
    return pairs
