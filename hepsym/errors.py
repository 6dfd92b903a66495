"""Exceptions raised by hepsym.

Every problem a user can cause (a bad file, a selection that matches nothing, a
constraint on a missing feature) is a :class:`HepsymError` whose message names
the file or object and the problem in one line. The command line catches these
only; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = (
    "ConstraintError",
    "FeatureError",
    "GeneratorError",
    "HepsymError",
    "HepsymWarning",
    "InputFileError",
    "LearnError",
    "OptionError",
    "SelectionError",
)


class HepsymError(Exception):
    """Base class of every error hepsym raises on purpose."""


class InputFileError(HepsymError):
    """An event file is missing, unreadable, truncated or not in a known format."""


class SelectionError(HepsymError):
    """The requested particles cannot be selected (unknown name, no matching events)."""


class FeatureError(HepsymError):
    """A feature matrix cannot be built or is unusable (NaN, constant, too few events)."""


class ConstraintError(HepsymError):
    """A constraint is ill-defined or cannot be evaluated on the data."""


class LearnError(HepsymError):
    """VAE training or relevance analysis cannot run with the given inputs."""


class GeneratorError(HepsymError):
    """Event generation failed or the optional generator is not installed."""


class OptionError(HepsymError):
    """An option or setting has an unknown name or a value out of its range."""


class HepsymWarning(UserWarning):
    """Something a user should know that does not stop the work (an LHE file without its
    closing tag, events dropped on request); the command line prints it as one line."""
