"""Many files: ``hepsym constraints`` in process against the Dask path with 1 and 2 workers.

    python benchmarks/bench_scale.py [--files 20] [--copies 5] [--workers 1 2]

The sample is the shipped e+e- -> mu+ mu- file (10^4 events) in ``--files`` files of
``--copies`` copies each, every copy rotated about the beam axis by its own angle (an
exact symmetry of the sample, so every event stays physical and distinct): 20 x 5 gives
10^6 events. The files are made once in ``--cache`` (default /tmp/hepsym-bench-scale).

Each configuration runs ``hepsym constraints 'DIR/*.lhe.gz' --json`` as its own process;
the script prints wall time (process start and Dask cluster start included), events per
second, the speed-up against the in-process run, the peak resident memory of the largest
process of that run (client or worker), and checks that
every configuration gives the same predicted dimension and constraint table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "ee_mumu_80GeV.lhe.gz"


def _rotated(events: list[str], angle: float) -> str:
    """The events with every particle's (px, py) rotated by ``angle`` about z."""
    c, s = math.cos(angle), math.sin(angle)
    out = []
    for event in events:
        lines = event.split("\n")
        for k in range(2, len(lines)):
            fields = lines[k].split()
            if len(fields) == 13:
                px, py = float(fields[6]), float(fields[7])
                fields[6] = f"{c * px - s * py:+.10e}"
                fields[7] = f"{s * px + c * py:+.10e}"
                lines[k] = " " + " ".join(fields)
        out.append("\n".join(lines))
    return "".join(out)


def make_files(cache: Path, n_files: int, copies: int) -> tuple[Path, int]:
    folder = cache / f"{n_files}x{copies}"
    text = gzip.decompress(SAMPLE.read_bytes()).decode()
    start = text.index("<event>")
    header, body = text[:start], text[start:]
    events = [e + "</event>\n" for e in body.split("</event>\n")[:-1]]
    n_total = n_files * copies * len(events)
    if folder.exists() and len(list(folder.glob("*.lhe.gz"))) == n_files:
        return folder, n_total
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_files):
        parts = [
            _rotated(events, 2 * math.pi * (i * copies + j + 1) / (n_files * copies + 1))
            for j in range(copies)
        ]
        data = header + "".join(parts) + "</LesHouchesEvents>\n"
        (folder / f"ee_{i:03d}.lhe.gz").write_bytes(gzip.compress(data.encode(), 1))
    return folder, n_total


def _run(folder: Path, extra: list[str]) -> tuple[float, float, dict]:
    """Wall seconds, peak RSS (MiB) of the largest process of this run, the JSON result.

    Each run goes through a fresh wrapper process (``--one``), whose children's peak
    resident memory covers only this run: the hepsym process and, on the Dask path, its
    worker processes.
    """
    cmd = [sys.executable, __file__, "--one", str(folder), *extra]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak, _, result = out.stdout.partition("\n")
    return seconds, float(peak) / 1024, json.loads(result)


def _one(folder: str, extra: list[str]) -> int:
    cmd = [sys.executable, "-m", "hepsym", "constraints", f"{folder}/*.lhe.gz", "--json"]
    out = subprocess.run([*cmd, *extra], check=True, capture_output=True, text=True)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(out.stdout, end="")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--one"]:
        return _one(sys.argv[2], sys.argv[3:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/hepsym-bench-scale"))
    args = parser.parse_args()
    folder, n = make_files(args.cache, args.files, args.copies)
    print(f"{n} events in {args.files} files ({folder})")
    print(f"{'path':<22}{'seconds':>9}{'events/s':>11}{'speed-up':>10}{'peak MiB':>10}  dim")
    base_t, peak, ref = _run(folder, [])
    print(
        f"{'in process':<22}{base_t:9.2f}{n / base_t:11.3g}{1.0:10.2f}{peak:10.0f}  {ref['predicted_dim']}"
    )
    same = True
    for w in args.workers:
        t, peak, res = _run(folder, ["--dask", "--workers", str(w)])
        same &= (
            res["constraints"] == ref["constraints"]
            and res["predicted_dim"] == ref["predicted_dim"]
        )
        label = f"dask, {w} worker{'s' if w > 1 else ''}"
        print(
            f"{label:<22}{t:9.2f}{n / t:11.3g}{base_t / t:10.2f}{peak:10.0f}  {res['predicted_dim']}"
        )
    print("same constraint table and dimension on every path:", "yes" if same else "NO")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
