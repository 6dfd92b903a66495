"""Time :func:`hepsym.io.read` on ROOT files against raw ``uproot`` reading the same branches.

Writes large inputs to ``benchmarks/_work/`` once (git-ignored): the HZZ muons
repeated to ``--events`` events as a jagged Cartesian TTree, and a NanoAOD-like
TTree (``Muon_pt, Muon_eta, Muon_phi, Muon_mass, Muon_charge``, ``Jet_*``,
``genWeight``). Each reading is timed ``--repeat`` times; the minimum and the median are
printed, the ratios are of the minima. hepsym inflates baskets on one thread per core;
uproot is timed with its default (one thread) and given the same threads, so the second
ratio is the reader's own cost.

Then the whole process on the HZZ file, as a user meets it: a fresh ``python -c`` that
imports and reads, uproot's ``.arrays`` of the same branches against ``hepsym.io.read``,
and against ``read`` followed by ``.pt`` of the particles (which imports ``vector``, and
with it sympy where installed).

Usage::

    python benchmarks/bench_read_root.py [--events 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from hepsym._cores import usable_cores
from hepsym.io import read

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
HZZ = HERE.parent / "data" / "external" / "uproot-HZZ.root"
#: the decompression threads hepsym's reader uses (one per core, at most 4)
POOL = concurrent.futures.ThreadPoolExecutor(min(usable_cores(), 4))
MUON_BRANCHES = ["Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E", "Muon_Charge", "EventWeight"]


def make_hzz_muons(n_events: int) -> Path:
    """The HZZ muon collection and weights repeated to ``n_events`` events."""
    path = WORK / f"hzz_muons_{n_events}.root"
    if path.exists():
        return path
    with uproot.open(HZZ) as f:
        src = f["events"].arrays(MUON_BRANCHES)
    reps = -(-n_events // len(src))
    index = np.tile(np.arange(len(src)), reps)[:n_events]
    data = src[index]
    muon = ak.zip({name.split("_")[1]: data[name] for name in MUON_BRANCHES[:-1]})
    WORK.mkdir(exist_ok=True)
    with uproot.recreate(path) as f:
        tree = f.mktree("events", {"Muon": muon.type.content, "EventWeight": np.float32})
        step = 200_000
        for start in range(0, n_events, step):
            stop = min(start + step, n_events)
            tree.extend({"Muon": muon[start:stop], "EventWeight": data["EventWeight"][start:stop]})
    return path


def make_nanoaod(n_events: int) -> Path:
    """A NanoAOD-like TTree with Muon (pt, eta, phi, mass, charge) and Jet (no mass)."""
    path = WORK / f"nanoaod_{n_events}.root"
    if path.exists():
        return path
    rng = np.random.default_rng(7)
    WORK.mkdir(exist_ok=True)
    with uproot.recreate(path) as f:
        tree = None
        step = 200_000
        for start in range(0, n_events, step):
            n = min(step, n_events - start)
            mu_n = rng.poisson(1.5, n)
            jet_n = rng.poisson(3.0, n)
            m, j = int(mu_n.sum()), int(jet_n.sum())
            muon = ak.unflatten(
                ak.zip(
                    {
                        "pt": rng.exponential(30, m).astype(np.float32),
                        "eta": rng.uniform(-2.4, 2.4, m).astype(np.float32),
                        "phi": rng.uniform(-np.pi, np.pi, m).astype(np.float32),
                        "mass": np.full(m, 0.10566, np.float32),
                        "charge": rng.choice(np.array([-1, 1], np.int32), m),
                    }
                ),
                mu_n,
            )
            jet = ak.unflatten(
                ak.zip(
                    {
                        "pt": rng.exponential(50, j).astype(np.float32),
                        "eta": rng.uniform(-4.7, 4.7, j).astype(np.float32),
                        "phi": rng.uniform(-np.pi, np.pi, j).astype(np.float32),
                    }
                ),
                jet_n,
            )
            chunk = {
                "Muon": muon,
                "Jet": jet,
                "genWeight": rng.normal(1, 0.1, n).astype(np.float32),
            }
            if tree is None:
                types = {
                    k: v.dtype if isinstance(v, np.ndarray) else v.type.content
                    for k, v in chunk.items()
                }
                tree = f.mktree("Events", types)
            tree.extend(chunk)
    return path


def timed(repeat: int, *funcs: Callable[[], object]) -> list[tuple[float, float]]:
    """(minimum, median) wall time of each function, run alternately so that machine
    load hits all of them."""
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(repeat):
        for func, out in zip(funcs, times, strict=True):
            start = time.perf_counter()
            func()
            out.append(time.perf_counter() - start)
    return [(min(t), statistics.median(t)) for t in times]


HZZ_BRANCHES = [f"{c}_{v}" for c in ("Jet", "Muon", "Electron", "Photon")
                for v in ("Px", "Py", "Pz", "E")] + [
    "Muon_Charge", "Electron_Charge", "EventWeight"]  # fmt: skip


def whole_process(repeat: int) -> None:
    """Fresh interpreters that import and read the HZZ file: uproot against hepsym."""
    scripts = {
        "uproot .arrays": f"import uproot; uproot.open({str(HZZ)!r})['events']"
        f".arrays({HZZ_BRANCHES!r})",
        "hepsym read": f"from hepsym.io import read; read({str(HZZ)!r})",
        "hepsym read + .pt (vector)": f"from hepsym.io import read; "
        f"read({str(HZZ)!r}).particles.pt",
    }
    runs = [
        lambda code=code: subprocess.run([sys.executable, "-c", code], check=True)
        for code in scripts.values()
    ]
    results = timed(repeat, *runs)
    base = results[0][0]
    print(f"whole process on the HZZ file, {repeat} fresh interpreters each:")
    for label, (low, mid) in zip(scripts, results, strict=True):
        print(f"  {label:<28} min {low:6.3f} s  median {mid:6.3f} s  ratio {low / base:4.2f}x")


def compare(
    label: str, path: Path, tree: str, branches: list[str], repeat: int, **kwargs: object
) -> None:
    def raw() -> object:
        with uproot.open(path) as f:
            return f[tree].arrays(branches)

    def raw_threads() -> object:  # uproot given the threads hepsym inflates baskets on
        with uproot.open(path) as f:
            return f[tree].arrays(branches, decompression_executor=POOL)

    def hepsym() -> object:
        return read(path, **kwargs)

    start = time.perf_counter()
    events = read(path, **kwargs)
    if time.perf_counter() - start < 0.1:  # a small file: its best of a few is noise
        repeat = max(repeat, 40)
    assert sorted(
        {b for m in events.metadata["branches"].values() for b in m.values()}
        | {events.metadata["weight_branch"]}
    ) == sorted(branches)
    n = len(events)
    (t_raw, m_raw), (t_threads, m_threads), (t_hep, m_hep) = timed(repeat, raw, raw_threads, hepsym)
    print(
        f"{label:<32} {n:>8} events  min (median): uproot {t_raw:6.3f} ({m_raw:.3f}) s, "
        f"with threads {t_threads:6.3f} ({m_threads:.3f}) s  hepsym {t_hep:6.3f} "
        f"({m_hep:.3f}) s ({n / t_hep:>10,.0f} ev/s)  "
        f"ratio {t_hep / t_raw:4.2f}x, {t_hep / t_threads:4.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--process-repeat", type=int, default=10, help="fresh interpreters per side"
    )
    parser.add_argument(
        "--process-only", action="store_true", help="only the whole-process comparison"
    )
    args = parser.parse_args()
    if args.process_only:
        whole_process(args.process_repeat)
        return

    hzz = make_hzz_muons(args.events)
    nano = make_nanoaod(args.events)
    print(
        f"hepsym read vs uproot .arrays(same branches), best of {args.repeat} (40 for a file "
        "read in under 0.1 s); ratio = hepsym's "
        f"time / uproot's default, / uproot's with hepsym's {POOL._max_workers} decompression "
        "threads"
    )
    compare("HZZ file, all 4 collections", HZZ, "events", HZZ_BRANCHES, args.repeat)
    compare("HZZ muons x N (Cartesian TTree)", hzz, "events", MUON_BRANCHES, args.repeat)
    compare("NanoAOD-like Muon (pt,eta,phi)", nano, "Events",
            ["Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_charge", "genWeight"],
            args.repeat, collections=["Muon"])  # fmt: skip
    compare("NanoAOD-like Muon + Jet", nano, "Events",
            ["Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_charge",
             "Jet_pt", "Jet_eta", "Jet_phi", "genWeight"], args.repeat)  # fmt: skip
    whole_process(args.process_repeat)


if __name__ == "__main__":
    main()
