"""Which tree of a ROOT file to read, and how to say what is wrong with a damaged file.

uproot raises no common exception on a damaged or unreadable file; :data:`UPROOT_ERRORS`
lists them, :func:`describe` puts one on a line, :func:`damage` tells truncation (from the
header's fEND) from corruption.
"""

from __future__ import annotations

import lzma
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cramjam
import uproot

from hepsym.errors import InputFileError

__all__ = ("CONVENTIONAL_TREES", "UPROOT_ERRORS", "damage", "describe", "select_tree")

#: Tree names preferred when a file holds several trees.
CONVENTIONAL_TREES = ("Events", "events", "tree", "Tree", "ntuple", "nominal", "Delphes")

TREE_CLASSES = ("TTree", "TNtuple", "TNtupleD")


#: What uproot raises on a damaged or unreadable file: it has no common base class.
#: Its decompressors raise their own errors (``cramjam`` for ZSTD and LZ4), and a
#: damaged length field can ask for an absurd allocation (``MemoryError``,
#: ``OverflowError``).
UPROOT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AssertionError,
    NotImplementedError,
    OverflowError,
    MemoryError,
    struct.error,
    zlib.error,
    lzma.LZMAError,
    cramjam.DecompressionError,
    uproot.deserialization.DeserializationError,
)


def describe(err: BaseException) -> str:
    """The exception on one line, at most ~160 characters."""
    text = " ".join(str(err).split())
    if len(text) > 160:
        text = text[:157] + "..."
    name = type(err).__name__
    if name == "error":  # zlib.error, struct.error
        name = f"{type(err).__module__}.{name}"
    return f"{name}: {text}" if text else name


def damage(path: Path) -> str:
    """Why a file uproot cannot read is damaged: truncation is told by the header's fEND."""
    try:
        with path.open("rb") as f:
            head = f.read(21)
        size = path.stat().st_size
    except OSError:
        return "unreadable"
    if len(head) < 21 or not head.startswith(b"root"):
        return "not a ROOT file"
    version = struct.unpack(">i", head[4:8])[0]
    end = (
        struct.unpack(">q", head[12:20])[0]
        if version >= 1000000
        else struct.unpack(">i", head[12:16])[0]
    )
    if size < end:
        return f"truncated: {size} of {end} bytes"
    return "corrupted"


def select_tree(file: Any, path: Path, name: str | None) -> tuple[Any, str, str]:
    """The tree object, its name and ``"root-ttree"``/``"root-rntuple"``."""
    try:
        classes: dict[str, str] = file.classnames(cycle=False)
    except UPROOT_ERRORS as err:
        msg = f"{path}: cannot list the file's contents, {damage(path)} ({describe(err)})"
        raise InputFileError(msg) from err
    trees = {k: c for k, c in classes.items() if is_tree(c)}
    listing = ", ".join(trees) or "none"
    if name is not None:
        key = name.split(";")[0]
        if key not in classes:
            msg = f"{path}: no tree {name!r} (trees in the file: {listing})"
            raise InputFileError(msg)
        if key not in trees:
            msg = f"{path}: {name!r} is a {classes[key]}, not a TTree or RNTuple (trees: {listing})"
            raise InputFileError(msg)
    elif len(trees) == 1:
        key = next(iter(trees))
    elif not trees:
        contents = ", ".join(f"{k} ({c})" for k, c in list(classes.items())[:8]) or "nothing"
        msg = f"{path}: no TTree or RNTuple in the file (it holds {contents})"
        raise InputFileError(msg)
    else:
        preferred = conventional(trees)
        if preferred is None:
            msg = (
                f"{path}: several trees ({listing}); choose one with --tree NAME (tree= in Python)"
            )
            raise InputFileError(msg)
        key = preferred
    try:
        obj = file[key]
    except UPROOT_ERRORS as err:
        msg = f"{path}: cannot read tree {key!r} ({describe(err)})"
        raise InputFileError(msg) from err
    fmt = "root-rntuple" if trees[key].endswith("RNTuple") else "root-ttree"
    return obj, key, fmt


def is_tree(classname: str) -> bool:
    return classname in TREE_CLASSES or classname.endswith("RNTuple")


def conventional(trees: Mapping[str, str]) -> str | None:
    for candidate in CONVENTIONAL_TREES:
        if candidate in trees:
            return candidate
    lower = {k.lower(): k for k in trees}
    for candidate in CONVENTIONAL_TREES:
        if candidate.lower() in lower:
            return lower[candidate.lower()]
    return None
