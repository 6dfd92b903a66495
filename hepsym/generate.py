"""Collider samples from a real generator: Pythia 8 through the ``pythia8mc`` package.

Two processes reproduce the paper's samples (hard process only unless asked otherwise):

* ``ee-mumu``: e+ e- -> gamma*/Z -> mu+ mu- at sqrt(s) = 80 GeV (paper sec. 4.2), without
  initial-state radiation (``PDF:lepton = off``): every event has total momentum 0 and
  total energy sqrt(s).
* ``pp-zmumu``: p p -> gamma*/Z -> mu+ mu- at 13 TeV (paper sec. 4.3) in a dimuon mass
  window (60-120 GeV by default), dominated by the on-shell Z.

The events come back as arrays (:class:`GeneratedSample`) and, with ``output``, as an LHE
file written by :func:`hepsym.io.lhe_write.write_lhe`. The same seed gives the same
events and the same bytes on the same machine and Pythia version. Pythia is an optional
dependency: ``pip install "hepsym[generate]"``.

From the shell::

    python -m hepsym.generate ee-mumu --events 10000 --sqrt-s 80 --seed 1 -o out.lhe.gz
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hepsym.errors import GeneratorError, HepsymError

if TYPE_CHECKING:
    from hepsym.events import Events

__all__ = (
    "PROCESSES",
    "GeneratedSample",
    "ProcessSpec",
    "add_arguments",
    "generate",
    "main",
    "run",
)

_MB_TO_PB = 1.0e9
_SEED_MAX = 900_000_000  # Pythia's Random:seed range
_MAX_FAILURES = 1000
_PROGRESS_DELAY_S = 2.0
_PROGRESS_CHUNK = 100
_MUON_THRESHOLD = 2 * 0.1056583755  # GeV


@dataclass(frozen=True)
class ProcessSpec:
    """A process hepsym knows how to generate.

    Attributes:
        name: registry name, e.g. ``"ee-mumu"``.
        description: one line for humans.
        beam_ids: PDG ids of beam A (+z) and beam B (-z).
        sqrt_s: default centre-of-mass energy in GeV.
        settings: Pythia settings that define the process.
        mass_window: default dimuon mass window in GeV, or ``None`` where sqrt(s) fixes
            the mass (lepton beams without ISR).
    """

    name: str
    description: str
    beam_ids: tuple[int, int]
    sqrt_s: float
    settings: tuple[str, ...]
    mass_window: tuple[float, float] | None


_TO_MUONS = ("23:onMode = off", "23:onIfAny = 13")

#: Processes by name.
PROCESSES: dict[str, ProcessSpec] = {
    "ee-mumu": ProcessSpec(
        name="ee-mumu",
        description="e+ e- -> gamma*/Z -> mu+ mu-, no ISR (paper sec. 4.2)",
        beam_ids=(11, -11),
        sqrt_s=80.0,
        settings=("PDF:lepton = off", "WeakSingleBoson:ffbar2ffbar(s:gmZ) = on", *_TO_MUONS),
        mass_window=None,
    ),
    "pp-zmumu": ProcessSpec(
        name="pp-zmumu",
        description="p p -> gamma*/Z -> mu+ mu- in a dimuon mass window (paper sec. 4.3)",
        beam_ids=(2212, 2212),
        sqrt_s=13_000.0,
        settings=("WeakSingleBoson:ffbar2gmZ = on", *_TO_MUONS),
        mass_window=(60.0, 120.0),
    ),
}

#: Settings that keep only the hard process (user settings come later and win).
HARD_PROCESS_ONLY = ("PartonLevel:all = off", "HadronLevel:all = off")


@dataclass(frozen=True, eq=False, repr=False)
class GeneratedSample:
    """Events from :func:`generate`, as flat per-particle columns plus per-event counts.

    The particle record follows the LHE conventions: status -1 incoming, 2 intermediate,
    1 final state; ``mother1``/``mother2`` are 1-based positions within the event (0 for
    none). Hard-process samples hold, per event, the two incoming partons (leptons), the
    gamma*/Z and the two muons. With parton level switched on by ``settings``, they hold
    the two beams (incoming), the last gamma*/Z copy and every final-state particle, whose
    mothers then point at the beams.

    Attributes:
        process: registry name of the process.
        sqrt_s: centre-of-mass energy in GeV.
        beam_ids: PDG ids of beam A (+z) and beam B (-z).
        seed: Pythia random seed.
        mass_window: dimuon mass window in GeV, or ``None``.
        settings: every Pythia setting used, in order.
        record: ``"process"`` (hard process only) or ``"event"`` (full event).
        particles: flat columns ``pid, status, mother1, mother2, color1, color2, px, py,
            pz, E, mass`` (GeV).
        counts: particles per event.
        event_info: per-event columns ``weight, scale, aqed, aqcd, process_id``.
        cross_section_pb: Pythia's estimate of the generated cross-section in pb.
        cross_section_error_pb: its statistical uncertainty in pb.
        n_tried: phase-space points Pythia tried to accept the events.
        pythia_version: e.g. ``"8.317"``.
        seconds: wall time of the generation (not of the writing).
        path: the LHE file written, or ``None``.
    """

    process: str
    sqrt_s: float
    beam_ids: tuple[int, int]
    seed: int
    mass_window: tuple[float, float] | None
    settings: tuple[str, ...]
    record: str
    particles: dict[str, np.ndarray]
    counts: np.ndarray
    event_info: dict[str, np.ndarray]
    cross_section_pb: float
    cross_section_error_pb: float
    n_tried: int
    pythia_version: str
    seconds: float
    path: Path | None = field(default=None)

    def __len__(self) -> int:
        return len(self.counts)

    def __repr__(self) -> str:
        where = f", written to {self.path}" if self.path else ""
        return (
            f"<GeneratedSample {self.process}: {len(self)} events at sqrt(s) = {self.sqrt_s:g} "
            f"GeV, seed {self.seed}, sigma = {self.cross_section_pb:.6g} "
            f"+- {self.cross_section_error_pb:.2g} pb ({self.record} record){where}>"
        )

    @property
    def beam_energies(self) -> tuple[float, float]:
        """Energies of the two (symmetric) beams in GeV."""
        return (self.sqrt_s / 2.0, self.sqrt_s / 2.0)

    @property
    def weights(self) -> np.ndarray:
        """Per-event weights (1.0: Pythia's events are unweighted)."""
        return self.event_info["weight"]

    def momenta(self, pid: int, status: int = 1) -> np.ndarray:
        """Four-momenta (px, py, pz, E) of the one particle with ``pid`` and ``status`` per event.

        Returns:
            Array of shape (n_events, 4).

        Raises:
            GeneratorError: if some event has no such particle or more than one.
        """
        sel = (self.particles["pid"] == pid) & (self.particles["status"] == status)
        event_of = np.repeat(np.arange(len(self.counts)), self.counts)
        per_event = np.bincount(event_of[sel], minlength=len(self.counts))
        if not np.all(per_event == 1):
            msg = (
                f"{self.process}: particle {pid} with status {status} is not unique in every "
                f"event ({int(np.sum(per_event != 1))} events have 0 or more than one)"
            )
            raise GeneratorError(msg)
        p = self.particles
        return np.column_stack([p["px"][sel], p["py"][sel], p["pz"][sel], p["E"][sel]])

    def to_events(self) -> Events:
        """The sample as a hepsym :class:`~hepsym.events.Events` record (format ``"generated"``)."""
        from hepsym.events import Beams, Events, make_particles, pdg_charge

        p = self.particles
        fields = {
            "px": p["px"],
            "py": p["py"],
            "pz": p["pz"],
            "E": p["E"],
            "pid": p["pid"],
            "status": p["status"],
            "charge": pdg_charge(p["pid"]),
            "gen_mass": p["mass"],
            "mother1": p["mother1"],
            "mother2": p["mother2"],
        }
        return Events(
            particles=make_particles(fields, self.counts),
            weights=self.event_info["weight"].copy(),
            beams=Beams(ids=self.beam_ids, energies=self.beam_energies),
            source=str(self.path) if self.path else f"pythia8:{self.process}",
            format="generated",
            metadata=self.to_dict(),
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything but the arrays, as plain Python values."""
        return {
            "process": self.process,
            "n_events": len(self),
            "sqrt_s": self.sqrt_s,
            "beam_ids": list(self.beam_ids),
            "seed": self.seed,
            "mass_window": list(self.mass_window) if self.mass_window else None,
            "settings": list(self.settings),
            "record": self.record,
            "cross_section_pb": self.cross_section_pb,
            "cross_section_error_pb": self.cross_section_error_pb,
            "n_tried": self.n_tried,
            "generator": f"Pythia {self.pythia_version}",
            "seconds": self.seconds,
            "path": str(self.path) if self.path else None,
        }

    def write_lhe(self, path: str | Path) -> Path:
        """Write the sample as an LHE file (gzipped if the name ends in ``.gz``)."""
        from hepsym.io.lhe_write import write_lhe

        settings = "; ".join(self.settings)
        return write_lhe(
            path,
            beam_ids=self.beam_ids,
            beam_energies=self.beam_energies,
            particles=self.particles,
            counts=self.counts,
            event_info=self.event_info,
            cross_section_pb=self.cross_section_pb,
            cross_section_error_pb=self.cross_section_error_pb,
            process_id=int(self.event_info["process_id"][0]),
            generator=("Pythia8", self.pythia_version, f"hepsym.generate {self.process}"),
            comment=(
                f"hepsym.generate: {self.process}, {len(self)} events, "
                f"sqrt(s) = {self.sqrt_s!r} GeV, seed = {self.seed}; Pythia "
                f"{self.pythia_version} settings: {settings}"
            ).replace("--", "- -"),
        )


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


def _check_inputs(
    process: str,
    n_events: int,
    sqrt_s: float | None,
    seed: int,
    mass_window: tuple[float, float] | None,
    settings: Iterable[str],
) -> tuple[ProcessSpec, float, tuple[float, float] | None, tuple[str, ...]]:
    try:
        spec = PROCESSES[process]
    except KeyError as err:
        msg = f"unknown process {process!r}; known: {', '.join(PROCESSES)}"
        raise GeneratorError(msg) from err
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)) or n_events < 1:
        msg = f"{process}: the number of events must be a positive integer, got {n_events!r}"
        raise GeneratorError(msg)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        msg = f"{process}: the seed must be an integer, got {seed!r}"
        raise GeneratorError(msg)
    if not 1 <= seed <= _SEED_MAX:
        msg = f"{process}: the seed must be in 1..{_SEED_MAX} (Pythia's range), got {seed}"
        raise GeneratorError(msg)
    energy = spec.sqrt_s if sqrt_s is None else float(sqrt_s)
    if not (math.isfinite(energy) and energy > _MUON_THRESHOLD):
        msg = f"{process}: sqrt(s) = {energy!r} GeV is below the mu+ mu- threshold"
        raise GeneratorError(msg)
    window = spec.mass_window if mass_window is None else mass_window
    if window is not None:
        lo, hi = (float(w) for w in window)
        if not (math.isfinite(lo) and math.isfinite(hi) and _MUON_THRESHOLD <= lo < hi):
            msg = (
                f"{process}: the mass window must be LOW < HIGH with LOW >= "
                f"{_MUON_THRESHOLD:.4f} GeV (2 m_mu), got {window!r}"
            )
            raise GeneratorError(msg)
        if energy <= lo:
            msg = (
                f"{process}: sqrt(s) = {energy:g} GeV is below the mass window "
                f"[{lo:g}, {hi:g}] GeV: no event can be generated"
            )
            raise GeneratorError(msg)
        if spec.mass_window is None and energy > hi:
            msg = (
                f"{process}: sqrt(s) = {energy:g} GeV is above the mass window [{lo:g}, "
                f"{hi:g}] GeV; without ISR the dimuon mass is sqrt(s)"
            )
            raise GeneratorError(msg)
        window = (lo, hi)
    if isinstance(settings, str):
        settings = (settings,)
    extra = tuple(settings)
    for s in extra:
        if not isinstance(s, str) or "=" not in s:
            msg = f"{process}: Pythia settings look like 'Key:name = value', got {s!r}"
            raise GeneratorError(msg)
    return spec, energy, window, extra


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


def _full_event(event: Any, cols: list[list[Any]]) -> int:
    """Append beams, the last gamma*/Z copy and all final-state particles of ``event``."""
    rows = []
    for j in (1, 2):
        q = event[j]
        rows.append((q.id(), -1, 0, 0, 0, 0, q.px(), q.py(), q.pz(), q.e(), q.m()))
    for j in range(event.size()):
        if event[j].id() == 23:
            q = event[event[j].iBotCopyId()]
            rows.append((23, 2, 1, 2, 0, 0, q.px(), q.py(), q.pz(), q.e(), q.m()))
            break
    for j in range(event.size()):
        q = event[j]
        if q.isFinal():
            rows.append((q.id(), 1, 1, 2, q.col(), q.acol(), q.px(), q.py(), q.pz(), q.e(), q.m()))
    for row in rows:
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    return len(rows)


def generate(
    process: str,
    n_events: int = 10_000,
    *,
    sqrt_s: float | None = None,
    seed: int = 1,
    mass_window: tuple[float, float] | None = None,
    settings: Iterable[str] = (),
    output: str | Path | None = None,
    progress: bool | None = None,
) -> GeneratedSample:
    """Generate events with Pythia 8 and optionally write them as an LHE file.

    Args:
        process: ``"ee-mumu"`` or ``"pp-zmumu"`` (see :data:`PROCESSES`).
        n_events: number of events to generate.
        sqrt_s: centre-of-mass energy in GeV (default: 80 for ``ee-mumu``, 13000 for
            ``pp-zmumu``).
        seed: Pythia random seed, 1..900000000; the same seed gives the same events.
        mass_window: dimuon mass window (low, high) in GeV, Pythia's
            ``PhaseSpace:mHatMin/mHatMax``. Default: (60, 120) for ``pp-zmumu``; none
            for ``ee-mumu``, where sqrt(s) fixes the mass (a window must contain it).
        settings: further Pythia settings, applied last, e.g.
            ``["PartonLevel:all = on", "BeamRemnants:primordialKT = off"]`` for showers.
            With parton level on, the full event record is kept (see
            :class:`GeneratedSample`).
        output: LHE file to write (``.lhe`` or ``.lhe.gz``), or ``None``.
        progress: show a progress bar; ``None``: only on a terminal, once the run
            has lasted two seconds.

    Returns:
        The events and their provenance; ``path`` is set when ``output`` was given.

    Raises:
        GeneratorError: unknown process, bad number of events, seed, energy or mass
            window, a setting Pythia rejects, pythia8mc missing, or Pythia failing.
    """
    spec, energy, window, extra = _check_inputs(
        process, n_events, sqrt_s, seed, mass_window, settings
    )
    pythia8 = _import_pythia()
    all_settings = (
        "Print:quiet = on",
        f"Beams:idA = {spec.beam_ids[0]}",
        f"Beams:idB = {spec.beam_ids[1]}",
        f"Beams:eCM = {energy!r}",
        *spec.settings,
        *HARD_PROCESS_ONLY,
        *(
            (f"PhaseSpace:mHatMin = {window[0]!r}", f"PhaseSpace:mHatMax = {window[1]!r}")
            if window
            else ()
        ),
        "Random:setSeed = on",
        f"Random:seed = {int(seed)}",
        *extra,
    )
    pythia = pythia8.Pythia("", False)
    for s in all_settings:
        if not pythia.readString(s):
            msg = f"{process}: Pythia rejected the setting {s!r}"
            raise GeneratorError(msg)
    if not pythia.init():
        msg = f"{process}: Pythia failed to initialise with settings {list(all_settings)}"
        raise GeneratorError(msg)
    full = bool(pythia.flag("PartonLevel:all"))

    from tqdm import tqdm

    # progress=None: only on a terminal (disable=None) and only once a run lasts.
    bar = tqdm(
        total=n_events,
        desc=f"pythia {process}",
        unit="ev",
        disable=None if progress is None else not progress,
        delay=0.0 if progress else _PROGRESS_DELAY_S,
        file=sys.stderr,
        leave=False,
    )
    cols: list[list[Any]] = [[] for _ in range(11)]
    counts = np.empty(n_events, dtype=np.int64)
    info_cols = np.empty((5, n_events), dtype=np.float64)
    failures = 0
    start = time.perf_counter()
    with bar:
        i = 0
        while i < n_events:
            if not pythia.next():
                failures += 1
                if failures > _MAX_FAILURES:
                    msg = f"{process}: Pythia failed {failures} times after {i} events"
                    raise GeneratorError(msg)
                continue
            counts[i] = (
                _full_event(pythia.event, cols) if full else _hard_process(pythia.process, cols)
            )
            # infoPython() returns a copy: take a fresh one per event.
            info = pythia.infoPython()
            info_cols[:, i] = (
                info.weight(),
                info.QFac(),
                info.alphaEM(),
                info.alphaS(),
                info.code(),
            )
            i += 1
            if i % _PROGRESS_CHUNK == 0:
                bar.update(_PROGRESS_CHUNK)
        bar.update(n_events - bar.n)
    seconds = time.perf_counter() - start
    names = ("pid", "status", "mother1", "mother2", "color1", "color2")
    particles = {k: np.asarray(c, dtype=np.int64) for k, c in zip(names, cols[:6], strict=True)}
    for k, c in zip(("px", "py", "pz", "E", "mass"), cols[6:], strict=True):
        particles[k] = np.asarray(c, dtype=np.float64)
    event_info = {k: info_cols[j] for j, k in enumerate(("weight", "scale", "aqed", "aqcd"))}
    event_info["process_id"] = info_cols[4].astype(np.int64)
    info = pythia.infoPython()
    sample = GeneratedSample(
        process=process,
        sqrt_s=energy,
        beam_ids=spec.beam_ids,
        seed=int(seed),
        mass_window=window,
        settings=all_settings,
        record="event" if full else "process",
        particles=particles,
        counts=counts,
        event_info=event_info,
        cross_section_pb=info.sigmaGen() * _MB_TO_PB,
        cross_section_error_pb=info.sigmaErr() * _MB_TO_PB,
        n_tried=int(info.nTried()),
        pythia_version=f"{pythia.parm('Pythia:versionNumber'):.3f}",
        seconds=seconds,
    )
    if output is None:
        return sample
    return dataclasses.replace(sample, path=sample.write_lhe(output))


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``generate`` options to ``parser`` and set ``func=run`` as its default."""
    parser.add_argument("process", choices=list(PROCESSES), help="process to generate")
    parser.add_argument(
        "-n", "--events", type=int, default=10_000, help="number of events (default 10000)"
    )
    parser.add_argument(
        "--sqrt-s",
        type=float,
        default=None,
        metavar="GEV",
        help="centre-of-mass energy in GeV (default: 80 for ee-mumu, 13000 for pp-zmumu)",
    )
    parser.add_argument("--seed", type=int, default=1, help="Pythia random seed (default 1)")
    parser.add_argument(
        "--mass-window",
        type=float,
        nargs=2,
        default=None,
        metavar=("LOW", "HIGH"),
        help="dimuon mass window in GeV (default: 60 120 for pp-zmumu)",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="'KEY = VALUE'",
        help="extra Pythia setting, applied last (repeatable), e.g. 'PartonLevel:all = on'",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="LHE file to write (.lhe, or .lhe.gz for gzip)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: for long runs on a terminal)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Generate and write the sample described by parsed ``args``; print one summary line."""
    start = time.perf_counter()
    sample = generate(
        args.process,
        args.events,
        sqrt_s=args.sqrt_s,
        seed=args.seed,
        mass_window=tuple(args.mass_window) if args.mass_window else None,
        settings=args.settings,
        output=args.output,
        progress=args.progress,
    )
    total = time.perf_counter() - start
    print(
        f"wrote {len(sample)} {sample.process} events at sqrt(s) = {sample.sqrt_s:g} GeV "
        f"(seed {sample.seed}, sigma = {sample.cross_section_pb:.6g} pb) to {sample.path} "
        f"in {total:.2f} s"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hepsym.generate``: the ``hepsym generate`` command on its own."""
    parser = argparse.ArgumentParser(
        prog="python -m hepsym.generate",
        description="Generate e+e- or pp -> mu+ mu- events with Pythia 8 and write LHE.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except HepsymError as err:
        print(f"hepsym: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
