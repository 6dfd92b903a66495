"""Time hepsym's LHE reader against pylhe's ``to_awkward`` (and zlib alone for gzip).

Usage::

    python benchmarks/bench_read_lhe.py                    # 10^5 POWHEG events, plain and gzipped
    python benchmarks/bench_read_lhe.py --events 20000
    python benchmarks/bench_read_lhe.py some_file.lhe.gz   # existing files (e.g. hepsym generate's)

Without a file argument it builds one by repeating the events of an external test
file (``--source``) until ``--events`` events, under ``benchmarks/_work/`` (git-ignored),
writes a gzipped copy next to it, and times both readers on both.

Every row is one run of this script: hepsym (minimum and median of ``--repeat``), the
previous number parser (``numpy.loadtxt``, Arrow's cast switched off), pylhe (minimum and
median of ``--pylhe-repeat``) and, for a gzipped file, zlib inflating the same file with
nothing else done: ``% zlib`` is zlib's time over hepsym's (100% = reading as fast as
decompressing); ``% isal`` the same for ISA-L's inflate (``isal``), which the reader uses.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import re
import shutil
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import awkward as ak
import pylhe

import hepsym.io
import hepsym.io._lhe_numbers as lhe_numbers

try:
    from isal import isal_zlib
except ImportError:
    isal_zlib = None

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


def read_loadtxt(path: Path) -> int:
    """hepsym with the previous number parser (numpy.loadtxt for every block)."""
    before = list(lhe_numbers._ARROW)
    lhe_numbers._ARROW[:] = [None]  # as if pyarrow were not installed
    try:
        return read_hepsym(path)
    finally:
        lhe_numbers._ARROW[:] = before


def read_pylhe(path: Path) -> int:
    return len(pylhe.to_awkward(pylhe.LHEFile.fromfile(str(path)).events))


def inflate(path: Path, codec: Any = zlib) -> int:
    """zlib alone: the file inflated in the reader's block sizes, the text thrown away
    (``codec``: another module with zlib's API, e.g. isal's, which the reader uses)."""
    d = codec.decompressobj(16 + codec.MAX_WBITS)
    size = 0
    with path.open("rb") as f:
        while raw := f.read(4 << 20):
            while raw:
                size += len(d.decompress(raw, 16 << 20))
                raw = d.unconsumed_tail
                if d.eof:
                    raw, d = d.unused_data, codec.decompressobj(16 + codec.MAX_WBITS)
    return size


def times(func: Callable[[Path], int], path: Path, repeat: int) -> tuple[float, float, int]:
    """Minimum and median seconds of ``repeat`` calls, and what the last returned."""
    runs, n = [], 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        n = func(path)
        runs.append(time.perf_counter() - start)
    return min(runs), statistics.median(runs), n


def bench(path: Path, repeat: int, pylhe_repeat: int) -> dict[str, Any]:
    read_hepsym(path)  # warm imports, the particle-table cache and the page cache
    t_hep, m_hep, n_hep = times(read_hepsym, path, repeat)
    t_old, _, n_old = times(read_loadtxt, path, 1)
    t_ref, m_ref, n_ref = times(read_pylhe, path, pylhe_repeat)
    if not n_hep == n_old == n_ref:
        msg = f"{path}: hepsym read {n_hep} events, with loadtxt {n_old}, pylhe {n_ref}"
        raise SystemExit(msg)
    with path.open("rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    t_zlib = times(inflate, path, repeat)[0] if gz else float("nan")
    t_isal = times(_inflate_isal, path, repeat)[0] if gz and isal_zlib else float("nan")
    return {
        "events": n_hep,
        "hepsym": (t_hep, m_hep),
        "loadtxt": t_old,
        "pylhe": (t_ref, m_ref),
        "zlib": t_zlib,
        "isal": t_isal,
    }


#: Run in a fresh process: peak memory of one read above the imports, and the bytes of
#: the arrays it returns.
_MEMORY = """
import resource, sys
import awkward as ak, numpy as np, pyarrow, pyarrow.compute
import hepsym.io
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
events = hepsym.io.read(sys.argv[1])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
record = ak.to_layout(events.particles).content
size = sum(np.asarray(record.content(f).data).nbytes for f in record.fields)
print((peak - before) * 1024, size + events.weights.nbytes)
"""


def memory(path: Path) -> tuple[float, float]:
    """MiB of peak memory a read adds to a fresh process, and MiB of arrays it returns."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY, str(path)], capture_output=True, text=True, check=True
    )
    peak, size = (int(x) for x in out.stdout.split())
    return peak / 2**20, size / 2**20


def _inflate_isal(path: Path) -> int:
    return inflate(path, isal_zlib)


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
    parser.add_argument("--pylhe-repeat", type=int, default=3, help="pylhe runs (best is kept)")
    args = parser.parse_args(argv)

    files = args.files
    if not files:
        plain = build_file(args.source, args.events, WORK / f"bench_{args.events}.lhe")
        files = [plain, gzip_copy(plain)]

    print(
        f"{'file':<26} {'MB':>6} {'events':>8} {'hepsym s (med)':>15} {'loadtxt s':>10} "
        f"{'pylhe s (med)':>15} {'vs pylhe':>9} {'vs loadtxt':>10} {'% zlib':>7} {'% isal':>7} "
        f"{'memory':>7}"
    )
    for path in files:
        r = bench(path, args.repeat, args.pylhe_repeat)
        size = path.stat().st_size / 1e6
        (t_hep, m_hep), (t_ref, m_ref) = r["hepsym"], r["pylhe"]
        zlib_share = f"{100 * r['zlib'] / t_hep:6.0f}%" if r["zlib"] == r["zlib"] else "      -"
        isal_share = f"{100 * r['isal'] / t_hep:6.0f}%" if r["isal"] == r["isal"] else "      -"
        peak, size = memory(path)
        print(
            f"{path.name:<26} {size:6.1f} {r['events']:8d} {t_hep:7.2f} ({m_hep:5.2f}) "
            f"{r['loadtxt']:10.2f} {t_ref:7.2f} ({m_ref:5.2f}) {t_ref / t_hep:8.1f}x "
            f"{r['loadtxt'] / t_hep:9.1f}x {zlib_share} {isal_share} {peak / size:6.2f}x"
        )
    print(
        f"(awkward {ak.__version__}, pylhe {pylhe.__version__}; times are minima (medians) over "
        "repeats; vs = their time / hepsym's; % zlib = zlib's inflate time / hepsym's; % isal "
        "= the same for ISA-L's inflate, which the reader uses; memory = the peak a read adds to "
        "a fresh process / the arrays it returns)"
    )


if __name__ == "__main__":
    main()
