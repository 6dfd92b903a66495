"""The ensemble's members over worker processes, to use every core.

Member k of a batched ensemble depends on its seed only (``tests/test_vae.py`` checks it
against training member k alone), so the members can be split into contiguous groups,
each group trained batched in its own process with one torch thread, and the groups
joined in seed order: the same ensemble as one process trains, to float32 rounding.

The worker processes are started once, from a fork server that has imported torch and
hepsym's VAE (so a worker starts in milliseconds, not the seconds torch's import takes),
and reused by every ensemble of the session.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import multiprocessing
import multiprocessing.context
import os
import sys
from collections.abc import Sequence

import numpy as np
import torch

from hepsym.spec import VAEConfig
from hepsym.vae import Ensemble, train_ensemble

__all__ = ("default_workers", "train_members")


class _Pool:
    """The session's worker processes (one executor, grown when more are asked for)."""

    executor: concurrent.futures.ProcessPoolExecutor | None = None
    size = 0

    @classmethod
    def get(cls, size: int) -> concurrent.futures.ProcessPoolExecutor:
        if cls.executor is not None and size <= cls.size:
            return cls.executor
        if cls.executor is not None:
            cls.executor.shutdown(wait=True)
        context: multiprocessing.context.BaseContext
        if "forkserver" in multiprocessing.get_all_start_methods():
            server = multiprocessing.get_context("forkserver")
            server.set_forkserver_preload(["torch", "hepsym.vae"])
            context = server
        else:  # macOS, Windows
            context = multiprocessing.get_context("spawn")
        cls.executor = concurrent.futures.ProcessPoolExecutor(max_workers=size, mp_context=context)
        cls.size = size
        return cls.executor

    @classmethod
    def close(cls) -> None:
        if cls.executor is not None:
            cls.executor.shutdown(wait=False, cancel_futures=True)
            cls.executor, cls.size = None, 0


atexit.register(_Pool.close)


#: members per worker process at least: a smaller group gains less than a process costs
MIN_MEMBERS_PER_WORKER = 4


def default_workers(members: int) -> int:
    """Worker processes for an ensemble of ``members``: one per core this process may
    use (``os.sched_getaffinity``), at most one per ``MIN_MEMBERS_PER_WORKER`` members,
    at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, members // MIN_MEMBERS_PER_WORKER))


def train_members(
    X: np.ndarray,
    config: VAEConfig,
    seeds: Sequence[int],
    workers: int,
    *,
    device: str = "cpu",
    threads: int | None = None,
    progress: bool | None = None,
) -> Ensemble:
    """:func:`~hepsym.vae.train_ensemble` with the members split over ``workers``
    processes (one group each, batched); one process when ``workers`` is 1, there is one
    member, or the device is not the CPU.

    Args:
        X, config, seeds, device, progress: as :func:`~hepsym.vae.train_ensemble`
            (no progress bar from worker processes).
        workers: worker processes.
        threads: torch threads per process (default 1).
    """
    groups = [[int(s) for s in g] for g in np.array_split(np.asarray(seeds), workers) if len(g)]
    if workers <= 1 or len(groups) <= 1 or device != "cpu":
        return train_ensemble(X, config, seeds, device=device, threads=threads, progress=progress)
    pool = _Pool.get(len(groups))
    futures = [
        pool.submit(train_ensemble, X, config, g, device=device, threads=threads, progress=False)
        for g in groups
    ]
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(
        total=len(seeds), disable=not show, unit="member", desc="VAE ensemble", leave=False
    ) as bar:
        for f, g in zip(futures, groups, strict=True):
            f.result()
            bar.update(len(g))
    return _join([f.result() for f in futures])


def _join(parts: Sequence[Ensemble]) -> Ensemble:
    """The ensembles of the groups as one, members in the groups' order."""
    first = parts[0]
    params = [torch.cat(tensors, dim=0) for tensors in zip(*(p.params for p in parts), strict=True)]
    history = {k: np.concatenate([p.history[k] for p in parts]) for k in first.history}
    seeds = [s for p in parts for s in p.seeds]
    return Ensemble(first.config, seeds, first.mean, first.scale, params, history)
