"""What every section of the specification shares: its error and keyword options."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from hepsym.errors import OptionError

__all__ = ("problem", "with_fields")


def problem(msg: str) -> OptionError:
    return OptionError(msg)


def with_fields(spec: Any, kind: type, options: Mapping[str, Any], what: str) -> Any:
    """``spec`` (or a default ``kind()``) with the fields named in ``options`` replaced.

    Raises:
        OptionError: an option that is no field of ``kind``, naming the known ones.
    """
    spec = spec if spec is not None else kind()
    if not options:
        return spec
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(options) - known)
    if unknown:
        msg = f"unknown {what} option {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        raise problem(msg)
    return dataclasses.replace(spec, **options)
