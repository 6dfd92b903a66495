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
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hepsym.errors import LearnError, OptionError
from hepsym.events import Beams
from hepsym.io.options import HEPMC_STATUSES, ReadOptions

__all__ = (
    "ACTIVATIONS",
    "FEATURE_KINDS",
    "ConstraintSpec",
    "InputSpec",
    "LearnSpec",
    "StudySpec",
    "Thresholds",
    "VAEConfig",
    "with_fields",
)

#: the feature sets :func:`~hepsym.features.build_features` knows
FEATURE_KINDS = ("p3", "p4", "ptetaphim")
#: the VAE's hidden-layer activations
ACTIVATIONS = ("relu", "silu", "tanh")
#: the collider kinds a user may name
COLLIDERS = ("ee", "pp")


def _problem(msg: str) -> OptionError:
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
        raise _problem(msg)
    return dataclasses.replace(spec, **options)


@dataclass(frozen=True)
class InputSpec:
    """What to read and study: the file, the particles, the features, the initial state.

    ``None`` means "hepsym chooses, and says so": the selection from the file's content
    (:func:`~hepsym.selection.default_query`), the features from the beams (3-momenta at
    a lepton collider, 4-momenta otherwise), the beams from the file.

    Attributes:
        path: the event file (``None`` when the features are given directly).
        select: the particles, e.g. ``"mu+ mu-"``, ``"l+ l-"``.
        features: ``"p3"``, ``"p4"`` or ``"ptetaphim"``.
        sqrt_s: centre-of-mass energy in GeV of symmetric head-on beams.
        collider: ``"ee"`` (point-like beams: all of sqrt(s) enters) or ``"pp"``.
        beams: the whole initial state, instead of ``sqrt_s``/``collider``.
        max_events: read at most this many events.
        tree, collections, branches: ROOT: which tree, which collections, and an explicit
            branch mapping (see :func:`hepsym.read`).
        final_state, pt_min, eta_max: which candidates the selection considers.
        keep_duplicates: study repeated events too (default: only the distinct ones,
            since a repeated row has a nearest neighbour at distance 0).
        strict: an LHE file without its closing tag is an error, not a warning.
        drop_bad_events: drop events with invalid momenta (NaN, negative energy,
            space-like) and count them, instead of refusing the file.
        species: ROOT and Parquet: the species of collections without a PDG id branch,
            ``{"particle": "mu"}``.
        statuses: HepMC: the particle statuses read (default final state and beams).
    """

    path: str | None = None
    select: str | None = None
    features: str | None = None
    sqrt_s: float | None = None
    collider: str | None = None
    beams: Beams | None = None
    max_events: int | None = None
    tree: str | None = None
    collections: tuple[str, ...] | None = None
    branches: Mapping[str, Any] | None = None
    final_state: bool = True
    pt_min: float | None = None
    eta_max: float | None = None
    keep_duplicates: bool = False
    strict: bool = False
    drop_bad_events: bool = False
    species: Mapping[str, str | int] | None = None
    statuses: tuple[int, ...] | None = HEPMC_STATUSES

    def __post_init__(self) -> None:
        if self.path is not None:
            object.__setattr__(self, "path", str(self.path))
        if self.collections is not None:
            object.__setattr__(self, "collections", tuple(self.collections))
        if self.features is not None and self.features not in FEATURE_KINDS:
            msg = f"unknown features {self.features!r}; choose one of {', '.join(FEATURE_KINDS)}"
            raise _problem(msg)
        if self.collider is not None and self.collider not in COLLIDERS:
            msg = f"unknown collider {self.collider!r}; choose one of {', '.join(COLLIDERS)}"
            raise _problem(msg)
        if self.sqrt_s is not None and not (math.isfinite(self.sqrt_s) and self.sqrt_s > 0):
            msg = f"sqrt(s) must be a positive number of GeV, got {self.sqrt_s}"
            raise _problem(msg)
        if self.beams is not None and (self.sqrt_s is not None or self.collider is not None):
            msg = "give either beams or sqrt_s/collider, not both"
            raise _problem(msg)
        reading = self.reading()  # checks max_events, statuses
        object.__setattr__(self, "statuses", reading.statuses)

    def reading(self) -> ReadOptions:
        """What :func:`hepsym.read` is asked to read (the beams are set after reading)."""
        return ReadOptions(
            max_events=self.max_events,
            strict=self.strict,
            drop_bad_events=self.drop_bad_events,
            tree=self.tree,
            collections=self.collections,
            branches=self.branches,
            species=self.species,
            statuses=self.statuses,
        )

    def beams_for(self, file_beams: Beams | None) -> Beams | None:
        """The initial state the user asked for, or ``None`` to keep the file's.

        With only ``sqrt_s``, the file's beam particles are kept (default ``e+ e-``);
        with only ``collider``, the file's energies are kept.
        """
        if self.beams is not None:
            return self.beams
        if self.sqrt_s is None and self.collider is None:
            return None
        if self.collider is None and file_beams is not None and file_beams.ids is not None:
            ids = file_beams.ids
        else:
            ids = (2212, 2212) if self.collider == "pp" else (11, -11)
        sqrt_s = self.sqrt_s
        if sqrt_s is None:
            if file_beams is None or file_beams.sqrt_s is None:
                return Beams(ids=ids, energies=None)
            sqrt_s = file_beams.sqrt_s
        return Beams.symmetric(float(sqrt_s), ids=ids)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["beams"] = None if self.beams is None else self.beams.describe()
        d["collections"] = None if self.collections is None else list(self.collections)
        d["branches"] = None if self.branches is None else dict(self.branches)
        d["species"] = None if self.species is None else dict(self.species)
        d["statuses"] = None if self.statuses is None else list(self.statuses)
        return d


