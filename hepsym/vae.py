"""The paper's variational autoencoder, trained as a batched ensemble.

An ensemble of M small VAEs is trained as *one* model: every weight matrix is
stacked to shape ``(M, in, out)`` and applied with :func:`torch.baddbmm`, so one
optimizer step updates all members at once. Small MLPs on a CPU are dominated by
per-call overhead, not arithmetic, so M members cost little more than one.

The members do not interact: each has its own seed, which fixes its initial
weights, its own shuffling of the events in every epoch and its own
reparameterisation noise. The loss is the sum of the members' losses, so each
member's gradient depends on its own loss only, and Adam's state is per element
(no gradient clipping, no weight decay), so member k of an ensemble follows the
same trajectory as member k trained alone with the same seed (tested).

Loss (paper eq. 3.1-3.2), per member, on a batch of N events::

    L = 1/N sum_i ||x_i - x^_i||^2  +  beta * (-1/(2N)) sum_i sum_j (1 + log s2_ij - mu_ij^2 - s2_ij)
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import torch

from hepsym.errors import LearnError
from hepsym.spec import VAEConfig

__all__ = (
    "Ensemble",
    "VAEConfig",
    "check_memory",
    "member_seeds",
    "memory_estimate",
    "train_ensemble",
)

_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "silu": torch.nn.functional.silu}
_FORMAT = "hepsym-vae-ensemble/1"


def memory_estimate(n_events: int, n_features: int, cfg: VAEConfig, members: int) -> int:
    """Bytes an ensemble needs at its peak, from its sizes (an upper estimate, about 2x).

    Weights with their gradients and Adam's two moments, the activations of one batch, and
    the per-event tensors of every member: the epoch's noise (float32) and the posterior
    means and widths on all events (float64), with their sorted copies for correlations.
    """
    latent = cfg.latent_for(n_features)
    widths = [n_features, *cfg.hidden, 2 * latent]
    encoder = sum((a + 1) * b for a, b in itertools.pairwise(widths))
    back = [latent, *reversed(cfg.hidden), n_features]
    decoder = sum((a + 1) * b for a, b in itertools.pairwise(back))
    weights = 4 * 4 * (encoder + decoder)
    batch = 4 * 4 * min(cfg.batch_size, n_events) * (sum(widths) + sum(back))
    per_event = n_events * latent * (4 + 8 * 2 * 2)
    return members * (weights + batch + per_event) + 8 * 4 * n_events * n_features


def _available_memory() -> int | None:
    """Bytes the system can give us now (Linux ``MemAvailable``), ``None`` where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(n_events: int, n_features: int, cfg: VAEConfig, members: int) -> None:
    """Refuse, with the numbers, an ensemble that cannot fit in the memory available.

    Raises:
        LearnError: the estimate (:func:`memory_estimate`) exceeds what is available.
    """
    need, have = memory_estimate(n_events, n_features, cfg, members), _available_memory()
    if have is not None and need > have:
        msg = (
            f"{members} VAEs (hidden {list(cfg.hidden)}, latent "
            f"{cfg.latent_for(n_features)}) on {n_events} events x {n_features} features "
            f"need about {need / 2**30:.1f} GiB of memory; {have / 2**30:.1f} GiB are "
            "available: use fewer members (--ensemble), smaller layers (--hidden) or fewer "
            "events (--max-events)"
        )
        raise LearnError(msg)


def member_seeds(seed: int, members: int) -> list[int]:
    """Independent per-member seeds derived from one ensemble seed.

    Uses :class:`numpy.random.SeedSequence`, so ensembles with seeds 0 and 1
    share no member, and member k's seed does not depend on the ensemble size.
    """
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(members)]


def _layer_sizes(n_features: int, latent: int, hidden: tuple[int, ...]) -> list[tuple[int, int]]:
    enc = [n_features, *hidden, 2 * latent]
    dec = [latent, *reversed(hidden), n_features]
    return [*itertools.pairwise(enc), *itertools.pairwise(dec)]


def _init_member(sizes: list[tuple[int, int]], gen: torch.Generator) -> list[torch.Tensor]:
    # torch.nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) for weights and biases.
    out = []
    for n_in, n_out in sizes:
        bound = 1.0 / math.sqrt(n_in)
        out.append((torch.rand(n_in, n_out, generator=gen) * 2 - 1) * bound)
        out.append((torch.rand(1, n_out, generator=gen) * 2 - 1) * bound)
    return out


