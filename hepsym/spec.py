"""The study specification: everything a run of hepsym is asked to do, in one frozen value.

A :class:`StudySpec` is built once, by the command line from its options or by the user
(``StudySpec().with_options(select="mu+ mu-", ensemble=5)``), and every stage reads its
own section of it:

* :class:`InputSpec`: what to read, which particles, which features, and the **initial
  state** (:meth:`InputSpec.beams_for` is the one place where the user's ``sqrt_s`` /
  ``collider`` / ``beams`` meet what the file says);
* :class:`ConstraintSpec`: the user's constraints, exclusions and resonances, and the
  numbers of the verdict (:class:`Thresholds`) and of the rank;
* :class:`LearnSpec`: the VAE ensemble (:class:`VAEConfig`), its seed and where it runs;
* ``out``: where a report goes.

The result of a study records the specification it ran (``settings`` in its JSON), with
what hepsym chose by itself filled in. This module imports no stage: it sits below them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from hepsym._spec_base import problem, with_fields
from hepsym.constraint_spec import ConstraintSpec, Thresholds
from hepsym.discover_spec import DiscoverSpec
from hepsym.input_spec import COLLIDERS, FEATURE_KINDS, InputSpec
from hepsym.learn_spec import ACTIVATIONS, LearnSpec, VAEConfig
from hepsym.scale_spec import ScaleSpec

__all__ = (
    "ACTIVATIONS",
    "COLLIDERS",
    "FEATURE_KINDS",
    "ConstraintSpec",
    "DiscoverSpec",
    "InputSpec",
    "LearnSpec",
    "ScaleSpec",
    "StudySpec",
    "Thresholds",
    "VAEConfig",
    "with_fields",
)


#: flat option name -> (section, field); ``epochs``, ``latent`` and ``hidden`` go to the VAE
_OPTIONS: dict[str, tuple[str, str]] = {
    **{f.name: ("input", f.name) for f in dataclasses.fields(InputSpec)},
    **{f.name: ("constraints", f.name) for f in dataclasses.fields(ConstraintSpec)},
    **{f.name: ("learn", f.name) for f in dataclasses.fields(LearnSpec)},
    **{f.name: ("scale", f.name) for f in dataclasses.fields(ScaleSpec)},
    **{f.name: ("discovery", f.name) for f in dataclasses.fields(DiscoverSpec)},
    **{name: ("vae", name) for name in ("epochs", "latent", "hidden")},
    "out": ("study", "out"),
    "discover": ("study", "discover"),
    "symmetries": ("study", "symmetries"),
}


@dataclass(frozen=True)
class StudySpec:
    """One whole study: input, constraints, learning and output (see the module docstring).

    Attributes:
        input: what to read and study.
        constraints: which constraints to test and how.
        learn: the VAE ensemble.
        out: folder for the report (``None``: none written).
        discover: also find the polynomial relations from the data alone
            (:func:`hepsym.discover`).
        symmetries: also find the symmetries of the surface and of the distribution
            (:func:`hepsym.symmetries`).
        scale: where the files are read (in process, or on a Dask cluster).
        discovery: how far the search for relations goes (``discover`` turns it on).
    """

    input: InputSpec = field(default_factory=InputSpec)
    constraints: ConstraintSpec = field(default_factory=ConstraintSpec)
    learn: LearnSpec = field(default_factory=LearnSpec)
    scale: ScaleSpec = field(default_factory=ScaleSpec)
    discovery: DiscoverSpec = field(default_factory=DiscoverSpec)
    out: str | None = None
    discover: bool = True
    symmetries: bool = True

    def __post_init__(self) -> None:
        if self.out is not None and not str(self.out).strip():
            msg = "the output folder name is empty"
            raise problem(msg)

    @property
    def seed(self) -> int:
        """The study's seed (ensemble and constraint sampling)."""
        return self.learn.seed

    def with_options(self, **options: Any) -> StudySpec:
        """A copy with options given by their flat names (``select=``, ``ensemble=``, ...).

        Every field of :class:`InputSpec`, :class:`ConstraintSpec` and :class:`LearnSpec` is
        an option, and ``epochs``, ``latent``, ``hidden`` set those of the VAE. ``None``
        leaves a setting as it is.

        Raises:
            OptionError: an unknown option, or a value out of range.
        """
        unknown = sorted(k for k in options if k not in _OPTIONS)
        if unknown:
            msg = (
                f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_OPTIONS))}"
            )
            raise problem(msg)
        sections: dict[str, dict[str, Any]] = {}
        for name, value in options.items():
            if value is None:
                continue
            section, key = _OPTIONS[name]
            sections.setdefault(section, {})[key] = value
        learn = sections.pop("learn", {})
        vae = dataclasses.replace(learn.pop("vae", self.learn.vae), **sections.pop("vae", {}))
        return dataclasses.replace(
            self,
            input=dataclasses.replace(self.input, **sections.pop("input", {})),
            constraints=dataclasses.replace(self.constraints, **sections.pop("constraints", {})),
            learn=dataclasses.replace(self.learn, vae=vae, **learn),
            scale=dataclasses.replace(self.scale, **sections.pop("scale", {})),
            discovery=dataclasses.replace(self.discovery, **sections.pop("discovery", {})),
            **sections.pop("study", {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The specification as JSON values (the ``settings`` of a result)."""
        return {
            "input": self.input.to_dict(),
            "constraints": self.constraints.to_dict(),
            "learn": self.learn.to_dict(),
            "scale": self.scale.to_dict(),
            "discovery": self.discovery.to_dict(),
            "out": self.out,
            "discover": self.discover,
            "symmetries": self.symmetries,
        }