@dataclass(frozen=True)
class Thresholds:
    """The numbers that turn measurements into a verdict (all stated in the output).

    Attributes:
        rel_tol: exact means |g - c| <= rel_tol x the constraint's natural scale.
        exact_fraction: fraction of events that must be within ``rel_tol`` for "exact".
        n_widths: an approximate constraint's tolerance, in units of its width.
        approx_fraction: fraction of events that must be within ``n_widths`` widths.
        max_spread_ratio: largest std(g) / std(g shuffled) for "approximate".
    """

    rel_tol: float = 1e-6
    exact_fraction: float = 0.99
    n_widths: float = 3.0
    approx_fraction: float = 0.5
    max_spread_ratio: float = 0.25

    def to_dict(self) -> dict[str, float]:
        """The thresholds as a JSON object."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ConstraintSpec:
    """Which candidate constraints to test, and how to judge and count them.

    Attributes:
        extra: the user's constraints: expressions over feature names
            (``"x1**2 + x2**2 = 100"``), :class:`~hepsym.constraints.Constraint` objects,
            callables or mappings (see :func:`~hepsym.constraints.user_constraint`).
        exclude: names (``"m_Z"``) or kinds (``"resonance"``) of candidates to drop.
        resonances: ``None``: from the content; names (``["Z", "H"]``); a mapping of
            names to particle labels; ``[]``: none.
        sphere: propose "sum of squares of all features = constant" (default: only for
            custom features).
        thresholds: the verdict's thresholds.
        n_sample: events on which the Jacobian is evaluated.
        rel_step: relative finite-difference step of the Jacobian.
        rank_rtol: relative singular-value tolerance of the rank.
        zero_tol: a gradient below this (per feature rms, in units of the constraint's
            scale) means the constraint does not act on the features.
        min_events: fewest events accepted.
    """

    extra: tuple[Any, ...] = ()
    exclude: tuple[str, ...] = ()
    resonances: Sequence[str] | Mapping[str, Sequence[str]] | None = None
    sphere: bool | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    n_sample: int = 200
    rel_step: float = 1e-5
    rank_rtol: float = 1e-6
    zero_tol: float = 1e-6
    min_events: int = 20

    def __post_init__(self) -> None:
        if isinstance(self.extra, (str, Mapping)) or callable(self.extra):
            object.__setattr__(self, "extra", (self.extra,))
        else:
            object.__setattr__(self, "extra", tuple(self.extra))
        exclude = (self.exclude,) if isinstance(self.exclude, str) else tuple(self.exclude)
        object.__setattr__(self, "exclude", exclude)
        if self.n_sample < 1 or self.min_events < 1:
            msg = f"n_sample and min_events must be at least 1, got {self.n_sample}, {self.min_events}"
            raise _problem(msg)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values (user constraints by their text or name)."""
        res = self.resonances
        return {
            "extra": [e if isinstance(e, str) else getattr(e, "name", repr(e)) for e in self.extra],
            "exclude": list(self.exclude),
            "resonances": None
            if res is None
            else (dict(res) if isinstance(res, Mapping) else list(res)),
            "sphere": self.sphere,
            "thresholds": self.thresholds.to_dict(),
            "n_sample": self.n_sample,
            "rel_step": self.rel_step,
            "rank_rtol": self.rank_rtol,
            "zero_tol": self.zero_tol,
            "min_events": self.min_events,
        }


