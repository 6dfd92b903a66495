"""What a whole study found: :class:`AnalysisResult`, its JSON schema and its summary text.

The figures of a result, and writing it to disk, are in :mod:`hepsym.report`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hepsym._output import atomic_write_text, dumps, json_ready
from hepsym.features import FeatureMatrix
from hepsym.spec import StudySpec

if TYPE_CHECKING:
    from hepsym.constraints import ConstraintResult
    from hepsym.discovery.result import Discovery
    from hepsym.learning import LearnResult
    from hepsym.strata import Strata
    from hepsym.symmetry.result import SymmetryResult
    from hepsym.verdict import Verdict

__all__ = ("AnalysisResult",)


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """Everything ``hepsym analyze`` found: constraints, the VAE count, and the verdict.

    Attributes:
        features: the feature matrix that was studied.
        constraints: the constraint table, rank and predicted/embedding dimensions.
        learned: the VAE ensemble's relevances, learned dimension and TwoNN estimate.
        verdict: the comparison in words.
        notes: what hepsym picked by itself (selection, features) and dropped.
        spec: the study as it ran, with hepsym's choices filled in.
        strata: the parts of the events of different final state or law, each studied on
            its own (``None``: one part).
        discovery: the relations found from the data alone (``None``: not searched).
        symmetry: the symmetries of the surface and of the distribution (``None``: not
            searched).
    """

    features: FeatureMatrix
    constraints: ConstraintResult
    learned: LearnResult
    verdict: Verdict
    notes: tuple[str, ...] = ()
    spec: StudySpec | None = None
    strata: Strata | None = None
    discovery: Discovery | None = None
    symmetry: SymmetryResult | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """The study's specification as JSON values (``settings`` in the JSON)."""
        return {} if self.spec is None else self.spec.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """Everything numeric, JSON-serialisable (the ``--json`` and ``result.json`` schema).

        A quantity that could not be computed (e.g. a skipped geometric estimate) is ``null``.
        """
        from hepsym._version import __version__

        fm, c, lr = self.features, self.constraints, self.learned
        c_dict = c.to_dict()
        return json_ready(
            {
                "hepsym_version": __version__,
                "source": fm.source,
                "n_events": c.n_events,
                # the events the sample-based stages saw (n_events below sample_events)
                "n_sample": fm.n_events,
                "n_input": fm.n_input,
                "n_dropped": fm.n_dropped,
                "n_repeated": int(fm.metadata.get("n_repeated", 0)),
                "n_bad_events": int(fm.metadata.get("n_bad_events", 0)),
                "features": list(fm.names),
                "feature_kind": fm.kind,
                "predicted_dim": c.predicted_dim,
                "embedding_dim": c.embedding_dim,
                "learned_dim": lr.learned_dim,
                "agreement": lr.agreement,
                "learned_manifold_dim": lr.learned_manifold_dim,
                "learned_manifold_agreement": lr.learned_manifold_agreement,
                "geometric_dim": lr.geometric_dim,
                "geometric_dim_err": lr.geometric_dim_err,
                "verdict": self.verdict.text,
                "outcome": self.verdict.outcome,
                "warnings": list(self.verdict.warnings),
                "ruled_out": list(self.verdict.ruled_out),
                "rank": c.rank,
                "strata": self.strata.to_list() if self.strata else [],
                **self._beyond_dict(),
                "constraints": c_dict["constraints"],
                "constraint_summary": {k: v for k, v in c_dict.items() if k != "constraints"},
                "learn": lr.to_dict(),
                "notes": list(self.notes),
                "settings": self.settings,
            }
        )

    def _beyond_dict(self) -> dict[str, Any]:
        """The discovery's and the symmetries' keys, and their whole results."""
        out: dict[str, Any] = {}
        if self.discovery is not None:
            d = self.discovery.to_dict()
            out |= {k: d[k] for k in ("discovered_dim", "discovered", "hilbert")}
            out["discovery"] = d
        if self.symmetry is not None:
            s = self.symmetry.to_dict()
            out |= {k: s[k] for k in ("support_symmetries", "density_symmetries", "discrete")}
            out["symmetries"] = s
        return out

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The result as strict JSON text; also written (atomically) to ``path`` if given."""
        text = dumps(self.to_dict())
        if path is not None:
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
            (
                f"learned manifold     {lr.learned_manifold_dim}  "
                f"({lr.learned_manifold_agreement:.0%} agree; TwoNN on the posterior means)"
            ),
            f"geometric (TwoNN)    {lr.geometric_dim:.2f} +- {lr.geometric_dim_err:.2f}",
        ]
        if self.discovery is not None:
            d = self.discovery
            dims.insert(
                1,
                f"discovered dimension {d.discovered_dim}  ({len(d.discovered)} relations found "
                "from the data alone; below)",
            )
        warnings = [f"warning: {w}" for w in self.verdict.warnings]
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
                *([self.strata.table()] if self.strata else []),
                *(["", str(self.discovery)] if self.discovery else []),
                *(["", str(self.symmetry)] if self.symmetry else []),
                "",
                "verdict: " + self.verdict.text,
                *(["", *warnings] if warnings else []),
            ]
        )

    def __str__(self) -> str:
        return self.summary()

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
