"""hepsym: the true number of degrees of freedom in collider event data."""

from __future__ import annotations

from hepsym._version import __version__
from hepsym.errors import HepsymError
from hepsym.events import Beams, Events
from hepsym.io import read

__all__ = ("Beams", "Events", "HepsymError", "__version__", "read")


def __dir__() -> tuple[str, ...]:
    return __all__