class Ensemble:
    """M trained VAEs with stacked weights, the standardisation and the config.

    Attributes:
        config: The :class:`VAEConfig` used for training.
        seeds: One seed per member.
        mean: Per-feature shift applied before encoding (zeros if not standardised).
        scale: Per-feature divisor applied before encoding (ones if not standardised).
        params: Stacked weights and biases, ``(M, in, out)`` and ``(M, 1, out)``, encoder first.
        history: ``{"recon": (M, epochs), "kl": (M, epochs)}`` mean training losses per epoch.
    """

    def __init__(
        self,
        config: VAEConfig,
        seeds: Sequence[int],
        mean: np.ndarray,
        scale: np.ndarray,
        params: list[torch.Tensor],
        history: dict[str, np.ndarray],
    ) -> None:
        self.config = config
        self.seeds = [int(s) for s in seeds]
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.params = params
        self.history = history
        self.n_features = self.mean.shape[0]
        self.latent = config.latent_for(self.n_features)
        self._n_enc = 2 * (len(config.hidden) + 1)

    @property
    def members(self) -> int:
        """Number of ensemble members."""
        return len(self.seeds)

    def __repr__(self) -> str:
        return (
            f"Ensemble(members={self.members}, features={self.n_features}, "
            f"latent={self.latent}, hidden={self.config.hidden})"
        )

    def encode(self, X: np.ndarray, *, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means and widths of every member on raw (unstandardised) data.

        Args:
            X: ``(n_events, n_features)`` array in the units used for training.
            chunk: Events per forward pass (bounds memory).

        Returns:
            ``(mu, sigma)``, each ``(members, n_events, latent)`` float64.

        Raises:
            LearnError: If ``X`` has the wrong number of columns.
        """
        X = self._checked(X)
        Z = torch.from_numpy((X - self.mean) / self.scale).float()
        dev = self.params[0].device
        mus, sigmas = [], []
        with torch.no_grad():
            for i in range(0, len(Z), chunk):
                xb = Z[i : i + chunk].to(dev).expand(self.members, -1, -1)
                mu, logvar = _encode(self.params[: self._n_enc], xb, self.config.activation)
                mus.append(mu.double().cpu())
                sigmas.append(torch.exp(0.5 * logvar.double()).cpu())
        if len(mus) == 1:  # one chunk: no copy
            return mus[0].numpy(), sigmas[0].numpy()
        return torch.cat(mus, 1).numpy(), torch.cat(sigmas, 1).numpy()

    def posterior_sums(self, X: np.ndarray, *, chunk: int = 2048) -> np.ndarray:
        """Per member and latent, the sums over the events of ``X`` of mu, mu^2, sigma and
        the KL terms mu^2 + sigma^2 - 1 - log sigma^2: ``(4, members, latent)`` float64.

        What :func:`~hepsym.relevance.relevance_from_sums` turns into relevances and KL,
        and what partitions of the events add up. Memory is one chunk whatever the number
        of events; the chunk keeps each layer's activations (members x chunk x width,
        float32) in the CPU's cache, and the sums are taken in torch, in float64: 10^6
        events in half the time of :meth:`encode` and numpy's sums in chunks of 8192.

        Raises:
            LearnError: If ``X`` has the wrong number of columns.
        """
        X = self._checked(X)
        Z = torch.from_numpy(((X - self.mean) / self.scale).astype(np.float32))
        dev = self.params[0].device
        sums = torch.zeros(4, self.members, self.latent, dtype=torch.float64, device=dev)
        with torch.inference_mode():
            for i in range(0, len(Z), chunk):
                xb = Z[i : i + chunk].to(dev).expand(self.members, -1, -1)
                mu, logvar = _encode(self.params[: self._n_enc], xb, self.config.activation)
                mu, logvar = mu.double(), logvar.double()
                sigma = torch.exp(0.5 * logvar)
                mu2 = mu * mu
                sums[0] += mu.sum(1)
                sums[1] += mu2.sum(1)
                sums[2] += sigma.sum(1)
                sums[3] += (mu2 + sigma * sigma - 1 - logvar).sum(1)
        return sums.cpu().numpy()

    def _checked(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            msg = f"encode: expected an (n, {self.n_features}) array, got shape {X.shape}"
            raise LearnError(msg)
        return X

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write weights, standardisation, seeds, config and history to ``path`` (torch format)."""
        state = {
            "format": _FORMAT,
            "config": self.config.to_dict(),
            "seeds": self.seeds,
            "mean": torch.from_numpy(self.mean),
            "scale": torch.from_numpy(self.scale),
            "params": [p.detach().cpu() for p in self.params],
            "history": {k: torch.from_numpy(v) for k, v in self.history.items()},
        }
        torch.save(state, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str = "cpu") -> Ensemble:
        """Read an ensemble written by :meth:`save`.

        Raises:
            LearnError: If the file is missing or not a hepsym ensemble.
        """
        try:
            state = torch.load(Path(path), map_location=device, weights_only=True)
        except (OSError, RuntimeError, EOFError) as err:
            msg = f"{path}: cannot read a saved VAE ensemble ({err})"
            raise LearnError(msg) from err
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            msg = f"{path}: not a hepsym VAE ensemble (expected format {_FORMAT!r})"
            raise LearnError(msg)
        cfg = dict(state["config"])
        cfg["hidden"] = tuple(cfg["hidden"])
        return cls(
            VAEConfig(**cfg),
            state["seeds"],
            state["mean"].numpy(),
            state["scale"].numpy(),
            list(state["params"]),
            {k: v.numpy() for k, v in state["history"].items()},
        )


