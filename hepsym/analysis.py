"""The whole study: from an event file to constraints, a VAE count and a verdict.

:func:`analyze` is what ``hepsym analyze`` runs. :func:`prepare` is the part that
``analyze``/``constraints``/``learn`` share: read, choose
the particles (the user's query or :func:`~hepsym.selection.default_query`), choose the
features (the paper's: 3-momenta at a lepton collider, 4-momenta otherwise) and build the
:class:`~hepsym.features.FeatureMatrix`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hepsym.errors import HepsymError
from hepsym.events import Beams
from hepsym.features import FeatureMatrix, build_features
from hepsym.io import read
from hepsym.selection import default_query, select

if TYPE_CHECKING:
    from hepsym.compare import Verdict
    from hepsym.constraints import ConstraintResult
    from hepsym.learn import LearnResult
    from hepsym.vae import VAEConfig

__all__ = ("AnalysisResult", "Prepared", "analyze", "beams_from_options", "prepare")


@dataclass(frozen=True)
class Prepared:
    """A feature matrix and the sentences saying how it was chosen."""

    features: FeatureMatrix
    notes: tuple[str, ...] = field(default_factory=tuple)


def beams_from_options(
    sqrt_s: float | None, collider: str | None, file_beams: Beams | None = None
) -> Beams | None:
    """The initial state a user asked for on the command line, or ``None`` to keep the file's.

    Args:
        sqrt_s: centre-of-mass energy in GeV (symmetric head-on beams).
        collider: ``"ee"`` (point-like beams: all of sqrt(s) enters) or ``"pp"``; default:
            the file's beam particles, else ``"ee"``.
        file_beams: what the file said, to keep its beam ids when only sqrt(s) changes.
    """
    if sqrt_s is None and collider is None:
        return None
    if collider is None and file_beams is not None and file_beams.ids is not None:
        ids = file_beams.ids
    else:
        ids = (2212, 2212) if collider == "pp" else (11, -11)
    if sqrt_s is None:
        if file_beams is None or file_beams.sqrt_s is None:
            return Beams(ids=ids, energies=None)
        sqrt_s = file_beams.sqrt_s
    return Beams.symmetric(float(sqrt_s), ids=ids)


def prepare(
    path: str | os.PathLike[str],
    *,
    select_query: str | None = None,
    features: str | None = None,
    sqrt_s: float | None = None,
    collider: str | None = None,
    max_events: int | None = None,
    tree: str | None = None,
    collections: list[str] | None = None,
    final_state: bool = True,
    pt_min: float | None = None,
    eta_max: float | None = None,
) -> Prepared:
    """Read ``path``, select particles and build features, with defaults for what is unset.

    Raises:
        HepsymError: from the reader, the selection or the features, naming the file.
    """
    events = read(path, max_events=max_events, tree=tree, collections=collections)
    override = beams_from_options(sqrt_s, collider, events.beams)
    notes = []
    if override is not None:
        events = type(events)(
            particles=events.particles,
            weights=events.weights,
            beams=override,
            source=events.source,
            format=events.format,
            collections=events.collections,
            metadata=events.metadata,
        )
        notes.append(f"beams set by the user: {override.describe()}")
    if select_query is None:
        select_query, why = default_query(events)
        notes.append(f"selection: {why}")
    selection = select(
        events, select_query, final_state=final_state, pt_min=pt_min, eta_max=eta_max
    )
    if selection.n_dropped:
        notes.append(
            f"{selection.n_dropped} of {selection.n_input} events dropped: "
            f"they lack one of {selection.query!r}"
        )
    if selection.n_extra:
        notes.append(
            f"{selection.n_extra} events had more candidates than requested: "
            "the highest-pT ones were taken"
        )
    if features is None:
        features = "p3" if events.beams.pointlike else "p4"
        notes.append(
            f"features: {features} ("
            + (
                "3-momenta, as the paper does at a lepton collider)"
                if features == "p3"
                else "4-momenta, as the paper does at a hadron collider)"
            )
        )
    fm = build_features(selection, features)
    fm.check_finite()
    return Prepared(fm, tuple(notes))


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """Everything ``hepsym analyze`` found: constraints, the VAE count, and the verdict.

    Attributes:
        features: the feature matrix that was studied.
        constraints: the constraint table, rank and predicted/embedding dimensions.
        learned: the VAE ensemble's relevances, learned dimension and TwoNN estimate.
        verdict: the comparison in words.
        notes: what hepsym picked by itself (selection, features) and dropped.
        settings: every option, for the record.
    """

    features: FeatureMatrix
    constraints: ConstraintResult
    learned: LearnResult
    verdict: Verdict
    notes: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Everything numeric, JSON-serialisable (the ``--json`` and ``result.json`` schema)."""
        from hepsym._version import __version__

        fm, c, lr = self.features, self.constraints, self.learned
        return {
            "hepsym_version": __version__,
            "source": fm.source,
            "n_events": fm.n_events,
            "n_input": fm.n_input,
            "n_dropped": fm.n_dropped,
            "features": list(fm.names),
            "feature_kind": fm.kind,
            "predicted_dim": c.predicted_dim,
            "embedding_dim": c.embedding_dim,
            "learned_dim": lr.learned_dim,
            "agreement": lr.agreement,
            "geometric_dim": lr.geometric_dim,
            "geometric_dim_err": lr.geometric_dim_err,
            "verdict": self.verdict.text,
            "outcome": self.verdict.outcome,
            "rank": c.rank,
            "constraints": c.to_dict()["constraints"],
            "constraint_summary": {k: v for k, v in c.to_dict().items() if k != "constraints"},
            "learn": lr.to_dict(),
            "notes": list(self.notes),
            "settings": self.settings,
        }

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The result as JSON text; also written (atomically) to ``path`` if given."""
        import json

        text = json.dumps(self.to_dict(), indent=2, allow_nan=True)
        if path is not None:
            from hepsym.report import atomic_write_text

            atomic_write_text(path, text + "\n")
        return text

    def summary(self) -> str:
        """The human summary: constraint table, the four dimensions, the verdict."""
        lr, c = self.learned, self.constraints
        dims = [
            (
                f"predicted dimension  {c.predicted_dim}  ({c.n_features} features - {c.rank} "
                "independent constraints)"
            ),
            f"embedding dimension  {c.embedding_dim}  ({c.shape})",
            (
                f"learned dimension    {lr.learned_dim}  ({lr.agreement:.0%} of {lr.ensemble} VAEs "
                f"agree; member counts {sorted(lr.member_dims)})"
            ),
            f"geometric (TwoNN)    {lr.geometric_dim:.2f} +- {lr.geometric_dim_err:.2f}",
        ]
        rel = "  ".join(f"{m:.3g}" for m in lr.relevance_mean)
        corr = lr.correlations.table(ranks=max(lr.learned_dim, 1) + 1)
        return "\n".join(
            [
                str(c),
                "",
                f"relevance by rank (ensemble mean): {rel}",
                corr,
                "",
                *dims,
                "",
                "verdict: " + self.verdict.text,
            ]
        )

    def __str__(self) -> str:
        return self.summary()

    def plot_relevance(self, ax: Any = None) -> Any:
        """Relevance by latent rank with the predicted and embedding dimensions marked."""
        from hepsym.plotting import plot_relevance

        return plot_relevance(
            self.learned.relevance,
            predicted=self.constraints.predicted_dim,
            embedding=self.constraints.embedding_dim,
            learned=self.learned.learned_dim,
            ax=ax,
        )

    @functools.cached_property
    def learned_inputs(self) -> tuple[np.ndarray, list[str]]:
        """The feature columns the VAEs saw (constant ones are left out) and their labels."""
        fm = self.features
        cols = [fm.names.index(n) for n in self.learned.names]
        labels = fm.latex or fm.names
        return fm.X[:, cols], [labels[c] for c in cols]

    @functools.cached_property
    def latent_means(self) -> np.ndarray:
        """Posterior means <z> of every member on the events, (members, events, latent)."""
        return self.learned.encode(self.learned_inputs[0])[0]

    def plot_latents(self, fig: Any = None, member: int = 0) -> Any:
        """<z_j> of one ensemble member against every feature, most relevant latent first."""
        from hepsym.plotting import plot_latents_vs_features

        X, labels = self.learned_inputs
        return plot_latents_vs_features(
            self.latent_means[member],
            X,
            labels,
            latent_order=self.learned.order[member],
            fig=fig,
        )

    def write(self, out_dir: str | os.PathLike[str]) -> Path:
        """Write result.json, report.md and the figures (PNG and PDF) into ``out_dir``."""
        from hepsym.report import write_report

        return write_report(self, out_dir)


def analyze(
    source: str | os.PathLike[str] | FeatureMatrix,
    *,
    select: str | None = None,
    features: str | None = None,
    sqrt_s: float | None = None,
    collider: str | None = None,
    max_events: int | None = None,
    tree: str | None = None,
    collections: list[str] | None = None,
    ensemble: int = 15,
    epochs: int | None = None,
    latent: int | None = None,
    vae: VAEConfig | None = None,
    seed: int = 0,
    progress: bool | None = None,
    device: str = "cpu",
    threads: int | None = None,
    constraints: dict[str, Any] | None = None,
) -> AnalysisResult:
    """From an event file (or a feature matrix) to constraints, a VAE count and a verdict.

    Args:
        source: an LHE/ROOT file, or a :class:`~hepsym.features.FeatureMatrix` (for
            non-collider data, e.g. ``FeatureMatrix.from_array(X)``).
        select, features, sqrt_s, collider, max_events, tree, collections: see
            :func:`prepare`.
        ensemble: number of VAEs.
        epochs, latent: shortcuts for the same fields of ``vae``.
        vae: all VAE settings (default :class:`~hepsym.vae.VAEConfig()`).
        seed: seeds the ensemble and the constraint sampling.
        progress: progress bar (default: on a terminal).
        device, threads: where and with how many torch threads to train.
        constraints: extra keyword arguments for
            :func:`~hepsym.constraints.analyze_constraints` (``extra``, ``exclude``,
            ``resonances``...).

    Returns:
        The :class:`AnalysisResult`.
    """
    from hepsym.compare import compare
    from hepsym.constraints import analyze_constraints
    from hepsym.learn import learn
    from hepsym.vae import VAEConfig

    if isinstance(source, FeatureMatrix):
        prepared = Prepared(source, ())
    else:
        prepared = prepare(
            source,
            select_query=select,
            features=features,
            sqrt_s=sqrt_s,
            collider=collider,
            max_events=max_events,
            tree=tree,
            collections=collections,
        )
    fm = prepared.features
    fm.check_finite()
    c_opts = dict(constraints or {})
    c_result = analyze_constraints(fm, seed=seed, **c_opts)
    kw = {k: v for k, v in (("epochs", epochs), ("latent", latent)) if v is not None}
    config = dataclasses.replace(vae or VAEConfig(), **kw)
    notes = list(prepared.notes)
    if fm.n_events < 2 * config.batch_size and fm.n_events >= 2 * MIN_BATCH:
        # small files (tens to hundreds of events) still train: smaller batches, said aloud
        config = dataclasses.replace(config, batch_size=max(MIN_BATCH, fm.n_events // 4))
        notes.append(
            f"only {fm.n_events} events: VAE batch size lowered to {config.batch_size}; "
            "expect a noisy learned dimension"
        )
    # A constant feature is a constraint x_k = c (already in the table); the VAE gets the rest.
    spread = fm.X.std(axis=0)
    keep = spread > 1e-12 * np.maximum(np.abs(fm.X).max(axis=0), 1.0)
    if not keep.all():
        dropped = [n for n, k in zip(fm.names, keep, strict=True) if not k]
        notes.append(f"constant features left out of the VAE (they are constraints): {dropped}")
    X_learn, names_learn = fm.X[:, keep], tuple(n for n, k in zip(fm.names, keep, strict=True) if k)
    try:
        l_result = learn(
            X_learn,
            names_learn,
            ensemble=ensemble,
            config=config,
            seed=seed,
            progress=progress,
            device=device,
            threads=threads,
            extra=_physics_combinations(fm),
        )
    except HepsymError as err:
        if fm.source and fm.source not in str(err):
            msg = f"{fm.source}: {err}"
            raise type(err)(msg) from err
        raise
    approx_rows = [r for r in c_result.rows if r.counted and r.status == "approximate"]
    approximate = tuple(
        f"{r.name} ({r.formula}; measured width {r.measured_width:.3g}, stated {r.width:.3g})"
        if r.width is not None and r.measured_width is not None
        else f"{r.name} ({r.formula})"
        for r in approx_rows
    )
    # a resonance of the selected pair is measured by the pair mass among the combinations
    measured_by = {
        a: "m(pair)" for a, r in zip(approximate, approx_rows, strict=True) if r.kind == "resonance"
    }
    verdict = compare(
        c_result,
        l_result,
        approximate=approximate,
        epochs=config.epochs,
        n_events=fm.n_events,
        evidence=_surplus_evidence(c_result.predicted_dim, l_result),
        measured_by=measured_by,
    )
    settings = {
        "select": fm.metadata.get("select"),
        "features": fm.kind,
        "sqrt_s": sqrt_s,
        "collider": collider,
        "max_events": max_events,
        "tree": tree,
        "collections": collections,
        "ensemble": ensemble,
        "seed": seed,
        "vae": config.to_dict(),
        "constraints": sorted(c_opts),
    }
    return AnalysisResult(fm, c_result, l_result, verdict, tuple(notes), settings)


#: smallest VAE batch analyze() falls back to on small files
MIN_BATCH = 8


def _surplus_evidence(predicted: int, learned: LearnResult) -> dict[str, float]:
    """For latents ranked beyond ``predicted``: their largest informational correlation per column."""
    if learned.learned_dim <= predicted:
        return {}
    info = learned.correlations.mean_abs("info")[predicted : learned.learned_dim]
    return {
        c: float(v) for c, v in zip(learned.correlations.columns, info.max(axis=0), strict=True)
    }


def _physics_combinations(fm: FeatureMatrix) -> dict[str, Any]:
    """Pair observables to read the latents by, for two selected particles.

    The differences of like components (paper fig. 7: p(mu-) - p(mu+)), and the pair's
    invariant mass, rapidity and cos(theta) of the first particle: a latent that tracks
    m(pair) is resolving the width of an approximate resonance constraint, one that tracks
    y(pair) the longitudinal boost of a hadron collision.
    """
    if len(fm.particles) != 2:
        return {}
    from hepsym.constraints.base import kinematics

    a, b = fm.particles
    out = {}
    for comp, col in a.columns.items():
        if comp in b.columns:
            out[f"{comp}({a.label})-{comp}({b.label})"] = fm.column(col) - fm.column(
                b.columns[comp]
            )
    ka, kb = kinematics(fm)
    (ea, xa, ya, za), (eb, xb, yb, zb) = ka.p4(fm.X), kb.p4(fm.X)
    e, px, py, pz = ea + eb, xa + xb, ya + yb, za + zb
    with np.errstate(invalid="ignore", divide="ignore"):
        pair = "pair"
        out[f"m({pair})"] = np.sqrt(np.maximum(e * e - px * px - py * py - pz * pz, 0.0))
        out[f"y({pair})"] = 0.5 * np.log((e + pz) / (e - pz))
        out[f"cos_theta({a.label})"] = za / np.sqrt(xa * xa + ya * ya + za * za)
    # a combination fixed by a constraint (m(pair) = sqrt(s) at a lepton collider) says nothing
    return {
        k: v
        for k, v in out.items()
        if np.isfinite(v).all() and np.ptp(v) > 1e-9 * max(np.abs(v).max(), 1e-300)
    }
