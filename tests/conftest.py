from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
EXTERNAL = DATA / "external"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def two_body_events():
    """Isotropic e+e- -> mu+ mu- at sqrt(s) = 80 GeV with massive muons, built in numpy."""
    from hepsym.events import Beams, Events, make_particles

    rng = np.random.default_rng(7)
    n, sqrt_s, m = 500, 80.0, 0.1056583755
    p = np.sqrt(sqrt_s**2 / 4 - m**2)
    cos = rng.uniform(-1, 1, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    sin = np.sqrt(1 - cos**2)
    d = np.stack([sin * np.cos(phi), sin * np.sin(phi), cos], axis=1) * p
    e = np.sqrt(p**2 + m**2)
    px = np.stack([d[:, 0], -d[:, 0]], axis=1).ravel()
    py = np.stack([d[:, 1], -d[:, 1]], axis=1).ravel()
    pz = np.stack([d[:, 2], -d[:, 2]], axis=1).ravel()
    pid = np.tile([13, -13], n)
    parts = make_particles(
        {
            "px": px,
            "py": py,
            "pz": pz,
            "E": np.full(2 * n, e),
            "pid": pid,
            "status": np.ones(2 * n, dtype=np.int64),
            "charge": -np.sign(pid).astype(float),
        },
        counts=np.full(n, 2),
    )
    return Events(parts, np.ones(n), Beams.symmetric(sqrt_s), source="two-body", format="generated")
