"""Many files: ``hepsym constraints`` (or ``analyze``) in process against the Dask path
with 1 and 2 workers.

    python benchmarks/bench_scale.py [--files 20] [--copies 5] [--workers 1 2]
    python benchmarks/bench_scale.py --files 20 --root 500000 --workers 2   # 10^7 events
    python benchmarks/bench_scale.py --files 20 --root 500000 --workers 2 --command analyze

With ``--root N`` the files are NanoAOD-style ROOT files of N events each (the muons of
the same sample, every event turned about the beam axis by its own random angle), read
with ``--sqrt-s 80 --collider ee`` since ROOT files carry no beams.

The sample is the shipped e+e- -> mu+ mu- file (10^4 events) in ``--files`` files of
``--copies`` copies each, every copy rotated about the beam axis by its own angle (an
exact symmetry of the sample, so every event stays physical and distinct): 20 x 5 gives
10^6 events. The files are made once in ``--cache`` (default /tmp/hepsym-bench-scale).

Each configuration runs ``hepsym constraints 'DIR/*.lhe.gz' --json`` (or ``analyze``) as its
own process;
the script prints wall time (process start and Dask cluster start included), events per
second, the speed-up against the in-process run, the peak resident memory of the largest
process of that run (client or worker) and of the largest worker, and checks that
every configuration gives the same predicted dimension and constraint table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
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


def make_root_files(cache: Path, n_files: int, per_file: int) -> tuple[Path, int]:
    """NanoAOD-style muon files (``nMuon``, ``Muon_pt/eta/phi/mass/charge/pdgId``) of the
    e+e- sample, each event turned about the beam axis by its own random angle."""
    import awkward as ak
    import numpy as np
    import uproot

    import hepsym

    folder = cache / f"root_{n_files}x{per_file}"
    n_total = n_files * per_file
    if folder.exists() and len(list(folder.glob("*.root"))) == n_files:
        return folder, n_total
    folder.mkdir(parents=True, exist_ok=True)
    muons = hepsym.read(SAMPLE).particles
    muons = muons[abs(muons.pid) == 13]
    px, py, pz = (ak.to_numpy(getattr(muons, c)) for c in ("px", "py", "pz"))
    pid = ak.to_numpy(muons.pid)
    rng = np.random.default_rng(1)
    for i in range(n_files):
        rows = np.arange(per_file) % len(px)
        angle = rng.uniform(0, 2 * np.pi, per_file)[:, None]
        c, s = np.cos(angle), np.sin(angle)
        x, y, z = c * px[rows] - s * py[rows], s * px[rows] + c * py[rows], pz[rows]
        pt = np.hypot(x, y)
        muon = ak.zip(
            {
                "pt": pt,
                "eta": np.arcsinh(z / pt),
                "phi": np.arctan2(y, x),
                "mass": np.full_like(pt, 0.1056583755),
                "charge": np.where(pid[rows] > 0, -1, 1).astype(np.int32),
                "pdgId": pid[rows].astype(np.int32),
            }
        )
        with uproot.recreate(folder / f"muons_{i:03d}.root") as f:
            f["Events"] = {"Muon": ak.from_regular(muon, axis=1)}
    return folder, n_total


def _run(folder: Path, command: str, extra: list[str]) -> tuple[float, float, str, dict]:
    """Wall seconds, peak RSS (MiB) of the largest process of this run, the JSON result.

    Each run goes through a fresh wrapper process (``--one``), whose children's peak
    resident memory covers only this run: the hepsym process and, on the Dask path, its
    worker processes.
    """
    cmd = [sys.executable, __file__, "--one", str(folder), command, *extra]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    first, _, result = out.stdout.partition("\n")
    peak, worker = first.split()
    return seconds, float(peak) / 1024, worker, json.loads(result)


def _one(folder: str, command: str, extra: list[str]) -> int:
    pattern = "*.root" if Path(folder).name.startswith("root_") else "*.lhe.gz"
    cmd = [sys.executable, "-m", "hepsym", command, f"{folder}/{pattern}", "--json"]
    out = subprocess.run([*cmd, *extra], check=True, capture_output=True, text=True)
    # the notes: on stderr for constraints, in the JSON for analyze
    found = re.search(r"peak memory of a worker (\d+) MiB", out.stderr + out.stdout)
    worker = found.group(1) if found else "-"
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, worker)
    print(out.stdout, end="")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--one"]:
        return _one(sys.argv[2], sys.argv[3], sys.argv[4:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--root",
        type=int,
        default=None,
        metavar="PER_FILE",
        help="NanoAOD-style ROOT files of PER_FILE events each instead of LHE copies",
    )
    parser.add_argument(
        "--no-in-process",
        action="store_true",
        help="only the Dask runs (for sizes the in-process reference takes too long on)",
    )
    parser.add_argument(
        "--command",
        choices=("constraints", "analyze"),
        default="constraints",
        help="the hepsym command timed (analyze: the whole study, VAE ensemble included)",
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/hepsym-bench-scale"))
    args = parser.parse_args()
    if args.root:
        folder, n = make_root_files(args.cache, args.files, args.root)
        beams = ["--sqrt-s", "80", "--collider", "ee"]
    else:
        folder, n = make_files(args.cache, args.files, args.copies)
        beams = []
    print(f"{n} events in {args.files} files ({folder})")
    print(
        f"{'path':<22}{'seconds':>9}{'events/s':>11}{'speed-up':>10}"
        f"{'peak MiB':>10}{'worker MiB':>12}  dim"
    )
    if args.no_in_process:
        base_t, ref = math.nan, None
    else:
        base_t, peak, _, ref = _run(folder, args.command, beams)
        print(
            f"{'in process':<22}{base_t:9.2f}{n / base_t:11.3g}{1.0:10.2f}{peak:10.0f}"
            f"{'-':>12}  {ref['predicted_dim']}"
        )
    same = True
    for w in args.workers:
        t, peak, worker, res = _run(
            folder, args.command, [*beams, "--dask", "--dask-workers", str(w)]
        )
        ref = ref or res
        same &= (
            res["constraints"] == ref["constraints"]
            and res["predicted_dim"] == ref["predicted_dim"]
        )
        label = f"dask, {w} worker{'s' if w > 1 else ''}"
        print(
            f"{label:<22}{t:9.2f}{n / t:11.3g}{base_t / t:10.2f}{peak:10.0f}"
            f"{worker:>12}  {res['predicted_dim']}"
        )
    print("same constraint table and dimension on every path:", "yes" if same else "NO")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
