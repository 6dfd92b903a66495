"""The ensemble's members over worker processes, to use every core.

Member k of a batched ensemble depends on its seed only (``tests/test_vae.py`` checks it
against training member k alone), so the members can be split into contiguous groups,
each group trained batched in its own process with one torch thread, and the groups
joined in seed order: the same ensemble as one process trains, to float32 rounding. A
worker also scores its members on every event (the sums behind the relevances), so the
second core shares that pass too.

The worker processes are started once, from a fork server that has imported torch and
hepsym's VAE (so a worker starts in milliseconds, not the seconds torch's import takes),
and reused by every ensemble of the session. :func:`hepsym._workers.warm` starts the fork
server before the events are read (``hepsym analyze``: before its own imports). Training
runs in the workers while the caller goes on (:func:`start_training`), so a study checks
its constraints meanwhile.

The workers run only hepsym's functions, so they are started without importing the
caller's ``__main__``: a script that calls ``hepsym.analyze`` at top level, without an
``if __name__ == "__main__":`` guard, works as it would without worker processes
(multiprocessing would otherwise run the script again in every worker).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from hepsym._workers import fork_context
from hepsym.relevance import streamed_relevance
from hepsym.spec import VAEConfig
from hepsym.vae import Ensemble, train_ensemble

__all__ = ("Trained", "Training", "start_training", "train_members")


class _Pool:
    """The session's worker processes (one executor, grown when more are asked for)."""

    executor: concurrent.futures.ProcessPoolExecutor | None = None
    writer: multiprocessing.connection.Connection | None = None
    size = 0
    lock = threading.Lock()

    @classmethod
    def submit(
        cls, size: int, fn: Callable[..., object], *args: object
    ) -> concurrent.futures.Future:
        """``fn(*args)`` on a pool of at least ``size`` workers, started if need be."""
        with cls.lock, _main_not_imported(), _signals_held():
            return cls._get(size).submit(fn, *args)

    @classmethod
    def _get(cls, size: int) -> concurrent.futures.ProcessPoolExecutor:
        if cls.executor is not None and size <= cls.size:
            return cls.executor
        if cls.executor is not None:
            cls.executor.shutdown(wait=True)
        context = fork_context()
        # the workers watch a pipe only this process writes to: when it is gone (an exit,
        # a kill), so are they, and the fork server after them
        reader, cls.writer = context.Pipe(duplex=False)
        cls.executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=size, mp_context=context, initializer=_watch, initargs=(reader,)
        )
        cls.size = size
        return cls.executor

    @classmethod
    def close(cls) -> None:
        if cls.executor is not None:
            cls.executor.shutdown(wait=False, cancel_futures=True)
            cls.executor, cls.size = None, 0

    @classmethod
    def stop(cls) -> None:
        """Kill the workers, losing what they run (the next ensemble starts new ones):
        otherwise an interrupted caller would wait, at exit, for a training it gave up."""
        executor, cls.executor, cls.size = cls.executor, None, 0
        if executor is None:
            return
        kill = getattr(executor, "kill_workers", None)  # Python 3.14
        if kill is not None:
            kill()
        else:
            for process in list(getattr(executor, "_processes", {}).values()):
                process.kill()
        executor.shutdown(wait=True, cancel_futures=True)  # quick: the workers are dead


atexit.register(_Pool.close)


