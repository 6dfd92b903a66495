"""mplhep-styled figures: relevance spectrum, latents vs features, latent plane, residuals.

One function per figure. Each takes an optional ``ax`` (or ``fig`` for grids), draws into
it and returns it, so it composes with a user's own figures. Without one, it opens a new
figure in the mplhep style; the experiment label is off, since hepsym is not an
experiment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

# mplhep's style asks for a 'cursive' font most machines lack; matplotlib's fallback is fine.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = (
    "plot_latent_plane",
    "plot_latents_vs_features",
    "plot_relevance",
    "plot_residual",
    "style",
)


def style() -> Any:
    """A context manager with hepsym's plot style (mplhep's ROOT-like style)."""
    import matplotlib.pyplot as plt
    import mplhep

    return plt.style.context(mplhep.style.ROOT)


def _new_axes(figsize: tuple[float, float] = (8, 6)) -> Axes:
    import matplotlib.pyplot as plt

    with style():
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_relevance(
    relevance: np.ndarray,
    *,
    predicted: int | None = None,
    embedding: int | None = None,
    learned: int | None = None,
    label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Relevance by latent rank: ensemble mean with its spread band, log scale.

    Args:
        relevance: members x latents, each row sorted descending (paper eq. 4.3).
        predicted: the constraint count's dimension, marked as a vertical line.
        embedding: the embedding dimension, marked as a second line.
        learned: the ensemble's learned dimension, marked on the axis.
        label: legend label of the data (e.g. the dataset name).
        ax: axes to draw into.
    """
    rel = np.atleast_2d(np.asarray(relevance, dtype=np.float64))
    ax = ax if ax is not None else _new_axes()
    rank = np.arange(1, rel.shape[1] + 1)
    floor = 1e-3
    clipped = np.clip(rel, floor, None)
    mean = clipped.mean(axis=0)
    lo, hi = np.percentile(clipped, [16, 84], axis=0)
    (line,) = ax.plot(rank, mean, "o-", label=label or f"mean of {rel.shape[0]} VAEs")
    band = "16-84% of members" if label is None else None  # one band entry, not one per dataset
    ax.fill_between(rank, lo, hi, color=line.get_color(), alpha=0.25, label=band)
    ax.set_yscale("log")
    ax.set_xticks(rank)
    ax.set_xlabel("latent rank (by decreasing relevance)")
    ax.set_ylabel(r"relevance  std$\langle z_j\rangle$ / mean $\sigma_j$", fontsize="medium")
    # markers that fall on the same place are drawn side by side, not on top of each other
    marks = [
        (v, name, colour, ls)
        for v, name, colour, ls in (
            (predicted, "predicted", "tab:red", "--"),
            (embedding, "embedding", "tab:green", ":"),
            (learned, "learned", "black", "-."),
        )
        if v is not None
    ]
    for value, name, colour, ls in marks:
        same = [m for m in marks if m[0] == value]
        shift = 0.08 * (same.index((value, name, colour, ls)) - (len(same) - 1) / 2)
        ax.axvline(
            value + 0.5 + shift, color=colour, ls=ls, lw=1.5, label=f"{name} dimension = {value}"
        )
    ax.set_ylim(floor / 2, None)
    ax.legend(fontsize="small")
    return ax


def plot_latents_vs_features(
    latents: np.ndarray,
    X: np.ndarray,
    names: Sequence[str],
    *,
    latent_order: Sequence[int] | None = None,
    max_points: int = 2000,
    seed: int = 0,
    fig: Figure | None = None,
) -> Figure:
    """Mean latent <z_j> against every feature, a latents x features grid (paper figs. 4, 7).

    Args:
        latents: events x latents posterior means of one VAE.
        X: events x features, the same events.
        names: feature labels (with units) for the columns.
        latent_order: latent indices to show, most relevant first (default: all).
        max_points: events drawn per panel (a random subsample, for speed).
        seed: subsample seed.
        fig: figure to draw into (default: a new one sized to the grid).
    """
    import matplotlib.pyplot as plt

    latents = np.asarray(latents)
    X = np.asarray(X)
    order = list(latent_order) if latent_order is not None else list(range(latents.shape[1]))
    n_rows, n_cols = len(order), X.shape[1]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(X), size=min(max_points, len(X)), replace=False)
    if fig is None:
        with style():
            fig = plt.figure(figsize=(2.2 * n_cols + 1, 1.9 * n_rows + 1), layout="constrained")
    from matplotlib.ticker import MaxNLocator

    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex="col", sharey="row")
    # each feature's axis shows the bulk of the events (0.5-99.5%), not its far tails
    lo, hi = np.percentile(X[pick], [0.5, 99.5], axis=0)
    for r, j in enumerate(order):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.scatter(X[pick, c], latents[pick, j], s=1, alpha=0.4, rasterized=True)
            if r == n_rows - 1:
                ax.set_xlabel(names[c], fontsize="x-small")
                if hi[c] > lo[c]:
                    pad = 0.05 * (hi[c] - lo[c])
                    ax.set_xlim(lo[c] - pad, hi[c] + pad)
            if c == 0:
                ax.set_ylabel(rf"$\langle z_{{{r + 1}}}\rangle$", fontsize="small")
            ax.tick_params(labelsize="xx-small")
            ax.xaxis.set_major_locator(MaxNLocator(3))  # tick labels that do not collide
            ax.yaxis.set_major_locator(MaxNLocator(4))
    return fig


