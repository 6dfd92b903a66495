"""How many latent directions does a VAE ensemble need? Relevance and the learned dimension.

``learn(X, names)`` trains an ensemble of VAEs (:mod:`hepsym.vae`) on any
``(n_events, n_features)`` array and measures, per member and latent j
(paper eq. 4.3)::

    relevance_j = std_over_events(<z_j>) / mean_over_events(sigma_j)

The relevance and the rule that turns it into a count are in :mod:`hepsym.relevance`.
The VAE's inputs from a feature matrix follow the rules of :func:`learning_inputs`, the
same for ``hepsym learn`` and ``hepsym analyze``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hepsym.correlations import Correlations, correlations
from hepsym.errors import HepsymError
from hepsym.features import FeatureMatrix
from hepsym.geometry import latent_manifold_dims, two_nn
from hepsym.relevance import (
    RELEVANCE_FLOOR,
    RULE,
    ensemble_dimension,
    learned_dimension,
    relevance_and_kl,
    streamed_relevance,
)
from hepsym.spec import LearnSpec, VAEConfig, with_fields
from hepsym.vae import Ensemble, check_memory, member_seeds
from hepsym.vae_inputs import MIN_BATCH, LearnInputs, check_features, learning_inputs
from hepsym.vae_pool import Training, default_workers, start_training, warm

__all__ = (
    "MIN_BATCH",
    "RELEVANCE_FLOOR",
    "Correlations",
    "LearnInputs",
    "LearnResult",
    "PendingLearn",
    "check_features",
    "ensemble_dimension",
    "evaluate",
    "learn",
    "learn_features",
    "learned_dimension",
    "learning_inputs",
    "load",
    "relevance_and_kl",
    "start_learning",
    "start_learning_features",
    "start_workers",
)


@dataclass(frozen=True, eq=False)
class LearnResult:
    """What an ensemble of VAEs learned about the dimension of a dataset.

    Per-rank arrays are sorted by each member's own relevance, descending.

    Attributes:
        names: Feature names.
        relevance: ``(members, latent)`` sorted relevances (eq. 4.3).
        relevance_mean: ``(latent,)`` ensemble mean per rank.
        relevance_std: ``(latent,)`` ensemble standard deviation per rank.
        kl: ``(members, latent)`` mean KL per latent (nats), sorted descending.
        kl_mean: ``(latent,)`` ensemble mean per rank.
        kl_std: ``(latent,)`` ensemble standard deviation per rank.
        order: ``(members, latent)`` latent indices in relevance order.
        member_dims: The rule's count for each member.
        learned_dim: The ensemble's answer (most common member count).
        agreement: Fraction of members whose count equals ``learned_dim``.
        correlations: <z> against features and extra combinations.
        geometric_dim: Model-free TwoNN estimate on the same data.
        geometric_dim_err: Its standard error.
        config: The VAE settings.
        seed: The ensemble seed.
        n_events: Events used.
        model: The trained :class:`~hepsym.vae.Ensemble`.
        notes: What the input rules changed (:func:`learning_inputs`).
        member_manifold_dims: Per member, the TwoNN dimension of its posterior means in
            its relevant latents, rounded (:func:`~hepsym.geometry.latent_manifold_dims`).
        learned_manifold_dim: The ensemble's answer (most common; -1 if not estimated).
        learned_manifold_agreement: Fraction of members giving it.
    """

    names: tuple[str, ...]
    relevance: np.ndarray
    relevance_mean: np.ndarray
    relevance_std: np.ndarray
    kl: np.ndarray
    kl_mean: np.ndarray
    kl_std: np.ndarray
    order: np.ndarray
    member_dims: tuple[int, ...]
    learned_dim: int
    agreement: float
    correlations: Correlations
    geometric_dim: float
    geometric_dim_err: float
    config: VAEConfig
    seed: int
    n_events: int
    model: Ensemble = field(repr=False)
    notes: tuple[str, ...] = ()
    member_manifold_dims: tuple[int, ...] = ()
    learned_manifold_dim: int = -1
    learned_manifold_agreement: float = 0.0

    @property
    def ensemble(self) -> int:
        """Number of ensemble members."""
        return len(self.member_dims)

    def encode(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior ``(mu, sigma)`` of every member, ``(members, n, latent)``, latents unsorted."""
        return self.model.encode(X)

    def save(self, path: str) -> None:
        """Save the trained models (state dicts, standardisation, config); see :func:`load`."""
        self.model.save(path)

    def to_dict(self) -> dict[str, object]:
        """The result as a JSON-serialisable dict (``None`` for a skipped geometric estimate)."""
        c = self.correlations
        return {
            "learned_dim": self.learned_dim,
            "agreement": self.agreement,
            "member_dims": list(self.member_dims),
            "relevance_mean": self.relevance_mean.tolist(),
            "relevance_std": self.relevance_std.tolist(),
            "relevance": self.relevance.tolist(),
            "kl_mean": self.kl_mean.tolist(),
            "kl_std": self.kl_std.tolist(),
            "geometric_dim": None if math.isnan(self.geometric_dim) else self.geometric_dim,
            "geometric_dim_err": None
            if math.isnan(self.geometric_dim_err)
            else self.geometric_dim_err,
            "geometric_method": "TwoNN (Facco et al. 2017)",
            "rule": RULE,
            "relevance_floor": RELEVANCE_FLOOR,
            "features": list(self.names),
            "n_events": self.n_events,
            "ensemble": self.ensemble,
            "seed": self.seed,
            "latent": self.model.latent,
            "epochs": self.config.epochs,
            "config": self.config.to_dict(),
            "notes": list(self.notes),
            "learned_manifold_dim": self.learned_manifold_dim,
            "learned_manifold_agreement": self.learned_manifold_agreement,
            "member_manifold_dims": list(self.member_manifold_dims),
            "correlations": {
                "columns": list(c.columns),
                "pearson_abs_mean": c.mean_abs("pearson").tolist(),
                "spearman_abs_mean": c.mean_abs("spearman").tolist(),
                "info_mean": c.mean_abs("info").tolist(),
            },
        }

    def __str__(self) -> str:
        cfg = self.config
        head = (
            f"VAE ensemble: {self.ensemble} members, {self.n_events} events, "
            f"{len(self.names)} features -> latent {self.model.latent} "
            f"(hidden {cfg.hidden}, beta {cfg.beta}, {cfg.epochs} epochs, "
            f"{'standardised' if cfg.standardize else 'raw'} inputs, seed {self.seed})"
        )
        rows = ["rank   relevance (mean +- std)   KL/nats (mean +- std)"]
        for i, (rm, rs, km, ks) in enumerate(
            zip(self.relevance_mean, self.relevance_std, self.kl_mean, self.kl_std, strict=True)
        ):
            rows.append(f"{i + 1:>4}   {rm:9.3f} +- {rs:<8.3f}     {km:7.3f} +- {ks:.3f}")
        spread = ", ".join(f"{d}: {n}" for d, n in sorted(Counter(self.member_dims).items()))
        tail = [
            (
                f"learned dimension: {self.learned_dim} "
                f"({self.agreement:.0%} of members agree; member counts {{{spread}}})"
            ),
            f"rule: {RULE}",
            (
                f"learned manifold dimension: {self.learned_manifold_dim} "
                f"({self.learned_manifold_agreement:.0%} of members agree; TwoNN on each "
                "member's posterior means in its relevant latents)"
            ),
            f"geometric dimension (TwoNN): {self.geometric_dim:.2f} +- {self.geometric_dim_err:.2f}",
            self.correlations.table(ranks=max(self.learned_dim, 1) + 1),
        ]
        return "\n".join([head, *rows, *tail])


