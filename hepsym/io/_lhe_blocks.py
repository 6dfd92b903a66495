"""An LHE file as successive blocks of text, plain or gzipped.

Blocks are at most :data:`BLOCK_SIZE` bytes, which bounds the reader's working memory; a
gzipped file is inflated by a second thread a block or two ahead of the parse (the
inflater lets go of the GIL). The inflater is ISA-L's (``isal``, a dependency) where it
imports, else Python's zlib: the same stream API and the same bytes, 2.8x faster on 10^6
Pythia events (944 MB of text; ``benchmarks/bench_read_lhe.py``'s % isal and % zlib).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator
from pathlib import Path
from typing import IO, cast

from hepsym.errors import InputFileError

try:
    from isal import isal_zlib as _zlib
except ImportError:  # no wheel for this platform: Python's zlib does the same, slower
    import zlib as _zlib  # type: ignore[no-redef]

#: What the inflater raises on a damaged stream (typed loosely by isal's stubs).
_INFLATE_ERROR = cast("type[Exception]", _zlib.error)

__all__ = ("BLOCK_SIZE", "GZIP_MAGIC", "DamagedGzip", "read_blocks")

#: Bytes of decompressed text handled at once; bounds the reader's working memory.
BLOCK_SIZE = 16 * 1024 * 1024
#: The first block is smaller, and each next one twice the one before up to
#: :data:`BLOCK_SIZE`: the header is parsed, and the parse threads start, as soon as the
#: first is there, and a small file is cut into several blocks for the threads (10^4
#: events gzipped, 27 MB of text: 64 ms with 16 MB blocks from the start, 46 ms).
FIRST_BLOCK_SIZE = 1024 * 1024

GZIP_MAGIC = b"\x1f\x8b"


def read_blocks(
    path: Path, byte_range: tuple[int, int] | None = None
) -> Generator[bytes, None, None]:
    """Successive blocks of (decompressed) text, at most :data:`BLOCK_SIZE` bytes each
    (the first at most :data:`FIRST_BLOCK_SIZE`, doubling from there); only the bytes
    ``byte_range`` of a plain file when given.

    Gzip is recognised by its magic bytes and inflated here rather than with
    :mod:`gzip`, so that a truncated stream still yields the text before the cut.

    Raises:
        DamagedGzip: the gzip stream is truncated or corrupt (after the good blocks).
    """
    try:
        f = path.open("rb")
    except OSError as err:
        msg = f"{path}: cannot be opened ({err.strerror})"
        raise InputFileError(msg) from err
    with f:
        if f.read(2) != GZIP_MAGIC:
            start, stop = byte_range or (0, None)
            f.seek(start)
            left = None if stop is None else stop - start
            size = min(FIRST_BLOCK_SIZE, BLOCK_SIZE)
            while data := f.read(size if left is None else min(size, left)):
                size = min(2 * size, BLOCK_SIZE)
                yield data
                if left is not None:
                    left -= len(data)
                    if left <= 0:
                        return
            return
        if byte_range is not None:
            msg = f"{path}: a byte range needs an uncompressed file (gzip is read from its start)"
            raise InputFileError(msg)
        f.seek(0)
        yield from _ahead(_inflate(f, path))


def _ahead(items: Generator[bytes, None, None], depth: int = 2) -> Generator[bytes, None, None]:
    """``items``, made by a thread up to ``depth`` blocks ahead of the consumer.

    The inflater lets go of the GIL while it inflates, so the next block is decompressed while
    this one is parsed (on a second core). An exception of ``items`` is raised here, after
    the blocks before it; closing this generator stops the thread.
    """
    box: queue.Queue[tuple[bytes | None, BaseException | None]] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: tuple[bytes | None, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for data in items:
                if not put((data, None)):
                    return
            put((None, None))
        except BaseException as err:  # noqa: BLE001 - raised again in the consumer
            put((None, err))
        finally:
            items.close()

    worker = threading.Thread(target=produce, name="hepsym-inflate", daemon=True)
    worker.start()
    try:
        while True:
            data, err = box.get()
            if err is not None:
                raise err
            if data is None:
                return
            yield data
    finally:
        stop.set()
        worker.join()


def _inflate(f: IO[bytes], path: Path) -> Generator[bytes, None, None]:
    inflater = _zlib.decompressobj(16 + _zlib.MAX_WBITS)
    raw = b""
    size = min(FIRST_BLOCK_SIZE, BLOCK_SIZE)
    while True:
        if not raw:
            raw = f.read(BLOCK_SIZE // 4)
            if not raw:
                break
        try:
            data = inflater.decompress(raw, size)
            size = min(2 * size, BLOCK_SIZE)
        except _INFLATE_ERROR as err:
            msg = f"{path}: damaged gzip stream ({err})"
            raise DamagedGzip(msg) from err
        raw = inflater.unconsumed_tail
        if inflater.eof:
            # Concatenated gzip members are one stream; trailing zeros are padding.
            raw = inflater.unused_data.lstrip(b"\x00")
            if raw and not raw.startswith(GZIP_MAGIC):
                msg = f"{path}: damaged gzip stream (garbage after the end)"
                raise DamagedGzip(msg)
            if raw:
                inflater = _zlib.decompressobj(16 + _zlib.MAX_WBITS)
        if data:
            yield data
    if not inflater.eof:
        msg = f"{path}: truncated gzip stream (file ends before the end-of-stream marker)"
        raise DamagedGzip(msg)


class DamagedGzip(InputFileError):
    """Raised by the block reader; re-raised with the number of events read."""
