"""Batched VAE ensemble against the paper's way (one VAE after another).

Run: ``python benchmarks/bench_vae.py [--members 15] [--events 10000] [--threads 1] [--workers 2]``

Prints, in one run, the seconds for one VAE (10^4 events, 20 epochs, 8
features, latent 8, default hidden layers), the batched ensemble's wall time,
the same members trained one after another in a plain loop, the ratios, and the
peak resident memory (``resource.getrusage``; torch allocates outside Python's
heap, so tracemalloc would not see the tensors), and the same members split over
``--workers`` processes (:mod:`hepsym.vae_pool`; the pool started before timing, as a
session reuses it). Targets: the batched ensemble in at most 3x one member, over both
cores in at most 2x. On a shared machine timings are noisy: each measurement is
the minimum (and the median) of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import numpy as np
import torch

from hepsym.vae import VAEConfig, member_seeds, train_ensemble


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def _timed(fn, repeat: int) -> tuple[float, float]:
    """Minimum and median wall time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hidden", type=int, nargs="+", default=list(VAEConfig().hidden))
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.events, 3)) @ rng.normal(size=(3, args.features))
    X += 0.01 * rng.normal(size=X.shape)
    cfg = VAEConfig(epochs=args.epochs, hidden=tuple(args.hidden))
    seeds = member_seeds(0, args.members)

    def run(s: list[int]) -> None:
        train_ensemble(X, cfg, s, threads=args.threads, progress=False)

    run(seeds[:1])  # warm-up: first-call allocations and kernel selection
    rss0 = _peak_rss_mib()
    one, one_med = _timed(lambda: run(seeds[:1]), args.repeat)
    rss1 = _peak_rss_mib()
    batched, batched_med = _timed(lambda: run(seeds), args.repeat)
    rss_b = _peak_rss_mib()
    loop, _ = _timed(lambda: [run([s]) for s in seeds], 1)
    from hepsym.vae_pool import train_members

    def pooled() -> None:
        train_members(X, cfg, seeds, args.workers, threads=args.threads)

    train_members(X, cfg, seeds[:2], args.workers, threads=args.threads)  # start the pool
    over, over_med = _timed(pooled, args.repeat)

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} default threads, "
        f"training with {args.threads}; {args.events} events x {args.features} features, "
        f"{args.epochs} epochs, batch {cfg.batch_size}, hidden {cfg.hidden}"
    )
    print(f"(minimum of {args.repeat} runs, median in brackets; the loop runs once)")
    print(f"one VAE:                      {one:7.2f} s ({one_med:.2f})")
    print(
        f"{args.members} members, batched:        {batched:7.2f} s ({batched_med:.2f}) "
        f"= {batched / one:.2f} x one VAE (target <= 3)"
    )
    print(f"{args.members} members, one by one:     {loop:7.2f} s   = {loop / one:.2f} x one VAE")
    print(f"speed-up of batching:         {loop / batched:7.2f} x")
    print(
        f"{args.members} members, {args.workers} processes: {over:7.2f} s ({over_med:.2f}) "
        f"= {over / one:.2f} x one VAE (target <= 2 on 2 cores); {batched / over:.2f} x batched"
    )
    print(
        f"peak RSS: {rss0:.0f} MiB after import and warm-up, {rss1:.0f} MiB after one VAE, "
        f"{rss_b:.0f} MiB after the batched ensemble"
    )


if __name__ == "__main__":  # the worker processes import this file again
    main()
