"""Time the symmetry study on the shipped samples, and measure the density test's power.

Usage::

    python benchmarks/bench_symmetries.py            # times on the shipped samples
    python benchmarks/bench_symmetries.py --power    # and the smallest breaking detected

Times: the support algebra (tangency conditions on 200 of the 10^4 events, SVD) against
its budget of 1 s, and the density tests (1000 + 1000 events, 500 permutations each).

Power: a known asymmetry is injected and the fraction of seeds in which the rule
(p < alpha = 0.01) calls the symmetry broken is printed:

* mu- <-> mu+ on e+e- -> mu- mu+ at 80 GeV with dsigma/dcos ~ 1 + cos^2 + (8/3) A_FB cos;
* rotations of the plane (by +-1 rad) on a circle with density ~ 1 + eps cos(2 phi).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

import hepsym
import hepsym.datasets
from hepsym.features import FeatureMatrix
from hepsym.symmetry import SymmetryResult, symmetries
from hepsym.symmetry.density import continuous, discrete_maps, two_sample_test
from hepsym.symmetry.generators import basis_for

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = (
    ("ee_mumu_80GeV.lhe.gz", "p3"),
    ("ee_mumu_80GeV.lhe.gz", "p4"),
    ("pp_zmumu_13TeV.lhe.gz", "p4"),
)
SUPPORT_BUDGET_S = 1.0


def timed(label: str, r: SymmetryResult, wall: float) -> None:
    t = r.timings
    n_tests = len(r.density) + len(r.discrete)
    print(
        f"{label:<28} support {t['support_s']:.3f} s ({t['support_s'] / SUPPORT_BUDGET_S:.2f} of "
        f"the 1 s budget)  density {t['density_s']:.2f} s for {n_tests} tests "
        f"({t['density_s'] / n_tests:.2f} s each)  total {wall:.2f} s"
    )


def two_body(
    a_fb: float, n: int, rng: np.random.Generator, template: FeatureMatrix
) -> FeatureMatrix:
    b = 8.0 / 3.0 * a_fb
    cos = np.empty(0)
    while len(cos) < n:
        c = rng.uniform(-1, 1, 4 * n)
        cos = np.concatenate([cos, c[rng.uniform(0, 2 + abs(b), 4 * n) < 1 + c**2 + b * c]])
    cos, phi = cos[:n], rng.uniform(0, 2 * np.pi, n)
    sin = np.sqrt(1 - cos**2)
    p = np.sqrt(40.0**2 - 0.10566**2)
    d = np.stack([sin * np.cos(phi), sin * np.sin(phi), cos], axis=1) * p
    return dataclasses.replace(template.take(np.arange(n)), X=np.hstack([d, -d]))


def power(n_seeds: int) -> None:
    template = hepsym.prepare(ROOT / "data" / "ee_mumu_80GeV.lhe.gz").features
    basis = basis_for(template)
    swap = next(d for d in discrete_maps(template, basis) if d.words == "particle swap")
    print(f"\npower of the rule p < 0.01 (1000 + 1000 events, 500 permutations, {n_seeds} seeds)")
    for a in (0.0, 0.02, 0.04, 0.06, 0.08, 0.1):
        hits = 0
        for seed in range(n_seeds):
            rng = np.random.default_rng(seed)
            X = two_body(a, 2000, rng, template).X
            hits += two_sample_test(X[:1000], swap(X[1000:], rng), 500, rng)[2] < 0.01
        print(f"  mu- <-> mu+, injected A_FB = {a:<5g} broken in {hits}/{n_seeds}")
    circle = hepsym.datasets.circle(n=10).features()
    rot = continuous(basis_for(circle).named[0].matrix, True, basis_for(circle), 1.0)
    for eps in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3):
        hits = 0
        for seed in range(n_seeds):
            rng = np.random.default_rng(seed)
            phi = rng.uniform(0, 2 * np.pi, 8000)
            phi = phi[rng.uniform(0, 1 + eps, 8000) < 1 + eps * np.cos(2 * phi)][:2000]
            X = 10 * np.c_[np.cos(phi), np.sin(phi)]
            hits += two_sample_test(X[:1000], rot(X[1000:], rng), 500, rng)[2] < 0.01
        print(f"  R_12 by +-1 rad, density 1 + {eps:g} cos(2 phi): broken in {hits}/{n_seeds}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--power", action="store_true", help="measure the power by injection")
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args(argv)
    for name, kind in SAMPLES:
        fm = hepsym.prepare(ROOT / "data" / name, features=kind).features
        t0 = time.perf_counter()
        r = symmetries(fm)
        timed(f"{name} {kind}", r, time.perf_counter() - t0)
    for toy in ("circle", "square"):
        fm = hepsym.datasets.load_toy(toy).features()
        t0 = time.perf_counter()
        r = symmetries(fm)
        timed(f"toy {toy}", r, time.perf_counter() - t0)
    if args.power:
        power(args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
