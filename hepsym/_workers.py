"""How many worker processes an ensemble trains on, and the fork server they come from.

Apart from :mod:`hepsym.vae_pool` (which imports torch) so that a command can start the
fork server first thing: its imports (torch, hepsym; seconds) then run on the core the
command's own imports leave idle.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
from typing import TYPE_CHECKING

from hepsym._cores import usable_cores

if TYPE_CHECKING:
    from hepsym.learn_spec import LearnSpec

__all__ = ("default_workers", "fork_context", "warm", "workers_for")


#: members per worker process at least: a smaller group gains less than a process costs
MIN_MEMBERS_PER_WORKER = 4


def default_workers(members: int) -> int:
    """Worker processes for an ensemble of ``members``: one per core this process may
    use (``os.sched_getaffinity``), at most one per ``MIN_MEMBERS_PER_WORKER`` members,
    at least 1."""
    return max(1, min(usable_cores(), members // MIN_MEMBERS_PER_WORKER))


def workers_for(spec: LearnSpec) -> int:
    """The worker processes ``spec``'s ensemble trains on (1: in this process)."""
    if spec.device != "cpu":
        return 1
    return spec.workers if spec.workers is not None else default_workers(spec.ensemble)


def warm(workers: int) -> None:
    """Start the fork server the workers will come from, and return at once: its torch
    import (seconds) then overlaps the caller's reading; nothing when 1 worker, or where
    there is no fork server (macOS, Windows)."""
    context = fork_context()
    if workers > 1 and context.get_start_method() == "forkserver":
        import multiprocessing.forkserver

        multiprocessing.forkserver.ensure_running()


def fork_context() -> multiprocessing.context.BaseContext:
    """A fork server that has imported torch and :mod:`hepsym.vae_pool`, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(["torch", "hepsym.vae_pool"])
        return server
    return multiprocessing.get_context("spawn")  # macOS, Windows
