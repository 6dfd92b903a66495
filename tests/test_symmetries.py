"""Symmetries of the surface (linear algebra) and of the distribution (two-sample tests).

One rule for every data set: a map is a symmetry of the distribution iff p >= 0.01.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import hepsym
from hepsym.datasets import circle, square
from hepsym.events import Beams, Events, make_particles
from hepsym.features import FeatureMatrix
from hepsym.symmetry import SymmetryResult, SymmetrySpec, symmetries
from hepsym.symmetry.density import two_sample_test

DATA = Path(__file__).resolve().parent.parent / "data"
EE = str(DATA / "ee_mumu_80GeV.lhe.gz")
PP = str(DATA / "pp_zmumu_13TeV.lhe.gz")


def two_body(a_fb: float, n: int = 4000, seed: int = 3) -> FeatureMatrix:
    """e+e- -> mu- mu+ at 80 GeV with dsigma/dcos ~ 1 + cos^2 + (8/3) A_FB cos (mu- vs +z)."""
    rng = np.random.default_rng(seed)
    sqrt_s, m = 80.0, 0.1056583755
    b = 8.0 / 3.0 * a_fb
    cos = np.empty(0)
    while len(cos) < n:
        c = rng.uniform(-1, 1, 4 * n)
        keep = rng.uniform(0, 2 + abs(b), 4 * n) < 1 + c**2 + b * c
        cos = np.concatenate([cos, c[keep]])
    cos = cos[:n]
    phi = rng.uniform(0, 2 * np.pi, n)
    p = np.sqrt(sqrt_s**2 / 4 - m**2)
    sin = np.sqrt(1 - cos**2)
    d = np.stack([sin * np.cos(phi), sin * np.sin(phi), cos], axis=1) * p
    pid = np.tile([13, -13], n)
    parts = make_particles(
        {
            "px": np.stack([d[:, 0], -d[:, 0]], axis=1).ravel(),
            "py": np.stack([d[:, 1], -d[:, 1]], axis=1).ravel(),
            "pz": np.stack([d[:, 2], -d[:, 2]], axis=1).ravel(),
            "E": np.full(2 * n, np.sqrt(p**2 + m**2)),
            "pid": pid,
            "status": np.ones(2 * n, dtype=np.int64),
            "charge": -np.sign(pid).astype(float),
        },
        counts=np.full(n, 2),
    )
    events = Events(parts, np.ones(n), Beams.symmetric(sqrt_s), source=f"1+cos^2, A_FB={a_fb}")
    return hepsym.build_features(hepsym.select(events, "mu- mu+"), "p3")


@pytest.fixture(scope="module")
def circle_result() -> SymmetryResult:
    return symmetries(circle().features())


@pytest.fixture(scope="module")
def square_result() -> SymmetryResult:
    return symmetries(square().features())


@pytest.fixture(scope="module")
def ee_result() -> SymmetryResult:
    return symmetries(EE)


@pytest.fixture(scope="module")
def pp_result() -> SymmetryResult:
    return symmetries(PP)


def names(result: SymmetryResult) -> set[str]:
    return {s.name for s in result.support}


def symmetric(result: SymmetryResult) -> set[str]:
    return {t.name for t in (*result.density, *result.discrete) if t.symmetric}


def test_circle_support_so2_and_density_symmetric(circle_result: SymmetryResult) -> None:
    r = circle_result
    assert names(r) == {"R_12"}
    assert r.support_algebra.startswith("so(2)")
    assert r.test("R_12").symmetric
    assert {"x1 <-> x2", "x1 -> -x1", "x2 -> -x2"} <= symmetric(r)


def test_square_surface_test_empty_discrete_found(square_result: SymmetryResult) -> None:
    r = square_result
    assert r.support == ()
    assert "surface test is empty" in r.support_note
    assert not r.test("R_12").symmetric  # rotation by a generic angle: broken
    assert not r.test("D").symmetric
    assert r.density_algebra == "none"
    assert symmetric(r) == {"x1 <-> x2", "x1 -> -x1", "x2 -> -x2"}


def test_ee_support_so3_density_so2_afb(ee_result: SymmetryResult) -> None:
    r = ee_result
    assert names(r) == {"J_x", "J_y", "J_z"}  # boosts excluded by the fixed energy
    assert r.support_algebra.startswith("so(3)")
    assert r.test("J_z").symmetric
    assert not r.test("J_x").symmetric
    assert not r.test("J_y").symmetric
    assert not r.test("mu- <-> mu+").symmetric
    assert r.forward_backward is not None
    a, err, n = r.forward_backward
    assert n == 10_000
    assert abs(a) > 10 * err  # gamma/Z interference at 80 GeV
    assert any("A_FB" in s and "sigma from 0" in s for s in r.sentences)


def test_ee_p4_support_so3() -> None:
    fm = hepsym.prepare(EE, features="p4").features
    r = symmetries(fm, n_test=200, n_perm=400)
    assert names(r) == {"J_x", "J_y", "J_z"}
    assert r.named_residuals["K_z"] > 1e-2
    assert r.named_residuals["D"] > 1e-2


def test_pp_support_rotations_and_boosts_along_z(pp_result: SymmetryResult) -> None:
    r = pp_result
    assert names(r) == {"J_z", "K_z"}
    assert "so(2) + so(1,1)" in r.support_algebra
    assert r.test("J_z").symmetric
    assert not r.test("K_z").symmetric  # boosts by Delta y = 1
    assert r.test("z -> -z").symmetric


def test_qed_like_sample_swap_symmetric_afb_zero() -> None:
    r = symmetries(two_body(0.0))
    assert names(r) == {"J_x", "J_y", "J_z"}
    assert r.test("mu- <-> mu+").symmetric
    assert r.test("J_z").symmetric
    assert not r.test("J_x").symmetric  # 1 + cos^2 theta is shaped
    assert r.forward_backward is not None
    a, err, _ = r.forward_backward
    assert abs(a) < 3 * err


def test_injected_asymmetry_is_detected() -> None:
    """The power: an injected A_FB = 0.1 breaks mu- <-> mu+ (docs/symmetries.md: smaller ones)."""
    r = symmetries(two_body(0.1), n_test=1000)
    assert not r.test("mu- <-> mu+").symmetric
    assert r.forward_backward is not None
    assert r.forward_backward[0] == pytest.approx(0.1, abs=0.05)


def gaussian(scale_z: float) -> FeatureMatrix:
    X = np.random.default_rng(5).normal(size=(4000, 3)) * [1.0, 1.0, scale_z]
    return FeatureMatrix.from_array(X)


def test_isotropic_gaussian_so3_density() -> None:
    r = symmetries(gaussian(1.0), n_test=500, n_perm=400)
    assert {"R_12", "R_13", "R_23"} <= symmetric(r)
    assert r.density_algebra.startswith("so(3)")


def test_stretched_gaussian_only_so2() -> None:
    r = symmetries(gaussian(2.0), n_test=500, n_perm=400)
    assert r.test("R_12").symmetric
    assert not r.test("R_13").symmetric
    assert not r.test("R_23").symmetric
    assert r.density_algebra.startswith("so(2)")


def test_two_sample_test_is_calibrated_and_sees_a_shift() -> None:
    rng = np.random.default_rng(0)
    ps = [
        two_sample_test(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)), 99, rng)[2]
        for _ in range(20)
    ]
    assert np.mean(np.array(ps) < 0.05) <= 0.2
    shifted = two_sample_test(rng.normal(size=(300, 2)), rng.normal(0.4, 1, size=(300, 2)), 99, rng)
    assert shifted[2] <= 0.02


def test_json_keys_and_text(circle_result: SymmetryResult) -> None:
    d = json.loads(json.dumps(circle_result.to_dict(), allow_nan=False))
    for key in ("support_symmetries", "density_symmetries", "discrete"):
        assert key in d
    s = d["support_symmetries"][0]
    assert set(s) >= {"name", "generator", "residual"}
    assert s["generator"] == [[0.0, -1.0], [1.0, 0.0]]
    t = d["density_symmetries"][0]
    assert set(t) >= {"name", "statistic", "p_value", "symmetric"}
    text = str(circle_result)
    assert "surface: so(2)" in text
    assert "rule:" in text


def test_public_name_and_options() -> None:
    assert hepsym.symmetries is symmetries
    with pytest.raises(hepsym.OptionError):
        SymmetrySpec(n_test=0)
    with pytest.raises(hepsym.OptionError, match="at least 399"):
        SymmetrySpec(n_perm=100)
    with pytest.raises(hepsym.OptionError):
        symmetries(circle().features(), bogus=1)


def test_ptetaphim_refused() -> None:
    fm = hepsym.prepare(PP, features="ptetaphim", max_events=100).features
    with pytest.raises(hepsym.FeatureError, match="p3, p4 or custom"):
        symmetries(fm)


def test_figure_marks_symmetric(circle_result: SymmetryResult) -> None:
    pytest.importorskip("matplotlib")
    from hepsym.symmetry.plot import plot_symmetries

    ax = plot_symmetries(circle_result)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "R_12" in labels
    assert ax.get_xlabel()


def test_cli_json_and_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    from hepsym.cli import main

    args = ["symmetries", "--dataset", "circle", "--json", "--n-test", "300"]
    assert main([*args, "--permutations", "400"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["support_algebra"].startswith("so(2)")
    assert [t["name"] for t in d["density_symmetries"]] == ["R_12"]
    assert main(["symmetries", "--dataset", "square", "--n-test", "0"]) == 2
    assert "--n-test" in capsys.readouterr().err


def test_unnamed_generators_of_a_cylinder() -> None:
    """x1^2 + x2^2 = 100 with x3 free: R_12 and the 3 generators moving x3 (named X_k)."""
    rng = np.random.default_rng(1)
    phi = rng.uniform(0, 2 * np.pi, 2000)
    fm = FeatureMatrix.from_array(np.c_[10 * np.cos(phi), 10 * np.sin(phi), rng.normal(size=2000)])
    cr = hepsym.analyze_constraints(fm, extra=["x1**2 + x2**2 = 100"])
    r = symmetries(fm, constraints=cr, n_test=300, n_perm=400)
    assert [s.name for s in r.support] == ["R_12", "X_1", "X_2", "X_3"]
    assert r.support_algebra.endswith("+ 3 unnamed generators")
    rows = {tuple(np.argwhere(s.generator != 0)[0]) for s in r.support[1:]}
    assert rows == {(2, 0), (2, 1), (2, 2)}  # delta x3 = x1, x2 or x3
    assert r.test("R_12").symmetric
    assert not r.test("X_1").symmetric  # the shear x3 -> x3 +- x1
