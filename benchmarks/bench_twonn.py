"""TwoNN: hepsym's k-d-tree estimate against scikit-dimension's TwoNN on the same points.

    python benchmarks/bench_twonn.py [--events 10000 20000] [--repeat 3]

Points: the shipped pp -> Z -> mu mu sample's 8 features (4-momenta), with copies rotated
about the beam axis by random angles to reach the sizes asked (the same 3-dimensional
surface, more densely sampled). Prints both estimates (they agree to 1e-12 on the
same points) and the minimum and median time of each, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from hepsym.geometry import two_nn
from hepsym.inputs import prepare


def _times(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        out.append(time.perf_counter() - t)
    return value, min(out), statistics.median(out)


def _rotated_copies(X0: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n events: X0 (E, px, py, pz per particle) and copies rotated about z."""
    parts = [X0]
    while sum(len(p) for p in parts) < n:
        phi = rng.uniform(0, 2 * np.pi, len(X0))
        c, s = np.cos(phi), np.sin(phi)
        X = X0.copy()
        for k in range(0, X0.shape[1], 4):
            X[:, k + 1] = c * X0[:, k + 1] - s * X0[:, k + 2]
            X[:, k + 2] = s * X0[:, k + 1] + c * X0[:, k + 2]
        parts.append(X)
    return np.concatenate(parts)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 20_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    X0 = prepare("data/pp_zmumu_13TeV.lhe.gz").features.X
    rng = np.random.default_rng(0)
    try:
        import skdim
    except ImportError:
        skdim = None
        print(
            "scikit-dimension is not installed: hepsym's times only (pip install scikit-dimension)"
        )
    for n in args.events:
        X = _rotated_copies(X0, n, rng)
        X = (X - X.mean(axis=0)) / X.std(axis=0)
        ours, lo, med = _times(
            lambda X=X, n=n: two_nn(X, standardize=False, cap=n).dim, args.repeat
        )
        line = f"{n:>8} points: hepsym {ours:.4f} in {lo:.3f} s (median {med:.3f})"
        if skdim is not None:
            ref, rlo, rmed = _times(
                lambda X=X: float(skdim.id.TwoNN().fit(X).dimension_), args.repeat
            )
            line += f"; scikit-dimension {ref:.4f} in {rlo:.3f} s (median {rmed:.3f}); ratio {lo / rlo:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
