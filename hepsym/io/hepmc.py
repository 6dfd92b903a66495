"""Read HepMC3 (and HepMC2) ASCII event files, plain or gzipped, into :class:`~hepsym.events.Events`.

Showered generator output (Pythia 8, Herwig 7, Sherpa) is usually written as HepMC. The
file is parsed by HepMC3's own C++ reader through ``pyhepmc``; each event's particles
come out as numpy arrays (``GenEvent.numpy``), are collected as they are and joined,
filtered and zipped once at the end: no Python work per particle.

What is kept, by default, of each event: the final-state particles (HepMC status 1) and
the beams (status 4), with their status as in the file. The rest of the record (partons,
decayed hadrons, the generator's intermediate copies: status 2 and 11..200) is dropped,
as a showered pp event holds some 1300 entries of which 300 are final; ``statuses=None``
keeps everything. Status 4 is not the LHE status -1: the beams are not the partons of
the hard process, whose momenta a showered record no longer states.

Semantics, as in the LHE reader: ``gen_mass`` is the generator's mass where the file sets
one (HepMC3's ``generated_mass``, which is the momentum's mass otherwise); the weight is the
event's first weight (1.0 when it has none; negative weights kept); the beams
(:class:`~hepsym.events.Beams`) are the two status-4 particles of the events, beam A the
one moving along +z. Momenta in MeV are converted to GeV.

Damaged input is an :class:`~hepsym.errors.InputFileError` naming the file and the event:
HepMC3's reader reports problems (a truncated event, an unparsable line) on standard error
and carries on; those reports are captured here and become the error. A file that ends
without ``HepMC::Asciiv3-END_EVENT_LISTING`` may have been cut between two events: a
warning, or an error with ``strict``.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import operator
import os
import sys
import tempfile
import warnings
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from hepsym.errors import HepsymWarning, InputFileError
from hepsym.events import Beams, Events, check_momenta, make_particles
from hepsym.particles import pdg_charge

__all__ = ("BEAM_STATUS", "FINAL_STATUS", "HEPMC_FORMATS", "read_hepmc")

#: HepMC status of a final-state particle and of a beam particle.
FINAL_STATUS = 1
BEAM_STATUS = 4
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
_BUFFER = 1 << 16
_MEV = 1e-3
#: relative agreement asked of the beams of different events
_BEAM_RTOL = 1e-9
_INSTALL = 'reading HepMC files needs pyhepmc, which is not installed: pip install "hepsym[hepmc]"'


def _import_pyhepmc(path: Path) -> Any:
    try:
        import pyhepmc
    except ImportError as err:
        msg = f"{path}: {_INSTALL}"
        raise InputFileError(msg) from err
    return pyhepmc


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


def read_hepmc(
    path: str | os.PathLike[str],
    *,
    max_events: int | None = None,
    beams: Beams | None = None,
    strict: bool = False,
    drop_bad_events: bool = False,
    statuses: Sequence[int] | None = (FINAL_STATUS, BEAM_STATUS),
) -> Events:
    """Read a HepMC3 or HepMC2 ASCII file, plain or gzipped (recognised by its first bytes).

    Particles get the ``Momentum4D`` coordinates ``px, py, pz, E`` (GeV) and the fields
    ``pid``, ``status`` (HepMC's: 1 final state, 4 beam, 2 decayed, 11..200 the
    generator's own), ``charge`` (from the PDG id, ``nan`` if unknown) and ``gen_mass``.

    Args:
        path: the ``.hepmc``, ``.hepmc3`` or ``.hepmc.gz`` file.
        max_events: read at most this many events; at least 1.
        beams: the initial state; overrides the events' status-4 particles.
        strict: a file that ends without its closing ``END_EVENT_LISTING`` line (perhaps
            cut between two events) is an error, not a :class:`~hepsym.errors.HepsymWarning`.
        drop_bad_events: remove events with an invalid momentum or weight (with a
            warning) instead of raising; see :func:`hepsym.events.check_momenta`.
        statuses: the HepMC statuses kept (default final state and beams); ``None``
            keeps the whole record.

    Returns:
        The events; ``metadata`` holds ``hepmc_version``, ``generators`` (the run's
        tools), ``weight_names``, ``cross_section_pb`` (of the last event read, the
        generator's best estimate), ``n_events``, ``n_particles_in_file`` (before the
        status filter), ``statuses_kept`` and ``n_bad_events``.

    Raises:
        InputFileError: not a HepMC file, pyhepmc missing, no events, a damaged event
            or gzip stream, a truncated file (without the closing line only with
            ``strict``), or an invalid momentum.
        OptionError: ``max_events`` below 1.
    """
    from hepsym.io import check_max_events, check_path

    check_max_events(max_events)
    p = check_path(path)
    pyhepmc = _import_pyhepmc(p)
    with _open(p) as source:
        fmt = hepmc_format(source.peek())
        if fmt is None:
            msg = f"{p}: not a HepMC3 or HepMC2 ASCII file (starts with {source.peek()[:24]!r})"
            raise InputFileError(msg)
        reader_class = pyhepmc.io.ReaderAscii if fmt == "hepmc3" else pyhepmc.io.ReaderAsciiHepMC2
        columns, run = _read_events(pyhepmc, reader_class, source, p, max_events)
        complete = max_events is not None and columns.n_events >= max_events
        complete = complete or source.tail.rstrip().endswith(HEPMC_FORMATS[fmt][1])
    if columns.n_events == 0:
        msg = f"{p}: no events (the file holds a HepMC header only)"
        raise InputFileError(msg)
    if not complete:
        msg = (
            f"{p}: has no closing {HEPMC_FORMATS[fmt][1].decode()} line: it may be truncated; "
            f"read {columns.n_events} events"
        )
        if strict:
            raise InputFileError(msg)
        warnings.warn(msg, HepsymWarning, stacklevel=2)
    fields, counts, n_in_file = columns.particles(statuses)
    events = Events(
        particles=make_particles(fields, counts),
        weights=np.asarray(columns.weights, dtype=np.float64),
        beams=beams if beams is not None else _beams(columns, p),
        source=str(path),
        format=fmt,
        metadata={
            "hepmc_version": _version(source.head),
            "generators": run["generators"],
            "weight_names": run["weight_names"],
            "cross_section_pb": columns.cross_section_pb,
            "n_events": columns.n_events,
            "n_particles_in_file": n_in_file,
            "statuses_kept": None if statuses is None else [int(s) for s in statuses],
        },
    )
    return check_momenta(events, drop_bad_events=drop_bad_events)


class _Source:
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
def _open(path: Path) -> Iterator[_Source]:
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
            source = _Source(f)
            try:
                source.peek()
            except (OSError, EOFError, zlib.error) as err:
                msg = f"{path}: not a readable gzip file ({err})"
                raise InputFileError(msg) from err
            yield source


@contextlib.contextmanager
def _captured_output() -> Iterator[IO[bytes]]:
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


def _first_report(tmp: IO[bytes]) -> str:
    tmp.seek(0)
    lines = [line.strip() for line in tmp.read(4096).decode(errors="replace").splitlines()]
    return next((line for line in lines if line), "")


class _Columns:
    """Per-event arrays from the reader, joined once at the end."""

    # pyhepmc's generated_mass is the momentum's mass where the file sets none
    _NAMES = ("pid", "status", "px", "py", "pz", "e", "generated_mass")
    _get = operator.attrgetter(*_NAMES)

    def __init__(self) -> None:
        self.rows: list[tuple[np.ndarray, ...]] = []
        self.weights: list[float] = []
        self.scale: list[float] = []
        self.cross_section_pb: float | None = None
        self._flat: dict[str, np.ndarray] | None = None

    @property
    def n_events(self) -> int:
        return len(self.rows)

    def add(self, event: Any, mev: Any) -> None:
        self.rows.append(self._get(event.numpy.particles))
        w = event.weights
        self.weights.append(w[0] if w else 1.0)
        # the enum's value: comparing the enums costs 4 us, a fifth of the event's work
        self.scale.append(_MEV if event.momentum_unit.value == mev else 1.0)

    @property
    def counts(self) -> np.ndarray:
        return np.fromiter((len(r[0]) for r in self.rows), dtype=np.int64, count=len(self.rows))

    @property
    def flat(self) -> dict[str, np.ndarray]:
        """Every column over all events (before the status filter)."""
        if self._flat is None:
            self._flat = {
                name: np.concatenate([r[k] for r in self.rows])
                for k, name in enumerate(self._NAMES)
            }
        return self._flat

    def note_cross_section(self, event: Any) -> None:
        cs = event.cross_section
        if cs is not None and cs.is_valid:
            self.cross_section_pb = float(cs.xsec())

    def particles(
        self, statuses: Sequence[int] | None
    ) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
        flat = self.flat
        counts = self.counts
        n_in_file = int(counts.sum())
        scale = np.repeat(np.asarray(self.scale), counts)
        status = flat["status"].astype(np.int64)
        if statuses is not None:
            keep = np.isin(status, np.asarray(list(statuses), dtype=np.int64))
            event_of = np.repeat(np.arange(len(counts)), counts)
            counts = np.bincount(event_of[keep], minlength=len(counts)).astype(np.int64)
            flat = {k: v[keep] for k, v in flat.items()}
            scale, status = scale[keep], status[keep]
        px, py, pz, energy = (flat[k].astype(np.float64) * scale for k in ("px", "py", "pz", "e"))
        gen_mass = flat["generated_mass"] * scale
        pid = flat["pid"].astype(np.int64)
        fields = {
            "px": px,
            "py": py,
            "pz": pz,
            "E": energy,
            "pid": pid,
            "status": status,
            "charge": pdg_charge(pid),
            "gen_mass": gen_mass.astype(np.float64),
        }
        return fields, counts, n_in_file


def _read_events(
    pyhepmc: Any, reader_class: Any, source: _Source, path: Path, max_events: int | None
) -> tuple[_Columns, dict[str, Any]]:
    columns = _Columns()
    run: dict[str, Any] = {"generators": [], "weight_names": []}
    mev = pyhepmc.Units.MEV.value
    saved_level = pyhepmc.Setup.debug_level
    last = None
    with _captured_output() as reports:
        pyhepmc.Setup.debug_level = 0
        try:
            reader = reader_class(pyhepmc.io.pyiostream(source, _BUFFER))
            while max_events is None or columns.n_events < max_events:
                event = pyhepmc.GenEvent()
                ok = reader.read_event(event)
                if os.fstat(reports.fileno()).st_size:
                    report = _first_report(reports)
                    msg = f"{path}: event {columns.n_events} (0-based) is damaged: {report}"
                    raise InputFileError(msg)
                if source.error is not None:
                    break
                if not ok:
                    msg = f"{path}: event {columns.n_events} (0-based) cannot be read"
                    raise InputFileError(msg)
                if not len(event.particles):
                    break
                if last is None:
                    run = _run_info(event)
                columns.add(event, mev)
                last = event
                if reader.failed():
                    break
            reader.close()
        except InputFileError:
            raise
        except Exception as err:
            # pyhepmc's own exceptions on damaged input (RuntimeError, ValueError ...)
            msg = f"{path}: event {columns.n_events} (0-based): {type(err).__name__}: {err}"
            raise InputFileError(msg) from err
        finally:
            pyhepmc.Setup.debug_level = saved_level
    if source.error is not None:
        msg = f"{path}: damaged or truncated gzip stream ({source.error})"
        raise InputFileError(msg) from source.error
    if last is not None:
        columns.note_cross_section(last)
    return columns, run


def _run_info(event: Any) -> dict[str, Any]:
    info = event.run_info
    if info is None:
        return {"generators": [], "weight_names": []}
    return {
        "generators": [{"name": t.name, "version": t.version or None} for t in info.tools],
        "weight_names": [str(n) for n in info.weight_names],
    }


def _version(head: bytes) -> str | None:
    line = head.lstrip().split(b"\n", 1)[0]
    if line.startswith(b"HepMC::Version"):
        return line.split()[-1].decode(errors="replace")
    return None


def _beams(columns: _Columns, path: Path) -> Beams:
    """The two status-4 particles, the same in every event (within ``_BEAM_RTOL``)."""
    flat = columns.flat
    counts = columns.counts
    is_beam = flat["status"] == BEAM_STATUS
    event_of = np.repeat(np.arange(len(counts)), counts)
    per_event = np.bincount(event_of[is_beam], minlength=len(counts))
    if not np.all(per_event == 2):
        return Beams.unknown()
    scale = np.repeat(np.asarray(columns.scale), counts)[is_beam]
    pid = flat["pid"][is_beam].reshape(-1, 2)
    energy = (flat["e"][is_beam] * scale).reshape(-1, 2)
    pz = (flat["pz"][is_beam] * scale).reshape(-1, 2)
    # beam A along +z
    swap = pz[:, 0] < pz[:, 1]
    pid[swap] = pid[swap][:, ::-1]
    energy[swap] = energy[swap][:, ::-1]
    same = np.all(pid == pid[0]) and np.allclose(energy, energy[0], rtol=_BEAM_RTOL, atol=0)
    if not same or not np.all(np.isfinite(energy[0])):
        k = int(np.argmax(np.any(pid != pid[0], axis=1) | np.any(energy != energy[0], axis=1)))
        warnings.warn(
            f"{path}: the beams differ between events (event 0: {pid[0].tolist()} at "
            f"{energy[0].tolist()} GeV, event {k}: {pid[k].tolist()} at {energy[k].tolist()} "
            "GeV); the initial state is taken as unknown",
            HepsymWarning,
            stacklevel=3,
        )
        return Beams.unknown()
    e_a, e_b = (float(x) for x in energy[0])
    if not (math.isfinite(e_a) and math.isfinite(e_b)):
        return Beams.unknown()
    return Beams(ids=(int(pid[0, 0]), int(pid[0, 1])), energies=(e_a, e_b))
