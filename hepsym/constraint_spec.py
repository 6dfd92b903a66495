"""The constraints section: which constraints to test, and the numbers of the verdict."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hepsym._spec_base import problem

__all__ = ("ConstraintSpec", "Thresholds")


@dataclass(frozen=True)
class Thresholds:
    """The numbers that turn measurements into a verdict (all stated in the output).

    Attributes:
        rel_tol: exact means |g - c| <= rel_tol x the constraint's natural scale.
        exact_fraction: fraction of events that must be within ``rel_tol`` for "exact".
        n_widths: an approximate constraint's tolerance, in units of its width.
        approx_fraction: fraction of events that must be within ``n_widths`` widths.
        max_spread_ratio: largest std(g) / std(g shuffled) for "approximate".
    """

    rel_tol: float = 1e-6
    exact_fraction: float = 0.99
    n_widths: float = 3.0
    approx_fraction: float = 0.5
    max_spread_ratio: float = 0.25

    def to_dict(self) -> dict[str, float]:
        """The thresholds as a JSON object."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ConstraintSpec:
    """Which candidate constraints to test, and how to judge and count them.

    Attributes:
        extra: the user's constraints: expressions over feature names
            (``"x1**2 + x2**2 = 100"``), :class:`~hepsym.constraints.Constraint` objects,
            callables or mappings (see :func:`~hepsym.constraints.user_constraint`).
        exclude: names (``"m_Z"``) or kinds (``"resonance"``) of candidates to drop.
        resonances: ``None``: from the content; names (``["Z", "H"]``); a mapping of
            names to particle labels; ``[]``: none.
        sphere: propose "sum of squares of all features = constant" (default: only for
            custom features).
        thresholds: the verdict's thresholds.
        n_sample: events on which the Jacobian is evaluated.
        rel_step: relative finite-difference step of the Jacobian.
        rank_rtol: relative singular-value tolerance of the rank.
        zero_tol: a gradient below this (per feature rms, in units of the constraint's
            scale) means the constraint does not act on the features.
        min_events: fewest events accepted.
    """

    extra: tuple[Any, ...] = ()
    exclude: tuple[str, ...] = ()
    resonances: Sequence[str] | Mapping[str, Sequence[str]] | None = None
    sphere: bool | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    n_sample: int = 200
    rel_step: float = 1e-5
    rank_rtol: float = 1e-6
    zero_tol: float = 1e-6
    min_events: int = 20

    def __post_init__(self) -> None:
        if isinstance(self.extra, (str, Mapping)) or callable(self.extra):
            object.__setattr__(self, "extra", (self.extra,))
        else:
            object.__setattr__(self, "extra", tuple(self.extra))
        exclude = (self.exclude,) if isinstance(self.exclude, str) else tuple(self.exclude)
        object.__setattr__(self, "exclude", exclude)
        if self.n_sample < 1 or self.min_events < 1:
            msg = f"n_sample and min_events must be at least 1, got {self.n_sample}, {self.min_events}"
            raise problem(msg)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values (user constraints by their text or name)."""
        res = self.resonances
        return {
            "extra": [e if isinstance(e, str) else getattr(e, "name", repr(e)) for e in self.extra],
            "exclude": list(self.exclude),
            "resonances": None
            if res is None
            else (dict(res) if isinstance(res, Mapping) else list(res)),
            "sphere": self.sphere,
            "thresholds": self.thresholds.to_dict(),
            "n_sample": self.n_sample,
            "rel_step": self.rel_step,
            "rank_rtol": self.rank_rtol,
            "zero_tol": self.zero_tol,
            "min_events": self.min_events,
        }
