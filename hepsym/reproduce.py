"""``hepsym reproduce paper``: the paper's four datasets, its counts, and ours side by side.

Datasets (paper sections 4.1-4.3): the uniform square and the circle (10^4 points, R = 10,
latent 4), e+e- -> mu+ mu- at 80 GeV (3-momenta, latent 6) and pp -> Z -> mu+ mu- at 13 TeV
(4-momenta, latent 8). The collider samples are the shipped ``data/*.lhe.gz`` when run from
the repository, otherwise they are generated with the same command and seed (Pythia 8).
The same settings are used for every dataset: nothing is tuned to hit the paper's numbers.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from hepsym._output import OutputFolder, atomic_write_text
from hepsym.analysis import analyze
from hepsym.datasets import load_toy
from hepsym.errors import OptionError
from hepsym.report import write_files
from hepsym.result import AnalysisResult
from hepsym.spec import StudySpec

__all__ = ("PAPER", "ReproduceRow", "reproduce_paper")


@dataclass(frozen=True)
class _Dataset:
    name: str
    title: str
    paper_count: int
    latent: int | None
    sample: str | None = None
    generate: tuple[str, dict[str, Any]] | None = None


#: the paper's datasets and its VAE counts (figs. 2, 6, 8)
PAPER = (
    _Dataset("square", "uniform square, (x1, x2)", 2, 4),
    _Dataset("circle", "circle x1^2 + x2^2 = R^2", 1, 4),
    _Dataset(
        "ee-mumu",
        "e+e- -> mu+mu-, 80 GeV, p3 (6)",
        3,
        None,
        "ee_mumu_80GeV.lhe.gz",
        ("ee-mumu", {"sqrt_s": 80.0, "seed": 1}),
    ),
    _Dataset(
        "pp-zmumu",
        "pp -> Z -> mu+mu-, 13 TeV, p4 (8)",
        3,
        None,
        "pp_zmumu_13TeV.lhe.gz",
        ("pp-zmumu", {"sqrt_s": 13000.0, "mass_window": (60.0, 120.0), "seed": 1}),
    ),
)


@dataclass(frozen=True)
class ReproduceRow:
    """One dataset's numbers: the paper's count beside hepsym's predicted/learned/geometric."""

    dataset: str
    title: str
    paper: int
    result: AnalysisResult

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "dataset": self.dataset,
            "paper": self.paper,
            "predicted_dim": r.constraints.predicted_dim,
            "embedding_dim": r.constraints.embedding_dim,
            "learned_dim": r.learned.learned_dim,
            "agreement": r.learned.agreement,
            "geometric_dim": r.learned.geometric_dim,
            "geometric_dim_err": r.learned.geometric_dim_err,
            "outcome": r.verdict.outcome,
        }


def format_table(rows: list[ReproduceRow]) -> str:
    """A Markdown table of the comparison."""
    lines = [
        (
            "| dataset | paper's VAE count | predicted | embedding | learned (agreement) | "
            "geometric (TwoNN) | learned matches |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        d = row.to_dict()
        lines.append(
            f"| {row.title} | {d['paper']} | {d['predicted_dim']} | {d['embedding_dim']} | "
            f"{d['learned_dim']} ({d['agreement']:.0%}) | "
            f"{d['geometric_dim']:.2f} +- {d['geometric_dim_err']:.2f} | {d['outcome']} |"
        )
    return "\n".join(lines)


def _sample(ds: _Dataset, data_dir: Path | None, workdir: Path) -> Path:
    assert ds.sample is not None
    assert ds.generate is not None
    if data_dir is not None and (data_dir / ds.sample).exists():
        return data_dir / ds.sample
    from hepsym.generate import generate

    process, kw = ds.generate
    sample = generate(process, 10_000, output=workdir / ds.sample, **kw)
    assert sample.path is not None  # written, since an output was given
    return Path(sample.path)


def reproduce_paper(
    *,
    fast: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | OutputFolder | None = None,
    ensemble: int | None = None,
    epochs: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    log: Any = None,
) -> list[ReproduceRow]:
    """Run the paper's four studies with one set of settings and compare the counts.

    Args:
        fast: 5 VAEs instead of 15 (same 10^4 events and 20 epochs: fewer optimiser
            steps leave every latent active, which would say nothing).
        data_dir: where the shipped collider samples are; default ``data/`` where it
            holds them, else they are generated. A folder given but missing is an error.
        out_dir: if given (a path, or an :class:`~hepsym._output.OutputFolder` planned
            before the work), each dataset's report goes to ``out_dir/<dataset>/`` and
            the table to ``out_dir/table.md``; the folder appears whole at the end.
        ensemble, epochs: override the ensemble size and epochs.
        seed: ensemble seed.
        progress: progress bars.
        log: a callable taking a line of text, for progress messages.

    Raises:
        OptionError: a missing ``data_dir``, an unusable ``out_dir``, a bad setting.
    """
    ensemble = (5 if fast else 15) if ensemble is None else ensemble
    epochs = 20 if epochs is None else epochs
    if data_dir is not None and not Path(data_dir).is_dir():
        msg = f"{data_dir}: no such folder of samples (leave out --data to generate them)"
        raise OptionError(msg)
    data = Path(data_dir if data_dir is not None else "data")
    out = out_dir if isinstance(out_dir, OutputFolder) or out_dir is None else OutputFolder(out_dir)
    spec = StudySpec().with_options(ensemble=ensemble, epochs=epochs, seed=seed, progress=progress)
    with out or contextlib.nullcontext(), tempfile.TemporaryDirectory(prefix="hepsym-") as work:
        rows = [_run(ds, spec, data, Path(work), log) for ds in PAPER]
        if out is not None:
            assert out.staging is not None
            for row in rows:
                (out.staging / row.dataset).mkdir()
                write_files(row.result, out.staging / row.dataset)
            atomic_write_text(out.staging / "table.md", format_table(rows) + "\n")
            plot_overview(rows, out.staging)
    return rows


#: events per dataset
N_EVENTS = 10_000


def _run(ds: _Dataset, spec: StudySpec, data: Path, work: Path, log: Any) -> ReproduceRow:
    n_events = N_EVENTS
    if log:
        log(
            f"{ds.name}: {n_events} events, {spec.learn.ensemble} VAEs x {spec.learn.vae.epochs} epochs"
        )
    if ds.sample is None:
        source: Any = load_toy(ds.name, n=n_events, seed=spec.seed).features()
        max_events = None
    else:
        source = _sample(ds, data, work)
        max_events = n_events
    result = analyze(source, spec, max_events=max_events, latent=ds.latent)
    return ReproduceRow(ds.name, ds.title, ds.paper_count, result)


def plot_overview(rows: list[ReproduceRow], out_dir: Path) -> Path:
    """All datasets' relevance spectra on one axes (paper figs. 2, 6 and 8 together)."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from hepsym.plotting import plot_relevance

    ax = None
    for row in rows:
        ax = plot_relevance(row.result.learned.relevance, label=row.title, ax=ax)
    assert ax is not None
    ax.set_title("hepsym reproduce paper: relevance spectra", fontsize="medium")
    path = out_dir / "relevance_all.png"
    fig = cast("Figure", ax.figure)
    fig.savefig(path, dpi=110)
    fig.savefig(path.with_suffix(".pdf"))
    plt.close(fig)
    return path
