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
import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hepsym._workers import warm, workers_for
from hepsym.correlations import Correlations, correlations
from hepsym.errors import HepsymError
from hepsym.features import FeatureMatrix
from hepsym.geometry import latent_manifold_dims, two_nn
from hepsym.learn_result import LearnResult
from hepsym.learn_spec import DEFAULT_EPOCHS
from hepsym.population import Population
from hepsym.relevance import (
    RELEVANCE_FLOOR,
    ensemble_dimension,
    learned_dimension,
    relevance_and_kl,
    relevance_from_sums,
    streamed_relevance,
)
from hepsym.spec import LearnSpec, with_fields
from hepsym.vae import Ensemble, check_memory, member_seeds
from hepsym.vae_inputs import MIN_BATCH, LearnInputs, check_features, learning_inputs
from hepsym.vae_pool import Training, start_training

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

    ``scores``: the members' ``(relevance, kl)`` in latent order, when already computed
    (the worker processes compute them over ``X`` as they finish training; over every
    event of a study's population, where ``X`` is its sample).

    Raises:
        FeatureError: Bad ``X``, names or extra columns.
    """
    X, names = check_features(X, names)
    n = len(X)
    if n <= EVAL_SAMPLE:
        mu, sigma = model.encode(X)
        rel, kl = scores if scores is not None else relevance_and_kl(mu, sigma)
        X_s, extra_s = X, extra
    else:
        # relevance and KL over every event, accumulated chunk by chunk; what needs the
        # posterior means of single events (correlations, the learned surface) on a sample
        rel, kl = scores if scores is not None else streamed_relevance(model.posterior_sums, X)
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
    population: Population | None = None
    columns: np.ndarray | None = None

    def cancel(self) -> None:
        """Give it up (the worker processes still training are stopped)."""
        self.training.cancel()

    def result(self) -> LearnResult:
        """The :class:`LearnResult`, once the training is done; errors name the file."""
        notes = self.notes
        with _naming(self.source):
            trained = self.training.result()
            rel, kl = trained.relevance, trained.kl
            scores = None if rel is None or kl is None else (rel, kl)
            if self.population is not None:
                scores = _population_scores(trained.model, self.population, self.columns)
                n_all = self.population.n_events
                notes = (*notes, f"relevances and KL over all {n_all} events, where they lie")
            result = evaluate(
                trained.model,
                self.X,
                self.names,
                extra=self.extra,
                seed=self.spec.seed,
                geometric=self.spec.geometric,
                scores=scores,
            )
        return dataclasses.replace(result, notes=notes) if notes else result


def _population_scores(
    model: Ensemble, population: Population, columns: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The members' relevance and KL over every event of ``population`` (the VAE's
    input columns of each partition encoded where it lies, the sums merged)."""
    sums = population.map(functools.partial(_partition_sums, model, columns))
    return relevance_from_sums(np.sum(sums, axis=0), population.n_events)


def _partition_sums(model: Ensemble, columns: np.ndarray | None, fm: FeatureMatrix) -> np.ndarray:
    X = fm.X if columns is None else fm.X[:, columns]
    return model.posterior_sums(np.asarray(X, dtype=np.float64))


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
    return _start(X, names, _spec_with(spec, options), extra, weights, scored=True)


def _start(
    X: np.ndarray,
    names: Sequence[str] | None,
    spec: LearnSpec,
    extra: Mapping[str, np.ndarray] | None,
    weights: np.ndarray | None,
    *,
    scored: bool,
    asked_batch: int | None = None,
) -> PendingLearn:
    """:func:`start_learning`; ``scored``: the workers score their members on ``X``
    (not where a population's relevances replace those of ``X``); ``asked_batch``: the
    batch size the training budget is counted in, where a small file's is lowered."""
    X, names = check_features(X, names)
    train, notes = _training_sample(X, spec, weights)
    check_memory(len(train), X.shape[1], spec.vae, spec.ensemble)
    workers = workers_for(spec)
    if workers > 1:
        notes = (
            *notes,
            f"the {spec.ensemble} VAEs trained over {workers} worker processes (--workers)",
        )
    spec, budget = _budgeted(spec, len(train), asked_batch or spec.vae.batch_size)
    notes = (*budget, *notes)
    training = start_training(
        train,
        spec.vae,
        member_seeds(spec.seed, spec.ensemble),
        workers,
        score=X if scored and len(X) > EVAL_SAMPLE else None,
        device=spec.device,
        threads=spec.threads,
        progress=spec.progress,
    )
    return PendingLearn(training, X, tuple(names), spec, extra, notes)


def start_workers(spec: LearnSpec | None = None) -> None:
    """Start the worker processes the ensemble of ``spec`` will train on, in the
    background, so that they are ready when the features are (nothing for one worker)."""
    warm(workers_for(spec or LearnSpec()))


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


def _budgeted(spec: LearnSpec, n_train: int, batch: int) -> tuple[LearnSpec, tuple[str, ...]]:
    """``spec`` with the epochs of training on ``n_train`` events resolved (the budget
    of :meth:`~hepsym.learn_spec.VAEConfig.epochs_for`, counted in batches of ``batch``,
    the batch size asked for), once, so that every worker trains and the result states
    the same; and what it says where the budget is not the default passes."""
    vae = spec.vae
    if vae.epochs is not None:
        return spec, ()
    epochs = vae.epochs_for(n_train, spec.train_events, batch)
    spec = dataclasses.replace(spec, vae=dataclasses.replace(vae, epochs=epochs))
    if epochs == DEFAULT_EPOCHS:
        return spec, ()
    sample = spec.train_events or n_train
    note = (
        f"{epochs} passes over the {n_train} events: the training budget is the optimiser "
        f"steps of {DEFAULT_EPOCHS} passes over {sample} events (--train-events) in batches "
        f"of {batch}, about {vae.budget_steps(sample, batch)}, whatever the file's size "
        "(--epochs sets the passes)"
    )
    return spec, (note,)


def _spec_with(spec: LearnSpec | None, options: dict[str, Any]) -> LearnSpec:
    result: LearnSpec = with_fields(spec, LearnSpec, options, "learning")
    return result


def learn_features(
    fm: FeatureMatrix,
    spec: LearnSpec | None = None,
    *,
    extra: Mapping[str, np.ndarray] | None = None,
    population: Population | None = None,
    **options: Any,
) -> LearnResult:
    """:func:`learn` on a feature matrix, with the input rules of :func:`learning_inputs`
    (``population``: see :func:`start_learning_features`).

    The result's ``notes`` say what the rules changed; errors name the file.
    """
    return start_learning_features(fm, spec, extra=extra, population=population, **options).result()


def start_learning_features(
    fm: FeatureMatrix,
    spec: LearnSpec | None = None,
    *,
    extra: Mapping[str, np.ndarray] | None = None,
    population: Population | None = None,
    **options: Any,
) -> PendingLearn:
    """:func:`learn_features`, started (see :func:`start_learning`).

    ``population``: every event of the study, where ``fm`` is a sample of them
    (:mod:`hepsym.population`): the ensemble trains on the sample, and the relevances and
    KL are evaluated by the trained ensemble on every partition.
    """
    spec = _spec_with(spec, options)
    inputs = learning_inputs(fm, spec.vae)
    with _naming(fm.source):
        pending = _start(
            inputs.X,
            inputs.names,
            dataclasses.replace(spec, vae=inputs.vae),
            extra,
            fm.weights,
            scored=population is None,  # else scored on every partition instead
            asked_batch=spec.vae.batch_size,  # the budget's, not a small file's lowered one
        )
    columns = np.asarray([fm.names.index(n) for n in inputs.names])
    notes = pending.notes
    if population is not None:  # the relevances are the population's, said when they are
        said = f"; relevances over all {fm.n_events}"
        notes = tuple(n.replace(said, f" held here (of {population.n_events})") for n in notes)
    return dataclasses.replace(
        pending,
        notes=(*inputs.notes, *notes),
        source=fm.source,
        population=population,
        columns=columns,
    )


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