@dataclass(frozen=True)
class VAEConfig:
    """Settings of one VAE and of its training; the defaults are hepsym's choice.

    The paper fixes beta = 0.1, Adam with lr = 1e-3 and 15-30 epochs; it states
    neither the hidden layers nor whether inputs are standardised. Measured with
    ``python examples/reproduce_toys.py --study`` (10^4 events, 20 epochs, 8
    members, latent 4 for the 2-D toys and 6 for the (p, -p) sphere; learned
    count and mean relevance per rank):

    * ``standardize=True`` is essential. On raw features the reconstruction
      term (errors of order R^2 = 100) swamps beta * KL: the sphere keeps all
      6 of 6 latents active (relevances 122 ... 14), and square and circle
      half-use a third latent (relevance ~4, only 62% of members give 2).
      Standardised: square 2, circle 2, sphere 3, every member agreeing.
    * ``hidden=(32, 32)`` against (64, 64) and (32,): the same counts on all
      three toys and on the e+e- -> mu+mu- sample (3 of 6); on pp -> Z -> mu mu
      (8 features, 8 members) (32, 32) gave 5 with 75% agreement, (64, 64) 5
      with 38%. Unused latents sit at relevance 0.02-0.09 with (32, 32),
      0.02-0.06 with (64, 64), 0.03-0.11 with (32,). (32, 32) takes about
      half the time of (64, 64): a 15-member ensemble is compute-bound.
    * ``batch_size=128`` (79 steps per epoch on 10^4 events): batch 64 gives
      the same counts and relevances within 5% at twice the time. Far fewer
      steps (a few hundred in all) leave surplus latents half-collapsed
      (relevance 0.5-1.5), which the rule then counts.
    * ``activation="relu"``.

    Args:
        hidden: Widths of the encoder's hidden layers; the decoder mirrors them.
        latent: Latent dimension; ``None`` means the number of features.
        beta: Weight of the KL term (paper: 0.1).
        epochs: Passes over the data (paper: 15-30).
        batch_size: Events per optimizer step.
        lr: Adam learning rate (paper: 1e-3).
        standardize: Shift and scale each feature to mean 0, std 1 before training.
        activation: ``"relu"``, ``"tanh"`` or ``"silu"``.
    """

    hidden: tuple[int, ...] = (32, 32)
    latent: int | None = None
    beta: float = 0.1
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    standardize: bool = True
    activation: str = "relu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        problems = []
        if self.latent is not None and self.latent < 1:
            problems.append(f"latent size must be >= 1, got {self.latent}")
        if any(h < 1 for h in self.hidden):
            problems.append(f"hidden layer sizes must be >= 1, got {self.hidden}")
        if self.epochs < 1:
            problems.append(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            problems.append(f"batch_size must be >= 1, got {self.batch_size}")
        if not self.beta >= 0:
            problems.append(f"beta must be >= 0, got {self.beta}")
        if not self.lr > 0:
            problems.append(f"lr must be > 0, got {self.lr}")
        if self.activation not in ACTIVATIONS:
            problems.append(
                f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}"
            )
        if problems:
            msg = "invalid VAEConfig: " + "; ".join(problems)
            raise LearnError(msg)

    def latent_for(self, n_features: int) -> int:
        """The latent dimension used for data with ``n_features`` columns."""
        return n_features if self.latent is None else self.latent

    def to_dict(self) -> dict[str, object]:
        """The settings as a JSON-serialisable dict."""
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d


