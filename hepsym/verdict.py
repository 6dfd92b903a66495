"""The verdict: the learned dimension against the physics prediction, in plain words.

Three numbers describe the data's surface (``docs/physics.md``): the *predicted*
(manifold) dimension d = features - independent constraints, the *embedding* dimension
(the fewest Euclidean coordinates that map the surface continuously and one to one; a
circle needs 2, a 2-sphere 3), and a model-free *geometric* estimate (TwoNN). A VAE's
encoder is a continuous map into R^k, so its count of relevant latents may be the
embedding dimension rather than d: that is topology, not a failure, and the verdict says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hepsym.crosscheck import GEOMETRIC_TOLERANCE, STRONG_AGREEMENT, Numbers, cross_check

__all__ = ("Verdict", "compare")


#: a surplus latent "tracks" a column when their informational correlation reaches this
TRACKS = 0.5


def _surplus_reasons(
    approximate: tuple[str, ...], evidence: Mapping[str, float], measured_by: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """Why latents beyond the prediction are used, from what they are seen to encode.

    Returns the likely reasons and, apart, the causes the data rule out.
    """
    reasons: list[str] = []
    ruled_out: list[str] = []
    width_columns = set()
    for a in approximate:
        col = measured_by.get(a)
        if col is None or col not in evidence:
            reasons.append(
                f"the approximate constraint {a} has a finite width, which a VAE can resolve as "
                "one more direction"
            )
            continue
        width_columns.add(col)
        if evidence[col] >= TRACKS:
            reasons.append(
                f"the surplus latents track {col} (informational correlation "
                f"{evidence[col]:.2f}): the finite width of {a} is resolved as a direction"
            )
        else:
            ruled_out.append(
                f"the width of {a}: no surplus latent tracks {col} "
                f"(informational correlation at most {evidence[col]:.2f})"
            )
    others = sorted(((v, c) for c, v in evidence.items() if c not in width_columns), reverse=True)[
        :2
    ]
    if others and others[0][0] >= TRACKS:
        seen = " and ".join(f"{c} ({v:.2f})" for v, c in others)
        reasons.append(
            f"the surplus latents share what the leading ones encode, mostly {seen}: the VAE "
            "spreads directions of a curved surface over more latents than it has dimensions"
        )
    return reasons, ruled_out


class _Predicted(Protocol):
    @property
    def predicted_dim(self) -> int: ...
    @property
    def embedding_dim(self) -> int: ...


class _Learned(Protocol):
    @property
    def learned_dim(self) -> int: ...
    @property
    def agreement(self) -> float: ...
    @property
    def geometric_dim(self) -> float: ...
    @property
    def geometric_dim_err(self) -> float: ...


@dataclass(frozen=True)
class Verdict:
    """How the learned dimension compares with the predicted and embedding dimensions.

    Attributes:
        outcome: ``"predicted"`` (learned == predicted), ``"embedding"`` (learned ==
            embedding != predicted: topology), or ``"mismatch"``.
        predicted_dim, embedding_dim, learned_dim: the three counts.
        agreement: fraction of ensemble members giving ``learned_dim``.
        geometric_dim, geometric_dim_err: the TwoNN estimate.
        geometric_matches: ``"predicted"``, ``"embedding"`` or ``""`` (neither).
        text: the paragraph for humans.
        reasons: for a mismatch (or a weak agreement), the likely reasons.
        ruled_out: causes the data rule out, apart from the likely ones.
        warnings: every disagreement between hepsym's numbers, one sentence each, with
            the causes the data do not rule out (see :func:`cross_check`).
        learned_manifold_dim, learned_manifold_agreement: the dimension of the learned
            surface (TwoNN on the posterior means), -1 where not estimated.
    """

    outcome: str
    predicted_dim: int
    embedding_dim: int
    learned_dim: int
    agreement: float
    geometric_dim: float
    geometric_dim_err: float
    geometric_matches: str
    text: str
    reasons: tuple[str, ...] = field(default_factory=tuple)
    ruled_out: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)
    learned_manifold_dim: int = -1
    learned_manifold_agreement: float = 0.0

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "predicted_dim": self.predicted_dim,
            "embedding_dim": self.embedding_dim,
            "learned_dim": self.learned_dim,
            "agreement": self.agreement,
            "geometric_dim": self.geometric_dim,
            "geometric_dim_err": self.geometric_dim_err,
            "geometric_matches": self.geometric_matches,
            "text": self.text,
            "reasons": list(self.reasons),
            "ruled_out": list(self.ruled_out),
            "warnings": list(self.warnings),
            "learned_manifold_dim": self.learned_manifold_dim,
            "learned_manifold_agreement": self.learned_manifold_agreement,
        }


def _geometric_reading(geo: float, err: float, predicted: int, embedding: int) -> str:
    if not math.isfinite(geo):
        return ""
    tol = max(GEOMETRIC_TOLERANCE, 2 * err if math.isfinite(err) else 0.0)
    if abs(geo - predicted) <= tol:
        return "predicted"
    if abs(geo - embedding) <= tol:
        return "embedding"
    return ""


def compare(
    constraints: _Predicted,
    learned: _Learned,
    *,
    approximate: tuple[str, ...] = (),
    epochs: int | None = None,
    n_events: int | None = None,
    evidence: Mapping[str, float] | None = None,
    measured_by: Mapping[str, str] | None = None,
    warnings: tuple[str, ...] = (),
) -> Verdict:
    """Compare a constraint count with what a VAE ensemble learned, and explain it.

    Args:
        constraints: anything with ``predicted_dim`` and ``embedding_dim`` (the
            :class:`~hepsym.constraints.ConstraintResult`, or a toy's known dimensions).
        learned: anything with ``learned_dim``, ``agreement``, ``geometric_dim`` and
            ``geometric_dim_err`` (a :class:`~hepsym.learning.LearnResult`).
        approximate: descriptions of the approximate constraints that were counted
            (e.g. ``"m_mumu = m_Z (measured width 2.6 GeV, PDG 2.50 GeV)"``): a VAE can
            resolve the spread of such a constraint as one more direction.
        epochs, n_events: the training settings (epochs, events trained on), quoted in the reasons of a mismatch.
        evidence: for a learned count above the prediction, what the surplus latents encode:
            column name -> the largest informational correlation of those latents with it
            (e.g. ``{"m(pair)": 0.08, "y(pair)": 0.74}``). With it the reasons say what the
            data show instead of what could be.
        measured_by: approximate constraint (as in ``approximate``) -> the ``evidence``
            column that measures it (``"m(pair)"`` for a resonance mass).
        warnings: warnings found elsewhere (e.g. strata of different dimension), put
            first among the cross-checks' own.
    """
    d, emb, k = (
        int(constraints.predicted_dim),
        int(constraints.embedding_dim),
        int(learned.learned_dim),
    )
    agree = float(learned.agreement)
    geo, geo_err = float(learned.geometric_dim), float(learned.geometric_dim_err)
    geo_match = _geometric_reading(geo, geo_err, d, emb)
    members = f"{agree:.0%} of the ensemble's members"
    reasons: list[str] = []
    ruled_out: list[str] = []
    numbers = Numbers.of(d, emb, learned)
    warnings = (*warnings, *cross_check(numbers))
    reliable = numbers.reliable

    contradicted = numbers.manifold >= 0 and numbers.manifold != d
    if k == d and (not reliable or contradicted):
        outcome = "predicted"
        but = (
            "the count is not a reliable measurement"
            if not reliable
            else f"the surface the VAEs learned has dimension {numbers.manifold}"
        )
        text = (
            f"The VAE ensemble's count, {k} ({members} agree), equals the {d} degrees of "
            f"freedom left by the constraints, but {but} (see the warnings)."
        )
    elif k == d:
        outcome = "predicted"
        text = (
            f"The VAE ensemble uses {k} latent direction{'s' if k != 1 else ''} ({members} agree), "
            f"exactly the {d} degrees of freedom left by the constraints: it found the manifold "
            "dimension."
        )
        if emb != d:
            text += (
                f" The surface needs {emb} coordinates to be embedded one to one, so the encoder "
                "has folded or cut it to get by with fewer."
            )
    elif k == emb:
        outcome = "embedding"
        text = (
            f"The VAE ensemble uses {k} latent directions ({members} agree), not the {d} "
            f"degree{'s' if d != 1 else ''} of freedom left by the constraints, but exactly the "
            f"{emb} coordinates needed to "
            f"embed the events' surface: it is a closed {d}-dimensional manifold (a "
            f"{'circle' if d == 1 else f'{d}-sphere'}-like surface) that no continuous one-to-one "
            f"map flattens into {d} number{'s' if d != 1 else ''}, and the encoder is such a map. "
            "This is topology, not "
            f"a failure of the constraints or of the network: the data have {d} "
            f"degree{'s' if d != 1 else ''} of freedom, which a continuous encoder represents "
            f"with {emb} coordinates."
        )
    else:
        outcome = "mismatch"
        text = (
            f"The VAE ensemble uses {k} latent direction{'s' if k != 1 else ''} ({members} agree), "
            "while the "
            f"constraints leave {d} degree{'s' if d != 1 else ''} of freedom (embedding dimension "
            f"{emb})."
        )
        if k > emb:
            likely, excluded = _surplus_reasons(approximate, evidence or {}, measured_by or {})
            reasons.extend(likely)
            ruled_out.extend(excluded)
            reasons.append(
                "the decoder may need extra latents to reconstruct a curved surface well within "
                "the training budget"
                + (f" ({epochs} epochs, {n_events} training events)" if epochs and n_events else "")
            )
        else:
            reasons.append(
                "too little training or too strong a KL weight can leave a real direction unused "
                "(more epochs, or a smaller beta)"
            )
        reasons.append(
            "a constraint counted as holding may hold less tightly than its tolerance, or one "
            "reported as violated may hold on a subset (see the constraint table)"
        )
    if agree < STRONG_AGREEMENT:
        reasons.append(
            f"only {members} agree: the relevance spectrum has no clean gap; train longer or "
            "use a larger ensemble before reading much into the count"
        )
    if geo_match:
        text += (
            f" The model-free TwoNN estimate, {geo:.2f} +- {geo_err:.2f}, agrees with the "
            f"{geo_match} dimension."
        )
    elif math.isfinite(geo):
        text += f" The model-free TwoNN estimate is {geo:.2f} +- {geo_err:.2f}."
    if reasons:
        text += " Likely reasons: " + "; ".join(reasons) + "."
    if ruled_out:
        text += " Ruled out by the data: " + "; ".join(ruled_out) + "."
    if numbers.manifold >= 0:
        text += numbers.manifold_reading()
    return Verdict(
        outcome,
        d,
        emb,
        k,
        agree,
        geo,
        geo_err,
        geo_match,
        text,
        tuple(reasons),
        tuple(ruled_out),
        warnings,
        numbers.manifold,
        numbers.manifold_agreement,
    )