def evaluate(
    model: Ensemble,
    X: np.ndarray,
    names: Sequence[str] | None = None,
    *,
    extra: Mapping[str, np.ndarray] | None = None,
    seed: int = 0,
    geometric: bool = True,
    scores: tuple[np.ndarray, np.ndarray] | None = None,
) -> LearnResult:
    """Relevances, learned dimension, correlations and TwoNN of a trained ensemble on ``X``.

    ``scores``: the members' ``(relevance, kl)`` over ``X`` in latent order, when already
    computed (the worker processes compute them as they finish training).

    Raises:
        FeatureError: Bad ``X``, names or extra columns.
    """
    X, names = check_features(X, names)
    n = len(X)
    if n <= EVAL_SAMPLE:
        mu, sigma = model.encode(X)
        rel, kl = relevance_and_kl(mu, sigma)
        X_s, extra_s = X, extra
    else:
        # relevance and KL over every event, accumulated chunk by chunk; what needs the
        # posterior means of single events (correlations, the learned surface) on a sample
        rel, kl = scores if scores is not None else streamed_relevance(model.encode, X)
        pick = np.sort(np.random.default_rng(seed).choice(n, EVAL_SAMPLE, replace=False))
        X_s = X[pick]
        extra_s = {k: np.asarray(v)[pick] for k, v in (extra or {}).items()}
        mu = model.encode(X_s)[0]
    order = np.argsort(-rel, axis=1, kind="stable")
    rel_sorted = np.take_along_axis(rel, order, axis=1)
    kl_sorted = -np.sort(-kl, axis=1)
    dims = tuple(learned_dimension(r) for r in rel_sorted)
    dim, agreement = ensemble_dimension(dims)
    geo = two_nn(X, seed=seed) if geometric else None
    manifold = latent_manifold_dims(mu, order, dims, seed=seed) if geometric else ()
    known = [d for d in manifold if d >= 0]
    m_dim, m_agreement = ensemble_dimension(known) if known else (-1, 0.0)
    return LearnResult(
        names=names,
        relevance=rel_sorted,
        relevance_mean=rel_sorted.mean(axis=0),
        relevance_std=rel_sorted.std(axis=0),
        kl=kl_sorted,
        kl_mean=kl_sorted.mean(axis=0),
        kl_std=kl_sorted.std(axis=0),
        order=order,
        member_dims=dims,
        learned_dim=dim,
        agreement=agreement,
        correlations=correlations(mu, order, X_s, names, extra_s),
        geometric_dim=geo.dim if geo else math.nan,
        geometric_dim_err=geo.err if geo else math.nan,
        config=model.config,
        seed=seed,
        n_events=len(X),
        model=model,
        member_manifold_dims=manifold,
        learned_manifold_dim=m_dim,
        learned_manifold_agreement=m_agreement,
    )


