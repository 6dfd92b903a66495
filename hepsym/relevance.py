"""The relevance of a VAE's latents (paper eq. 4.3) and the learned-dimension rule.

Per ensemble member and latent j::

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

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

__all__ = (
    "RELEVANCE_FLOOR",
    "RULE",
    "ensemble_dimension",
    "learned_dimension",
    "relevance_and_kl",
    "relevance_from_sums",
    "streamed_relevance",
)

#: Relevance below which a latent counts as unused (sits on the prior).
RELEVANCE_FLOOR = 0.1
#: The rule in words, as printed and written to JSON.
RULE = (
    f"largest drop in log relevance, relevances below {RELEVANCE_FLOOR} count as unused "
    "(floor appended as a virtual last rank); ensemble: most common member count"
)


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


def streamed_relevance(
    posterior_sums: Callable[[np.ndarray], np.ndarray], X: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`relevance_and_kl` over all of ``X``, from the encoder's sums over its events.

    ``posterior_sums`` maps events to the per-member, per-latent sums of mu, mu^2, sigma
    and mu^2 + sigma^2 - 1 - log sigma^2, ``(4, members, latent)``
    (:meth:`hepsym.vae.Ensemble.posterior_sums`, which takes them chunk by chunk, so
    memory is bounded whatever the number of events).
    """
    return relevance_from_sums(posterior_sums(X), len(X))


def relevance_from_sums(sums: np.ndarray, n_events: int) -> tuple[np.ndarray, np.ndarray]:
    """Relevance and KL per member and latent from the posterior sums over ``n_events``
    (see :func:`streamed_relevance`)."""
    m1, m2, s1, k1 = sums / n_events
    return np.sqrt(np.maximum(m2 - m1 * m1, 0.0)) / s1, 0.5 * k1
