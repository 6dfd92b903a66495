"""``Momentum4D`` particle arrays, with ``vector``'s behaviour loaded when first used.

``import vector`` imports sympy where it is installed (0.25 s of a 0.6 s ROOT read of a
small file, measured), and reading, selecting and building features never need it: they
work on the flat columns. So the readers build the records themselves, with vector's
field names and record name ``Momentum4D``, and until ``vector`` is imported such an
array is a :class:`LazyMomentumArray`: its first use of anything that is not a field
(``.pt``, ``.boost``, ``p1 + p2``) imports ``vector``, registers its awkward behaviour
and carries on as the ``vector`` array it then is. Where ``vector``'s behaviour is
already registered (the user imported it first), nothing here is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import awkward as ak
import numpy as np

__all__ = (
    "VECTOR_NAMES",
    "LazyMomentumArray",
    "component",
    "install",
    "load_vector",
    "momentum4d",
)

#: Momentum names to vector's generic ones, as ``vector.zip`` renames them.
VECTOR_NAMES = {
    "px": "x",
    "py": "y",
    "pz": "z",
    "E": "t",
    "pt": "rho",
    "eta": "eta",
    "phi": "phi",
    "mass": "tau",
}
#: The coordinate sets the readers give, built here without ``vector``.
_KNOWN = (frozenset(("px", "py", "pz", "E")), frozenset(("pt", "eta", "phi", "mass")))
#: Every name ``vector.zip`` takes for a coordinate.
_COORDINATES = frozenset(VECTOR_NAMES) | set(VECTOR_NAMES.values()) | {
    "e", "energy", "m", "M", "theta"}  # fmt: skip
_RECORD = "Momentum4D"


def load_vector() -> None:
    """Import ``vector`` and register its awkward behaviour (idempotent)."""
    import vector

    vector.register_awkward()


class _LoadsVector:
    """What the lazy array and record share: a name that is not a field, or a ufunc,
    imports ``vector`` and carries on with the class ``vector`` gives."""

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)  # type: ignore[misc]  # a field
        except AttributeError:
            if name.startswith("_"):
                raise
            lazy = type(self)
            load_vector()  # also where the user registered vector after this was made
            self._update_class()
            if type(self) is lazy:  # vector has no class for it: not a vector attribute
                raise
        return getattr(self, name)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        load_vector()  # vector's overloads (p1 + p2, abs(p)) are looked up per call
        return super().__array_ufunc__(ufunc, method, *inputs, **kwargs)  # type: ignore[misc]


class LazyMomentumArray(_LoadsVector, ak.Array):
    """A ``Momentum4D`` array from before ``vector`` was imported (see the module)."""

    def __dir__(self) -> list[str]:
        load_vector()
        self._update_class()
        return super().__dir__() if type(self) is LazyMomentumArray else dir(self)


class LazyMomentumRecord(_LoadsVector, ak.Record):
    """One ``Momentum4D`` particle from before ``vector`` was imported."""


def component(records: ak.Array, name: str) -> ak.Array:
    """A momentum component of ``Momentum4D`` records (``px``, ``pt``, ``E``, ``mass``...):
    the stored field where the records hold it, pT from stored ``x, y`` by vector's own
    formula (the same bits), else what ``vector`` computes (which imports it)."""
    stored = VECTOR_NAMES.get(name, name)
    fields = records.fields
    if stored in fields:
        return records[stored]
    if name == "pt" and "x" in fields and "y" in fields:
        return np.sqrt(records["x"] ** 2 + records["y"] ** 2)
    return getattr(records, name)


def install() -> None:
    """Register the lazy classes for ``Momentum4D``, unless ``vector`` is there already."""
    if ak.behavior.get(("*", _RECORD)) is None:
        ak.behavior["*", _RECORD] = LazyMomentumArray
        ak.behavior[_RECORD] = LazyMomentumRecord


def momentum4d(columns: Mapping[str, Any], counts: np.ndarray | None = None) -> ak.Array:
    """Jagged ``Momentum4D`` records from per-particle columns, as ``vector.zip`` makes them.

    Args:
        columns: ``px, py, pz, E`` or ``pt, eta, phi, mass`` (any other coordinate set
            goes to ``vector.zip``) plus extra per-particle fields. Flat numpy columns
            need ``counts``; jagged awkward columns are zipped as they are.
        counts: particles per event, when the columns are flat.
    """
    if (set(columns) & _COORDINATES) not in _KNOWN:
        import vector

        load_vector()
        if counts is not None:
            columns = {k: ak.unflatten(np.asarray(v), counts) for k, v in columns.items()}
        return vector.zip(dict(columns))
    names = [VECTOR_NAMES.get(k, k) for k in columns]  # the extra fields keep theirs
    if counts is not None:
        flat = [ak.contents.NumpyArray(np.asarray(v)) for v in columns.values()]
        record = ak.contents.RecordArray(flat, names, parameters={"__record__": _RECORD})
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return ak.Array(ak.contents.ListOffsetArray(ak.index.Index64(offsets), record))
    return ak.zip(dict(zip(names, columns.values(), strict=True)), with_name=_RECORD)
