"""Time the constraint analysis on 10^4 and 10^6 events.

Usage::

    python benchmarks/bench_constraints.py                 # 10^4 and 10^6 events
    python benchmarks/bench_constraints.py --events 100000

The shipped samples (``data/ee_mumu_80GeV.lhe.gz`` with p3 features,
``data/pp_zmumu_13TeV.lhe.gz`` with p4 features) are read once; larger samples repeat
their events, each copy rotated by its own random azimuthal angle about the beam axis,
which keeps every constraint (momentum, energy, on-shell, invariant mass) exactly true
while making the events distinct. The budget is the issue's: the ``hepsym constraints``
command in under 2 s for 10^4 events, so the 10^4 line also times the whole chain
read -> select -> features -> analyze.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

import hepsym
from hepsym.constraints import analyze_constraints
from hepsym.features import FeatureMatrix, build_features
from hepsym.selection import select

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLES = (("ee_mumu_80GeV.lhe.gz", "p3"), ("pp_zmumu_13TeV.lhe.gz", "p4"))
BUDGET_S = 2.0


def rotated_copies(fm: FeatureMatrix, n: int, seed: int = 0) -> FeatureMatrix:
    """``n`` events: the events of ``fm`` repeated, each rotated by a random angle about z."""
    reps = -(-n // fm.n_events)
    X = np.tile(fm.X, (reps, 1))[:n]
    phi = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, n)
    c, s = np.cos(phi), np.sin(phi)
    for p in fm.particles:
        ix, iy = fm.names.index(p.columns["px"]), fm.names.index(p.columns["py"])
        px, py = X[:, ix].copy(), X[:, iy]
        X[:, ix] = c * px - s * py
        X[:, iy] = s * px + c * py
    # the per-event arrays (particle masses, partons) repeated with the rows
    copies = fm.take(np.arange(n) % fm.n_events)
    return dataclasses.replace(copies, X=X, weights=np.ones(n))


def best_of(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="*", default=[10_000, 1_000_000])
    args = parser.parse_args()
    for name, kind in SAMPLES:
        path = DATA / name
        t0 = time.perf_counter()
        fm = build_features(select(hepsym.read(path), "mu- mu+"), kind)
        t_prep = time.perf_counter() - t0
        print(f"{name} ({kind}): read + select + features of {fm.n_events} events {t_prep:.2f} s")
        for n in args.events:
            big = rotated_copies(fm, n)
            t = best_of(lambda big=big: analyze_constraints(big), 3 if n <= 100_000 else 1)
            res = analyze_constraints(big)
            line = (
                f"  {n:>9,} events: analyze_constraints {t:.3f} s "
                f"({n / t / 1e6:.2f} M events/s); rank {res.rank}, predicted "
                f"{res.predicted_dim}, embedding {res.embedding_dim}"
            )
            if n == fm.n_events:
                total = t_prep + t
                line += (
                    f"; whole chain {total:.2f} s = {total / BUDGET_S:.2f} of the "
                    f"{BUDGET_S:g} s budget"
                )
            print(line)


if __name__ == "__main__":
    main()
