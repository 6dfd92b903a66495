"""Reproduce the paper's toy studies (sec. 4.1) and measure the effect of hepsym's defaults.

Run::

    python examples/reproduce_toys.py                  # square, circle, sphere; 15 members
    python examples/reproduce_toys.py --dataset circle --ensemble 20 --json
    python examples/reproduce_toys.py --study          # defaults against alternatives

The toys are made here (10^4 events, R = 10): a uniform square [-R, R]^2, a
uniform circle x1^2 + x2^2 = R^2 (latent 4, as in the paper), and an
e+e- -> mu+mu- like sphere: features (p, -p) with |p| = 40 uniform in
direction (6 features, latent 6; manifold dimension 2, embedding dimension 3).
The settings are the same for every dataset; nothing is tuned per dataset.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

from hepsym import learn
from hepsym.vae import VAEConfig


def make(name: str, n: int = 10_000, seed: int = 0) -> tuple[np.ndarray, list[str], int]:
    """A toy dataset, its feature names and the latent size the paper uses."""
    rng = np.random.default_rng(seed)
    if name == "square":
        return rng.uniform(-10, 10, size=(n, 2)), ["x1", "x2"], 4
    if name == "circle":
        phi = rng.uniform(0, 2 * np.pi, n)
        return 10 * np.c_[np.cos(phi), np.sin(phi)], ["x1", "x2"], 4
    if name == "sphere":
        v = rng.normal(size=(n, 3))
        p = 40 * v / np.linalg.norm(v, axis=1, keepdims=True)
        names = ["px1", "py1", "pz1", "px2", "py2", "pz2"]
        return np.c_[p, -p], names, 6
    msg = f"unknown toy {name!r}"
    raise ValueError(msg)


EXPECT = {  # manifold dimension, embedding dimension, paper's VAE count
    "square": (2, 2, 2),
    "circle": (1, 2, 1),
    "sphere": (2, 3, 3),
}


def study(ensemble: int, seed: int) -> None:
    """Learned counts and mean relevances for the default and alternative settings."""
    base = VAEConfig()
    variants = {
        "default (32, 32), standardised": {},
        "hidden (64, 64)": {"hidden": (64, 64)},
        "hidden (32,)": {"hidden": (32,)},
        "raw inputs": {"standardize": False},
        "batch 64": {"batch_size": 64},
    }
    for name in EXPECT:
        X, names, latent = make(name, seed=seed)
        for label, change in variants.items():
            cfg = dataclasses.replace(base, latent=latent, **change)
            t0 = time.perf_counter()
            res = learn(X, names, ensemble=ensemble, vae=cfg, seed=seed, geometric=False)
            dt = time.perf_counter() - t0
            rel = " ".join(f"{r:6.3f}" for r in res.relevance_mean)
            print(
                f"{name:7s} {label:32s} learned {res.learned_dim} "
                f"(agree {res.agreement:4.0%}) relevance [{rel}]  {dt:5.1f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="Reproduce the paper's toys with hepsym.")
    parser.add_argument("--dataset", choices=[*EXPECT, "all"], default="all")
    parser.add_argument("--ensemble", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object per dataset")
    parser.add_argument("--study", action="store_true", help="compare settings (8 members each)")
    args = parser.parse_args()
    if args.study:
        study(8, args.seed)
        return
    for name in EXPECT if args.dataset == "all" else [args.dataset]:
        X, names, latent = make(name, seed=args.seed)
        t0 = time.perf_counter()
        res = learn(X, names, ensemble=args.ensemble, vae=VAEConfig(latent=latent), seed=args.seed)
        dt = time.perf_counter() - t0
        manifold, embedding, paper = EXPECT[name]
        if args.json:
            print(json.dumps({"dataset": name, "seconds": round(dt, 2), **res.to_dict()}))
            continue
        print(
            f"=== {name}: manifold dimension {manifold}, embedding dimension {embedding}, "
            f"paper's VAE count {paper} ({dt:.1f} s)"
        )
        print(res)
        match = [
            w for w, d in (("manifold", manifold), ("embedding", embedding)) if d == res.learned_dim
        ]
        print(
            f"learned {res.learned_dim} matches: {' and '.join(match) or 'neither'} dimension; "
            f"paper {'agrees' if res.learned_dim == paper else 'differs'}\n"
        )


if __name__ == "__main__":
    main()
