"""The candidate generators: gl(D) acting alike on every particle, and its named elements.

For four-momenta (E, px, py, pz) of each particle, a generator is a 4 x 4 matrix X acting
on every particle's four-momentum at once, x_b -> x_b + eps X x_b; the 16 entries span
gl(4). Its named elements are the rotations J_x, J_y, J_z, the boosts K_x, K_y, K_z (the
Lorentz algebra so(1,3)) and the dilation D = 1. With three-momenta it is gl(3) with
J_x, J_y, J_z and D. For custom features (one block of all n columns) it is gl(n) with the
rotation R_ij of every plane (x_i, x_j) and D.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hepsym.errors import FeatureError
from hepsym.features import FeatureMatrix

__all__ = ("Basis", "Named", "algebra_name", "basis_for")

_COMPONENTS = {"p4": ("E", "px", "py", "pz"), "p3": ("px", "py", "pz")}


@dataclass(frozen=True)
class Named:
    """A named generator: its short name, what it does in words, and its matrix.

    Attributes:
        name: ``J_z``, ``K_x``, ``D``, ``R_12``.
        words: what it does (``rotations about the beam axis (z)``).
        matrix: D x D.
        compact: its group is a circle (a rotation): angles are drawn over a full turn.
    """

    name: str
    words: str
    matrix: np.ndarray
    compact: bool


@dataclass(frozen=True)
class Basis:
    """How generators act on a feature matrix.

    Attributes:
        kind: ``p4``, ``p3`` or ``custom``.
        size: D, the block size (4, 3 or n).
        blocks: per particle (one block for custom features), its column indices in
            component order.
        named: the named generators.
        labels: the block's component names.
    """

    kind: str
    size: int
    blocks: tuple[tuple[int, ...], ...]
    named: tuple[Named, ...]
    labels: tuple[str, ...]

    def named_by(self, name: str) -> Named:
        return next(g for g in self.named if g.name == name)


def _rotation(size: int, i: int, j: int) -> np.ndarray:
    """The generator of rotations taking axis i towards axis j."""
    m = np.zeros((size, size))
    m[j, i], m[i, j] = 1.0, -1.0
    return m


def _kinematic(kind: str) -> tuple[Named, ...]:
    off = 1 if kind == "p4" else 0
    size = 3 + off
    x, y, z = off, off + 1, off + 2
    out = [
        Named("J_x", "rotations about x", _rotation(size, y, z), True),
        Named("J_y", "rotations about y", _rotation(size, z, x), True),
        Named("J_z", "rotations about the beam axis (z)", _rotation(size, x, y), True),
    ]
    if kind == "p4":
        for axis, k in zip("xyz", (x, y, z), strict=True):
            m = np.zeros((size, size))
            m[0, k] = m[k, 0] = 1.0
            words = "boosts along the beam axis (z)" if axis == "z" else f"boosts along {axis}"
            out.append(Named(f"K_{axis}", words, m, False))
    out.append(Named("D", "dilations (all momenta scaled)", np.eye(size), False))
    return tuple(out)


def _custom(names: Sequence[str]) -> tuple[Named, ...]:
    n = len(names)
    out = [
        Named(f"R_{i + 1}{j + 1}", f"rotations of the ({a}, {b}) plane", _rotation(n, i, j), True)
        for (i, a), (j, b) in itertools.combinations(enumerate(names), 2)
    ]
    out.append(Named("D", "dilations (all features scaled)", np.eye(n), False))
    return tuple(out)


def basis_for(fm: FeatureMatrix) -> Basis:
    """The generators' action on ``fm``: gl(4) or gl(3) per particle, gl(n) for custom.

    Raises:
        FeatureError: for ``ptetaphim`` features, on which linear maps of the momenta do
            not act linearly.
    """
    if fm.kind in _COMPONENTS and fm.particles:
        comps = _COMPONENTS[fm.kind]
        blocks = tuple(tuple(fm.names.index(p.columns[c]) for c in comps) for p in fm.particles)
        return Basis(fm.kind, len(comps), blocks, _kinematic(fm.kind), comps)
    if fm.kind != "custom":
        msg = (
            f"{fm.source or '<features>'}: symmetries need p3, p4 or custom features, not "
            f"{fm.kind} (angles and masses do not transform linearly); use features='p4'"
        )
        raise FeatureError(msg)
    return Basis(
        "custom", fm.n_features, (tuple(range(fm.n_features)),), _custom(fm.names), fm.names
    )


def algebra_name(basis: Basis, names: Sequence[str], extra: int = 0) -> str:
    """The algebra spanned by the named generators ``names`` (plus ``extra`` unnamed ones)."""
    found = set(names)
    parts: list[str] = []
    if basis.kind == "custom":
        rots = {g.name for g in basis.named if g.compact}
        if len(rots) > 1 and rots <= found:
            parts.append(f"so({basis.size}): every rotation of the features")
        elif len(found & rots) == 1:
            g = basis.named_by(next(iter(found & rots)))
            parts.append(f"so(2): {g.words}")
        elif found & rots:
            parts.append(", ".join(sorted(found & rots)))
    else:
        J = {"J_x", "J_y", "J_z"}
        K = {"K_x", "K_y", "K_z"}
        if found >= J | K:
            parts.append("so(1,3): the Lorentz algebra (3 rotations + 3 boosts)")
        elif found >= J:
            parts.append("so(3): all rotations")
            parts.extend(sorted(found & K))
        elif {"J_z", "K_z"} <= found and not (found & (J | K)) - {"J_z", "K_z"}:
            parts.append("so(2) + so(1,1): rotations about the beam axis and boosts along it")
        elif found in ({"J_z"}, {"J_z", "D"}):
            parts.append("so(2): rotations about the beam axis")
        elif found & (J | K):
            parts.append(", ".join(sorted(found & (J | K))))
    if "D" in found:
        parts.append("dilations")
    if extra:
        parts.append(f"{extra} unnamed generator{'s' if extra > 1 else ''}")
    return " + ".join(parts) if parts else "none"
