"""The learning section: the VAE ensemble, its seed and where it runs."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hepsym._spec_base import problem
from hepsym.errors import LearnError

__all__ = ("ACTIVATIONS", "DEFAULT_EPOCHS", "LearnSpec", "VAEConfig")

#: passes over the training sample when no epochs are given (paper: 15-30)
DEFAULT_EPOCHS = 20

#: the VAE's hidden-layer activations
ACTIVATIONS = ("relu", "silu", "tanh")


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
        epochs: Passes over the training events (paper: 15-30); ``None``: a fixed budget,
            :data:`DEFAULT_EPOCHS` passes over a sample of ``LearnSpec.train_events``
            events (3140 optimiser steps at the defaults), whatever the file's size: a
            file with fewer events is passed over more often (:meth:`epochs_for`).
        batch_size: Events per optimizer step.
        lr: Adam learning rate (paper: 1e-3).
        standardize: Shift and scale each feature to mean 0, std 1 before training.
        activation: ``"relu"``, ``"tanh"`` or ``"silu"``.
    """

    hidden: tuple[int, ...] = (32, 32)
    latent: int | None = None
    beta: float = 0.1
    epochs: int | None = None
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
        if self.epochs is not None and self.epochs < 1:
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

    def epochs_for(self, n_events: int, sample: int | None = None, budget_batch: int = 0) -> int:
        """The epochs of training on ``n_events`` events where the sample is ``sample``.

        ``epochs`` where given. Otherwise a budget of optimiser steps: those of
        :data:`DEFAULT_EPOCHS` passes over ``sample`` events in batches of ``budget_batch``
        (default: ``batch_size``), taken in whole passes over the ``n_events`` events in
        batches of ``batch_size`` (:data:`DEFAULT_EPOCHS` passes where there are
        ``sample`` events or more, or ``sample`` is ``None``). The learned count depends
        on the steps taken: with 20 passes over the file, the shipped 10^4-event pp -> Z
        sample trained half the steps of a 10^6-event file's 2x10^4-event sample and
        counted 5 latents (47% of 15 members agreeing) where 10^5 and 10^6 events counted
        4 (60%); 40 passes over its 10^4 events count 4 (53%).
        """
        if self.epochs is not None:
            return self.epochs
        if sample is None or n_events >= sample:
            return DEFAULT_EPOCHS
        per_epoch = math.ceil(max(n_events, 1) / self.batch_size)
        return max(DEFAULT_EPOCHS, round(self.budget_steps(sample, budget_batch) / per_epoch))

    def budget_steps(self, sample: int, budget_batch: int = 0) -> int:
        """The optimiser steps of :data:`DEFAULT_EPOCHS` passes over ``sample`` events in
        batches of ``budget_batch`` (default: ``batch_size``): the default training budget."""
        return DEFAULT_EPOCHS * math.ceil(sample / (budget_batch or self.batch_size))

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
        threads: torch threads while training, per process (default 1).
        workers: processes the members are split over (contiguous groups, each batched;
            the same ensemble as one process trains; see :mod:`hepsym.vae_pool`);
            ``None``: one per core, at most one per 4 members (a small ensemble trains
            in this process).
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
    workers: int | None = None
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
            raise problem(msg)
        if self.train_events is not None and self.train_events < 2:
            msg = f"train_events must be at least 2, got {self.train_events}"
            raise problem(msg)
        w = self.workers
        if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 1):
            msg = f"workers must be an integer of at least 1, got {w!r}"
            raise problem(msg)
        if self.threads is not None and self.threads < 1:
            msg = f"threads must be at least 1, got {self.threads}"
            raise problem(msg)
        if not re.fullmatch(r"cpu|cuda(:\d+)?|mps", self.device):
            msg = f"unknown torch device {self.device!r}; use cpu, cuda, cuda:N or mps"
            raise problem(msg)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["vae"] = self.vae.to_dict()
        return d
