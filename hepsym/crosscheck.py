"""What hepsym checks before it believes a number: every count against the others.

A study gives up to five numbers for one dataset: the *predicted* dimension (features -
independent constraints), the *embedding* dimension, the VAE's *learned* count (relevant
latents), the *learned manifold* dimension (TwoNN on the VAEs' posterior means in their
relevant latents) and the model-free *TwoNN* estimate on the events. :func:`cross_check`
compares them with the written tolerances below and turns every disagreement into a
warning sentence that names the causes the data do not rule out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = (
    "GEOMETRIC_TOLERANCE",
    "MEANINGFUL_RELEVANCE",
    "STRONG_AGREEMENT",
    "Numbers",
    "cross_check",
)

#: the learned count agrees with a dimension when this fraction of members gives it
STRONG_AGREEMENT = 0.6
#: a geometric estimate within this distance of an integer is read as that integer
GEOMETRIC_TOLERANCE = 0.35
#: a count is "not reliable" when fewer members agree than this, or when no latent's
#: mean relevance reaches MEANINGFUL_RELEVANCE (the VAE then encodes nothing usable)
MEANINGFUL_RELEVANCE = 1.0


@dataclass(frozen=True)
class Numbers:
    """hepsym's counts of one dataset, side by side, for the cross-checks."""

    predicted: int
    embedding: int
    learned: int
    agreement: float
    geometric: float
    geometric_err: float
    manifold: int
    manifold_agreement: float
    max_relevance: float
    latent: int

    @classmethod
    def of(cls, predicted: int, embedding: int, learned: Any) -> Numbers:
        """The numbers of a constraint count and anything with a learn result's fields."""
        rel = np.asarray(getattr(learned, "relevance_mean", [math.inf]), dtype=np.float64)
        return cls(
            predicted,
            embedding,
            int(learned.learned_dim),
            float(learned.agreement),
            float(learned.geometric_dim),
            float(learned.geometric_dim_err),
            int(getattr(learned, "learned_manifold_dim", -1)),
            float(getattr(learned, "learned_manifold_agreement", 0.0)),
            float(rel.max()) if rel.size else math.inf,
            len(rel) if hasattr(learned, "relevance_mean") else -1,
        )

    @property
    def reliable(self) -> bool:
        """Enough members agree and some latent carries information."""
        return self.agreement >= STRONG_AGREEMENT and self.max_relevance >= MEANINGFUL_RELEVANCE

    def manifold_reading(self) -> str:
        """How the relevance count and the learned surface's dimension relate, in words."""
        return _manifold_reading(self)


def cross_check(n: Numbers) -> tuple[str, ...]:
    """Every disagreement between the numbers, as a warning with the causes left open.

    The rules (the tolerances are this module's constants):

    * TwoNN farther than ``GEOMETRIC_TOLERANCE`` (or 2 standard errors) from the
      predicted dimension contradicts it;
    * a learned manifold dimension (TwoNN on the posterior means) other than the
      predicted one contradicts it;
    * fewer than ``STRONG_AGREEMENT`` of the members agreeing, or no latent reaching a
      mean relevance of ``MEANINGFUL_RELEVANCE``, makes the learned count unreliable;
    * every latent used means the count is only the latent size.
    """
    out = []
    d = n.predicted
    tol = max(GEOMETRIC_TOLERANCE, 2 * n.geometric_err if math.isfinite(n.geometric_err) else 0.0)
    geo = f"The model-free TwoNN estimate, {n.geometric:.2f} +- {n.geometric_err:.2f},"
    if math.isfinite(n.geometric) and n.geometric < d - tol:
        out.append(
            f"{geo} contradicts the predicted dimension {d}: the events lie on a thinner "
            "surface than the counted constraints explain. Causes the data do not rule out: a "
            "relation that holds but is not among the candidates (or was excluded); repeated "
            "events; too few events for the nearest-neighbour scale."
        )
    elif math.isfinite(n.geometric) and n.geometric > d + tol:
        out.append(
            f"{geo} contradicts the predicted dimension {d}: the events spread in more "
            "directions than the counted constraints leave. Causes the data do not rule out: "
            "a counted approximate constraint whose width shows at the scale of near "
            "neighbours; a union of event classes of different dimension (final states, jet "
            "multiplicities); noise in the features."
        )
    if n.manifold >= 0 and n.manifold != d:
        agrees = (
            " It agrees with TwoNN on the events, which points at the constraint count rather "
            "than at the network."
            if math.isfinite(n.geometric) and abs(n.geometric - n.manifold) <= tol
            else ""
        )
        out.append(
            f"The surface the VAEs learned has dimension {n.manifold} (TwoNN on the posterior "
            f"means, {n.manifold_agreement:.0%} of members), not the predicted {d}.{agrees}"
        )
    if n.max_relevance < MEANINGFUL_RELEVANCE:
        out.append(
            f"Every latent's mean relevance is below {MEANINGFUL_RELEVANCE:g} (largest "
            f"{n.max_relevance:.2g}): the VAEs learned nothing usable, and the learned count "
            f"{n.learned} is not a measurement; train longer (--epochs) or on more events."
        )
    if n.agreement < STRONG_AGREEMENT:
        out.append(
            f"Only {n.agreement:.0%} of the VAEs agree on the learned count {n.learned}: the "
            "relevance spectrum has no clean gap, so the count is not read as a dimension."
        )
    if n.latent > 0 and n.learned == n.latent:
        out.append(
            f"The VAEs use all {n.latent} latents: the count is only the latent size; rerun "
            "with a larger --latent."
        )
    return tuple(out)


def _manifold_reading(n: Numbers) -> str:
    """How the relevance count and the learned surface's dimension relate, in words."""
    if n.manifold == n.learned:
        return (
            f" The learned surface (TwoNN on the posterior means in the relevant latents) has "
            f"dimension {n.manifold}, the same as the count of relevant latents."
        )
    return (
        f" The relevance count, {n.learned}, is the number of coordinates the encoder spends "
        f"on the events' surface (its embedding); the surface those coordinates trace has "
        f"dimension {n.manifold} (TwoNN on the posterior means, {n.manifold_agreement:.0%} of "
        "members agree)."
    )
