"""The discovery section: how far the search for relations from the data alone goes."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from hepsym._spec_base import problem

__all__ = ("MAX_DEGREE", "DiscoverSpec")

#: the highest degree the search may be asked for
MAX_DEGREE = 6


@dataclass(frozen=True)
class DiscoverSpec:
    """Settings of :func:`hepsym.discover` in a study.

    Attributes:
        max_degree: highest degree searched (1 to 6; 3 by default, 4 finds a torus).
        tolerance: the exact rule's relative residual (``None``: 1e-9, or 10 x the
            precision the features are written with where that is larger).
    """

    max_degree: int = 3
    tolerance: float | None = None

    def __post_init__(self) -> None:
        d = self.max_degree
        if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_DEGREE:
            msg = f"max_degree must be an integer from 1 to {MAX_DEGREE}, got {d!r}"
            raise problem(msg)
        t = self.tolerance
        if t is not None and not (isinstance(t, (int, float)) and math.isfinite(t) and 0 < t < 1):
            msg = f"tolerance must be in (0, 1), got {t!r}"
            raise problem(msg)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values."""
        return dataclasses.asdict(self)
