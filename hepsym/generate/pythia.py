"""The event loop: run Pythia 8 and collect its events as a :class:`GeneratedSample`."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hepsym.errors import GeneratorError
from hepsym.generate.hepmc import HepMCWriter, is_hepmc_name, no_writer
from hepsym.generate.processes import check_inputs, pythia_settings
from hepsym.generate.sample import GeneratedSample

__all__ = ("OUTPUT_FORMATS", "RunOptions", "generate")

#: the file formats :func:`generate` writes
OUTPUT_FORMATS = ("lhe", "hepmc3")

_MB_TO_PB = 1.0e9
_MAX_FAILURES = 1000
_PROGRESS_DELAY_S = 2.0
_PROGRESS_CHUNK = 100


def _import_pythia() -> Any:
    try:
        import pythia8mc as pythia8
    except ImportError as err:
        msg = (
            "event generation needs Pythia 8 (the pythia8mc package), which is not "
            'installed: pip install "hepsym[generate]"'
        )
        raise GeneratorError(msg) from err
    return pythia8


def _hard_process(process: Any, cols: list[list[Any]]) -> int:
    """Append the hard process (entries 3..) of Pythia's ``process`` record to ``cols``."""
    size = process.size()
    for j in range(3, size):
        q = process[j]
        status = q.status()
        lhe_status = 1 if status > 0 else (-1 if status == -21 else 2)
        m1, m2 = q.mother1(), q.mother2()
        # Pythia's entries 1 and 2 are the beams, which LHE leaves out: shift by 2.
        mothers = (m1 - 2 if m1 >= 3 else 0, m2 - 2 if m2 >= 3 else 0)
        row = (
            q.id(),
            lhe_status,
            *mothers,
            q.col(),
            q.acol(),
            q.px(),
            q.py(),
            q.pz(),
            q.e(),
            q.m(),
        )
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    return size - 3


def _full_event(event: Any, cols: list[list[Any]], resonances: tuple[int, ...] = (23,)) -> int:
    """Append beams, the last copy of each resonance and all final-state particles of ``event``.

    ``resonances``: the PDG ids of the process's intermediate bosons (``(23,)`` for
    gamma*/Z, ``(24, -24)`` for W+ W-), each kept once, by its last copy.
    """
    rows = []
    for j in (1, 2):
        q = event[j]
        rows.append((q.id(), -1, 0, 0, 0, 0, q.px(), q.py(), q.pz(), q.e(), q.m()))
    for pid in resonances:
        for j in range(event.size()):
            if event[j].id() == pid:
                q = event[event[j].iBotCopyId()]
                rows.append((pid, 2, 1, 2, 0, 0, q.px(), q.py(), q.pz(), q.e(), q.m()))
                break
    for j in range(event.size()):
        q = event[j]
        if q.isFinal():
            rows.append((q.id(), 1, 1, 2, q.col(), q.acol(), q.px(), q.py(), q.pz(), q.e(), q.m()))
    for row in rows:
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    return len(rows)


@dataclass(frozen=True)
class RunOptions:
    """The physics of a run of :func:`generate` beyond the process and its size.

    Attributes:
        sqrt_s: centre-of-mass energy in GeV (default: 80 for ``ee-mumu``, 13000 for
            ``pp-zmumu``, 250 for ``ee-ww``).
        seed: Pythia random seed, 1..900000000; the same seed gives the same events.
        mass_window: mass window (low, high) in GeV of the pair made (mu+ mu-, W+ W-),
            Pythia's ``PhaseSpace:mHatMin/mHatMax``. Default: (60, 120) for
            ``pp-zmumu``; none for ``ee-mumu`` and ``ee-ww``, where sqrt(s) fixes the
            mass (a window must contain it).
        settings: further Pythia settings, applied last, e.g.
            ``["PartonLevel:all = on", "BeamRemnants:primordialKT = off"]`` for showers.
            With parton level on, the full event record is kept (see
            :class:`GeneratedSample`).
        shower: run Pythia's parton showers, multiparton interactions and
            hadronisation; ``None``: on for HepMC3 (realistic final states), off for
            LHE (the hard process, as in the paper).
    """

    sqrt_s: float | None = None
    seed: int = 1
    mass_window: tuple[float, float] | None = None
    settings: Iterable[str] = ()
    shower: bool | None = None


