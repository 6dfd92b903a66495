"""hepsym: the true number of degrees of freedom in collider event data.

The stages, in the order the data flow through them::

    hepsym.read -> hepsym.select -> hepsym.build_features
        -> hepsym.analyze_constraints   (constraints, rank, predicted dimension)
        -> hepsym.learn                 (VAE ensemble, relevance, learned dimension)
        -> hepsym.compare               (the verdict)

or all of it at once with ``hepsym.analyze(path, **options)``; a whole study is one
:class:`StudySpec`. The stages that need torch are imported on first use, so
``import hepsym`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hepsym._version import __version__
from hepsym.errors import (
    ConstraintError,
    FeatureError,
    GeneratorError,
    HepsymError,
    InputFileError,
    LearnError,
    OptionError,
    SelectionError,
)

if TYPE_CHECKING:
    from hepsym.analysis import analyze
    from hepsym.constraints import ConstraintResult, analyze_constraints
    from hepsym.discovery import discover
    from hepsym.events import Beams, Events
    from hepsym.features import FeatureMatrix, build_features
    from hepsym.inputs import Prepared, prepare
    from hepsym.io import read
    from hepsym.learning import LearnResult, learn
    from hepsym.report import write_report
    from hepsym.result import AnalysisResult
    from hepsym.selection import Selection, select
    from hepsym.spec import (
        ConstraintSpec,
        InputSpec,
        LearnSpec,
        StudySpec,
        Thresholds,
        VAEConfig,
    )
    from hepsym.symmetry import SymmetryResult, symmetries
    from hepsym.verdict import Verdict, compare

__all__ = (
    "AnalysisResult",
    "Beams",
    "ConstraintError",
    "ConstraintResult",
    "ConstraintSpec",
    "Events",
    "FeatureError",
    "FeatureMatrix",
    "GeneratorError",
    "HepsymError",
    "InputFileError",
    "InputSpec",
    "LearnError",
    "LearnResult",
    "LearnSpec",
    "OptionError",
    "Prepared",
    "Selection",
    "SelectionError",
    "StudySpec",
    "SymmetryResult",
    "Thresholds",
    "VAEConfig",
    "Verdict",
    "__version__",
    "analyze",
    "analyze_constraints",
    "build_features",
    "compare",
    "discover",
    "learn",
    "prepare",
    "read",
    "select",
    "symmetries",
    "write_report",
)

#: names imported on first use, and their modules: ``import hepsym`` loads none of
#: awkward, vector, torch and matplotlib, so a command starts its worker processes (or
#: prints its help) before the seconds those take
_LAZY = {
    "Beams": "hepsym.events",
    "Events": "hepsym.events",
    "FeatureMatrix": "hepsym.features",
    "build_features": "hepsym.features",
    "Prepared": "hepsym.inputs",
    "prepare": "hepsym.inputs",
    "read": "hepsym.io",
    "Selection": "hepsym.selection",
    "select": "hepsym.selection",
    **dict.fromkeys(
        ("ConstraintSpec", "InputSpec", "LearnSpec", "StudySpec", "Thresholds", "VAEConfig"),
        "hepsym.spec",
    ),
    "AnalysisResult": "hepsym.result",
    "ConstraintResult": "hepsym.constraints",
    "LearnResult": "hepsym.learning",
    "Verdict": "hepsym.verdict",
    "analyze": "hepsym.analysis",
    "analyze_constraints": "hepsym.constraints",
    "compare": "hepsym.verdict",
    "discover": "hepsym.discovery",
    "learn": "hepsym.learning",
    "SymmetryResult": "hepsym.symmetry",
    "symmetries": "hepsym.symmetry",
    "write_report": "hepsym.report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'hepsym' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
