"""How LHE parsing scales over the cores: threads (what the reader uses) against processes.

    python benchmarks/bench_lhe_parse_scaling.py FILE.lhe [--blocks 12]

Takes ``--blocks`` blocks of 16 MB from FILE (plain or gzipped, decompressed first),
times their parse (:func:`hepsym.io._lhe_threads._parse_pieces`, what each parse
thread runs) on one thread, then the same work twice over on two threads and on two
processes side by side. Where the parse let go of the GIL throughout, two threads
would do 2x the work of one in the same time, as two processes do; the difference is
the part of the parse that holds the GIL.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import time
from pathlib import Path

from hepsym.io._lhe_blocks import read_blocks
from hepsym.io._lhe_threads import _parse_pieces


def load(path: Path, n_blocks: int) -> list[tuple[bytes, int]]:
    """``n_blocks`` blocks after the first, each cut from its first to its last event."""
    blocks = read_blocks(path)
    next(blocks)  # the header's block
    out = []
    for _ in range(n_blocks):
        text = next(blocks, b"")
        first, last = text.find(b"<event"), text.rfind(b"</event")
        if first < 0 or last < 0:
            break
        end = text.find(b">", last) + 1
        out.append((text[first:end], end - first))
    blocks.close()
    return out


def parse_all(job: tuple[Path, int]) -> tuple[float, int]:
    """Seconds to parse the blocks once (after one warm-up parse), and their bytes."""
    blocks = load(*job)
    _parse_pieces(b"", blocks[0][0], None, blocks[0][1])
    start = time.perf_counter()
    for text, end in blocks:
        _parse_pieces(b"", text, None, end)
    return time.perf_counter() - start, sum(end for _, end in blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--blocks", type=int, default=12)
    args = parser.parse_args()
    job = (args.file, args.blocks)
    one, size = parse_all(job)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        start = time.perf_counter()
        list(pool.map(parse_all, [job, job]))
        threads = time.perf_counter() - start
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        start = time.perf_counter()
        inside = pool.map(parse_all, [job, job])
        processes = max(t for t, _ in inside)  # their own parse time, not their start-up
    print(f"{size / 1e6:.0f} MB of events in {args.blocks} blocks of {args.file.name}")
    print(f"one thread:      {one:6.2f} s  ({size / one / 1e6:5.0f} MB/s)")
    print(f"two threads:     {threads:6.2f} s for twice the work: {2 * one / threads:.2f}x one")
    print(f"two processes:   {processes:6.2f} s for twice the work: {2 * one / processes:.2f}x one")


if __name__ == "__main__":
    main()
