"""Every particle's momentum checked after reading: NaN or infinite coordinates, a
negative energy or an energy below ``|p|``, and non-finite weights.

:func:`check_momenta` is what every reader ends in; a bad event is an error naming the
file, the event (counted from 0) and the particle, or is dropped and counted.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import awkward as ak
import numpy as np

from hepsym.errors import HepsymWarning, InputFileError
from hepsym.events import Events

__all__ = ("MAX_ENERGY", "SPACELIKE_TOLERANCE", "check_momenta")

#: How far below ``|p|`` a particle's energy may be before it is an error, relative:
#: ``p^2 - E^2 > SPACELIKE_TOLERANCE * E^2`` is refused (``|p|`` above ``E`` by more
#: than 5e-5 of it). Rounding makes massless and light particles (a muon's mass is
#: 2e-10 of ``E^2`` at 6.5 TeV) look slightly space-like; measured worst cases of
#: ``(p^2 - E^2) / E^2``: float32 ROOT branches 1.8e-7 (``uproot-HZZ.root``) and 2.5e-7
#: (2e6 simulated muons up to 6.5 TeV, rounded to float32 or computed in float32),
#: text with 7 significant digits 1.7e-6 and with 6 (C++'s default stream precision)
#: 1.8e-5, the shipped LHE files at most 3.4e-8 (MadGraph, 11 digits). So 1e-4 keeps
#: a factor 5 over the coarsest of these and still refuses any momentum that is
#: space-like by a physically visible amount.
SPACELIKE_TOLERANCE = 1e-4
#: Largest ``|component|`` accepted: above it squares (masses, ``p^2`` sums) overflow.
MAX_ENERGY = 1e150
#: LHE status of a space-like propagator (ISTUP -2): exempt from the energy checks.
_SPACELIKE_STATUS = -2


def _flat(values: Any) -> np.ndarray:
    return np.asarray(ak.flatten(values, axis=1), dtype=np.float64)


def _flat_columns(particles: ak.Array) -> tuple[np.ndarray, Any]:
    """Offsets and a getter of flat columns (``vector``'s names accepted: ``pt`` for
    ``rho``): views of the buffers of a packed list of records (what readers build)."""
    layout = ak.to_layout(particles)
    record = layout.content if isinstance(layout, ak.contents.ListOffsetArray) else None
    if not (
        isinstance(record, ak.contents.RecordArray)
        and int(layout.offsets[0]) == 0
        and record.length == int(layout.offsets[-1])
    ):
        offsets = np.zeros(len(particles) + 1, dtype=np.int64)
        np.cumsum(ak.to_numpy(ak.num(particles, axis=1)), out=offsets[1:])
        return offsets, lambda name: _flat(getattr(particles, name))

    def column(name: str) -> np.ndarray:
        key = name if record.has_field(name) else _VECTOR_FIELDS.get(name, name)
        content = record.content(key) if record.has_field(key) else None
        if isinstance(content, ak.contents.NumpyArray) and content.data.ndim == 1:
            return np.asarray(content.data)
        return _flat(getattr(particles, name))

    return np.asarray(layout.offsets.data, dtype=np.int64), column


#: vector's field names of the coordinates the check reads.
_VECTOR_FIELDS = {"pt": "rho", "mass": "tau", "px": "x", "py": "y", "pz": "z", "E": "t"}
#: Bounds under which a particle is valid without the full check (see ``_surely_valid``).
_SAFE_MAX, _SAFE_MIN, _SAFE_PT, _SAFE_ETA = 1e100, 1e-140, 1e10, 300.0
#: Particles per block of :func:`_surely_valid`: its temporaries stay in the cache.
_BLOCK = 1 << 15


def _surely_valid(stored: list[np.ndarray], polar: bool) -> np.ndarray:
    """Particles that the full check would pass, told by a few comparisons.

    Cheap bounds that imply every condition of the full check: finite, not too large
    (each square below 1e200, so ``|p|`` and ``E`` far below :data:`MAX_ENERGY`),
    non-negative energy, and ``p^2`` within 5e-5 of ``E^2`` (half the tolerance; the
    rounding of ``sqrt`` and the squares is 1e-15 of it while they are not subnormal).
    Polar coordinates: ``E = sqrt(pt^2 + pz^2 + mass^2)`` is time-like up to rounding,
    so only the bounds are needed (``|pt| < 1e10`` and ``|eta| < 300`` keep ``|pz| <
    1e140``). The few particles outside the bounds (E = 0, ``|eta| > 300``...) get
    the full check, which alone decides and words what is wrong. Done in blocks that
    stay in the processor's cache (three times faster than whole columns).
    """
    ok = np.empty(len(stored[0]), dtype=bool)
    for start in range(0, len(ok), _BLOCK):
        block = [values[start : start + _BLOCK] for values in stored]
        with np.errstate(all="ignore"):
            if polar:
                a = np.abs(block[0])
                good = (a < _SAFE_PT) & ((a >= _SAFE_MIN) | (a == 0))
                good &= np.abs(block[1], out=a) < _SAFE_ETA
                good &= np.abs(block[3], out=a) < _SAFE_MAX
                good &= np.isfinite(block[2])
            else:
                px, py, pz, energy = block[:4]
                p2 = px * px
                p2 += py * py
                p2 += pz * pz
                e2 = energy * energy
                good = (e2 < _SAFE_MAX**2) & (e2 >= _SAFE_MIN**2) & (energy >= 0)
                good &= p2 < _SAFE_MAX**2
                good &= p2 <= e2 * (1.0 + SPACELIKE_TOLERANCE / 2)
            for extra in block[4:]:
                good &= np.isfinite(extra)
        ok[start : start + _BLOCK] = good
    return ok


def _momentum_problems(particles: ak.Array, weights: np.ndarray | None) -> tuple[np.ndarray, str]:
    """Events with an invalid momentum (or weight) and what is wrong with the first one.

    A cheap test (:func:`_surely_valid`) clears almost every particle; the full check
    runs on the rest only (it is per particle, so the answer is the same).
    """
    n_events = len(particles)
    offsets, flat = _flat_columns(particles)
    fields = set(ak.fields(particles))
    polar = bool(fields & {"rho", "pt"})
    names: tuple[str, ...] = ("pt", "eta", "phi", "mass") if polar else ("px", "py", "pz", "E")
    # The LHE record's fifth momentum component, the generator's mass, must be a number too.
    names += tuple(extra for extra in ("gen_mass",) if extra in fields)
    stored = [np.asarray(flat(name), dtype=np.float64) for name in names]
    suspect = np.flatnonzero(~_surely_valid(stored, polar))
    bad_weights = np.zeros(n_events, dtype=bool) if weights is None else ~np.isfinite(weights)
    if not len(suspect) and not bad_weights.any():
        return bad_weights, ""
    stored = [values[suspect] for values in stored]
    status = flat("status")[suspect] if "status" in fields else None
    bad_at, problems = _full_check(stored, names, polar, status)
    bad_particles = suspect[bad_at]
    bad_events = np.zeros(n_events, dtype=bool)
    bad_events[np.searchsorted(offsets, bad_particles, side="right") - 1] = True
    bad_events |= bad_weights
    if not bad_events.any():
        return bad_events, ""
    event = int(np.argmax(bad_events))
    inside = (bad_particles >= offsets[event]) & (bad_particles < offsets[event + 1])
    if not inside.any():
        assert weights is not None
        return bad_events, f"event {event} (0-based): weight is {float(weights[event])!r}"
    k = int(np.argmax(inside))  # the first bad particle of that event
    i = int(bad_particles[k])
    pid = f" (pid {int(flat('pid')[i])})" if "pid" in fields else ""
    where = f"event {event} (0-based), particle {i - int(offsets[event])}{pid}"
    return bad_events, f"{where}: {problems(int(bad_at[k]))}"


def _full_check(
    stored: list[np.ndarray], names: tuple[str, ...], polar: bool, status: np.ndarray | None
) -> tuple[np.ndarray, Any]:
    """Indices of the invalid particles among ``stored`` and a function wording the
    problem of one of them."""
    with np.errstate(all="ignore"):
        if polar:
            # Cartesian components from the flat polar columns in numpy, not through
            # vector's awkward behaviours (which cost ~1 s per 10^6 NanoAOD muons)
            pt, eta, phi, mass = stored[:4]
            px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
            energy = np.sqrt(pt * pt + pz * pz + mass * mass)
        else:
            px, py, pz, energy = stored[:4]
        p = np.sqrt(px * px + py * py + pz * pz)
        exempt = np.zeros(len(p), dtype=bool) if status is None else status == _SPACELIKE_STATUS
        finite = np.ones(len(p), dtype=bool)
        for values in stored:
            finite &= np.isfinite(values)
        derived = np.isfinite(px) & np.isfinite(py) & np.isfinite(pz) & np.isfinite(energy)
        large = (np.abs(energy) > MAX_ENERGY) | (p > MAX_ENERGY)
        negative = (energy < 0) & ~exempt
        spacelike = (p * p - energy * energy > SPACELIKE_TOLERANCE * energy * energy) & ~exempt
    bad = ~finite | ~derived | large | negative | spacelike

    def problem(i: int) -> str:
        if not finite[i]:
            name, value = next(
                (n, v[i]) for n, v in zip(names, stored, strict=True) if not np.isfinite(v[i])
            )
            return f"{name} is {float(value)!r}"
        if not derived[i] or large[i]:
            return (
                f"momentum too large (E = {energy[i]:.4g}, |p| = {p[i]:.4g}; "
                f"the limit is {MAX_ENERGY:g})"
            )
        if negative[i]:
            return f"negative energy E = {energy[i]:.6g}"
        return (
            f"energy below the momentum, E = {energy[i]:.9g} < |p| = {p[i]:.9g} "
            f"(beyond the relative tolerance {SPACELIKE_TOLERANCE:g} on E^2 - p^2)"
        )

    return np.flatnonzero(bad), problem


def check_momenta(events: Events, *, drop_bad_events: bool = False) -> Events:
    """Check every particle's four-momentum (and every weight) after reading.

    A particle is invalid when a coordinate (or the LHE ``gen_mass``) is NaN or
    infinite, its energy or momentum is above :data:`MAX_ENERGY`, its energy is
    negative, or ``p^2 - E^2 >`` :data:`SPACELIKE_TOLERANCE` ``* E^2``; LHE space-like
    propagators (status -2) are exempt from the two energy conditions. An event is
    invalid when one of its particles is, or its weight is not finite. Events are
    counted from 0 in the file (the ROOT entry number), particles from 0 in the event.

    Args:
        events: the events just read (``events.source`` names the file in messages).
        drop_bad_events: remove the invalid events (with a :class:`HepsymWarning`
            giving their number) instead of raising.

    Returns:
        The events (without the invalid ones if ``drop_bad_events``), with
        ``metadata["n_bad_events"]`` set (0 when none).

    Raises:
        InputFileError: an invalid event and ``drop_bad_events`` is false, or every
            event invalid; the message names the file, the first such event (0-based),
            its particle and PDG id.
    """
    bad, first = _momentum_problems(events.particles, np.asarray(events.weights))
    n_bad = int(bad.sum())
    metadata = {**events.metadata, "n_bad_events": n_bad}
    source = events.source or "<memory>"
    if n_bad and n_bad == len(events):  # dropping them would leave nothing
        msg = (
            f"{source}: {first}; every event is invalid ({n_bad} of {n_bad}), none would be "
            "left to study (synthetic or damaged data?)"
        )
        raise InputFileError(msg)
    if n_bad and not drop_bad_events:
        msg = (
            f"{source}: {first}; invalid events: {n_bad} of {len(events)} "
            "(--drop-bad-events, or drop_bad_events=True in Python, drops them)"
        )
        raise InputFileError(msg)
    if not n_bad:
        return dataclasses.replace(events, metadata=metadata)
    keep = ~bad
    if "n_events" in metadata:
        metadata["n_events"] = int(keep.sum())
    warnings.warn(
        f"{source}: dropped {n_bad} of {len(events)} events with invalid momenta or weights "
        f"(first: {first})",
        HepsymWarning,
        stacklevel=3,
    )
    return dataclasses.replace(
        events,
        particles=ak.to_packed(events.particles[keep]),
        weights=np.asarray(events.weights)[keep],
        metadata=metadata,
    )
