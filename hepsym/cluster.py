"""Many files, in this process or on a Dask cluster: each file read, selected and turned
into features on its own (a *partition*); the feature matrices joined, with the notes of
one read of all files.

:func:`prepare_study` is the one entry point: in process by default, file after file (one
file's events in memory at a time), on a ``dask.distributed`` cluster when the study's
:class:`~hepsym.spec.ScaleSpec` asks (``--dask`` starts a ``LocalCluster`` for the
machine, ``--scheduler ADDRESS`` joins a running one). Both give the same answer: the
first file decides what hepsym chooses by itself (the selection, the features), so that
every file is treated alike; on Dask the others then run in parallel (ROOT trees read by
``uproot.dask``, see :mod:`hepsym.dask_root`). A worker that dies
is replaced and its task retried by Dask. A file that fails names itself and stops the
study, or with ``skip_bad_files`` is skipped and counted.

Dask (``pip install "hepsym[dask]"``) is imported only on this path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hepsym.errors import HepsymError, InputFileError
from hepsym.inputs import Part, Prepared, finish, prepare
from hepsym.io.fileset import FileEntry, expand_inputs
from hepsym.partitions import count_text, is_root, partitions, read_part
from hepsym.sampling import sampled
from hepsym.spec import InputSpec, ScaleSpec

__all__ = ("local_workers", "open_study", "prepare_study")

#: retries of a task whose worker died (Dask reschedules it on another worker)
RETRIES = 2


def local_workers() -> int:
    """Worker processes of a local cluster: one per two cores (at least 1, at most 8)."""
    return max(1, min(8, (os.cpu_count() or 2) // 2))


def prepare_study(spec: InputSpec, scale: ScaleSpec | None = None) -> Prepared:
    """The study's feature matrix, every event of it, in process or on a Dask cluster as
    ``scale`` says (:func:`open_study` holds only a sample of a big study).

    Raises:
        HepsymError: from a reader (naming the file), or Dask missing, or no cluster.
    """
    with _open(spec, scale, None, 0) as prepared:
        return prepared


@contextlib.contextmanager
def open_study(
    spec: InputSpec, scale: ScaleSpec | None = None, *, seed: int = 0
) -> Iterator[Prepared]:
    """The study as its stages see it: the features of a uniform sample of at most
    ``scale.sample_events`` events and, where that is not all of them, the population
    of every event (:mod:`hepsym.sampling`). On Dask the events stay on the workers and
    the cluster stays up until the block ends.

    Raises:
        HepsymError: from a reader (naming the file), or Dask missing, or no cluster.
    """
    scale = scale or ScaleSpec()
    with _open(spec, scale, scale.sample_events, seed) as prepared:
        yield prepared


@contextlib.contextmanager
def _open(
    spec: InputSpec, scale: ScaleSpec | None, cap: int | None, seed: int
) -> Iterator[Prepared]:
    """The study, all of it (``cap`` ``None``) or a sample of at most ``cap`` events."""
    scale = scale or ScaleSpec()
    files = expand_inputs(spec.path) if spec.path is not None else ()
    entries = partitions(files, spec, scale.partition_entries)
    if not scale.distributed:
        if len(entries) <= 1:
            prepared = prepare(spec)
        else:
            parts, skipped = _run_here(spec, entries, scale.skip_bad_files)
            prepared = _finish(parts, spec, files, entries, skipped, [])
        yield prepared if cap is None else sampled(prepared, cap, seed)
        return
    with _client(scale) as (client, notes):
        done, skipped, n_uproot = _run(client, spec, entries, scale.skip_bad_files)
        if done:
            done = _first_events(done, spec, lambda s, e: _submit_read(client, s, e))
        peaks = [p for p in client.run(_peak_mib).values() if p is not None]
        notes.append(
            f"Dask: {count_text(files, entries)}, one task each"
            + (f" ({n_uproot} read by uproot.dask)" if n_uproot else "")
            + (f"; peak memory of a worker {max(peaks):.0f} MiB" if peaks else "")
        )
        if not done:
            _finish([], spec, files, entries, skipped, notes)  # raises: nothing read
        from hepsym.dask_study import sample_on_workers

        rows = [(d.info, d.hashes, d.part) for _, d in done]
        here = None if cap is None else sample_on_workers(client, spec, rows, cap, seed)
        if here is None:
            parts = [(entry, part) for (entry, _), part in
                     zip(done, client.gather([d.part for _, d in done]), strict=True)]  # fmt: skip
            yield _finish(parts, spec, files, entries, skipped, notes)
        else:
            yield _noted(here, files, entries, skipped, notes)


def _finish(
    parts: list[tuple[FileEntry, Part]],
    spec: InputSpec,
    files: Sequence[FileEntry],
    entries: Sequence[FileEntry],
    skipped: list[str],
    notes: list[str],
) -> Prepared:
    """The partitions joined, with the notes of where and what was skipped."""
    if not parts:
        msg = f"{entries[0].path}: every one of the {count_text(files, entries)} failed to read"
        raise InputFileError(msg)
    return _noted(finish([p for _, p in parts], spec), files, entries, skipped, notes)


def _noted(
    prepared: Prepared,
    files: Sequence[FileEntry],
    entries: Sequence[FileEntry],
    skipped: list[str],
    notes: list[str],
) -> Prepared:
    notes = list(notes)
    if skipped:
        notes.append(
            f"{len(skipped)} of {count_text(files, entries)} skipped, as asked (--skip-bad-files): "
            + "; ".join(skipped[:3])
            + (f"; and {len(skipped) - 3} more" if len(skipped) > 3 else "")
        )
    return dataclasses.replace(prepared, notes=(*notes, *prepared.notes))


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as err:
        msg = 'the Dask path needs dask.distributed: pip install "hepsym[dask]"'
        raise HepsymError(msg) from err
    return distributed


@contextlib.contextmanager
def _client(scale: ScaleSpec) -> Iterator[tuple[Any, list[str]]]:
    """A client of the scheduler at ``scale.scheduler``, or of a local cluster started
    (and closed) here; the notes say which, with the dashboard link."""
    distributed = _import_distributed()
    if scale.scheduler is not None:
        try:
            client = distributed.Client(scale.scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            msg = f"no Dask scheduler at {scale.scheduler} ({err})"
            raise HepsymError(msg) from None
        with client:
            n = len(client.scheduler_info().get("workers", {}))
            yield client, [f"Dask: scheduler {scale.scheduler}, {n} workers"]
        return
    n_workers = scale.dask_workers or local_workers()
    try:
        cluster = distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, dashboard_address=":0", silence_logs=40
        )
    except (RuntimeError, OSError) as err:
        msg = (
            f"a local Dask cluster of {n_workers} workers failed to start ({err}); from a "
            'Python script, run the study under `if __name__ == "__main__":` (Dask starts '
            "its workers by importing the script again)"
        )
        raise HepsymError(msg) from None
    with cluster, distributed.Client(cluster) as client:
        note = (
            f"Dask: a local cluster of {n_workers} worker processes x 1 thread "
            f"(--dask-workers N to change), dashboard {cluster.dashboard_link}"
        )
        if sys.stderr.isatty():  # now, so that the dashboard can be watched during the run
            print(f"hepsym: {note}", file=sys.stderr)
        yield client, [note]


def _peak_mib() -> float | None:
    """This process's peak resident memory in MiB (run on each worker)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclasses.dataclass(frozen=True)
