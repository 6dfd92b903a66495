"""How many latent directions does a VAE ensemble need? Relevance and the learned dimension.

``learn(X, names)`` trains an ensemble of VAEs (:mod:`hepsym.vae`) on any
``(n_events, n_features)`` array and measures, per member and latent j
(paper eq. 4.3)::

    relevance_j = std_over_events(<z_j>) / mean_over_events(sigma_j)

computed with the encoder's posterior means <z_j> and widths sigma_j on the
(standardised) training data. A latent the decoder ignores sits on the prior,
<z_j> ~ 0 and sigma_j ~ 1, so its relevance is ~0 (measured: 0.01-0.03). As a
second measure each latent's mean KL divergence from the prior (nats) is given.

**The learned-dimension rule** (one rule for every dataset; constants below):
sort a member's relevances in descending order, raise every value below
``RELEVANCE_FLOOR`` to the floor (such latents count as unused), append the
floor as a virtual last rank, and cut at the largest drop in log relevance:
the count is the number of latents before that drop. Ties go to the smaller
count; no latent above the floor gives 0. The ensemble's answer is the most
common member count (ties: the smaller), ``agreement`` the fraction of members
that give it.

Why a floor of 0.1: read as a signal-to-noise ratio, a latent of relevance r
carries about 0.5 log2(1 + r^2) bits per event; r = 0.1 is 0.007 bits, i.e.
nothing, while the unused latents measured here sit at 0.01-0.03 and the used
ones at 1-10. The floor only decides what counts as "unused"; among used
latents the gap decides.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from hepsym.correlations import Correlations, correlations
from hepsym.errors import FeatureError, LearnError
from hepsym.geometry import two_nn
from hepsym.vae import Ensemble, VAEConfig, member_seeds, train_ensemble

__all__ = (
    "RELEVANCE_FLOOR",
    "Correlations",
    "LearnResult",
    "check_features",
    "ensemble_dimension",
    "evaluate",
    "learn",
    "learned_dimension",
    "load",
    "relevance_and_kl",
)

#: Relevance below which a latent counts as unused (sits on the prior).
RELEVANCE_FLOOR = 0.1
#: The rule in words, as printed and written to JSON.
RULE = (
    f"largest drop in log relevance, relevances below {RELEVANCE_FLOOR} count as unused "
    "(floor appended as a virtual last rank); ensemble: most common member count"
)


def check_features(
    X: np.ndarray, names: Sequence[str] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Validate a feature matrix and its names.

    A constant feature is refused rather than dropped: it is a constraint
    x_k = c, which the constraints stage should report, and silently removing
    it would change what "the number of features" means in the result.

    Returns:
        ``X`` as float64 and the names (``x1, x2, ...`` when not given).

    Raises:
        FeatureError: Not 2-D, names that do not match, NaN or infinite
            values (which column, how many rows), a constant column.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        msg = f"features must be a non-empty (n_events, n_features) array, got shape {X.shape}"
        raise FeatureError(msg)
    n, m = X.shape
    names = tuple(f"x{k + 1}" for k in range(m)) if names is None else tuple(map(str, names))
    if len(names) != m:
        msg = f"{len(names)} feature names given for {m} feature columns"
        raise FeatureError(msg)
    if len(set(names)) != m:
        dup = sorted(k for k, c in Counter(names).items() if c > 1)
        msg = f"duplicate feature names: {', '.join(dup)}"
        raise FeatureError(msg)
    bad = ~np.isfinite(X)
    if bad.any():
        k = int(np.argmax(bad.any(axis=0)))
        n_nan, n_inf = int(np.isnan(X[:, k]).sum()), int(np.isinf(X[:, k]).sum())
        msg = (
            f"feature {names[k]!r} (column {k}) has {n_nan} NaN and {n_inf} infinite values "
            f"in {n} events; remove or fix those events first"
        )
        raise FeatureError(msg)
    std, top = X.std(axis=0), np.abs(X).max(axis=0)
    for k in range(m):
        if (n > 1 and std[k] <= 1e-10 * top[k]) or top[k] == 0:
            msg = (
                f"feature {names[k]!r} (column {k}) is constant (= {X[0, k]:.6g} in all {n} "
                f"events): that is a constraint {names[k]} = c, not a degree of freedom; "
                "drop the column before learning"
            )
            raise FeatureError(msg)
    return X, names


def relevance_and_kl(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-latent relevance (eq. 4.3) and mean KL from the prior, in latent order.

    Args:
        mu: Posterior means, ``(members, n_events, latent)``.
        sigma: Posterior widths, same shape.

    Returns:
        ``(relevance, kl)``, each ``(members, latent)``; KL in nats,
        0.5 * mean_i(mu^2 + sigma^2 - 1 - log sigma^2).
    """
    relevance = mu.std(axis=1) / sigma.mean(axis=1)
    kl = 0.5 * (mu**2 + sigma**2 - 1 - 2 * np.log(sigma)).mean(axis=1)
    return relevance, kl


