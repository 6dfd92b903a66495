"""The figure of a symmetry study: each tested map's statistic, symmetric ones marked."""

from __future__ import annotations

from typing import Any

from hepsym.symmetry.result import SymmetryResult

__all__ = ("plot_symmetries",)


def plot_symmetries(result: SymmetryResult, ax: Any = None) -> Any:
    """One bar per tested map (continuous generators, then discrete maps): its energy distance.

    Symmetric maps (p >= alpha) are drawn hollow and labelled "symmetric"; broken ones
    filled. Each bar is annotated with its p-value. matplotlib is imported here, so
    that ``import hepsym`` does not load it.

    Args:
        result: a :class:`~hepsym.symmetry.SymmetryResult`.
        ax: matplotlib axes to draw into (default: a new figure).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    tests = [*result.density, *result.discrete]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 0.45 * len(tests) + 1.5))
    y = list(range(len(tests)))[::-1]
    floor = min((t.statistic for t in tests if t.statistic > 0), default=1e-6) / 3
    for yi, t in zip(y, tests, strict=True):
        value = max(t.statistic, floor)
        if t.symmetric:
            ax.barh(yi, value, color="none", edgecolor="tab:green", hatch="//", linewidth=1.5)
        else:
            ax.barh(yi, value, color="tab:red", edgecolor="tab:red")
        mark = "symmetric" if t.symmetric else "broken"
        ax.text(value * 1.15, yi, f"p = {t.p_value:.3g}  ({mark})", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels([t.name for t in tests])
    ax.set_xscale("log")
    ax.set_xlabel("energy distance, original vs transformed (standardised features)")
    ax.set_title(
        f"{result.source or 'features'}: symmetric iff p >= {result.spec.alpha:g}", fontsize=9
    )
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi * 30)
    return ax
