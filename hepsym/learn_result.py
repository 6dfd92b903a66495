"""What an ensemble of VAEs learned about a dataset: :class:`LearnResult`, its JSON and
its text (made by :func:`hepsym.learning.evaluate`)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hepsym.correlations import Correlations
from hepsym.relevance import RELEVANCE_FLOOR, RULE
from hepsym.spec import VAEConfig

if TYPE_CHECKING:
    from hepsym.vae import Ensemble

__all__ = ("LearnResult",)


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
