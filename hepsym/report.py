"""A study's figures and its report on disk: result.json, report.md and the figures.

:func:`plot_relevance` and :func:`plot_latents` draw an
:class:`~hepsym.result.AnalysisResult`; :func:`write_report` writes all of it. Everything
goes to a hidden temporary folder next to the destination first; only when all files are
complete are they moved into place (``report.md`` last), so an interrupted run leaves no
partial report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hepsym.errors import HepsymError

if TYPE_CHECKING:
    from hepsym.result import AnalysisResult

__all__ = ("FIGURE_FORMATS", "plot_latents", "plot_relevance", "write_figures", "write_report")

FIGURE_FORMATS = ("png", "pdf")


def plot_relevance(result: AnalysisResult, ax: Any = None) -> Any:
    """Relevance by latent rank with the predicted, embedding and learned dimensions marked."""
    from hepsym.plotting import plot_relevance as plot

    return plot(
        result.learned.relevance,
        predicted=result.constraints.predicted_dim,
        embedding=result.constraints.embedding_dim,
        learned=result.learned.learned_dim,
        ax=ax,
    )


def plot_latents(result: AnalysisResult, fig: Any = None, member: int = 0) -> Any:
    """<z_j> of one ensemble member against every feature, most relevant latent first."""
    from hepsym.plotting import plot_latents_vs_features

    X, labels = result.learned_inputs
    return plot_latents_vs_features(
        result.latent_means[member],
        X,
        labels,
        latent_order=result.learned.order[member],
        fig=fig,
    )


def _save(fig: Any, folder: Path, stem: str) -> list[str]:
    import matplotlib.pyplot as plt

    names = []
    for fmt in FIGURE_FORMATS:
        fig.savefig(folder / f"{stem}.{fmt}", dpi=110)
        names.append(f"{stem}.{fmt}")
    plt.close(fig)
    return names


def write_figures(result: AnalysisResult, folder: Path) -> dict[str, str]:
    """Draw every figure of ``result`` into ``folder``; returns caption -> PNG file name."""
    from hepsym.plotting import plot_latent_plane, plot_residual

    figures = {}
    ax = plot_relevance(result)
    _save(ax.figure, folder, "relevance")
    figures["Relevance by latent rank (ensemble mean and 16-84% band)"] = "relevance.png"

    fig = plot_latents(result)
    _save(fig, folder, "latents_vs_features")
    figures["Mean latent <z_j> of VAE 1 against every feature"] = "latents_vs_features.png"

    inputs, labels = result.learned_inputs
    if inputs.shape[1] == 2:
        top = int(result.learned.order[0][0])
        ax = plot_latent_plane(inputs, result.latent_means[0][:, top], names=labels)
        _save(ax.figure, folder, "latent_plane")
        figures["Most relevant latent <z_1> over the feature plane"] = "latent_plane.png"

    X = result.features.X
    for row, constraint in zip(result.constraints.rows, result.constraints.candidates, strict=True):
        if not (row.counted or row.kind == "resonance"):
            continue
        exact = row.status == "exact"
        g = np.asarray(constraint.evaluate(X))
        values = g - row.expected if exact else g
        ax = plot_residual(
            values,
            name=f"{row.name} - expected" if exact else row.name,
            expected=0.0 if exact else row.expected,
            tolerance=None if exact else (row.tolerance or None),
            width=row.width,
            unit="" if row.kind in ("constant-feature", "user") else "GeV",
            weights=None,
        )
        ax.set_title(f"{row.name}: {row.status}", fontsize="medium")
        stem = f"constraint_{row.name}"
        _save(ax.figure, folder, stem)
        figures[f"Constraint {row.name} ({row.status})"] = f"{stem}.png"
    return figures


def _markdown(result: AnalysisResult, figures: dict[str, str]) -> str:
    from hepsym._version import __version__

    notes = "".join(f"- {n}\n" for n in result.notes) or "- (none)\n"
    figs = "\n".join(f"### {caption}\n\n![{caption}]({png})\n" for caption, png in figures.items())
    return (
        f"# hepsym analysis of `{result.features.source}`\n\n"
        f"hepsym {__version__}; {result.features.n_events} events "
        f"({result.features.n_dropped} dropped), features: {', '.join(result.features.names)}\n\n"
        f"## What hepsym chose\n\n{notes}\n"
        f"## Verdict\n\n{result.verdict.text}\n\n"
        f"## Summary\n\n```\n{result.summary()}\n```\n\n"
        f"## Figures\n\n{figs}\n"
        "All numbers are in `result.json`; every figure is also saved as PDF.\n"
    )


def write_report(result: AnalysisResult, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``result.json``, ``report.md`` and the figures into ``out_dir``.

    Raises:
        HepsymError: ``out_dir`` exists and is not a folder, or cannot be written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        msg = f"{out}: exists and is not a folder"
        raise HepsymError(msg)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    except OSError as err:
        msg = f"{out}: cannot write the report ({err.strerror})"
        raise HepsymError(msg) from err
    try:
        figures = write_figures(result, tmp)
        (tmp / "result.json").write_text(result.to_json() + "\n")
        (tmp / "report.md").write_text(_markdown(result, figures))
        if not out.exists():
            os.replace(tmp, out)
        else:
            names = sorted(p.name for p in tmp.iterdir())
            names.sort(key=lambda n: n == "report.md")  # the report last
            for name in names:
                os.replace(tmp / name, out / name)
            tmp.rmdir()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
