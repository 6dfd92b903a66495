"""Where ``hepsym.analyze`` spends its time: each stage timed in one process.

The stages run as in ``hepsym analyze FILE`` (the VAE ensemble trains in the worker
processes while this process checks constraints and searches relations, so "waiting for
the ensemble" is what is left of the training after them). Prints each stage's wall time
and the peak RSS of this process after it.

Usage::

    python benchmarks/bench_analyze_stages.py pp1m.lhe.gz
"""

from __future__ import annotations

import argparse
import functools
import resource
import time
from collections.abc import Callable
from typing import Any


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(module: Any, name: str, label: str, rows: list[tuple[str, float, float]]) -> None:
    func: Callable[..., Any] = getattr(module, name)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        out = func(*args, **kwargs)
        rows.append((label, time.perf_counter() - start, _peak_mib()))
        return out

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    args = parser.parse_args()
    start = time.perf_counter()
    import hepsym
    import hepsym.constraints
    from hepsym import analysis, learning

    rows: list[tuple[str, float, float]] = [("imports", time.perf_counter() - start, _peak_mib())]
    study = analysis._study
    t0 = 0.0

    def studied(*args: Any, **kwargs: Any) -> Any:
        # everything before the stages: reading, selection, features (and the sample)
        rows.append(("reading, selection, features", time.perf_counter() - t0, _peak_mib()))
        return study(*args, **kwargs)

    analysis._study = studied  # type: ignore[assignment]
    _timed(hepsym.constraints, "analyze_constraints", "constraints", rows)
    _timed(analysis, "find_strata", "strata", rows)
    _timed(analysis, "_beyond", "relations and symmetries", rows)
    _timed(learning.PendingLearn, "result", "waiting for the ensemble, then evaluating it", rows)
    _timed(learning, "correlations", "  of which correlations", rows)
    _timed(learning, "two_nn", "  of which TwoNN", rows)
    _timed(learning, "latent_manifold_dims", "  of which the learned surface", rows)
    t0 = time.perf_counter()
    result = hepsym.analyze(args.file, progress=False)
    total = time.perf_counter() - t0
    for label, seconds, peak in rows:
        print(f"{label:<48} {seconds:7.2f} s   peak RSS {peak:6.0f} MiB")
    print(f"{'analyze':<48} {total:7.2f} s   (+ imports: {total + rows[0][1]:.2f} s)")
    print(
        f"predicted {result.constraints.predicted_dim}, learned {result.learned.learned_dim} "
        f"({result.learned.agreement:.0%}), TwoNN {result.learned.geometric_dim:.2f}"
    )


if __name__ == "__main__":
    main()