def generate(
    process: str,
    n_events: int = 10_000,
    *,
    output: str | Path | None = None,
    output_format: str | None = None,
    progress: bool | None = None,
    **run: Any,
) -> GeneratedSample:
    """Generate events with Pythia 8 and optionally write them as an LHE or HepMC3 file.

    Args:
        process: ``"ee-mumu"``, ``"pp-zmumu"`` or ``"ee-ww"`` (see
            :data:`~hepsym.generate.PROCESSES`).
        n_events: number of events to generate.
        output: the file to write (``.lhe``, ``.lhe.gz``, ``.hepmc3``, ``.hepmc3.gz``),
            or ``None``.
        output_format: ``"lhe"`` or ``"hepmc3"``; ``None``: from the name of ``output``
            (``.hepmc``, ``.hepmc3``, either gzipped: HepMC3; otherwise LHE). HepMC3
            holds Pythia's whole event record (:mod:`hepsym.generate.hepmc`).
        progress: show a progress bar; ``None``: only on a terminal, once the run
            has lasted two seconds.
        run: the fields of :class:`RunOptions`: ``sqrt_s=``, ``seed=``,
            ``mass_window=``, ``settings=``, ``shower=``.

    Returns:
        The events and their provenance; ``path`` is set when ``output`` was given.

    Raises:
        GeneratorError: unknown process or option, bad number of events, seed, energy or
            mass window, a setting Pythia rejects, pythia8mc missing, or Pythia failing.
    """
    known = [f.name for f in dataclasses.fields(RunOptions)]
    unknown = sorted(set(run) - set(known))
    if unknown:
        msg = f"{process}: unknown option {', '.join(unknown)}; known: {', '.join(known)}"
        raise GeneratorError(msg)
    opts = RunOptions(**run)
    spec, energy, window, extra = check_inputs(
        process, n_events, opts.sqrt_s, opts.seed, opts.mass_window, opts.settings
    )
    fmt = _output_format(output, output_format)
    showered = (fmt == "hepmc3") if opts.shower is None else bool(opts.shower)
    pythia8 = _import_pythia()
    all_settings = pythia_settings(spec, energy, window, opts.seed, extra, shower=showered)
    pythia = pythia8.Pythia("", False)
    for s in all_settings:
        if not pythia.readString(s):
            msg = f"{process}: Pythia rejected the setting {s!r}"
            raise GeneratorError(msg)
    if not pythia.init():
        msg = f"{process}: Pythia failed to initialise with settings {list(all_settings)}"
        raise GeneratorError(msg)
    full = bool(pythia.flag("PartonLevel:all"))
    writer = (
        HepMCWriter(output, ("Pythia8", _version(pythia), f"hepsym.generate {process}"))
        if fmt == "hepmc3" and output is not None
        else no_writer()
    )
    start = time.perf_counter()
    with writer as hepmc:
        loop = _EventLoop(pythia, process, n_events, full, spec.resonances)
        loop.run(hepmc, progress)
    seconds = time.perf_counter() - start
    info = pythia.infoPython()
    sample = GeneratedSample(
        process=process,
        sqrt_s=energy,
        beam_ids=spec.beam_ids,
        seed=int(opts.seed),
        mass_window=window,
        settings=all_settings,
        record="event" if full else "process",
        particles=loop.particles(),
        counts=loop.counts,
        event_info=loop.event_info(),
        cross_section_pb=info.sigmaGen() * _MB_TO_PB,
        cross_section_error_pb=info.sigmaErr() * _MB_TO_PB,
        n_tried=int(info.nTried()),
        pythia_version=_version(pythia),
        seconds=seconds,
    )
    if output is None:
        return sample
    if fmt == "hepmc3":
        return dataclasses.replace(sample, path=Path(output))
    return dataclasses.replace(sample, path=sample.write_lhe(output))


