"""What :func:`hepsym.discover` found: the relations, the dimension, the reconciliation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ("Discovered", "Discovery", "Reconciled")


def _json(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass(frozen=True)
class Discovered:
    """One discovered generator.

    Attributes:
        formula: the relation in the original variables and units.
        degree: of its leading term.
        kind: ``exact`` or ``approximate``.
        residual_rel: RMS over events relative to its coefficient norm (unit-RMS monomials).
        width: std of the polynomial over the events, in the formula's units.
        matches: the named constraint it is (``sum_px``; ``sum_E (with sum_px, ...)`` modulo
            others), ``new``, or ``-`` where none were checked or it does not act.
        spread_ratio: std / std on events shuffled between particles (``None``: one particle).
        acts: whether it constrains the features (``False``: it restates the lift).
        note: anything else.
        polynomial: the fitted polynomial itself, where ``formula`` names it otherwise
            (an approximate relation read as m(S)^2, an energy as |p|^2).
        peak_fraction: approximate relations: share of the events within 3 IQRs of the
            median; shuffled_fraction: that of the shuffled events (``None``: one particle).
    """

    formula: str
    degree: int
    kind: str
    residual_rel: float
    width: float
    matches: str
    spread_ratio: float | None = None
    acts: bool = True
    note: str = ""
    polynomial: str = ""
    peak_fraction: float | None = None
    shuffled_fraction: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: _json(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Reconciled:
    """A named constraint that holds, and whether the discovered relations imply it."""

    name: str
    formula: str
    status: str
    recovered: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Discovery:
    """The relations found in the data alone, and the dimension they leave.

    Attributes:
        discovered: the generators, degree by degree.
        discovered_dim: n_features - Jacobian rank of the acting generators.
        rank, rank_stability: that rank (modal over sampled events) and its stability.
        hilbert: new order-ideal monomials per degree 0, 1, ..., max_degree.
        hilbert_dim: from the growth of the Hilbert function over the last two degrees
            (h(d) ~ d^(k-1): k); a low-degree estimate, from below for k >= 4.
        leading_dim: the dimension of the leading-term ideal (the largest set of
            variables no leading term is a monomial of); an upper bound.
        exact_tol, max_spread, noise: the rules (``docs/discover.md``); also
            max_shuffled, consequence and approx_degree, at the end.
        variables: the variables searched (lifted energies included).
        reconciled: every named constraint that holds and acts, recovered or not.
        named_checked: how many named constraints were compared.
        two_nn: (dimension, error) of TwoNN on the features, ``None`` if not computed.
        weighted: whether event weights (|w|) weighed the search.
    """

    discovered: tuple[Discovered, ...]
    discovered_dim: int
    n_features: int
    n_events: int
    rank: int
    rank_stability: float
    hilbert: tuple[int, ...]
    hilbert_dim: int
    leading_dim: int
    max_degree: int
    exact_tol: float
    max_spread: float
    noise: float
    variables: tuple[str, ...]
    reconciled: tuple[Reconciled, ...] = ()
    named_checked: int = 0
    two_nn: tuple[float, float] | None = None
    source: str = ""
    notes: tuple[str, ...] = ()
    weighted: bool = False
    max_shuffled: float = 0.25
    consequence: float = 0.04
    approx_degree: int = 2

    @property
    def all_recovered(self) -> bool:
        """Every named constraint that holds follows from the discovered relations."""
        return all(r.recovered for r in self.reconciled)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` schema."""
        return {
            "source": self.source,
            "n_events": self.n_events,
            "n_features": self.n_features,
            "variables": list(self.variables),
            "max_degree": self.max_degree,
            "discovered_dim": self.discovered_dim,
            "rank": self.rank,
            "rank_stability": self.rank_stability,
            "discovered": [d.to_dict() for d in self.discovered],
            "hilbert": list(self.hilbert),
            "hilbert_dim": self.hilbert_dim,
            "leading_dim": self.leading_dim,
            "reconciled": [r.to_dict() for r in self.reconciled],
            "all_recovered": self.all_recovered,
            "two_nn": None
            if self.two_nn is None
            else {"dim": self.two_nn[0], "err": self.two_nn[1]},
            "rules": {
                "exact_tol": self.exact_tol,
                "max_spread": self.max_spread,
                "noise": self.noise,
                "max_shuffled": self.max_shuffled,
                "consequence": self.consequence,
                "approx_degree": self.approx_degree,
            },
            "weighted": self.weighted,
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        lines = [
            (
                f"relations discovered in {self.source or '<features>'}: {self.n_events} events, "
                f"{self.n_features} features, degree <= {self.max_degree}"
            ),
            "",
        ]
        if not self.discovered:
            lines.append(f"  no polynomial relation up to degree {self.max_degree}")
        for d in self.discovered:
            tag = "exact" if d.kind == "exact" else "approx"
            extra = f"  [{d.note}]" if d.note else ""
            lines.append(
                f"  deg {d.degree} {tag:<6} rel.res {d.residual_rel:8.1e}  {d.formula}"
                f"   -> {d.matches}{extra}"
            )
        lines += [
            "",
            (
                f"discovered dimension: {self.n_features} - {self.rank} = {self.discovered_dim} "
                f"(Jacobian rank of the generators, stable in {self.rank_stability:.0%} of events)"
            ),
            (
                f"Hilbert function (new monomials per degree): {list(self.hilbert)}, its growth "
                f"gives dimension {self.hilbert_dim} (leading terms: at most {self.leading_dim})"
            ),
        ]
        if self.two_nn is not None:
            lines.append(f"TwoNN (model-free): {self.two_nn[0]:.2f} +- {self.two_nn[1]:.2f}")
        if self.reconciled:
            got = sum(r.recovered for r in self.reconciled)
            lines.append(
                f"named constraints that hold, implied by the discovered ones: {got} of "
                f"{len(self.reconciled)}: "
                + ", ".join(f"{r.name} {'yes' if r.recovered else 'NO'}" for r in self.reconciled)
            )
        lines.append(
            f"rules: exact when rel.res <= {self.exact_tol:.0e}; approximate when narrow (IQR vs "
            f"shuffled events <= {self.max_spread:g}), peaked (>= 65% of the events and <= 25% "
            "of the shuffled ones within 3 IQRs of the median), noise between neighbouring "
            f"events (neighbour ratio >= {self.noise:g}) and new (gradient off the others'), "
            "up to degree 2" + ("; events weighted by |w|" if self.weighted else "")
        )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)
