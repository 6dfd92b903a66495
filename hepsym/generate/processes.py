"""The processes hepsym generates and the Pythia settings that define them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from hepsym.errors import GeneratorError

__all__ = (
    "HARD_PROCESS_ONLY",
    "MUON_THRESHOLD",
    "PROCESSES",
    "SEED_MAX",
    "W_THRESHOLD",
    "ProcessSpec",
    "check_inputs",
    "pythia_settings",
)

SEED_MAX = 900_000_000  # Pythia's Random:seed range
MUON_THRESHOLD = 2 * 0.1056583755  # GeV
W_THRESHOLD = 2 * 80.385  # GeV, 2 m_W with Pythia 8.3's W mass (24:m0)


@dataclass(frozen=True)
class ProcessSpec:
    """A process hepsym knows how to generate.

    Attributes:
        name: registry name, e.g. ``"ee-mumu"``.
        description: one line for humans.
        beam_ids: PDG ids of beam A (+z) and beam B (-z).
        sqrt_s: default centre-of-mass energy in GeV.
        settings: Pythia settings that define the process.
        mass_window: default mass window of the produced pair in GeV, or ``None`` where
            sqrt(s) fixes the mass (lepton beams without ISR).
        pair: what the hard process makes, for messages: ``"mu+ mu-"``, ``"W+ W-"``.
        min_mass: the pair's threshold in GeV: sqrt(s) must exceed it and a mass window
            may not start below it (``MUON_THRESHOLD``, ``W_THRESHOLD``).
        min_mass_text: that threshold in words, ``"2 m_mu"``.
        resonances: PDG ids of the intermediate bosons a showered sample keeps (their
            last copies) beside the beams and the final state.
    """

    name: str
    description: str
    beam_ids: tuple[int, int]
    sqrt_s: float
    settings: tuple[str, ...]
    mass_window: tuple[float, float] | None
    pair: str = "mu+ mu-"
    min_mass: float = MUON_THRESHOLD
    min_mass_text: str = "2 m_mu"
    resonances: tuple[int, ...] = (23,)


_TO_MUONS = ("23:onMode = off", "23:onIfAny = 13")
#: both W's to mu nu_mu: a fully leptonic WW sample (override with --set '24:onIfAny = 11 13')
_W_TO_MUONS = ("24:onMode = off", "24:onIfAny = 13")

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
    "ee-ww": ProcessSpec(
        name="ee-ww",
        description="e+ e- -> W+ W- -> mu+ nu_mu mu- nu_mu~, no ISR",
        beam_ids=(11, -11),
        sqrt_s=250.0,
        settings=("PDF:lepton = off", "WeakDoubleBoson:ffbar2WW = on", *_W_TO_MUONS),
        mass_window=None,
        pair="W+ W-",
        min_mass=W_THRESHOLD,
        min_mass_text="2 m_W",
        resonances=(24, -24),
    ),
}

#: Settings that keep only the hard process (user settings come later and win).
HARD_PROCESS_ONLY = ("PartonLevel:all = off", "HadronLevel:all = off")


def check_inputs(
    process: str,
    n_events: int,
    sqrt_s: float | None,
    seed: int,
    mass_window: tuple[float, float] | None,
    settings: Iterable[str],
) -> tuple[ProcessSpec, float, tuple[float, float] | None, tuple[str, ...]]:
    """Validate the arguments of :func:`~hepsym.generate.generate` and fill in defaults.

    Returns:
        The process spec, sqrt(s) in GeV, the mass window (or ``None``) and the extra
        settings as a tuple.

    Raises:
        GeneratorError: unknown process, bad number of events, seed, energy, mass window
            or setting.
    """
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
    if not 1 <= seed <= SEED_MAX:
        msg = f"{process}: the seed must be in 1..{SEED_MAX} (Pythia's range), got {seed}"
        raise GeneratorError(msg)
    energy = spec.sqrt_s if sqrt_s is None else float(sqrt_s)
    if not (math.isfinite(energy) and energy > spec.min_mass):
        msg = (
            f"{process}: sqrt(s) = {energy!r} GeV is below the {spec.pair} threshold "
            f"({spec.min_mass_text} = {spec.min_mass:.4g} GeV)"
        )
        raise GeneratorError(msg)
    window = spec.mass_window if mass_window is None else mass_window
    if window is not None:
        lo, hi = (float(w) for w in window)
        if not (math.isfinite(lo) and math.isfinite(hi) and spec.min_mass <= lo < hi):
            msg = (
                f"{process}: the mass window must be LOW < HIGH with LOW >= "
                f"{spec.min_mass:.4g} GeV ({spec.min_mass_text}), got {window!r}"
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
                f"{hi:g}] GeV; without ISR the {spec.pair} mass is sqrt(s)"
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


def pythia_settings(
    spec: ProcessSpec,
    sqrt_s: float,
    mass_window: tuple[float, float] | None,
    seed: int,
    extra: Iterable[str] = (),
    *,
    shower: bool = False,
) -> tuple[str, ...]:
    """Every Pythia setting of a run, in the order they are applied.

    Beams and energy, the process, :data:`HARD_PROCESS_ONLY` (unless ``shower``: then
    Pythia's default parton showers, multiparton interactions and hadronisation run),
    the mass window, the seed, then the user's ``extra`` settings, which come last and
    so win.
    """
    return (
        "Print:quiet = on",
        f"Beams:idA = {spec.beam_ids[0]}",
        f"Beams:idB = {spec.beam_ids[1]}",
        f"Beams:eCM = {sqrt_s!r}",
        *spec.settings,
        *(() if shower else HARD_PROCESS_ONLY),
        *(
            (
                f"PhaseSpace:mHatMin = {mass_window[0]!r}",
                f"PhaseSpace:mHatMax = {mass_window[1]!r}",
            )
            if mass_window
            else ()
        ),
        "Random:setSeed = on",
        f"Random:seed = {int(seed)}",
        *extra,
    )