def _mlp(params: Sequence[torch.Tensor], x: torch.Tensor, act: str) -> torch.Tensor:
    f = _ACTIVATIONS[act]
    n = len(params) // 2
    for i in range(n):
        x = torch.baddbmm(params[2 * i + 1], x, params[2 * i])
        if i < n - 1:
            x = f(x)
    return x


def _encode(
    enc: Sequence[torch.Tensor], x: torch.Tensor, act: str
) -> tuple[torch.Tensor, torch.Tensor]:
    h = _mlp(enc, x, act)
    latent = h.shape[-1] // 2
    return h[..., :latent], h[..., latent:]


class _Adam:
    """Adam (Kingma & Ba, torch's defaults: betas 0.9, 0.999, eps 1e-8) on one flat tensor.

    Every weight of every member lives in one buffer, so a step is one call of torch's
    fused Adam kernel (six elementwise operations where it does not run), where
    ``torch.optim.Adam`` (fused) spent ~0.4 ms of Python per step on twelve tensors:
    with the gather below, 8 members on 2x10^4 events (20 epochs, one thread) trained in
    7.5 s instead of 13.2 s; the fused kernel took 6-7% off that again (10^4 events,
    8 members: 1.62 s against 1.72-1.75 s, back to back).
    Elementwise like torch's, so the members stay independent.
    """

    def __init__(self, flat: torch.Tensor, lr: float) -> None:
        self.flat, self.lr, self.t = flat, lr, 0
        self.m = torch.zeros_like(flat)
        self.v = torch.zeros_like(flat)
        self._steps = torch.zeros((), dtype=torch.float32, device=flat.device)
        self._fused = _fused_adam_works(flat.device)

    @torch.no_grad()
    def step(self) -> None:
        b1, b2, eps = _BETA1, _BETA2, _EPS
        g = self.flat.grad
        assert g is not None
        self.t += 1
        if self._fused:  # the same update in one pass (what torch.optim.Adam(fused=True) runs)
            self._steps += 1
            _fused_step(self.flat, g, self.m, self.v, self._steps, self.lr)
            self.flat.grad = None
            return
        self.m.lerp_(g, 1 - b1)
        self.v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (self.v.sqrt() / math.sqrt(1 - b2**self.t)).add_(eps)
        self.flat.addcdiv_(self.m, denom, value=-self.lr / (1 - b1**self.t))
        self.flat.grad = None


@functools.cache
def _fused_adam_works(device: torch.device) -> bool:
    """Whether torch's fused Adam kernel runs here (CPU from torch 2.4 on): one pass over
    the weights instead of six (8 members: 26 us a step against 51 us, measured)."""
    if not hasattr(torch, "_fused_adam_"):
        return False
    try:
        flat, grad, m, v = (torch.zeros(1, device=device) for _ in range(4))
        _fused_step(flat, grad, m, v, torch.ones((), device=device), 1e-3)
    except (RuntimeError, NotImplementedError, TypeError):
        return False
    return True


#: torch's Adam defaults, which both of :class:`_Adam`'s paths take.
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8


def _fused_step(
    flat: torch.Tensor,
    grad: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    steps: torch.Tensor,
    lr: float,
) -> None:
    torch._fused_adam_(
        [flat], [grad], [m], [v], [], [steps],
        lr=lr, beta1=_BETA1, beta2=_BETA2, weight_decay=0.0, eps=_EPS,
        amsgrad=False, maximize=False,
    )  # fmt: skip


def _views(flat: torch.Tensor, shapes: Sequence[torch.Size]) -> list[torch.Tensor]:
    """The stacked weights and biases, as views of the flat buffer (differentiable)."""
    sizes = [math.prod(shape) for shape in shapes]
    return [p.view(shape) for p, shape in zip(flat.split(sizes), shapes, strict=True)]


class _NoBar:
    """No progress bar: what a worker process trains with. (A tqdm bar, even disabled,
    creates a multiprocessing lock, whose semaphore a worker killed on Ctrl-C or SIGTERM
    leaves behind, and the resource tracker warns about at exit.)"""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def _bar(total: int, progress: bool) -> Any:
    """A tqdm bar over ``total`` member-epochs, or none."""
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="member-epoch", desc="VAE ensemble", leave=False)


