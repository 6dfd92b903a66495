"""The bytes of a HepMC ASCII file as pyhepmc reads them, and what its C++ reader reports.

Part of :mod:`hepsym.io.hepmc`: which format a file's first lines announce, the file
(gzip inflated) as the file object pyhepmc's stream reads, remembering its first and
last bytes and any decompression error, and the standard output and error of HepMC3's
C++ reader captured so that its damage reports become one-line errors.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from hepsym.errors import InputFileError

__all__ = (
    "HEPMC_FORMATS",
    "Source",
    "captured_output",
    "first_report",
    "hepmc_format",
    "open_source",
    "version",
)

#: first-line markers of each format, and the line that ends a complete file
HEPMC_FORMATS = {
    "hepmc3": (
        (b"HepMC::Asciiv3-START_EVENT_LISTING",),
        b"HepMC::Asciiv3-END_EVENT_LISTING",
    ),
    "hepmc2": (
        (b"HepMC::IO_GenEvent-START_EVENT_LISTING",),
        b"HepMC::IO_GenEvent-END_EVENT_LISTING",
    ),
}
_GZIP_MAGIC = b"\x1f\x8b"


def hepmc_format(head: bytes) -> str | None:
    """``"hepmc3"`` or ``"hepmc2"`` if (decompressed) ``head`` starts a HepMC ASCII file."""
    first = head.lstrip()
    if not first.startswith((b"HepMC::Version", b"HepMC::Asciiv3", b"HepMC::IO_GenEvent")):
        return None
    # both start with the library's "HepMC::Version" line; the listing line tells them apart
    lines = first.split(b"\n", 3)[:3]
    for name, (markers, _) in HEPMC_FORMATS.items():
        if any(line.strip() == markers[-1] for line in lines):
            return name
    return None


def version(head: bytes) -> str | None:
    """The HepMC library version the file's first line names, if it names one."""
    line = head.lstrip().split(b"\n", 1)[0]
    if line.startswith(b"HepMC::Version"):
        return line.split()[-1].decode(errors="replace")
    return None


class Source:
    """A binary file (gzip inflated) as pyhepmc reads it, remembering its first and last
    bytes and any error of the decompression, which pyhepmc's stream would swallow."""

    def __init__(self, f: Any) -> None:
        self._f = f
        self.head = b""
        self.tail = b""
        self.error: BaseException | None = None

    def peek(self) -> bytes:
        if not self.head:
            self.head = self._f.read(4096)
            self._f.seek(0)
        return self.head

    def readinto1(self, buffer: Any) -> int:
        try:
            n = self._f.readinto(buffer)
        except (OSError, EOFError, zlib.error) as err:
            self.error = err
            return 0
        if n:
            self.tail = (self.tail + bytes(memoryview(buffer)[max(n - 80, 0) : n]))[-80:]
        return n or 0

    readinto = readinto1

    def write(self, data: bytes) -> int:  # pyiostream wants a file object with both
        msg = "read-only"
        raise OSError(msg)

    def flush(self) -> None:
        pass


@contextlib.contextmanager
def open_source(path: Path) -> Iterator[Source]:
    """The file, inflated if it is gzipped, as a :class:`Source`; one-line errors."""
    try:
        raw = path.open("rb")
    except OSError as err:
        msg = f"{path}: cannot be opened ({err.strerror})"
        raise InputFileError(msg) from err
    with raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        f: Any = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        with f:
            source = Source(f)
            try:
                source.peek()
            except (OSError, EOFError, zlib.error) as err:
                msg = f"{path}: not a readable gzip file ({err})"
                raise InputFileError(msg) from err
            yield source


@contextlib.contextmanager
def captured_output() -> Iterator[IO[bytes]]:
    """File descriptor 2 into a temporary file, and 1 into another (discarded).

    HepMC3's C++ reader reports damage on standard error; it also prints parsing details
    on standard output, whatever its debug level, which a user should not see.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            yield err
        finally:
            for fd, old in zip((1, 2), saved, strict=True):
                os.dup2(old, fd)
                os.close(old)


def first_report(tmp: IO[bytes]) -> str:
    """The first non-empty line the C++ reader wrote to a captured stream."""
    tmp.seek(0)
    lines = [line.strip() for line in tmp.read(4096).decode(errors="replace").splitlines()]
    return next((line for line in lines if line), "")
