"""Time hepsym's LHE reader against pylhe's ``to_awkward`` on one large file.

Usage::

    python benchmarks/bench_read_lhe.py                    # 10^5 POWHEG events, plain and gzipped
    python benchmarks/bench_read_lhe.py --events 20000
    python benchmarks/bench_read_lhe.py some_file.lhe.gz   # an existing file

Without a file argument it builds one by repeating the events of an external test
file (``--source``) until ``--events`` events, under ``benchmarks/_work/`` (git-ignored),
writes a gzipped copy next to it, and times both readers on both.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import awkward as ak
import pylhe

import hepsym.io

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
DEFAULT_SOURCE = HERE.parent / "data" / "external" / "pylhe-testfile-powheg-box-v2-Z.lhe"


def build_file(source: Path, n_events: int, out: Path) -> Path:
    """Write ``out``: the header of ``source`` and its events repeated to ``n_events``."""
    text = source.read_bytes()
    first = re.search(rb"<event[\s>]", text)
    last = text.rfind(b"</event>") + len(b"</event>")
    if first is None or last < len(b"</event>"):
        msg = f"{source}: no events to repeat"
        raise SystemExit(msg)
    events = re.findall(rb"<event[\s>].*?</event>\n?", text[first.start() : last], re.DOTALL)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        f.write(text[: first.start()])
        for i in range(n_events):
            f.write(events[i % len(events)])
        f.write(b"</LesHouchesEvents>\n")
    return out


def gzip_copy(path: Path) -> Path:
    out = path.with_name(path.name + ".gz")
    with path.open("rb") as src, gzip.open(out, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst)
    return out


def read_hepsym(path: Path) -> int:
    return len(hepsym.io.read(path))


def read_pylhe(path: Path) -> int:
    return len(pylhe.to_awkward(pylhe.LHEFile.fromfile(str(path)).events))


def best_time(func: Callable[[Path], int], path: Path, repeat: int) -> tuple[float, int]:
    best, n = float("inf"), 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        n = func(path)
        best = min(best, time.perf_counter() - start)
    return best, n


def bench(path: Path, repeat: int, pylhe_repeat: int) -> dict[str, Any]:
    read_hepsym(path)  # warm imports and the particle-table cache
    t_hep, n_hep = best_time(read_hepsym, path, repeat)
    t_ref, n_ref = best_time(read_pylhe, path, pylhe_repeat)
    if n_hep != n_ref:
        msg = f"{path}: hepsym read {n_hep} events, pylhe {n_ref}"
        raise SystemExit(msg)
    return {"path": path, "events": n_hep, "hepsym_s": t_hep, "pylhe_s": t_ref}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "files", nargs="*", type=Path, help="LHE files to time (default: build one)"
    )
    parser.add_argument("--events", type=int, default=100_000, help="events in the built file")
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help="file whose events are repeated"
    )
    parser.add_argument("--repeat", type=int, default=3, help="hepsym runs (best is kept)")
    parser.add_argument("--pylhe-repeat", type=int, default=1, help="pylhe runs (best is kept)")
    args = parser.parse_args(argv)

    files = args.files
    if not files:
        plain = build_file(args.source, args.events, WORK / f"bench_{args.events}.lhe")
        files = [plain, gzip_copy(plain)]

    print(
        f"{'file':<28} {'MB':>7} {'events':>8} {'hepsym ev/s':>12} {'pylhe ev/s':>11} {'ratio':>6}"
    )
    for path in files:
        r = bench(path, args.repeat, args.pylhe_repeat)
        size = path.stat().st_size / 1e6
        n = r["events"]
        print(
            f"{path.name:<28} {size:7.1f} {n:8d} {n / r['hepsym_s']:12.0f} "
            f"{n / r['pylhe_s']:11.0f} {r['pylhe_s'] / r['hepsym_s']:6.1f}x"
        )
    print(
        f"(awkward {ak.__version__}, pylhe {pylhe.__version__}; ratio = pylhe time / hepsym time)"
    )


if __name__ == "__main__":
    main()