class _Done:
    """A partition read on a worker: its summary (the part without its events), its
    events' hashes, and the future of the part itself, which stays on the worker."""

    info: Part
    hashes: Any
    part: Any


def _summary_of(client: Any, task: Any) -> Any:
    """The future of the summary of a reading task's partition."""
    from hepsym.dask_study import summarize

    return client.submit(summarize, task, retries=RETRIES, pure=False)


def _submit_read(client: Any, spec: InputSpec, entry: FileEntry) -> _Done:
    """One partition read on a worker with ``spec``, waited for."""
    distributed = _import_distributed()
    task = client.submit(read_part, spec, entry, retries=RETRIES, pure=False)
    got = _result(_summary_of(client, task), entry, False, [], distributed)
    return _Done(got[0], got[1], task)


def _run(
    client: Any, spec: InputSpec, entries: Sequence[FileEntry], skip_bad: bool
) -> tuple[list[tuple[FileEntry, _Done]], list[str], int]:
    """The partitions of the files that read, in file order, why the others failed, and
    how many were read by ``uproot.dask`` (ROOT TTrees; see :mod:`hepsym.dask_root`).

    Every file starts at once with the study's spec. The first file that reads decides
    the selection and features for all: a file whose own choice differs from it (a
    sample whose files differ in content) is read again with the first file's, so the
    answer is that of reading the files one after another. Only the summaries come back;
    the partitions stay on the workers.
    """
    distributed = _import_distributed()
    from tqdm import tqdm

    from hepsym.dask_root import submit_root

    done: dict[int, _Done] = {}
    skipped: list[str] = []
    futures: dict[Any, tuple[int, Any]] = {}

    def elsewise(i: int, error: HepsymError | None) -> None:
        if error is None:  # not a TTree: hepsym's reader on the worker
            task = client.submit(read_part, spec, entries[i], retries=RETRIES, pure=False)
            futures[_summary_of(client, task)] = (i, task)
        elif skip_bad:
            skipped.append(str(error))
        else:
            raise error

    root = {i for i, e in enumerate(entries) if is_root(e)}
    by_uproot = submit_root(
        client, spec, [(i, entries[i]) for i in sorted(root)], RETRIES, elsewise
    )
    for task, i in by_uproot.items():
        futures[_summary_of(client, task)] = (i, task)
    for i in range(len(entries)):
        if i not in root:
            elsewise(i, None)
    bar = tqdm(total=len(entries), desc="files", file=sys.stderr, disable=None, leave=False)
    with bar:
        for future in distributed.as_completed(list(futures)):
            i, task = futures[future]
            got = _result(future, entries[i], skip_bad, skipped, distributed)
            if got is not None:
                done[i] = _Done(got[0], got[1], task)
            bar.update(1)
    if not done:
        return [], skipped, 0
    first = done[min(done)].info.spec
    again = {
        i: client.submit(read_part, first, entries[i], retries=RETRIES, pure=False)
        for i, d in done.items()
        if (d.info.spec.select, d.info.spec.features) != (first.select, first.features)
    }
    for i, task in again.items():
        got = _result(_summary_of(client, task), entries[i], skip_bad, skipped, distributed)
        if got is None:
            del done[i]
        else:
            done[i] = _Done(got[0], got[1], task)
    n_uproot = sum(1 for i in by_uproot.values() if i in done and i not in again)
    return [(entries[i], done[i]) for i in sorted(done)], skipped, n_uproot