class _EventLoop:
    """Pythia's events, collected column by column (and written to HepMC3 on the way)."""

    def __init__(
        self,
        pythia: Any,
        process: str,
        n_events: int,
        full: bool,
        resonances: tuple[int, ...] = (23,),
    ) -> None:
        self.pythia, self.process, self.n_events, self.full = pythia, process, n_events, full
        self.resonances = resonances
        self.cols: list[list[Any]] = [[] for _ in range(11)]
        self.counts = np.empty(n_events, dtype=np.int64)
        self.info_cols = np.empty((5, n_events), dtype=np.float64)

    def run(self, hepmc: Any, progress: bool | None) -> None:
        """Generate the events; ``hepmc`` is a writer or ``None``."""
        from tqdm import tqdm

        pythia, n_events = self.pythia, self.n_events
        # progress=None: only on a terminal (disable=None) and only once a run lasts.
        bar = tqdm(
            total=n_events,
            desc=f"pythia {self.process}",
            unit="ev",
            disable=None if progress is None else not progress,
            delay=0.0 if progress else _PROGRESS_DELAY_S,
            file=sys.stderr,
            leave=False,
        )
        failures = 0
        with bar:
            i = 0
            while i < n_events:
                if not pythia.next():
                    failures += 1
                    if failures > _MAX_FAILURES:
                        msg = f"{self.process}: Pythia failed {failures} times after {i} events"
                        raise GeneratorError(msg)
                    continue
                self.counts[i] = (
                    _full_event(pythia.event, self.cols, self.resonances)
                    if self.full
                    else _hard_process(pythia.process, self.cols)
                )
                # infoPython() returns a copy: take a fresh one per event.
                info = pythia.infoPython()
                self.info_cols[:, i] = (
                    info.weight(),
                    info.QFac(),
                    info.alphaEM(),
                    info.alphaS(),
                    info.code(),
                )
                if hepmc is not None:
                    xsec = (
                        info.sigmaGen() * _MB_TO_PB,
                        info.sigmaErr() * _MB_TO_PB,
                        i + 1,
                        int(info.nTried()),
                    )
                    # without showers Pythia fills the hard process record only
                    record = pythia.event if self.full else pythia.process
                    hepmc.write(record, i, info.weight(), xsec)
                i += 1
                if i % _PROGRESS_CHUNK == 0:
                    bar.update(_PROGRESS_CHUNK)
            bar.update(n_events - bar.n)

    def particles(self) -> dict[str, np.ndarray]:
        """The particle columns of every event, concatenated."""
        names = ("pid", "status", "mother1", "mother2", "color1", "color2")
        cols = self.cols
        out = {k: np.asarray(c, dtype=np.int64) for k, c in zip(names, cols[:6], strict=True)}
        for k, c in zip(("px", "py", "pz", "E", "mass"), cols[6:], strict=True):
            out[k] = np.asarray(c, dtype=np.float64)
        return out

    def event_info(self) -> dict[str, np.ndarray]:
        """Weight, scale, couplings and process code per event."""
        info = {k: self.info_cols[j] for j, k in enumerate(("weight", "scale", "aqed", "aqcd"))}
        info["process_id"] = self.info_cols[4].astype(np.int64)
        return info


def _version(pythia: Any) -> str:
    return f"{pythia.parm('Pythia:versionNumber'):.3f}"


def _output_format(output: str | Path | None, output_format: str | None) -> str:
    if output_format is None:
        return "hepmc3" if output is not None and is_hepmc_name(output) else "lhe"
    if output_format not in OUTPUT_FORMATS:
        msg = f"unknown output format {output_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}"
        raise GeneratorError(msg)
    return output_format