def plot_latent_plane(
    X: np.ndarray,
    latent: np.ndarray,
    *,
    names: Sequence[str] = ("$x_1$", "$x_2$"),
    max_points: int = 5000,
    ax: Axes | None = None,
) -> Axes:
    """The most relevant latent <z_1> as colour over the (x1, x2) plane (paper fig. 3)."""
    X = np.asarray(X)
    ax = ax if ax is not None else _new_axes((7, 6))
    pick = slice(0, min(max_points, len(X)))
    sc = ax.scatter(X[pick, 0], X[pick, 1], c=np.asarray(latent)[pick], s=4, cmap="viridis")
    ax.figure.colorbar(sc, ax=ax, label=r"$\langle z_1\rangle$")
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_aspect("equal", adjustable="datalim")
    return ax


#: bins of a constraint's residual histogram
RESIDUAL_BINS = 60


def plot_residual(
    values: np.ndarray,
    *,
    name: str,
    expected: float,
    tolerance: float | None = None,
    width: float | None = None,
    unit: str = "",
    weights: np.ndarray | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Histogram of one constraint's value over the events, with the expectation marked.

    Args:
        values: g(x) per event (e.g. m_mumu).
        name: axis label of g (e.g. ``r"$m_{\\mu\\mu}$"``).
        expected: the value the physics predicts (drawn as a line, e.g. the PDG m_Z).
        tolerance: half-width accepted as "holding" (shaded band).
        width: the physical width (e.g. Gamma_Z), drawn as the FWHM around ``expected``.
        unit: unit for the axis label.
        weights: per-event weights for the histogram (``RESIDUAL_BINS`` bins).
        ax: axes to draw into.
    """
    import hist
    import mplhep

    v = np.asarray(values, dtype=np.float64)
    ax = ax if ax is not None else _new_axes()
    lo, hi = np.percentile(v, [0.5, 99.5])
    for edge in (expected - (tolerance or 0), expected + (tolerance or 0)):
        lo, hi = min(lo, edge), max(hi, edge)
    if hi == lo:  # every value the same (an exact law to the last bit): a readable unit axis
        lo, hi = lo - 1.0, hi + 1.0
    min_range = 1e-9 * max(abs(expected), abs(lo), abs(hi), 1e-12)
    if hi - lo < min_range:  # values equal to machine precision
        centre = 0.5 * (lo + hi)
        lo, hi = centre - min_range, centre + min_range
    label = f"{name} [{unit}]" if unit else name
    h = hist.Hist.new.Reg(RESIDUAL_BINS, lo, hi, name="g", label=label).Weight()
    h.fill(g=v, weight=weights if weights is not None else np.ones_like(v))
    mplhep.histplot(h, ax=ax, label="events", histtype="fill", alpha=0.6)
    ax.axvline(expected, color="tab:red", ls="--", label=f"expected {expected:.6g}")
    if tolerance:
        ax.axvspan(
            expected - tolerance,
            expected + tolerance,
            color="tab:red",
            alpha=0.1,
            label=f"tolerance $\\pm${tolerance:.3g}",
        )
    if width:
        ax.axvspan(
            expected - width / 2,
            expected + width / 2,
            color="tab:orange",
            alpha=0.2,
            label=f"width $\\Gamma$ = {width:.3g}",
        )
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel(label)
    ax.xaxis.set_major_locator(MaxNLocator(6))  # tick labels that do not collide
    ax.set_ylabel("events / bin")
    ax.legend(fontsize="small")
    return ax
