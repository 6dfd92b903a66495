"""How many cores this process may use: the one count the worker pools start from."""

from __future__ import annotations

import os

__all__ = ("usable_cores",)


def usable_cores() -> int:
    """Cores this process may run on (``os.sched_getaffinity``, so a CPU limit set by a
    batch system or ``taskset`` counts), else the machine's; at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
