"""Discovery of the constraints from the data alone: known answers on toys and shipped samples."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hepsym
from hepsym.discovery import discover

DATA = Path(__file__).resolve().parent.parent / "data"


def rambo(n: int, sqrt_s: float, events: int, seed: int = 0) -> np.ndarray:
    """n massless momenta at total (sqrt(s), 0, 0, 0), flat in phase space (RAMBO):
    columns px, py, pz of each particle, then the energies."""
    rng = np.random.default_rng(seed)
    c = 2 * rng.random((events, n)) - 1
    phi = 2 * np.pi * rng.random((events, n))
    q0 = -np.log(rng.random((events, n)) * rng.random((events, n)))
    s = np.sqrt(1 - c * c)
    q = np.stack([q0 * s * np.cos(phi), q0 * s * np.sin(phi), q0 * c], axis=-1)
    Q0, Q = q0.sum(axis=1), q.sum(axis=1)
    M = np.sqrt(Q0**2 - np.sum(Q * Q, axis=1))
    b = -Q / M[:, None]
    x, gamma = sqrt_s / M, Q0 / M
    a = 1 / (1 + gamma)
    bq = np.einsum("ek,enk->en", b, q)
    p0 = x[:, None] * (gamma[:, None] * q0 + bq)
    p = x[:, None, None] * (q + b[:, None, :] * (q0 + a[:, None] * bq)[..., None])
    return np.column_stack([p.reshape(events, 3 * n), p0])


def _features(path: str, kind: str) -> hepsym.FeatureMatrix:
    return hepsym.prepare(hepsym.InputSpec(path=str(DATA / path), features=kind)).features


def test_circle_one_quadric_dimension_one():
    phi = np.random.default_rng(0).uniform(0, 2 * np.pi, 5000)
    d = discover(10 * np.c_[np.cos(phi), np.sin(phi)], geometric=False)
    assert [r.formula for r in d.discovered] == ["x1^2 + x2^2 = 100"]
    assert d.discovered[0].kind == "exact"
    assert d.discovered_dim == 1
    assert d.hilbert == (1, 2, 2, 2)
    assert d.hilbert_dim == 1


def test_square_no_relation_dimension_two():
    d = discover(np.random.default_rng(1).uniform(-10, 10, (5000, 2)), geometric=False)
    assert d.discovered == ()
    assert d.discovered_dim == 2
    assert d.hilbert == (1, 2, 3, 4)
    assert "no polynomial relation up to degree 3" in str(d)


def test_sin_is_no_polynomial_relation_but_twonn_sees_one_dimension():
    x = np.random.default_rng(2).uniform(0, 2 * np.pi, 5000)
    d = discover(np.c_[x, np.sin(x)])
    assert d.discovered == ()
    assert d.discovered_dim == 2
    assert d.two_nn is not None
    assert abs(d.two_nn[0] - 1) < 0.1
    assert any("no polynomial of degree <= 3" in n for n in d.notes)


def test_torus_one_quartic_dimension_two():
    rng = np.random.default_rng(3)
    u, v = rng.uniform(0, 2 * np.pi, (2, 5000))
    R, r = 3.0, 1.0
    X = np.c_[(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u), r * np.sin(v)]
    d = discover(X, max_degree=4, geometric=False)
    assert [(r.degree, r.kind) for r in d.discovered] == [(4, "exact")]
    assert d.discovered_dim == 2
    assert d.hilbert_dim == 2


def test_three_massless_particles_at_fixed_sqrt_s_leave_3n_minus_4():
    X = rambo(3, 100.0, 5000)
    d = discover(X, max_degree=2, geometric=False)
    assert d.discovered_dim == 3 * 3 - 4
    kinds = sorted((r.degree, r.kind) for r in d.discovered)
    assert kinds == [(1, "exact")] * 4 + [(2, "exact")] * 3


def test_ee_p3_momentum_sums_and_fixed_momentum():
    d = discover(_features("ee_mumu_80GeV.lhe.gz", "p3"), geometric=False)
    formulas = [r.formula for r in d.discovered]
    assert formulas[:3] == [f"{c}(mu-) + {c}(mu+) = 0" for c in ("px", "py", "pz")]
    assert any(f.startswith("px(mu-)^2 + py(mu-)^2 + pz(mu-)^2 = 1599.99 GeV^2") for f in formulas)
    assert d.discovered_dim == 2
    assert d.all_recovered
    assert {r.name for r in d.reconciled} == {"sum_px", "sum_py", "sum_pz", "sum_E"}
    assert [r.matches for r in d.discovered[:3]] == ["sum_px", "sum_py", "sum_pz"]
    assert all(r.matches.startswith("sum_E") for r in d.discovered[3:])


def test_ee_p4_energies_sums_on_shell():
    d = discover(_features("ee_mumu_80GeV.lhe.gz", "p4"), geometric=False)
    formulas = [r.formula for r in d.discovered]
    assert "E(mu-) = 40 GeV (= sqrt(s)/2)" in formulas
    assert d.discovered_dim == 2
    assert d.all_recovered
    assert len(d.reconciled) == 8
    assert all(r.matches != "new" for r in d.discovered)


def test_pp_p4_pt_sums_on_shell_and_the_z_mass_approximately():
    d = discover(_features("pp_zmumu_13TeV.lhe.gz", "p4"), geometric=False)
    kinds = [(r.degree, r.kind) for r in d.discovered]
    assert kinds.count((1, "exact")) == 2
    assert kinds.count((2, "exact")) == 2
    approx = [r for r in d.discovered if r.kind == "approximate"]
    assert len(approx) == 1
    # read as a physicist writes it, not as the fitted polynomial (kept beside it)
    assert re.fullmatch(
        r"m\(mu- mu\+\)\^2 ~ 8\d{3} GeV\^2, spread \d{3} GeV\^2 \(approximate\)",
        approx[0].formula,
    ), approx[0].formula
    assert approx[0].polynomial
    assert approx[0].polynomial != approx[0].formula
    assert approx[0].matches == "m_Z"
    assert approx[0].spread_ratio is not None
    assert approx[0].spread_ratio < 0.05
    assert d.discovered_dim == 3
    assert d.hilbert_dim == 3
    assert d.all_recovered


def test_to_dict_keys_and_strict_json():
    phi = np.random.default_rng(0).uniform(0, 2 * np.pi, 2000)
    d = hepsym.discover(10 * np.c_[np.cos(phi), np.sin(phi)], geometric=False)
    out = json.loads(json.dumps(d.to_dict(), allow_nan=False))
    assert {"discovered_dim", "discovered", "hilbert"} <= set(out)
    assert set(out["rules"]) == {
        "exact_tol",
        "max_spread",
        "noise",
        "max_shuffled",
        "consequence",
        "approx_degree",
    }
    assert set(out["discovered"][0]) >= {
        "formula",
        "degree",
        "kind",
        "residual_rel",
        "width",
        "matches",
    }


def test_bad_options_are_one_line_errors():
    with pytest.raises(hepsym.OptionError, match="max_degree"):
        discover(np.zeros((100, 2)), max_degree=0)
    with pytest.raises(hepsym.OptionError, match="tolerance"):
        discover(np.zeros((100, 2)), tolerance=2.0)
    with pytest.raises(hepsym.ConstraintError, match="too few"):
        discover(np.zeros((5, 2)))


def test_cli_discover_dataset_json_and_bad_option():
    out = subprocess.run(
        [sys.executable, "-m", "hepsym", "discover", "--dataset", "circle", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["discovered_dim"] == 1
    bad = subprocess.run(
        [sys.executable, "-m", "hepsym", "discover", "--dataset", "square", "--max-degree", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
    assert "max_degree" in bad.stderr


def test_zero_weight_events_do_not_count():
    """Weights: the least squares and the samples use |w|; events of weight 0 are left out."""
    rng = np.random.default_rng(4)
    phi = rng.uniform(0, 2 * np.pi, 4000)
    X = np.r_[10 * np.c_[np.cos(phi), np.sin(phi)], rng.uniform(-10, 10, (400, 2))]
    w = np.r_[rng.uniform(0.5, 2.0, 4000) * rng.choice([-1.0, 1.0], 4000), np.zeros(400)]
    unweighted = discover(X, geometric=False)
    assert unweighted.discovered_dim == 2
    fm = dataclasses.replace(hepsym.FeatureMatrix.from_array(X), weights=w)
    d = discover(fm, geometric=False)
    assert [r.formula for r in d.discovered] == ["x1^2 + x2^2 = 100"]
    assert d.discovered_dim == 1
    assert d.weighted
    assert d.to_dict()["weighted"]


# Generated samples: the wide Drell-Yan window and e+e- -> W+W- (Pythia, hard process) ------

WW_SETTINGS = (
    "WeakSingleBoson:ffbar2ffbar(s:gmZ) = off",
    "WeakDoubleBoson:ffbar2WW = on",
    "24:onMode = off",
    "24:onIfAny = 13",
)


def _generated(tmp_path_factory, name: str, process: str, n: int, **run) -> hepsym.FeatureMatrix:
    pytest.importorskip("pythia8mc")
    from hepsym.generate import generate

    path = tmp_path_factory.mktemp("discover") / f"{name}.lhe.gz"
    generate(process, n, output=path, **run)
    return hepsym.prepare(hepsym.InputSpec(path=str(path), features="p4")).features


@pytest.mark.generate
def test_pp_wide_mass_window_has_no_mass_relation(tmp_path_factory):
    """20-1000 GeV: the Z peak sits on a continuum; m(mumu)^2 is no relation: 8 - 4 = 4."""
    fm = _generated(tmp_path_factory, "wide", "pp-zmumu", 4000, mass_window=(20.0, 1000.0))
    d = discover(fm, geometric=False)
    assert [r.kind for r in d.discovered].count("approximate") == 0
    kinds = sorted((r.degree, r.kind) for r in d.discovered)
    assert kinds == [(1, "exact")] * 2 + [(2, "exact")] * 2
    assert d.discovered_dim == 4
    assert any("not peaked" in n for n in d.notes)
    assert d.all_recovered


@pytest.mark.generate
def test_ee_ww_to_four_leptons_sums_on_shell_and_two_w_masses(tmp_path_factory):
    """e+e- -> W+W- -> mu+ nu mu- nu~ at 250 GeV: 4 sums, 4 on-shell, 2 W masses: 16 - 10 = 6."""
    fm = _generated(
        tmp_path_factory, "ww", "ee-mumu", 3000, sqrt_s=250.0, seed=5, settings=WW_SETTINGS
    )
    d = discover(fm, max_degree=2, geometric=False)
    assert d.discovered_dim == 6
    exact = [r for r in d.discovered if r.kind == "exact"]
    assert sorted(r.degree for r in exact) == [1, 1, 1, 1, 2, 2, 2, 2]
    # each quadric is one particle's on-shell relation, however the search wrote it
    assert sorted(r.matches for r in exact if r.degree == 2) == [
        "on_shell_mu_minus",
        "on_shell_mu_plus",
        "on_shell_nu_mu",
        "on_shell_nu_mu_bar",
    ]
    assert all(len(r.formula) < 130 for r in exact), [r.formula for r in exact]
    approx = sorted(r.formula for r in d.discovered if r.kind == "approximate")
    assert len(approx) == 2
    for f, pair in zip(approx, ("mu+ nu_mu", "mu- nu_mu_bar"), strict=True):
        assert re.fullmatch(
            rf"m\({re.escape(pair)}\)\^2 ~ 6\d{{3}} GeV\^2, spread \d{{3}} GeV\^2 \(approximate\)",
            f,
        ), f
    assert sorted(r.matches for r in d.discovered if r.kind == "approximate") == [
        "m_W(mu_minus,nu_mu_bar)",
        "m_W(mu_plus,nu_mu)",
    ]
    assert d.all_recovered
    assert len(d.reconciled) == 10


def test_few_events_lower_the_degree_and_say_so():
    """100 POWHEG events cannot support the 45 monomials of degree 2 in 8 variables for an
    approximate fit (two spurious quadrics there), nor degree 3 for an exact one: the
    search stops lower and says why; the two exact on-shell relations are still found."""
    powheg = (
        Path(__file__).parent.parent / "data" / "external" / "pylhe-testfile-powheg-box-v2-Z.lhe"
    )
    d = hepsym.discover(hepsym.prepare(str(powheg)).features)
    assert d.max_degree == 2
    assert d.approx_degree == 1
    assert any(
        n.startswith("searched up to degree 2, not 3: degree 3 has 165 monomials in 8 variables")
        for n in d.notes
    )
    assert any(n.startswith("approximate relations searched up to degree 1: ") for n in d.notes)
    assert {r.kind for r in d.discovered} == {"exact"}
    assert {r.matches for r in d.discovered} == {"on_shell_l_plus", "on_shell_l_minus"}
    with pytest.raises(hepsym.ConstraintError, match="too few to search for relations"):
        hepsym.discover(np.random.default_rng(0).normal(size=(25, 16)))


def test_float32_features_get_float32_precision():
    """HZZ's muons are float32 branches: on-shell holds to 1e-7, not to 1e-9, and is found."""
    from hepsym.discovery import feature_precision

    x = np.random.default_rng(0).normal(50, 20, (500, 4))
    assert feature_precision(x.astype(np.float32).astype(np.float64)) == pytest.approx(
        5.96e-8, rel=1e-2
    )
    assert feature_precision(x) == 1e-16
    hzz = Path(__file__).parent.parent / "data" / "external" / "uproot-HZZ.root"
    d = hepsym.discover(hepsym.prepare(str(hzz)).features)
    assert {r.matches for r in d.discovered} >= {"on_shell_l_plus", "on_shell_l_minus"}
    assert d.discovered_dim == 6