@contextlib.contextmanager
def _main_not_imported() -> Iterator[None]:
    """Processes started meanwhile do not import ``__main__`` (see the module docstring):
    multiprocessing imports it in a new process when it has a ``__spec__`` or a
    ``__file__``; both are put back afterwards."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    names = ("__spec__", "__file__")
    saved = {k: main.__dict__[k] for k in names if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the worker processes started meanwhile are up (then
    they are stopped whole, instead of one dying half-started with a traceback): their
    handlers are swapped for a note, and a signal noted is raised again afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    kinds = [signal.SIGINT, signal.SIGTERM]
    handlers = [signal.signal(k, lambda signum, frame: noted.append(signum)) for k in kinds]
    try:
        yield
    finally:
        for kind, handler in zip(kinds, handlers, strict=True):
            signal.signal(kind, handler)
        for signum in noted[:1]:
            signal.raise_signal(signum)


def _watch(reader: multiprocessing.connection.Connection) -> None:
    """In a worker: exit as soon as the process that started it is gone. Otherwise a worker
    whose parent was killed, or exited while it trained, lives on (holding the parent's
    stderr open: a caller waiting for it to close would wait for ever)."""

    def wait() -> None:
        with contextlib.suppress(EOFError, OSError):
            reader.recv()
        os._exit(0)

    threading.Thread(target=wait, name="hepsym-parent-watch", daemon=True).start()


@dataclass(frozen=True)
class Trained:
    """A trained ensemble and, when events were given to score, its members' relevances
    and KL divergences over them (``(members, latent)``, latent order; see
    :func:`~hepsym.relevance.streamed_relevance`)."""

    model: Ensemble
    relevance: np.ndarray | None = None
    kl: np.ndarray | None = None


class Training:
    """An ensemble being trained: in worker processes from the start, or in this process
    when :meth:`result` is asked for."""

    def __init__(
        self,
        groups: Sequence[Sequence[int]],
        futures: Sequence[concurrent.futures.Future] = (),
        here: Callable[[], Trained] | None = None,
        progress: bool | None = None,
    ) -> None:
        self._groups, self._futures, self._here, self._progress = groups, futures, here, progress
        self._result: Trained | None = None

    def result(self) -> Trained:
        """Wait for the training (with a bar over members when asked) and return it."""
        if self._result is None:
            self._result = self._here() if self._here is not None else self._wait()
        return self._result

    def cancel(self) -> None:
        """Give the training up: the workers still at it are stopped."""
        if self._result is None and any(not f.done() for f in self._futures):
            _Pool.stop()

    def _wait(self) -> Trained:
        from tqdm import tqdm

        show = sys.stderr.isatty() if self._progress is None else self._progress
        parts = []
        try:
            with tqdm(
                total=sum(len(g) for g in self._groups),
                disable=not show,
                unit="member",
                desc="VAE ensemble",
                leave=False,
            ) as bar:
                for f, g in zip(self._futures, self._groups, strict=True):
                    parts.append(f.result())
                    bar.update(len(g))
        except BaseException:  # Ctrl-C, SIGTERM, a worker's error: no worker left running
            self.cancel()
            raise
        return _join(parts)


def start_training(
    X: np.ndarray,
    config: VAEConfig,
    seeds: Sequence[int],
    workers: int,
    *,
    score: np.ndarray | None = None,
    device: str = "cpu",
    threads: int | None = None,
    progress: bool | None = None,
) -> Training:
    """Start :func:`~hepsym.vae.train_ensemble` with the members split over ``workers``
    processes (one group each, batched), and return at once; one process (training when
    the result is asked for) when ``workers`` is 1, there is one member, or the device is
    not the CPU.

    Args:
        X, config, seeds, device, progress: as :func:`~hepsym.vae.train_ensemble`
            (no progress bar from worker processes).
        workers: worker processes.
        score: events to score the trained members on (relevance and KL sums), or ``None``.
        threads: torch threads per process (default 1).
    """
    groups = [[int(s) for s in g] for g in np.array_split(np.asarray(seeds), workers) if len(g)]
    if workers <= 1 or len(groups) <= 1 or device != "cpu":

        def here() -> Trained:
            model = train_ensemble(
                X, config, seeds, device=device, threads=threads, progress=progress
            )
            return _scored(model, score)

        return Training([list(seeds)], here=here)
    try:
        futures = [
            _Pool.submit(len(groups), _train_group, X, config, g, threads, score) for g in groups
        ]
    except BaseException:  # Ctrl-C or SIGTERM between two groups: no worker left behind
        _Pool.stop()
        raise
    return Training(groups, futures, progress=progress)


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
    """:func:`start_training`, waited for: the trained ensemble."""
    training = start_training(
        X, config, seeds, workers, device=device, threads=threads, progress=progress
    )
    return training.result().model


def _train_group(
    X: np.ndarray,
    config: VAEConfig,
    seeds: Sequence[int],
    threads: int | None,
    score: np.ndarray | None,
) -> Trained:
    """One worker's group: trained, then scored with the same torch threads."""
    model = train_ensemble(X, config, seeds, threads=threads, progress=False)
    torch.set_num_threads(1 if threads is None else max(1, int(threads)))
    return _scored(model, score)


def _scored(model: Ensemble, score: np.ndarray | None) -> Trained:
    if score is None:
        return Trained(model)
    relevance, kl = streamed_relevance(model.posterior_sums, score)
    return Trained(model, relevance, kl)


def _join(parts: Sequence[Trained]) -> Trained:
    """The groups' ensembles (and scores) as one, members in the groups' order."""
    first = parts[0].model
    models = [p.model for p in parts]
    params = [
        torch.cat(tensors, dim=0) for tensors in zip(*(m.params for m in models), strict=True)
    ]
    history = {k: np.concatenate([m.history[k] for m in models]) for k in first.history}
    seeds = [s for m in models for s in m.seeds]
    model = Ensemble(first.config, seeds, first.mean, first.scale, params, history)
    if parts[0].relevance is None:
        return Trained(model)
    relevance = np.concatenate([p.relevance for p in parts if p.relevance is not None])
    kl = np.concatenate([p.kl for p in parts if p.kl is not None])
    return Trained(model, relevance, kl)