#: above this many events, the posterior means of single events (correlations, the learned
#: surface) are evaluated on a uniform sample of this size; relevances use every event
EVAL_SAMPLE = 20_000


def learn(
    X: np.ndarray,
    names: Sequence[str] | None = None,
    spec: LearnSpec | None = None,
    *,
    extra: Mapping[str, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    **options: Any,
) -> LearnResult:
    """Train a VAE ensemble on ``X`` and say how many latent directions it needs.

    Args:
        X: ``(n_events, n_features)`` array (any units; standardised inside by default).
        names: Feature names (default ``x1 ... xn``).
        spec: The ensemble's settings (:class:`~hepsym.spec.LearnSpec`); default: hepsym's.
        extra: Extra columns to correlate with <z>, e.g. ``{"px(mu-)-px(mu+)": a}``.
        weights: per-event weights; when they differ (and ``spec.weighted``), the VAEs
            train on events drawn with probability proportional to |weight|.
        options: fields of the :class:`~hepsym.spec.LearnSpec` to set: ``ensemble``,
            ``vae`` (a :class:`~hepsym.spec.VAEConfig`), ``seed``, ``device``, ``threads``,
            ``progress``, ``geometric``.

    Returns:
        A :class:`LearnResult`.

    Raises:
        FeatureError: NaN/infinite or constant features, mismatched names.
        LearnError: Too few events for two batches, bad settings (latent < 1), no members.
        OptionError: an unknown option.
    """
    return start_learning(X, names, spec, extra=extra, weights=weights, **options).result()


@dataclass(frozen=True)
class PendingLearn:
    """A :func:`learn` under way: the ensemble trains (in worker processes, or in this
    process when :meth:`result` is asked for); :meth:`result` waits and evaluates."""

    training: Training
    X: np.ndarray
    names: tuple[str, ...]
    spec: LearnSpec
    extra: Mapping[str, np.ndarray] | None
    notes: tuple[str, ...]
    source: str = ""

    def cancel(self) -> None:
        """Give it up (the worker processes still training are stopped)."""
        self.training.cancel()

    def result(self) -> LearnResult:
        """The :class:`LearnResult`, once the training is done; errors name the file."""
        with _naming(self.source):
            trained = self.training.result()
            rel, kl = trained.relevance, trained.kl
            scores = None if rel is None or kl is None else (rel, kl)
            result = evaluate(
                trained.model,
                self.X,
                self.names,
                extra=self.extra,
                seed=self.spec.seed,
                geometric=self.spec.geometric,
                scores=scores,
            )
        return dataclasses.replace(result, notes=self.notes) if self.notes else result


def start_learning(
    X: np.ndarray,
    names: Sequence[str] | None = None,
    spec: LearnSpec | None = None,
    *,
    extra: Mapping[str, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    **options: Any,
) -> PendingLearn:
    """:func:`learn`, started: the inputs checked and the training begun in the worker
    processes; the caller goes on and asks the :class:`PendingLearn` for the result."""
    spec = _spec_with(spec, options)
    X, names = check_features(X, names)
    train, notes = _training_sample(X, spec, weights)
    check_memory(len(train), X.shape[1], spec.vae, spec.ensemble)
    workers = _workers(spec)
    if workers > 1:
        notes = (
            *notes,
            f"the {spec.ensemble} VAEs trained over {workers} worker processes (--workers)",
        )
    training = start_training(
        train,
        spec.vae,
        member_seeds(spec.seed, spec.ensemble),
        workers,
        score=X if len(X) > EVAL_SAMPLE else None,
        device=spec.device,
        threads=spec.threads,
        progress=spec.progress,
    )
    return PendingLearn(training, X, tuple(names), spec, extra, notes)


def start_workers(spec: LearnSpec | None = None) -> None:
    """Start the worker processes the ensemble of ``spec`` will train on, in the
    background, so that they are ready when the features are (nothing for one worker)."""
    warm(_workers(spec or LearnSpec()))


def _workers(spec: LearnSpec) -> int:
    if spec.device != "cpu":
        return 1
    return spec.workers if spec.workers is not None else default_workers(spec.ensemble)


def _training_sample(
    X: np.ndarray, spec: LearnSpec, weights: np.ndarray | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The events the VAEs train on (weighted or uniform sample, or all) and what it says."""
    n = len(X)
    w = None if weights is None else np.abs(np.asarray(weights, dtype=np.float64))
    if spec.weighted and w is not None and len(w) == n and np.ptp(w) > 0 and w.sum() > 0:
        size = n if spec.train_events is None else min(n, spec.train_events)
        rng = np.random.default_rng(spec.seed)
        train = X[rng.choice(n, size, replace=True, p=w / w.sum())]
        negative = int(np.sum(np.asarray(weights) < 0))
        return train, (
            f"VAEs trained on {size} events drawn with probability |weight| (with "
            f"replacement) from {n}"
            + (
                f"; {negative} negative weights enter by their size, not their sign"
                if negative
                else ""
            )
            + "; weighted=False trains on the events as they are",
        )
    if spec.train_events is not None and n > spec.train_events:
        pick = np.random.default_rng(spec.seed).choice(n, spec.train_events, replace=False)
        note = (
            f"VAEs trained on a uniform sample of {spec.train_events} of {n} events "
            f"(--train-events); relevances over all {n}; correlations and the learned "
            f"surface on a sample of {min(n, EVAL_SAMPLE)}"
        )
        return X[np.sort(pick)], (note,)
    return X, ()


def _spec_with(spec: LearnSpec | None, options: dict[str, Any]) -> LearnSpec:
    result: LearnSpec = with_fields(spec, LearnSpec, options, "learning")
    return result


def learn_features(
    fm: FeatureMatrix,
    spec: LearnSpec | None = None,
    *,
    extra: Mapping[str, np.ndarray] | None = None,
    **options: Any,
) -> LearnResult:
    """:func:`learn` on a feature matrix, with the input rules of :func:`learning_inputs`.

    The result's ``notes`` say what the rules changed; errors name the file.
    """
    return start_learning_features(fm, spec, extra=extra, **options).result()


def start_learning_features(
    fm: FeatureMatrix,
    spec: LearnSpec | None = None,
    *,
    extra: Mapping[str, np.ndarray] | None = None,
    **options: Any,
) -> PendingLearn:
    """:func:`learn_features`, started (see :func:`start_learning`)."""
    spec = _spec_with(spec, options)
    inputs = learning_inputs(fm, spec.vae)
    with _naming(fm.source):
        pending = start_learning(
            inputs.X,
            inputs.names,
            dataclasses.replace(spec, vae=inputs.vae),
            extra=extra,
            weights=fm.weights,
        )
    return dataclasses.replace(pending, notes=(*inputs.notes, *pending.notes), source=fm.source)


@contextlib.contextmanager
def _naming(source: str | None) -> Iterator[None]:
    """Errors raised meanwhile name ``source`` (the file) when they do not already."""
    try:
        yield
    except HepsymError as err:
        if source and source not in str(err):
            msg = f"{source}: {err}"
            raise type(err)(msg) from err
        raise


def load(path: str, *, device: str = "cpu") -> Ensemble:
    """Load models saved by :meth:`LearnResult.save`; ``evaluate(model, X)`` recomputes the result."""
    return Ensemble.load(path, device=device)