@dataclass(frozen=True)
class LearnSpec:
    """The VAE ensemble: its size, its settings, its seed, and where it trains.

    Attributes:
        ensemble: number of independently seeded VAEs (paper: 15-20).
        vae: model and training settings.
        seed: the ensemble seed (member seeds from :func:`~hepsym.vae.member_seeds`);
            a study also seeds its constraint sampling with it.
        device: torch device, ``"cpu"`` or ``"cuda"``.
        threads: torch threads while training (default 1).
        progress: a progress bar (``None``: only on a terminal).
        geometric: also compute the model-free TwoNN estimate.
        train_events: train on a uniform sample of at most this many events (``None``: all),
            so that the cost does not grow with the file; relevances are measured on all.
        weighted: with weights that differ between events, train on events drawn with
            probability |weight| (the sign of negative weights is not carried).
    """

    ensemble: int = 15
    vae: VAEConfig = field(default_factory=VAEConfig)
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None
    progress: bool | None = None
    geometric: bool = True
    train_events: int | None = 20_000
    weighted: bool = True

    def __post_init__(self) -> None:
        if self.ensemble < 1:
            msg = f"ensemble must have at least 1 member, got {self.ensemble}"
            raise LearnError(msg)
        if not 0 <= self.seed < 2**32:
            msg = f"seed must be an integer from 0 to 2**32 - 1, got {self.seed}"
            raise _problem(msg)
        if self.train_events is not None and self.train_events < 2:
            msg = f"train_events must be at least 2, got {self.train_events}"
            raise _problem(msg)
        if self.threads is not None and self.threads < 1:
            msg = f"threads must be at least 1, got {self.threads}"
            raise _problem(msg)
        if not re.fullmatch(r"cpu|cuda(:\d+)?|mps", self.device):
            msg = f"unknown torch device {self.device!r}; use cpu, cuda, cuda:N or mps"
            raise _problem(msg)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["vae"] = self.vae.to_dict()
        return d


#: flat option name -> (section, field); ``epochs``, ``latent`` and ``hidden`` go to the VAE
_OPTIONS: dict[str, tuple[str, str]] = {
    **{f.name: ("input", f.name) for f in dataclasses.fields(InputSpec)},
    **{f.name: ("constraints", f.name) for f in dataclasses.fields(ConstraintSpec)},
    **{f.name: ("learn", f.name) for f in dataclasses.fields(LearnSpec)},
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
    """

    input: InputSpec = field(default_factory=InputSpec)
    constraints: ConstraintSpec = field(default_factory=ConstraintSpec)
    learn: LearnSpec = field(default_factory=LearnSpec)
    out: str | None = None
    discover: bool = True
    symmetries: bool = True

    def __post_init__(self) -> None:
        if self.out is not None and not str(self.out).strip():
            msg = "the output folder name is empty"
            raise _problem(msg)

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
            raise _problem(msg)
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
            **sections.pop("study", {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The specification as JSON values (the ``settings`` of a result)."""
        return {
            "input": self.input.to_dict(),
            "constraints": self.constraints.to_dict(),
            "learn": self.learn.to_dict(),
            "out": self.out,
            "discover": self.discover,
            "symmetries": self.symmetries,
        }
