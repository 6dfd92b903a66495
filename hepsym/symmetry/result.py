"""The settings and the result of a symmetry study: JSON, text, and the physics in words."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hepsym.errors import OptionError

__all__ = ("DensityTest", "SupportSymmetry", "SymmetryResult", "SymmetrySpec")


#: the command-line option of each setting that has one
_CLI = {"n_test": "--n-test", "n_perm": "--permutations", "alpha": "--alpha", "seed": "--seed"}


def _option(name: str) -> str:
    return f"{name} ({_CLI[name]})" if name in _CLI else name


@dataclass(frozen=True)
class SymmetrySpec:
    """How symmetries are searched for.

    Attributes:
        n_sample: events on which the tangency conditions are evaluated.
        rtol: a generator is tangent to the surface when its residual (relative change of
            the constraints per unit generator, rms over the conditions) is at most rtol.
        n_test: events per half in a two-sample test (two disjoint halves of the data).
        n_perm: permutations of a test; the smallest p-value is 1 / (n_perm + 1), and
            (n_perm + 1) x alpha must be at least 4 so that a breaking can be seen.
        alpha: the rule: a map is a symmetry of the distribution iff p >= alpha.
        angle: rotations turn by +- this many radians (a generic angle: 1 rad is
            incommensurate with 2 pi, so invariance under it is invariance under the
            dense subgroup it generates, hence under every rotation).
        rapidity: boosts shift the rapidity by +- this; dilations scale by exp(+- this).
        rel_step: relative finite-difference step of the constraints' gradients.
        seed: seed of every random choice (samples, angles, permutations).
    """

    n_sample: int = 200
    rtol: float = 1e-4
    n_test: int = 1000
    n_perm: int = 500
    alpha: float = 0.01
    angle: float = 1.0
    rapidity: float = 1.0
    rel_step: float = 1e-5
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_sample", "n_test", "n_perm"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                msg = f"symmetries: {_option(name)} must be a positive integer, got {value!r}"
                raise OptionError(msg)
        if not 0 < self.alpha < 1:
            msg = f"symmetries: alpha (--alpha) must lie in (0, 1), got {self.alpha!r}"
            raise OptionError(msg)
        if (self.n_perm + 1) * self.alpha < 4:
            # the min-P p-value cannot fall below 2 / (n_perm + 1): leave room under alpha
            need = math.ceil(4 / self.alpha) - 1
            msg = (
                f"symmetries: n_perm (--permutations) = {self.n_perm} is too few for alpha = "
                f"{self.alpha:g}: p could never fall below alpha; use at least {need}"
            )
            raise OptionError(msg)
        for name in ("rtol", "angle", "rapidity", "rel_step"):
            if not getattr(self, name) > 0:
                msg = f"symmetries: {name} must be positive, got {getattr(self, name)!r}"
                raise OptionError(msg)

    def with_options(self, **options: Any) -> SymmetrySpec:
        try:
            return dataclasses.replace(self, **options)
        except TypeError as err:
            msg = f"unknown symmetry option: {err}"
            raise OptionError(msg) from err

    def rule(self) -> str:
        return (
            f"a map is a symmetry of the distribution iff the min-P permutation "
            f"test (energy distance and Gaussian-kernel MMD) gives p >= {self.alpha:g} ({self.n_perm} permutations, {self.n_test} + "
            f"{self.n_test} events); a generator is one of the surface iff its residual "
            f"<= {self.rtol:g}"
        )


@dataclass(frozen=True)
class SupportSymmetry:
    """A generator tangent to the events' surface."""

    name: str
    words: str
    generator: np.ndarray
    residual: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "words": self.words,
            "generator": np.round(self.generator, 12).tolist(),
            "residual": self.residual,
        }


