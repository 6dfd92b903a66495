"""The numbers of an LHE block's header and particle lines, as float64 tables.

Large blocks go through Arrow's correctly rounded string-to-float cast (when pyarrow is
installed), the others, and whatever Arrow might read differently from :func:`float`,
through :func:`numpy.loadtxt`; a text neither takes is tried token by token. Each path
gives the bits :func:`float` gives.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

__all__ = ("ARROW_MIN_BYTES", "table")


def table(
    text: bytes,
    nrow: int,
    ncol: int,
    *,
    by_line: bool = True,
    newlines: np.ndarray | None = None,
) -> np.ndarray | None:
    """The numbers of ``text`` as an ``(nrow, ncol)`` table, or ``None`` if they are not that.

    ``newlines``, where the caller knows them, are the offsets of every ``\\n`` in ``text``
    (saves a pass over it).

    numpy's line reader (:func:`numpy.loadtxt`, a C tokenizer that hands each field
    to CPython's correctly rounded ``PyOS_string_to_double``, as :func:`float` does)
    takes about 40 ns a number, :func:`numpy.fromstring` 65-90 ns. The reader is
    stricter (the same count on every line, no blank lines, no ``D`` exponent), so
    whatever it refuses goes to :func:`_numbers`; where both accept a text they read
    the same tokens with the same conversion, hence the same bits.
    """
    if by_line:
        big = len(text) >= ARROW_MIN_BYTES or (bool(_ARROW) and len(text) >= _ARROW_CALL_BYTES)
        values = _arrow_table(text, nrow, ncol, newlines) if big else None
        if values is not None:
            return values
        try:
            values = np.loadtxt(
                io.BytesIO(text), dtype=np.float64, comments=None, ndmin=2, encoding="latin-1"
            )
        except ValueError:
            values = None
        if values is not None and values.shape == (nrow, ncol):
            return values
    values = _numbers(text)
    if values is None or values.size != nrow * ncol:
        return None
    return values.reshape(nrow, ncol)


def _arrow_table(
    text: bytes, nrow: int, ncol: int, newlines: np.ndarray | None = None
) -> np.ndarray | None:
    """:func:`table` by Arrow's string-to-float cast, or ``None`` (no pyarrow, or unsure).

    The whitespace is squeezed out (:meth:`bytes.translate`; the tokens laid end to end,
    with offsets found by numpy, are an Arrow string array as they are) and Arrow converts them all
    in C (``fast_float``: correctly rounded, as :func:`float` is, hence the same bits),
    some 10x faster than :func:`numpy.loadtxt`. Whatever it might read differently
    from :func:`float` goes back to the line reader: bytes below 32 other than the
    six whitespace bytes (which :meth:`bytes.split` splits on), a line without exactly
    ``ncol`` tokens, a token Arrow refuses (``1_0``, ``1.0D+00``) and any NaN (Arrow
    reads ``nan(123)``, :func:`float` does not).
    """
    arrow = _pyarrow()
    if arrow is None or len(text) >= 2**31:
        return None
    pa, pc = arrow
    buf = np.frombuffer(text, dtype=np.uint8)
    keep = np.empty(len(buf) + 2, dtype=np.bool_)
    keep[0] = keep[-1] = False
    np.greater(buf, 32, out=keep[1:-1])
    edges = np.flatnonzero(keep[1:] != keep[:-1])
    starts, stops = edges[0::2], edges[1::2]
    if len(starts) != nrow * ncol:
        return None
    if newlines is None:
        newlines = np.flatnonzero(buf == 0x0A)
    # ncol tokens on every line: row r's first token after newline r - 1, its last before r
    if len(newlines) != nrow or not (
        np.all(starts[ncol - 1 :: ncol] < newlines) and np.all(starts[ncol::ncol] > newlines[:-1])
    ):
        return None
    offsets = np.zeros(len(starts) + 1, dtype=np.int32)
    np.cumsum(stops - starts, out=offsets[1:])
    data = text.translate(None, _WHITESPACE_BYTES)
    if len(data) != offsets[-1]:
        return None  # a byte below 32 that is not whitespace: kept, but not in a token
    tokens = pa.StringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        values = pc.cast(tokens, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if np.isnan(values).any():
        return None
    return values.reshape(nrow, ncol)


_WHITESPACE_BYTES = b" \t\n\r\x0b\x0c"
#: Texts shorter than this go to the line reader: Arrow's import (~0.1 s) would not pay.
ARROW_MIN_BYTES = 1 << 18
#: Once Arrow is imported, texts from this size on go to it: the cast's fixed cost
#: (tens of microseconds) is below what :func:`numpy.loadtxt` spends on them. The header
#: lines of a 1 MiB piece of events (~110 kB) took 0.78 ms in loadtxt against 0.1 ms.
_ARROW_CALL_BYTES = 1 << 12
_ARROW: list[Any] = []


def _pyarrow() -> tuple[Any, Any] | None:
    """``(pyarrow, pyarrow.compute)``, imported once, or ``None`` when not installed."""
    if not _ARROW:
        try:
            import pyarrow as pa
            import pyarrow.compute as pc
        except ImportError:
            _ARROW.append(None)
        else:
            _ARROW.append((pa, pc))
    return _ARROW[0]


def _numbers(text: bytes) -> np.ndarray | None:
    """All whitespace-separated numbers in ``text``, or ``None`` if one is not a number."""
    try:
        values = np.fromstring(text, dtype=np.float64, sep=" ")
    except ValueError:
        values = None
    if values is not None:
        # numpy returns [-1.0] for a blank string.
        return values if values.size != 1 or text.strip() else np.empty(0)
    if b"D" in text or b"d" in text:
        # Fortran writers may use a D exponent (1.0D+00).
        try:
            return np.fromstring(text.replace(b"D", b"E").replace(b"d", b"e"), sep=" ")
        except ValueError:
            pass
    return None
