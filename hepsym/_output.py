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
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from hepsym.errors import OptionError

__all__ = ("OutputFolder", "atomic_open", "atomic_write_text", "dumps", "json_ready")


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


class OutputFolder:
    """A report folder planned before the work and written in one step.

    Creating one checks, before anything is computed, that ``path`` can be written: its
    parent is a folder we may write into (created if missing), ``path`` is not a file, is
    not already a folder unless ``force`` (then it is replaced whole, never mixed with an
    earlier run's files), and no other hepsym run is writing it (a lock file next to it).
    Use it as a context manager: files go into :attr:`staging`, a hidden folder next to
    ``path`` with the permissions of a new folder under the umask, which replaces ``path``
    when the block ends without error; on an error or an interruption it is removed and
    ``path`` is left as it was.

    Raises:
        OptionError: the path cannot be used, naming it and why.
    """

    def __init__(self, path: str | os.PathLike[str], *, force: bool = False) -> None:
        self.path = Path(path)
        if not str(path).strip():
            msg = "the output folder name is empty"
            raise OptionError(msg)
        self.force = force
        self._lock: Path | None = None
        self.staging: Path | None = None
        self._check()

    def _check(self) -> None:
        out = self.path
        if out.exists() and not out.is_dir():
            msg = f"{out}: exists and is not a folder; choose another --out"
            raise OptionError(msg)
        if out.is_dir() and not self.force:
            msg = f"{out}: folder exists; use --force to replace it (force=True in Python)"
            raise OptionError(msg)
        parent = out.absolute().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            msg = f"{out}: cannot create its folder {parent} ({err.strerror})"
            raise OptionError(msg) from err
        if not os.access(parent, os.W_OK | os.X_OK):
            msg = f"{out}: cannot write into {parent} (permission denied)"
            raise OptionError(msg)
        if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
            msg = f"{out}: cannot replace it (permission denied)"
            raise OptionError(msg)

    def __enter__(self) -> OutputFolder:  # noqa: PYI034 (not subclassed)
        parent = self.path.absolute().parent
        lock = parent / f".{self.path.name}.hepsym-lock"
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = lock.read_text().strip() if lock.exists() else "?"
            msg = (
                f"{self.path}: another hepsym run (pid {owner}) is writing this folder; "
                f"wait for it, or remove {lock} if no run is left"
            )
            raise OptionError(msg) from None
        except OSError as err:
            msg = f"{self.path}: cannot write into {parent} ({err.strerror})"
            raise OptionError(msg) from err
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()}\n")
        self._lock = lock
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.partial-", dir=parent))
            os.chmod(self.staging, 0o777 & ~_umask())
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: object
    ) -> None:
        assert self.staging is not None
        try:
            if kind is None:
                self._replace()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
            self._release()

    def _replace(self) -> None:
        assert self.staging is not None
        old = None
        if self.path.exists():
            old = self.path.with_name(f".{self.path.name}.old-{os.getpid()}")
            os.replace(self.path, old)
        os.replace(self.staging, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.unlink(missing_ok=True)
            self._lock = None
