"""Reading showered HepMC3 events: hepsym.read against pyhepmc's own read loop.

The reference is what a user of pyhepmc writes: ``pyhepmc.open`` and, per event, every
particle's momentum touched (``p.momentum.px`` ...). hepsym.read parses with the same
C++ reader and converts each event with a handful of numpy calls, then zips once.

    python benchmarks/bench_read_hepmc.py [--events N] [--repeats R] [--file F]

Without ``--file`` it generates ``N`` showered e+e- -> mu+ mu- (gamma) events with
``hepsym generate ee-mumu --format hepmc3`` into a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pyhepmc

import hepsym


def pyhepmc_loop(path: Path) -> int:
    n = 0
    with pyhepmc.open(path) as f:
        for event in f:
            for p in event.particles:
                m = p.momentum
                _ = (m.px, m.py, m.pz, m.e)
            n += 1
    return n


def hepsym_read(path: Path) -> int:
    return len(hepsym.read(path))


def timed(fn, path: Path, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(path)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--file", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            from hepsym.generate import generate

            path = Path(tmp) / "ee.hepmc3"
            t = time.perf_counter()
            generate("ee-mumu", args.events, output=path, output_format="hepmc3")
            print(f"generated {args.events} showered events in {time.perf_counter() - t:.1f} s")
        n = hepsym_read(path)
        print(f"{path.name}: {n} events, {path.stat().st_size / 1e6:.1f} MB")
        ref = timed(pyhepmc_loop, path, args.repeats)
        ours = timed(hepsym_read, path, args.repeats)
        for name, t in (("pyhepmc loop", ref), ("hepsym.read", ours)):
            print(
                f"{name:<13} min {min(t):.3f} s  median {statistics.median(t):.3f} s  "
                f"({n / min(t):,.0f} events/s)"
            )
        print(f"ratio hepsym.read / pyhepmc loop (min): {min(ours) / min(ref):.2f}")


if __name__ == "__main__":
    main()
