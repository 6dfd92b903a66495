"""Writing files that are never half-written, and JSON that is strict.

Every file hepsym writes goes to a temporary name in the destination's folder first and is
renamed into place when complete (a rename within one folder is atomic), so an
interrupted run leaves the old file or the new one, never a part of it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ("atomic_open", "atomic_write_text", "dumps", "json_ready")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; it replaces ``path`` when the block ends.

    If the block raises (or is interrupted), the temporary file is removed and ``path`` is
    left as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.chmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a written file follows the umask
        with os.fdopen(fd, mode) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    with atomic_open(path, "w") as f:
        f.write(text)
    return Path(path)


def json_ready(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (strict JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """Strict JSON text, indented: a quantity that could not be computed is ``null``."""
    return json.dumps(json_ready(value), indent=2, allow_nan=False)