#: batches whose events are gathered at once (one index over the members' orders; the
#: batches are then slices): 64 x 128 events x features, a few MB per member
_GATHER = 64


def train_ensemble(
    X: np.ndarray,
    config: VAEConfig,
    seeds: Sequence[int],
    *,
    device: str = "cpu",
    threads: int | None = None,
    progress: bool | None = None,
) -> Ensemble:
    """Train ``len(seeds)`` independent VAEs together as one batched model.

    Args:
        X: ``(n_events, n_features)`` float array, finite, no constant column
            (``hepsym.learn`` checks this and says what is wrong).
        config: Model and training settings.
        seeds: One seed per member; member k's initial weights, per-epoch event
            order and noise depend on ``seeds[k]`` only.
        device: ``"cpu"`` or ``"cuda"``.
        threads: Torch intra-op threads during training (restored afterwards);
            ``None`` means 1. Measured on the shared 2-core machine
            (``benchmarks/bench_vae.py --threads 2``): 2 threads made a
            15-member ensemble ~1.2x faster but single members up to 1.7x
            slower (thread hand-off on a busy core), so 1 is the safe default.
        progress: Show a tqdm bar over members x epochs; ``None`` means only
            when stderr is a terminal.

    Returns:
        The trained :class:`Ensemble`.

    Raises:
        LearnError: Too few events for a batch, no seeds, or an unavailable device.
    """
    X = np.asarray(X, dtype=np.float64)
    n, n_features = X.shape
    members = len(seeds)
    if members < 1:
        msg = "need at least one ensemble member (seed)"
        raise LearnError(msg)
    if n < 2 * config.batch_size:
        msg = (
            f"{n} events are too few for batch_size {config.batch_size}: "
            f"need at least {2 * config.batch_size} (2 batches)"
        )
        raise LearnError(msg)
    if device.startswith("cuda") and not torch.cuda.is_available():
        msg = f"device {device!r} requested but CUDA is not available; use device='cpu'"
        raise LearnError(msg)
    if config.standardize:
        mean, scale = X.mean(axis=0), X.std(axis=0)
    else:
        mean, scale = np.zeros(n_features), np.ones(n_features)
    epochs = config.epochs_for(n)
    config = dataclasses.replace(config, epochs=epochs)
    latent = config.latent_for(n_features)
    sizes = _layer_sizes(n_features, latent, config.hidden)
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    per_member = [_init_member(sizes, g) for g in gens]
    stacked = [torch.stack(ts).to(device) for ts in zip(*per_member, strict=True)]
    shapes = [p.shape for p in stacked]
    flat = torch.cat([p.reshape(-1) for p in stacked]).requires_grad_()
    n_enc = 2 * (len(config.hidden) + 1)
    data = torch.from_numpy((X - mean) / scale).float().to(device)
    opt = _Adam(flat, config.lr)
    history = {
        "recon": np.zeros((members, epochs)),
        "kl": np.zeros((members, epochs)),
    }
    bs, beta, act = config.batch_size, config.beta, config.activation
    if progress is None:
        progress = sys.stderr.isatty()
    old_threads = torch.get_num_threads()
    torch.set_num_threads(1 if threads is None else max(1, int(threads)))
    try:
        with _bar(members * epochs, progress) as bar:
            for epoch in range(epochs):
                perm = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(device)
                noise = torch.stack([torch.randn(n, latent, generator=g) for g in gens]).to(device)
                rec_sum = torch.zeros(members, device=device)
                kl_sum = torch.zeros(members, device=device)
                for start in range(0, n, bs):
                    if start % (_GATHER * bs) == 0:
                        block = data[perm[:, start : start + _GATHER * bs]]
                    at = start % (_GATHER * bs)
                    xb = block[:, at : at + bs]
                    params = _views(flat, shapes)
                    mu, logvar = _encode(params[:n_enc], xb, act)
                    std = torch.exp(0.5 * logvar)
                    z = mu + std * noise[:, start : start + bs]
                    xh = _mlp(params[n_enc:], z, act)
                    rec = (xh - xb).pow(2).sum(-1).mean(-1)
                    kl = -0.5 * (1 + logvar - mu.pow(2) - std * std).sum(-1).mean(-1)
                    (rec + beta * kl).sum().backward()
                    opt.step()
                    w = xb.shape[1]
                    rec_sum += rec.detach() * w
                    kl_sum += kl.detach() * w
                history["recon"][:, epoch] = (rec_sum / n).cpu().numpy()
                history["kl"][:, epoch] = (kl_sum / n).cpu().numpy()
                bar.update(members)
    finally:
        torch.set_num_threads(old_threads)
    params = [p.detach().clone() for p in _views(flat, shapes)]
    return Ensemble(config, seeds, mean, scale, params, history)
