"""The scale section: where the partitions of a study run (in process, or on Dask)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from hepsym._spec_base import problem

__all__ = ("ScaleSpec",)


@dataclass(frozen=True)
class ScaleSpec:
    """Where a study's files are read, selected and turned into features.

    Attributes:
        dask: run each file as a task on a ``dask.distributed`` cluster: a
            ``LocalCluster`` started for the machine, or the one at ``scheduler``.
        scheduler: address of a running scheduler (``tcp://host:8786``); implies ``dask``.
        dask_workers: number of worker processes of the local cluster (default: one per
            two cores, at most 8).
        skip_bad_files: a file that fails to read is skipped and counted, instead of
            stopping the study.
        partition_entries: a ROOT tree with more entries is read as partitions of this
            many entries, an uncompressed LHE file of more events as event-aligned byte
            ranges of about this many (one task each on Dask; one after another in
            process).
        sample_events: the most events a study holds in one place: above it, the stages
            that need events in memory work on a uniform sample of this many, and the
            constraint table sums its counts, fractions, means and spreads over every
            event where the events lie (see :mod:`hepsym.sampling`).
    """

    dask: bool = False
    scheduler: str | None = None
    dask_workers: int | None = None
    skip_bad_files: bool = False
    partition_entries: int = 500_000
    sample_events: int = 1_000_000

    def __post_init__(self) -> None:
        w = self.dask_workers
        if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 1):
            msg = f"dask_workers must be an integer of at least 1, got {w!r}"
            raise problem(msg)
        p = self.partition_entries
        if isinstance(p, bool) or not isinstance(p, int) or p < 1:
            msg = f"partition_entries must be an integer of at least 1, got {p!r}"
            raise problem(msg)
        c = self.sample_events
        if isinstance(c, bool) or not isinstance(c, int) or c < 2:
            msg = f"sample_events must be an integer of at least 2, got {c!r}"
            raise problem(msg)
        if self.scheduler is not None and not str(self.scheduler).strip():
            msg = "the scheduler address is empty"
            raise problem(msg)

    @property
    def distributed(self) -> bool:
        """Whether the study runs on a Dask cluster."""
        return self.dask or self.scheduler is not None

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values."""
        return dataclasses.asdict(self)
