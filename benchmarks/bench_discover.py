"""Cost of hepsym.discover against the plain SVD of the whole monomial library and a VAE ensemble.

Targets: 10^4 events x 8 features at degree 3 under 2 s; 16 features at degree 2 under 5 s;
10^6 events under 30 s with bounded memory (the QR is chunked: memory is chunk x monomials).

    python benchmarks/bench_discover.py            # all, with one VAE ensemble
    python benchmarks/bench_discover.py --no-vae   # without the ensemble
    python benchmarks/bench_discover.py --no-vae --sample ww.lhe.gz:2 --sample wide.lhe.gz:3

``--sample FILE:DEGREE`` adds a generated sample (p4 features), e.g. the 20-1000 GeV
Drell-Yan window or e+e- -> W+W- of ``docs/discover.md``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_discover import rambo

import hepsym
from hepsym.discovery import discover
from hepsym.discovery.ideal import evaluate, monomials_of_degree


def library_svd(X: np.ndarray, degree: int) -> float:
    """Seconds for the SVD of every monomial of degree <= ``degree`` on the events."""
    t0 = time.perf_counter()
    Z = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    terms = [t for d in range(degree + 1) for t in monomials_of_degree(X.shape[1], d)]
    np.linalg.svd(evaluate(Z, terms), full_matrices=False)
    return time.perf_counter() - t0


def timed(X: np.ndarray, degree: int, repeat: int = 2) -> tuple[float, hepsym.discovery.Discovery]:
    """Best of ``repeat`` runs (the first pays for imports and caches)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        d = discover(X, max_degree=degree, geometric=False)
        best = min(best, time.perf_counter() - t0)
    return best, d


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--no-vae", action="store_true")
    p.add_argument("--big", type=int, default=1_000_000, help="events of the large case")
    p.add_argument("--sample", action="append", default=[], metavar="FILE:DEGREE")
    args = p.parse_args()
    cases = [
        ("2 massless at 100 GeV (p4)", rambo(2, 100.0, 10_000), 3),
        ("4 massless at 100 GeV (p4)", rambo(4, 100.0, 10_000), 2),
    ]
    discover(rambo(2, 100.0, 1000), max_degree=2)  # warm up: first imports (scipy, constraints)
    fm = hepsym.prepare(hepsym.InputSpec(path="data/pp_zmumu_13TeV.lhe.gz", features="p4")).features
    print(f"{'case':<34} {'events':>8} {'feat':>4} {'deg':>3} {'discover':>9} {'lib SVD':>8}  dim")
    t, d = timed(fm, 3)
    svd = library_svd(fm.X, 3)
    print(
        f"{'pp -> Z -> mu mu (shipped, p4)':<34} {fm.n_events:>8} {8:>4} {3:>3} {t:>8.2f}s {svd:>7.2f}s  {d.discovered_dim}"
    )
    for name, X, deg in cases:
        t, d = timed(X, deg)
        svd = library_svd(X, deg)
        print(
            f"{name:<34} {len(X):>8} {X.shape[1]:>4} {deg:>3} {t:>8.2f}s {svd:>7.2f}s  {d.discovered_dim}"
        )
    for item in args.sample:
        path, _, deg_text = item.rpartition(":")
        sfm = hepsym.prepare(hepsym.InputSpec(path=path, features="p4")).features
        t, d = timed(sfm, int(deg_text))
        svd = library_svd(sfm.X, int(deg_text))
        print(
            f"{Path(path).name:<34} {sfm.n_events:>8} {sfm.n_features:>4} {deg_text:>3} "
            f"{t:>8.2f}s {svd:>7.2f}s  {d.discovered_dim}"
        )
    X = rambo(2, 100.0, args.big, seed=1)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t, d = timed(X, 3, repeat=1)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'2 massless, large':<34} {len(X):>8} {8:>4} {3:>3} {t:>8.2f}s {'-':>8}  {d.discovered_dim}"
        f"   (peak RSS {rss1:.0f} MiB, {rss0:.0f} before; X itself {X.nbytes / 2**20:.0f} MiB; "
        f"the whole library would be {len(X) * 165 * 8 / 2**20:.0f} MiB)"
    )
    if not args.no_vae:
        t0 = time.perf_counter()
        hepsym.learn(fm.X, fm.names)
        print(
            f"one VAE ensemble (15 members, 20 epochs) on the pp sample: {time.perf_counter() - t0:.1f}s"
        )


if __name__ == "__main__":
    main()
