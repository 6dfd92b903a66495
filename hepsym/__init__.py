"""hepsym: the true number of degrees of freedom in collider event data.

``hepsym.read`` -> ``hepsym.select`` -> ``hepsym.build_features`` ->
``hepsym.analyze_constraints`` and ``hepsym.learn.learn`` -> ``hepsym.compare.compare``; or
all of it at once with ``hepsym.analyze``. The stages that need torch are imported on first
use, so ``import hepsym`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from hepsym._version import __version__
from hepsym.errors import HepsymError
from hepsym.events import Beams, Events
from hepsym.features import FeatureMatrix, build_features
from hepsym.io import read
from hepsym.selection import select

__all__ = (
    "Beams",
    "Events",
    "FeatureMatrix",
    "HepsymError",
    "__version__",
    "analyze",
    "analyze_constraints",
    "build_features",
    "read",
    "select",
)

_LAZY = {
    "analyze": "hepsym.analysis",
    "analyze_constraints": "hepsym.constraints",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'hepsym' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> tuple[str, ...]:
    return __all__
