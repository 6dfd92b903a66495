"""A study's figures and its report on disk: result.json, report.md and the figures.

:func:`plot_relevance` and :func:`plot_latents` draw an
:class:`~hepsym.result.AnalysisResult`; :func:`write_report` writes all of it. Everything
goes to a hidden temporary folder next to the destination first; only when all files are
complete are they moved into place (``report.md`` last), so an interrupted run leaves no
partial report.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hepsym._output import OutputFolder

if TYPE_CHECKING:
    from hepsym.result import AnalysisResult

__all__ = (
    "FIGURE_FORMATS",
    "plot_latents",
    "plot_relevance",
    "write_figures",
    "write_files",
    "write_report",
)

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

    if result.symmetry is not None:
        from hepsym.symmetry.plot import plot_symmetries

        ax = plot_symmetries(result.symmetry)
        _save(ax.figure, folder, "symmetries")
        figures["Symmetry tests: each map's statistic, symmetric ones marked"] = "symmetries.png"

    X = result.features.X
    for row, constraint in zip(result.constraints.rows, result.constraints.candidates, strict=True):
        if not (row.counted or row.kind == "resonance"):
            continue
        exact = row.status == "exact"
        g = np.asarray(constraint.evaluate(X), dtype=np.float64)
        if exact:
            # an exact law is drawn relative to its natural scale: "exact to 1e-15"
            scale = np.maximum(np.abs(constraint.natural_scale(X, g, row.expected)), 1e-300)
            rel = (g - row.expected) / scale
            worst = float(np.max(np.abs(rel))) if len(rel) else 0.0
            bulk = float(np.percentile(np.abs(rel), 99.5)) if len(rel) else 0.0
            k = int(np.floor(np.log10(bulk))) if bulk > 0 else 0
            ax = plot_residual(
                rel / 10.0**k,
                name=f"relative residual [$10^{{{k}}}$]" if k else "relative residual",
                expected=0.0,
            )
            ax.set_title(
                f"{row.name}: exact to {worst:.0e} (relative)"
                if worst > 0
                else f"{row.name}: exact (every residual 0)",
                fontsize="medium",
            )
        else:
            ax = plot_residual(
                g,
                name=_axis_label(row.name, constraint.formula, row.kind),
                expected=row.expected,
                tolerance=row.tolerance or None,
                width=row.width,
                unit=_UNITS.get(row.kind, ""),
            )
            ax.set_title(f"{row.name}: {row.status}", fontsize="medium")
        stem = f"constraint_{row.name}"
        _save(ax.figure, folder, stem)
        figures[f"Constraint {row.name} ({row.status})"] = f"{stem}.png"
    return figures


#: the unit of a constraint's value, by kind
_UNITS = {
    "momentum": "GeV",
    "transverse-momentum": "GeV",
    "energy": "GeV",
    "on-shell": "GeV$^2$",
    "resonance": "GeV",
}


def _axis_label(name: str, formula: str, kind: str) -> str:
    """What the axis of a constraint shows: ``m(mu_plus mu_minus)`` for a resonance, not m_Z."""
    if kind == "resonance" and "invariant mass of (" in formula:
        inside = formula.split("invariant mass of (", 1)[1].split(")", 1)[0]
        return f"m({' '.join(p.strip() for p in inside.split(','))})"
    if kind == "on-shell":
        return f"$E^2 - |p|^2$ ({name})"
    return name


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


def write_files(result: AnalysisResult, folder: str | os.PathLike[str]) -> Path:
    """Write ``result.json``, the figures and ``report.md`` (last) into an existing folder."""
    folder = Path(folder)
    figures = write_figures(result, folder)
    (folder / "result.json").write_text(result.to_json() + "\n")
    (folder / "report.md").write_text(_markdown(result, figures))
    return folder


def write_report(
    result: AnalysisResult, out_dir: str | os.PathLike[str], *, force: bool = False
) -> Path:
    """Write ``result.json``, ``report.md`` and the figures into a new folder ``out_dir``.

    The folder appears whole or not at all (:class:`~hepsym._output.OutputFolder`); an
    existing one is replaced whole with ``force=True`` and refused otherwise.

    Raises:
        OptionError: ``out_dir`` is a file, exists (without ``force``), cannot be written,
            or another run is writing it.
    """
    with OutputFolder(out_dir, force=force) as target:
        assert target.staging is not None
        write_files(result, target.staging)
    return Path(out_dir)
