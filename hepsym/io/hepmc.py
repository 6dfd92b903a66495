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

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hepsym.errors import HepsymWarning, InputFileError
from hepsym.events import Beams, Events, make_particles
from hepsym.io._hepmc_columns import BEAM_STATUS, FINAL_STATUS, EventColumns, beams_of, run_info
from hepsym.io._hepmc_stream import (
    HEPMC_FORMATS,
    Source,
    captured_output,
    first_report,
    hepmc_format,
    open_source,
    version,
)
from hepsym.momenta import check_momenta

__all__ = ("BEAM_STATUS", "FINAL_STATUS", "HEPMC_FORMATS", "hepmc_format", "read_hepmc")

_BUFFER = 1 << 16
_INSTALL = 'reading HepMC files needs pyhepmc, which is not installed: pip install "hepsym[hepmc]"'


def _import_pyhepmc(path: Path) -> Any:
    try:
        import pyhepmc
    except ImportError as err:
        msg = f"{path}: {_INSTALL}"
        raise InputFileError(msg) from err
    return pyhepmc


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
            warning) instead of raising; see :func:`hepsym.momenta.check_momenta`.
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
    with open_source(p) as source:
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
        beams=beams if beams is not None else beams_of(columns, p),
        source=str(path),
        format=fmt,
        metadata={
            "hepmc_version": version(source.head),
            "generators": run["generators"],
            "weight_names": run["weight_names"],
            "cross_section_pb": columns.cross_section_pb,
            "n_events": columns.n_events,
            "n_particles_in_file": n_in_file,
            "statuses_kept": None if statuses is None else [int(s) for s in statuses],
        },
    )
    return check_momenta(events, drop_bad_events=drop_bad_events)


def _read_events(
    pyhepmc: Any, reader_class: Any, source: Source, path: Path, max_events: int | None
) -> tuple[EventColumns, dict[str, Any]]:
    columns = EventColumns()
    run: dict[str, Any] = {"generators": [], "weight_names": []}
    mev = pyhepmc.Units.MEV.value
    saved_level = pyhepmc.Setup.debug_level
    last = None
    with captured_output() as reports:
        pyhepmc.Setup.debug_level = 0
        try:
            reader = reader_class(pyhepmc.io.pyiostream(source, _BUFFER))
            while max_events is None or columns.n_events < max_events:
                event = pyhepmc.GenEvent()
                ok = reader.read_event(event)
                if os.fstat(reports.fileno()).st_size:
                    report = first_report(reports)
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
                    run = run_info(event)
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
