"""How ``hepsym analyze`` grows with the number of events: time, peak memory, exponent.

    python benchmarks/bench_scale_events.py [--events 10000 100000 1000000] [--repeat 1]

The samples are pp -> Z -> mu mu events made once by ``hepsym generate`` (Pythia 8, hard
process) into ``--cache`` (default /tmp/hepsym-bench) and reused. Each size runs
``hepsym analyze FILE --json`` as its own process; the script prints wall time (minimum
and median over repeats), the CPU time (user + system: steadier on a shared machine),
the peak resident memory of that process, the learned and
predicted dimensions (the verdict should not change with the size), and the growth
exponent of time against events between successive sizes (1 = linear).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _sample(cache: Path, n: int) -> Path:
    path = cache / f"pp_zmumu_{n}.lhe.gz"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = ["hepsym", "generate", "pp-zmumu", "--events", str(n), "-o", str(path)]
        subprocess.run(cmd, check=True, capture_output=True)
    return path


def _run(path: Path) -> tuple[float, float, float, dict]:
    """Wall seconds, CPU seconds and peak RSS in MiB of the child, and its JSON result.

    The CPU time (user + system) says more than the wall time on a machine shared with
    other jobs. The peak is measured by ``/usr/bin/time -v`` where there is one (the
    children's ``ru_maxrss`` would be the largest of any child so far, a sample's
    generation included), else by ``ru_maxrss``.
    """
    cmd = [sys.executable, "-m", "hepsym", "analyze", str(path), "--json", "--no-progress"]
    if Path("/usr/bin/time").exists():
        cmd = ["/usr/bin/time", "-v", *cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = after.ru_maxrss / 1024  # KiB on Linux
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    if found:
        peak = int(found[1]) / 1024
    return wall, cpu, peak, json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/hepsym-bench"))
    args = parser.parse_args()
    rows = []
    for n in sorted(args.events):
        path = _sample(args.cache, n)
        runs = [_run(path) for _ in range(args.repeat)]
        walls = [r[0] for r in runs]
        cpus = [r[1] for r in runs]
        peak, result = max(r[2] for r in runs), runs[-1][3]
        rows.append((n, min(walls), statistics.median(walls)))
        print(
            f"{n:>9} events: {min(walls):7.1f} s (median {statistics.median(walls):.1f}), "
            f"CPU {min(cpus):.1f} s, peak RSS {peak:.0f} MiB; predicted "
            f"{result['predicted_dim']}, learned "
            f"{result['learned_dim']} ({result['agreement']:.0%}), learned manifold "
            f"{result['learned_manifold_dim']}, TwoNN {result['geometric_dim']:.2f}"
        )
    for (n0, t0, _), (n1, t1, _) in itertools.pairwise(rows):
        exponent = math.log(t1 / t0) / math.log(n1 / n0)
        print(
            f"growth {n0} -> {n1}: time x{t1 / t0:.2f} for events x{n1 / n0:.0f}: exponent {exponent:.2f}"
        )


if __name__ == "__main__":
    main()