def learned_dimension(relevance: Sequence[float] | np.ndarray) -> int:
    """Number of relevant latents of one member by the module's rule (see module docstring)."""
    r = np.maximum(np.sort(np.asarray(relevance, dtype=np.float64))[::-1], RELEVANCE_FLOOR)
    if r[0] <= RELEVANCE_FLOOR:
        return 0
    logs = np.log(np.append(r, RELEVANCE_FLOOR))
    return int(np.argmax(logs[:-1] - logs[1:])) + 1


def ensemble_dimension(member_dims: Sequence[int]) -> tuple[int, float]:
    """The most common count (ties: the smaller) and the fraction of members giving it."""
    counts = Counter(int(d) for d in member_dims)
    best = max(counts.values())
    dim = min(d for d, c in counts.items() if c == best)
    return dim, best / len(member_dims)


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
) -> LearnResult:
    """Relevances, learned dimension, correlations and TwoNN of a trained ensemble on ``X``.

    Raises:
        FeatureError: Bad ``X``, names or extra columns.
    """
    X, names = check_features(X, names)
    mu, sigma = model.encode(X)
    rel, kl = relevance_and_kl(mu, sigma)
    order = np.argsort(-rel, axis=1, kind="stable")
    rel_sorted = np.take_along_axis(rel, order, axis=1)
    kl_sorted = -np.sort(-kl, axis=1)
    dims = tuple(learned_dimension(r) for r in rel_sorted)
    dim, agreement = ensemble_dimension(dims)
    geo = two_nn(X, seed=seed) if geometric else None
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
        correlations=correlations(mu, order, X, names, extra),
        geometric_dim=geo.dim if geo else math.nan,
        geometric_dim_err=geo.err if geo else math.nan,
        config=model.config,
        seed=seed,
        n_events=len(X),
        model=model,
    )


def learn(
    X: np.ndarray,
    names: Sequence[str] | None = None,
    *,
    ensemble: int = 15,
    config: VAEConfig | None = None,
    seed: int = 0,
    extra: Mapping[str, np.ndarray] | None = None,
    device: str = "cpu",
    progress: bool | None = None,
    threads: int | None = None,
    geometric: bool = True,
) -> LearnResult:
    """Train a VAE ensemble on ``X`` and say how many latent directions it needs.

    Args:
        X: ``(n_events, n_features)`` array (any units; standardised inside by default).
        names: Feature names (default ``x1 ... xn``).
        ensemble: Number of independently seeded VAEs (paper: 15-20).
        config: Model and training settings; default :class:`~hepsym.vae.VAEConfig()`.
        seed: Ensemble seed; member seeds come from :func:`~hepsym.vae.member_seeds`.
        extra: Extra columns to correlate with <z>, e.g. ``{"px(mu-)-px(mu+)": a}``.
        device: ``"cpu"`` or ``"cuda"``.
        progress: tqdm bar over members x epochs; ``None``: only on a terminal.
        threads: Torch threads while training (default 1).
        geometric: Also compute the TwoNN estimate.

    Returns:
        A :class:`LearnResult`.

    Raises:
        FeatureError: NaN/infinite or constant features, mismatched names.
        LearnError: Too few events for two batches, bad settings (latent < 1), no members.
    """
    config = VAEConfig() if config is None else config
    X, names = check_features(X, names)
    if ensemble < 1:
        msg = f"ensemble must have at least 1 member, got {ensemble}"
        raise LearnError(msg)
    model = train_ensemble(
        X, config, member_seeds(seed, ensemble), device=device, threads=threads, progress=progress
    )
    return evaluate(model, X, names, extra=extra, seed=seed, geometric=geometric)


def load(path: str, *, device: str = "cpu") -> Ensemble:
    """Load models saved by :meth:`LearnResult.save`; ``evaluate(model, X)`` recomputes the result."""
    return Ensemble.load(path, device=device)