def _run_here(
    spec: InputSpec, entries: Sequence[FileEntry], skip_bad: bool
) -> tuple[list[tuple[FileEntry, Part]], list[str]]:
    """What :func:`_run` does on a cluster, file after file in this process: one file's
    events in memory at a time, and the same choices as on Dask."""
    parts: list[tuple[FileEntry, Part]] = []
    skipped: list[str] = []
    resolved = spec
    left = spec.max_events
    for entry in entries:
        if left is not None and left <= 0:
            break
        try:
            part = read_part(dataclasses.replace(resolved, max_events=left), entry)
        except HepsymError as err:
            if not skip_bad:
                raise
            skipped.append(str(err))
            continue
        resolved = dataclasses.replace(part.spec, max_events=spec.max_events)
        parts.append((entry, part))
        if left is not None:
            left -= part.features.n_input + part.n_bad
    return parts, skipped


def _result(
    future: Any, entry: FileEntry, skip_bad: bool, skipped: list[str], distributed: Any
) -> Any:
    """The future's result, or ``None`` for a file skipped; a failure names its file."""
    try:
        return future.result()
    except HepsymError as err:
        error: HepsymError = err
    except distributed.KilledWorker as err:
        error = InputFileError(f"{entry.path}: its worker died {RETRIES + 1} times ({err})")
    except Exception as err:  # a reader's own error, raised by uproot on the worker
        from hepsym.io._root_tree import UPROOT_ERRORS, describe

        if not isinstance(err, UPROOT_ERRORS):
            raise
        error = InputFileError(f"{entry.path}: cannot be read ({describe(err)})")
    if not skip_bad:
        raise error
    skipped.append(str(error))
    return None


def _first_events(
    done: list[tuple[FileEntry, _Done]],
    spec: InputSpec,
    reread: Callable[[InputSpec, FileEntry], _Done],
) -> list[tuple[FileEntry, _Done]]:
    """``max_events`` counts the events of all files in order, as :func:`hepsym.read` does:
    the partitions after the limit are dropped, and the one that crosses it read again
    (``reread``) with the events left."""
    if spec.max_events is None:
        return done
    left = spec.max_events
    kept: list[tuple[FileEntry, _Done]] = []
    for entry, d in done:
        if left <= 0:
            break
        n_read = d.info.features.n_input + d.info.n_bad
        if n_read > left:
            kept.append((entry, reread(dataclasses.replace(d.info.spec, max_events=left), entry)))
        else:
            kept.append((entry, d))
        left -= n_read
    return kept
