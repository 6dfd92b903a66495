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
from collections.abc import Iterator, Sequence
from typing import Any

from hepsym.errors import HepsymError, InputFileError
from hepsym.inputs import Part, Prepared, finish, prepare, prepare_part
from hepsym.io import read
from hepsym.io.fileset import FileEntry, expand_inputs
from hepsym.spec import InputSpec, ScaleSpec

__all__ = ("local_workers", "prepare_study")

#: retries of a task whose worker died (Dask reschedules it on another worker)
RETRIES = 2


def local_workers() -> int:
    """Worker processes of a local cluster: one per two cores (at least 1, at most 8)."""
    return max(1, min(8, (os.cpu_count() or 2) // 2))


def prepare_study(spec: InputSpec, scale: ScaleSpec | None = None) -> Prepared:
    """The study's feature matrix, in process or on a Dask cluster as ``scale`` says.

    Raises:
        HepsymError: from a reader (naming the file), or Dask missing, or no cluster.
    """
    scale = scale or ScaleSpec()
    files = expand_inputs(spec.path) if spec.path is not None else ()
    entries = _partitions(files, spec, scale.partition_entries)
    if not scale.distributed and len(entries) <= 1:
        return prepare(spec)
    if scale.distributed:
        with _client(scale) as (client, notes):
            parts, skipped, n_uproot = _run(client, spec, entries, scale.skip_bad_files)
            peaks = [p for p in client.run(_peak_mib).values() if p is not None]
        notes.append(
            f"Dask: {_count(files, entries)}, one task each"
            + (f" ({n_uproot} read by uproot.dask)" if n_uproot else "")
            + (f"; peak memory of a worker {max(peaks):.0f} MiB" if peaks else "")
        )
    else:
        parts, skipped = _run_here(spec, entries, scale.skip_bad_files)
        notes = []
    if not parts:
        msg = f"{entries[0].path}: every one of the {_count(files, entries)} failed to read"
        raise InputFileError(msg)
    parts = _first_events(parts, spec)
    prepared = finish([p for _, p in parts], spec)
    if skipped:
        notes.append(
            f"{len(skipped)} of {_count(files, entries)} skipped, as asked (--skip-bad-files): "
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


def _partitions(files: Sequence[FileEntry], spec: InputSpec, size: int) -> tuple[FileEntry, ...]:
    """The files, each ROOT tree of more than ``size`` entries cut into ranges of
    ``size``, each uncompressed LHE file of more than about ``size`` events into
    event-aligned byte ranges of about that many (only a few MB of a file are read here)."""
    from hepsym.io import detect_format
    from hepsym.io.lhe import event_ranges
    from hepsym.io.root import tree_entries

    out: list[FileEntry] = []
    for f in files:
        try:
            fmt = detect_format(f.path)
            n = tree_entries(f.path, f.tree or spec.tree) if fmt == "root" else 0
            ranges = event_ranges(f.path, size) if fmt == "lhe" else None
        except (HepsymError, OSError):
            n, ranges = 0, None  # its task will fail, naming it (or skip it, as asked)
        if ranges is not None:
            out.extend(dataclasses.replace(f, byte_range=r) for r in ranges)
        elif n > size:
            out.extend(
                dataclasses.replace(f, entries=(a, min(a + size, n))) for a in range(0, n, size)
            )
        else:
            out.append(f)
    return tuple(out)


def _count(files: Sequence[FileEntry], parts: Sequence[FileEntry]) -> str:
    """``20 files`` or ``2 files in 7 partitions``."""
    text = f"{len(files)} file{'s' if len(files) != 1 else ''}"
    return text if len(parts) == len(files) else f"{text} in {len(parts)} partitions"


def _read_part(spec: InputSpec, entry: FileEntry) -> Part:
    """One partition (a file, or a range of a ROOT tree's entries); runs on a worker."""
    file_spec = dataclasses.replace(spec, path=entry.path)
    options = file_spec.reading()
    if entry.tree is not None:
        options = dataclasses.replace(options, tree=entry.tree)
    if entry.entries is not None:
        options = dataclasses.replace(options, entries=entry.entries)
    if entry.byte_range is not None:
        options = dataclasses.replace(options, byte_range=entry.byte_range)
    events = read(entry.path, options)
    # the partitions of a file join as that file (its read already named the entries)
    return prepare_part(file_spec, dataclasses.replace(events, source=entry.path))


def _run(
    client: Any, spec: InputSpec, entries: Sequence[FileEntry], skip_bad: bool
) -> tuple[list[tuple[FileEntry, Part]], list[str], int]:
    """The partitions of the files that read, in file order, why the others failed, and
    how many were read by ``uproot.dask`` (ROOT TTrees; see :mod:`hepsym.dask_root`).

    Every file starts at once with the study's spec. The first file that reads decides
    the selection and features for all: a file whose own choice differs from it (a
    sample whose files differ in content) is read again with the first file's, so the
    answer is that of reading the files one after another.
    """
    distributed = _import_distributed()
    from tqdm import tqdm

    from hepsym.dask_root import submit_root

    done: dict[int, Part] = {}
    skipped: list[str] = []
    futures: dict[Any, int] = {}

    def elsewise(i: int, error: HepsymError | None) -> None:
        if error is None:  # not a TTree: hepsym's reader on the worker
            futures[client.submit(_read_part, spec, entries[i], retries=RETRIES, pure=False)] = i
        elif skip_bad:
            skipped.append(str(error))
        else:
            raise error

    root = {i for i, e in enumerate(entries) if _is_root(e)}
    by_uproot = submit_root(
        client, spec, [(i, entries[i]) for i in sorted(root)], RETRIES, elsewise
    )
    futures.update(by_uproot)
    for i in range(len(entries)):
        if i not in root:
            elsewise(i, None)
    bar = tqdm(total=len(entries), desc="files", file=sys.stderr, disable=None, leave=False)
    with bar:
        for future in distributed.as_completed(futures):
            i = futures[future]
            part = _result(future, entries[i], skip_bad, skipped, distributed)
            if part is not None:
                done[i] = part
            bar.update(1)
    if not done:
        return [], skipped, 0
    first = done[min(done)].spec
    again = {
        i: client.submit(_read_part, first, entries[i], retries=RETRIES, pure=False)
        for i, part in done.items()
        if (part.spec.select, part.spec.features) != (first.select, first.features)
    }
    for i, future in again.items():
        part = _result(future, entries[i], skip_bad, skipped, distributed)
        if part is None:
            del done[i]
        else:
            done[i] = part
    n_uproot = sum(1 for i in by_uproot.values() if i in done and i not in again)
    return [(entries[i], done[i]) for i in sorted(done)], skipped, n_uproot


def _is_root(entry: FileEntry) -> bool:
    from hepsym.io import detect_format

    try:
        return detect_format(entry.path) == "root"
    except HepsymError:
        return False  # its task will fail, naming it (or skip it, as asked)


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
            part = _read_part(dataclasses.replace(resolved, max_events=left), entry)
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
) -> Part | None:
    """The partition, or ``None`` for a file skipped; a failure names its file."""
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
    parts: list[tuple[FileEntry, Part]], spec: InputSpec
) -> list[tuple[FileEntry, Part]]:
    """``max_events`` counts the events of all files in order, as :func:`hepsym.read` does:
    the partitions after the limit are dropped, and the one that crosses it read again
    with the events left."""
    if spec.max_events is None:
        return parts
    left = spec.max_events
    kept: list[tuple[FileEntry, Part]] = []
    for entry, part in parts:
        if left <= 0:
            break
        n_read = part.features.n_input + part.n_bad
        if n_read > left:
            kept.append((entry, _read_part(dataclasses.replace(part.spec, max_events=left), entry)))
        else:
            kept.append((entry, part))
        left -= n_read
    return kept
