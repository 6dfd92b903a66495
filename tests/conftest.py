from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
EXTERNAL = DATA / "external"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def split_ee(tmp_path: Path) -> Callable[[int, int], list[Path]]:
    """``split_ee(n_files, per_file)``: the first ``n_files x per_file`` events of the
    shipped e+e- sample, in ``n_files`` gzipped LHE files of ``tmp_path``."""

    def split(n_files: int, per_file: int) -> list[Path]:
        text = gzip.decompress((DATA / "ee_mumu_80GeV.lhe.gz").read_bytes()).decode()
        head_end = text.index("<event>")
        header, body = text[:head_end], text[head_end:]
        events = [e + "</event>\n" for e in body.split("</event>\n")[:-1]]
        paths = []
        for i in range(n_files):
            chunk = "".join(events[i * per_file : (i + 1) * per_file])
            path = tmp_path / f"ee_{i:02d}.lhe.gz"
            path.write_bytes(gzip.compress((header + chunk + "</LesHouchesEvents>\n").encode()))
            paths.append(path)
        return paths

    return split


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