@dataclass(frozen=True)
class DensityTest:
    """One two-sample test: the original events against their transformed copies.

    Attributes:
        name, words: the map (``J_z``, ``mu- <-> mu+``) and what it does.
        transform: the finite transformation applied, with its range.
        statistic: the energy distance of the standardised samples.
        mmd2: the Gaussian-kernel MMD^2.
        p_value: the min-P permutation p-value of the two.
        symmetric: ``p_value >= alpha``.
        n_events: events in the two halves together.
    """

    name: str
    words: str
    transform: str
    statistic: float
    mmd2: float
    p_value: float
    symmetric: bool
    n_events: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SymmetryResult:
    """The symmetries of the surface and of the distribution of one feature matrix.

    Attributes:
        source, features, kind, n_events: what was studied.
        support: the generators tangent to the surface (named ones, then unnamed).
        support_algebra: their algebra in words (``"so(3): all rotations"``).
        support_note: why the surface test is empty, where it is.
        named_residuals: every named generator's residual.
        density: one test per continuous generator (support elements; all named ones
            when no constraint holds).
        density_algebra: the algebra of the named generators that pass.
        discrete: one test per discrete map.
        forward_backward: (A_FB, error, N) of the negative lepton, or ``None``.
        sentences: the physics in words.
        spec: the settings; timings: seconds per step.
    """

    source: str
    features: tuple[str, ...]
    kind: str
    n_events: int
    support: tuple[SupportSymmetry, ...]
    support_algebra: str
    support_note: str
    named_residuals: dict[str, float]
    density: tuple[DensityTest, ...]
    density_algebra: str
    discrete: tuple[DensityTest, ...]
    forward_backward: tuple[float, float, int] | None
    sentences: tuple[str, ...]
    spec: SymmetrySpec = field(default_factory=SymmetrySpec)
    timings: dict[str, float] = field(default_factory=dict)

    def test(self, name: str) -> DensityTest:
        """The density or discrete test called ``name``."""
        for t in (*self.density, *self.discrete):
            if t.name == name:
                return t
        names = ", ".join(t.name for t in (*self.density, *self.discrete))
        msg = f"no symmetry test {name!r}; tests are {names}"
        raise OptionError(msg)

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON-ready: the public keys of ``hepsym symmetries --json``."""
        fb = self.forward_backward
        return {
            "source": self.source,
            "features": list(self.features),
            "kind": self.kind,
            "n_events": self.n_events,
            "support_algebra": self.support_algebra,
            "support_note": self.support_note,
            "support_symmetries": [s.to_dict() for s in self.support],
            "named_residuals": dict(self.named_residuals),
            "density_algebra": self.density_algebra,
            "density_symmetries": [t.to_dict() for t in self.density],
            "discrete": [t.to_dict() for t in self.discrete],
            "forward_backward": None
            if fb is None
            else {"A_FB": fb[0], "error": fb[1], "n_events": fb[2]},
            "sentences": list(self.sentences),
            "rule": self.spec.rule(),
            "settings": dataclasses.asdict(self.spec),
            "timings": dict(self.timings),
        }

    def __str__(self) -> str:
        lines = [
            (
                f"symmetries of {self.source or '<features>'}: {self.n_events} events, "
                f"{len(self.features)} features ({self.kind})"
            ),
            "",
            f"surface: {self.support_algebra}"
            + (f" ({self.support_note})" if self.support_note else ""),
        ]
        for s in self.support:
            lines.append(f"  {s.name:<10} {s.words:<40} residual {s.residual:.1e}")
        lines += ["", f"distribution: {self.density_algebra}"]
        head = (
            f"  {'map':<18} {'transformation':<44} {'energy':>9} {'MMD^2':>9} {'p':>7}  symmetric"
        )
        lines += [head, "  " + "-" * (len(head) - 2)]
        for t in (*self.density, *self.discrete):
            lines.append(
                f"  {t.name:<18} {t.transform:<44} {t.statistic:>9.2e} {t.mmd2:>9.2e} {t.p_value:>7.3f}  "
                f"{'yes' if t.symmetric else 'no'}"
            )
        lines += ["", *self.sentences, "", f"rule: {self.spec.rule()}"]
        return "\n".join(lines)
