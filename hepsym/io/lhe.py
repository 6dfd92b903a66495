"""Read Les Houches Event files (``.lhe``, ``.lhe.gz``) into :class:`~hepsym.events.Events`.

The reader is columnar: it streams the (decompressed) file in blocks of a few MB,
cuts each block after its last ``</event>``, and converts all the numbers of a block
at once (see :mod:`hepsym.io._lhe_parse`). Memory therefore stays close to the size
of the arrays returned, and reading is several times faster than building
the events one by one (pylhe's ``to_awkward``); ``benchmarks/bench_read_lhe.py``
measures it.

Where the time goes (one core): the numbers of a block are converted by Arrow's
string-to-float cast where pyarrow is installed (``fast_float``, correctly rounded like
:func:`float`; about 10x :func:`numpy.loadtxt`, which does it otherwise), after the
whitespace is squeezed out and the tokens found with numpy; what is left is finding tags
and lines, gathering the particle lines and building the columns, each a few passes over
the text. A gzipped file is inflated by a second thread, a block or two ahead (zlib lets
go of the GIL). ``benchmarks/bench_read_lhe.py`` prints hepsym against pylhe, against
its own loadtxt path and, for gzip, against zlib alone, in one run; the README's
Performance section has the numbers.

Only the LHE standard is assumed (hep-ph/0609017, with the LHEF 2 and 3 additions
of arXiv:1405.1067): nothing depends on which generator wrote the file.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from hepsym.errors import HepsymWarning, InputFileError
from hepsym.events import Beams, Events, make_particles
from hepsym.io._lhe_blocks import DamagedGzip, read_blocks
from hepsym.io._lhe_columns import ParticleColumns, expected_text
from hepsym.io._lhe_parse import CLOSING_TAG, EventBlock
from hepsym.io._lhe_ranges import event_ranges
from hepsym.io._lhe_threads import BlockParses, parse_threads
from hepsym.momenta import check_momenta
from hepsym.particles import pdg_charge

__all__ = ("event_ranges", "read_lhe")

_INIT = re.compile(rb"<init(?:\s[^>]*)?>(.*?)</init\s*>", re.DOTALL)
_INIT_END = re.compile(rb"</init\s*>")
_EVENT_TAG = re.compile(rb"<event[\s>/]")
#: Text up to this size is parsed in the calling thread: starting the parse threads
#: cost more than they save (a 10-event file: 1.4 ms a read, 0.6 ms of it waiting on them).
_SMALL_TEXT = 1 << 20
_VERSION = re.compile(rb"<LesHouchesEvents[^>]*?version\s*=\s*[\"']([^\"']*)[\"']")
_GENERATOR = re.compile(rb"<generator([^>]*)>(.*?)</generator\s*>", re.DOTALL)
_ATTRIBUTE = re.compile(rb"([\w:-]+)\s*=\s*[\"']([^\"']*)[\"']")
#: Generator names looked for in the header text when no <generator> tag names one.
_KNOWN_GENERATORS = (
    ("MadGraph5_aMC@NLO", rb"MG5_aMC|MadGraph|aMCatNLO"),
    ("POWHEG-BOX", rb"POWHEG"),
    ("Pythia", rb"Pythia|PYTHIA"),
    ("Sherpa", rb"SHERPA|Sherpa"),
    ("WHIZARD", rb"WHIZARD|Whizard"),
    ("Herwig", rb"Herwig|HERWIG"),
    ("CalcHEP", rb"CalcHEP|CompHEP"),
    ("ALPGEN", rb"ALPGEN|Alpgen"),
    ("HELAC", rb"HELAC"),
    ("JHUGen", rb"JHUGen"),
)


def read_lhe(
    path: str | os.PathLike[str],
    *,
    max_events: int | None = None,
    beams: Beams | None = None,
    strict: bool = False,
    drop_bad_events: bool = False,
    byte_range: tuple[int, int] | None = None,
) -> Events:
    """Read an LHE file, plain or gzipped (recognised by its first bytes).

    Particles get the ``Momentum4D`` coordinates ``px, py, pz, E`` and the fields
    ``pid``, ``status`` (-1 incoming, 1 final state, 2 intermediate, others as in
    the file), ``mother1``, ``mother2``, ``color1``, ``color2`` (int64),
    ``gen_mass`` (the generator's mass, column 11: not named ``mass`` so that
    ``.mass`` stays the invariant mass computed from the momentum), ``lifetime``,
    ``spin`` and ``charge`` (from the PDG id, ``nan`` if unknown).

    Args:
        path: the ``.lhe`` or ``.lhe.gz`` file.
        max_events: read at most this many events (the rest of the file is not read);
            at least 1.
        beams: the initial state; overrides the file's ``<init>`` block.
        strict: a file that ends after an event without the closing
            ``</LesHouchesEvents>`` tag (perhaps cut at an event boundary) is an
            error, not a :class:`~hepsym.errors.HepsymWarning`.
        drop_bad_events: remove events with an invalid momentum or weight (with a
            warning) instead of raising; see :func:`hepsym.momenta.check_momenta`.
        byte_range: read only the events of these bytes of an uncompressed file, a
            range from :func:`event_ranges` (a partition of a big file; its source and
            messages name the range, events counted from its first, lines from the
            file's start).

    Returns:
        The events, with XWGTUP as weights (negative weights kept) and, in
        ``metadata``: ``lhe_version``, ``generators`` (from ``<generator>`` tags or,
        failing those, names found in the header), ``processes`` (per-process
        cross-section in pb, its error, maximum weight and id), ``cross_section_pb``
        (their sum), ``weighting`` (IDWTUP), ``pdf``, ``n_events`` and
        ``n_bad_events`` (events dropped by ``drop_bad_events``, 0 when none).

    Raises:
        InputFileError: not an LHE file, no ``<init>`` block, no events, a malformed
            event (the message names it), a truncated file (plain or gzipped; without
            the closing tag only with ``strict``), or an invalid momentum.
        OptionError: ``max_events`` below 1.
    """
    from hepsym.io import check_max_events, check_path

    check_max_events(max_events)
    p = check_path(path)
    blocks = read_blocks(p)
    columns = ParticleColumns(expected_text(p, byte_range), max_events)
    try:
        header, rest = _read_header(blocks, p)
        init = _parse_init(header, p)
        if byte_range is None:
            lines = header.count(b"\n")
            parsed, complete = _read_events(rest, blocks, p, lines, max_events, columns)
        else:
            parsed, complete = _read_range(p, byte_range, max_events, columns)
    finally:
        blocks.close()
    n_events = sum(len(b) for b in parsed)
    if n_events == 0:
        msg = f"{p}: no events (no <event> block after <init>)"
        raise InputFileError(msg)
    if not complete:
        msg = (
            f"{p}: has no closing </LesHouchesEvents> tag: it may be truncated; "
            f"read {n_events} events"
        )
        if strict:
            raise InputFileError(msg)
        warnings.warn(msg, HepsymWarning, stacklevel=2)
    metadata = _metadata(header, init, n_events)
    weights = np.concatenate([b.header[:, 2] for b in parsed] or [np.empty(0)])
    events = Events(
        particles=_particles(columns, parsed),
        weights=weights,
        beams=beams if beams is not None else init["beams"],
        source=str(path) if byte_range is None else f"{p} [bytes {byte_range[0]}:{byte_range[1]}]",
        format="lhe",
        metadata=metadata if byte_range is None else {**metadata, "bytes": byte_range},
    )
    return check_momenta(events, drop_bad_events=drop_bad_events)


def _read_range(
    p: Path, byte_range: tuple[int, int], max_events: int | None, columns: ParticleColumns
) -> tuple[list[EventBlock], bool]:
    """The events of the bytes ``byte_range``; a range that stops before the end of the
    file needs no closing tag."""
    start, stop = byte_range

    def lines_before() -> int:  # only for an error message: a pass over the bytes before
        blocks = read_blocks(p, (0, start)) if start else iter(())
        return sum(block.count(b"\n") for block in blocks)

    blocks = read_blocks(p, byte_range)
    try:
        parsed, complete = _read_events(b"", blocks, p, lines_before, max_events, columns)
    finally:
        blocks.close()
    return parsed, complete or stop < p.stat().st_size


def _read_header(blocks: Iterator[bytes], path: Path) -> tuple[bytes, bytes]:
    """Split the text before the first event (header and ``<init>``) from the rest."""
    text = b""
    for i, data in enumerate(blocks):
        text += data
        if i == 0 and b"<LesHouchesEvents" not in text and b"<init" not in text:
            msg = f"{path}: not an LHE file (no <LesHouchesEvents> tag; starts with {text[:16]!r})"
            raise InputFileError(msg)
        end = _INIT_END.search(text)
        if end:
            return text[: end.end()], text[end.end() :]
        if _EVENT_TAG.search(text):
            break
    if not text:
        msg = f"{path}: file is empty"
        raise InputFileError(msg)
    if b"<LesHouchesEvents" not in text and b"<init" not in text:
        msg = f"{path}: not an LHE file (no <LesHouchesEvents> tag; starts with {text[:16]!r})"
        raise InputFileError(msg)
    what = "unterminated <init> block" if re.search(rb"<init[\s>]", text) else "no <init> block"
    msg = f"{path}: {what} before the events (cannot tell the beams)"
    raise InputFileError(msg)


def _read_events(
    rest: bytes,
    blocks: Iterator[bytes],
    path: Path,
    lines_before: int | Callable[[], int],
    max_events: int | None,
    columns: ParticleColumns,
) -> tuple[list[EventBlock], bool]:
    """Parse the events block by block, each cut after its last ``</event>`` (on
    several threads, see :mod:`hepsym.io._lhe_threads`), their particles put into
    ``columns`` as they come.

    Returns:
        The parsed blocks, and whether the text ended with the closing
        ``</LesHouchesEvents>`` tag (true also when ``max_events`` stopped the reading
        before the end).
    """
    small = columns.expected is not None and columns.expected <= _SMALL_TEXT
    parses = BlockParses(path, lines_before, max_events, 1 if small else parse_threads(), columns)
    try:
        head, data = b"", rest  # the text not parsed yet: head + data
        exhausted = False
        while True:
            cut = _after_last_event(data)
            if cut == 0 and head and data:  # no event ends in data, or its tag is cut in two
                head, data = b"", head + data
                cut = _after_last_event(data)
            if cut > 0:
                parses.add(head, data, cut)
                if parses.enough:
                    return parses.finish(), True
                head, data = data[cut:], b""
            else:
                head, data = head + data, b""
            if exhausted:
                break
            try:
                data = next(blocks, b"")
            except DamagedGzip as err:
                parses.finish()
                msg = f"{err}, after {parses.n_read} complete events"
                raise InputFileError(msg) from err
            exhausted = not data
        parsed = parses.finish()
    finally:
        parses.close()
    if _EVENT_TAG.search(head):
        msg = f"{path}: truncated file: event {parses.n_read + 1} has no </event>"
        raise InputFileError(msg)
    return parsed, CLOSING_TAG in head


def _after_last_event(text: bytes) -> int:
    """The offset just after the last ``</event>`` of ``text``, or 0."""
    cut = text.rfind(b"</event")
    return text.find(b">", cut) + 1 if cut >= 0 else 0


def _parse_init(header: bytes, path: Path) -> dict[str, Any]:
    """Beams and processes from the ``<init>`` block (its numeric lines)."""
    match = _INIT.search(header)
    if match is None:
        msg = f"{path}: no <init> block"
        raise InputFileError(msg)
    lines = [line.split() for line in match.group(1).splitlines()]
    rows = [t for t in lines if t and not t[0].startswith((b"<", b"#"))]
    try:
        first = [float(x) for x in rows[0]]
        if len(first) != 10:
            problem = f"expected 10 numbers on its first line, found {len(first)}"
            raise ValueError(problem)
        ids = [_integer(x, "beam id") for x in first[:2]]
        ints = [_integer(x, "PDF or weighting number") for x in first[4:9]]
        nprup = _integer(first[9], "number of processes")
        energies = first[2:4]
        for energy in energies:
            if not (math.isfinite(energy) and energy >= 0):
                problem = f"beam energy {energy!r} is not a finite non-negative number"
                raise ValueError(problem)
        if nprup < 0 or len(rows) < 1 + nprup:
            problem = f"expected 10 numbers and then {nprup} process lines"
            raise ValueError(problem)
        processes = []
        for row in rows[1 : 1 + nprup]:
            xsec, err, xmax, lprup = (float(x) for x in row[:4])
            processes.append(
                {
                    "process_id": _integer(lprup, "process id"),
                    "xsec_pb": xsec,
                    "xsec_err_pb": err,
                    "max_weight": xmax,
                }
            )
    except (ValueError, IndexError) as err:
        msg = f"{path}: malformed <init> block ({err})"
        raise InputFileError(msg) from err
    return {
        "beams": Beams(ids=(ids[0], ids[1]), energies=(energies[0], energies[1])),
        "pdf": {"group": (ints[0], ints[1]), "set": (ints[2], ints[3])},
        "weighting": ints[4],
        "processes": processes,
    }


def _integer(value: float, what: str) -> int:
    """``value`` as an int if it is a whole number a float64 holds exactly."""
    if not (math.isfinite(value) and value == int(value) and abs(value) <= 2**53):
        problem = f"{what} {value!r} is not an integer"
        raise ValueError(problem)
    return int(value)


def _metadata(header: bytes, init: dict[str, Any], n_events: int) -> dict[str, Any]:
    version = _VERSION.search(header)
    processes = init["processes"]
    return {
        "lhe_version": version.group(1).decode(errors="replace") if version else None,
        "generators": _generators(header),
        "processes": processes,
        "cross_section_pb": float(sum(p["xsec_pb"] for p in processes)) if processes else None,
        "weighting": init["weighting"],
        "pdf": init["pdf"],
        "n_events": n_events,
    }


def _generators(header: bytes) -> list[dict[str, str | None]]:
    """Generators named by ``<generator>`` tags, else those the header text mentions."""
    found = []
    for match in _GENERATOR.finditer(header):
        attrs = {k.decode(): v.decode(errors="replace") for k, v in _ATTRIBUTE.findall(match[1])}
        name = attrs.get("name") or match[2].decode(errors="replace").strip()
        found.append({"name": name, "version": attrs.get("version")})
    if found:
        return found
    for name, pattern in _KNOWN_GENERATORS:
        if not re.search(pattern, header):
            continue
        hit = re.search(rb"(?:" + pattern + rb")[^\n\d]{0,24}(\d+\.\d+[\w.]*)", header)
        version = hit[1].decode(errors="replace") if hit else None
        found.append({"name": name, "version": version, "from": "header text"})
    return found


def _particles(columns: ParticleColumns, parsed: list[EventBlock]) -> Any:
    """The particles of the blocks: their columns, the charges from the ids, zipped."""
    counts = np.concatenate([b.counts for b in parsed] or [np.empty(0, dtype=np.int64)])
    fields = columns.result()
    fields["charge"] = pdg_charge(fields["pid"])
    return make_particles(fields, counts)
