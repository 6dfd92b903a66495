"""Constraints: found, verified and counted on shipped samples, external files and toys."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np
import pytest

import hepsym
from hepsym.constraints import (
    Constraint,
    ConstraintResult,
    analyze_constraints,
    find_constraints,
    user_constraint,
)
from hepsym.datasets import circle, square
from hepsym.errors import ConstraintError, FeatureError
from hepsym.events import Beams, Events, make_particles
from hepsym.features import FeatureMatrix, build_features
from hepsym.selection import select

DATA = Path(__file__).resolve().parent.parent / "data"
EE = DATA / "ee_mumu_80GeV.lhe.gz"
PP = DATA / "pp_zmumu_13TeV.lhe.gz"
POWHEG = DATA / "external" / "pylhe-testfile-powheg-box-v2-Z.lhe"
CMS = DATA / "external" / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"
M_MU = 0.1056583755


@functools.cache
def _events(path: Path) -> Events:
    return hepsym.read(path)


def _features(path: Path, kind: str, query: str = "mu- mu+") -> FeatureMatrix:
    return build_features(select(_events(path), query), kind)


@pytest.fixture(scope="module")
def ee_p3() -> ConstraintResult:
    return analyze_constraints(_features(EE, "p3"))


@pytest.fixture(scope="module")
def ee_p4() -> ConstraintResult:
    return analyze_constraints(_features(EE, "p4"))


@pytest.fixture(scope="module")
def pp_p4() -> ConstraintResult:
    return analyze_constraints(_features(PP, "p4"))


def _statuses(res: ConstraintResult) -> dict[str, str]:
    return {r.name: r.status for r in res.rows}


# --- synthetic events built here in numpy -------------------------------------------------


def _two_body(
    masses: np.ndarray,
    rng: np.random.Generator,
    m: float = M_MU,
    rapidity: np.ndarray | None = None,
    gen_mass: float | None = None,
    beams: Beams | None = None,
) -> Events:
    """mu- mu+ from isotropic decays of systems of mass ``masses``, boosted along z."""
    n = len(masses)
    cos_t, phi = rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n)
    sin_t = np.sqrt(1 - cos_t**2)
    p = np.sqrt(masses**2 / 4 - m**2)
    px, py, pz = p * sin_t * np.cos(phi), p * sin_t * np.sin(phi), p * cos_t
    e = masses / 2
    y = np.zeros(n) if rapidity is None else rapidity
    ch, sh = np.cosh(y), np.sinh(y)
    cols = {"px": [], "py": [], "pz": [], "E": []}
    for s in (1, -1):
        cols["px"].append(s * px)
        cols["py"].append(s * py)
        cols["pz"].append(sh * e + ch * s * pz)
        cols["E"].append(ch * e + sh * s * pz)
    fields = {k: np.column_stack(v).ravel() for k, v in cols.items()}
    fields["pid"] = np.tile([13, -13], n)
    fields["status"] = np.ones(2 * n, dtype=np.int64)
    fields["charge"] = np.tile([-1.0, 1.0], n)
    if gen_mass is not None:
        fields["gen_mass"] = np.full(2 * n, gen_mass)
    parts = make_particles(fields, counts=np.full(n, 2))
    return Events(
        parts, np.ones(n), beams or Beams.unknown(), source="<synthetic>", format="generated"
    )


def _drell_yan(n: int, masses: np.ndarray, rng: np.random.Generator) -> FeatureMatrix:
    events = _two_body(
        masses,
        rng,
        rapidity=rng.normal(0, 1.5, n),
        beams=Beams(ids=(2212, 2212), energies=(6500.0, 6500.0)),
    )
    return build_features(select(events, "mu- mu+"), "p4")


# --- the paper's toys ------------------------------------------------------------------------


def test_circle_one_constraint_embedding_two() -> None:
    toy = circle(n=2000, seed=1)
    fm = FeatureMatrix.from_array(toy.X, toy.names)
    res = analyze_constraints(
        fm, extra=[f"{toy.constraint} = {toy.constraint_value}"], sphere=False
    )
    row = res.row("x1**2+x2**2")
    assert row.status == "exact"
    assert row.expected == pytest.approx(100.0)
    assert row.spread_ratio is not None
    assert row.spread_ratio < 1e-10
    assert (res.rank, res.predicted_dim, res.embedding_dim, res.shape) == (1, 1, 2, "S^1")


def test_circle_found_without_being_told() -> None:
    res = analyze_constraints(FeatureMatrix.from_array(circle(n=1000).X))
    assert res.status("sum_sq") == "exact"
    assert res.row("sum_sq").expected == pytest.approx(100.0)
    assert (res.predicted_dim, res.embedding_dim) == (1, 2)


def test_sphere_topology_from_constraint_structure() -> None:
    xy = circle(n=1000).X
    # the circle twice (found and given): still one constraint, still S^1
    res = analyze_constraints(FeatureMatrix.from_array(xy), extra=["x1**2 + x2**2 = 100"])
    assert (res.rank, res.predicted_dim, res.embedding_dim, res.shape) == (1, 1, 2, "S^1")
    # a circle in the plane x3 = 0 of three features
    res = analyze_constraints(FeatureMatrix.from_array(np.column_stack([xy, np.zeros(1000)])))
    assert (res.rank, res.predicted_dim, res.embedding_dim, res.shape) == (2, 1, 2, "S^1")
    # a cylinder (circle x free interval) is no closed manifold: it embeds in d dimensions
    z = np.random.default_rng(2).uniform(0, 1, 1000)
    res = analyze_constraints(
        FeatureMatrix.from_array(np.column_stack([xy, z])), extra=["x1**2 + x2**2 = 100"]
    )
    assert res.status("sum_sq") == "violated"
    assert (res.predicted_dim, res.embedding_dim, res.shape) == (2, 2, "open")
    # points on the 2-sphere of radius 3
    v = np.random.default_rng(3).normal(size=(1000, 3))
    res = analyze_constraints(FeatureMatrix.from_array(3 * v / np.linalg.norm(v, axis=1)[:, None]))
    assert (res.predicted_dim, res.embedding_dim, res.shape) == (2, 3, "S^2")


def test_square_nothing_holds() -> None:
    res = analyze_constraints(FeatureMatrix.from_array(square(n=2000).X))
    assert _statuses(res) == {"sum_sq": "violated"}
    assert res.row("sum_sq").spread_ratio == pytest.approx(1.0, abs=0.15)
    assert (res.rank, res.predicted_dim, res.embedding_dim) == (0, 2, 2)


def test_user_callable_with_feature_keywords() -> None:
    def radius(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        return np.sqrt(x1**2 + x2**2)

    fm = FeatureMatrix.from_array(circle(n=500).X)
    res = analyze_constraints(fm, extra=[{"g": radius, "expected": 10.0}], sphere=False)
    assert res.status("radius") == "exact"
    assert res.predicted_dim == 1


# --- shipped samples ---------------------------------------------------------------------------


def test_ee_mumu_p3_momentum_and_energy(ee_p3: ConstraintResult) -> None:
    st = _statuses(ee_p3)
    assert all(st[n] == "exact" for n in ("sum_px", "sum_py", "sum_pz", "sum_E"))
    assert ee_p3.row("sum_E").expected == pytest.approx(80.0)
    for name in ("on_shell_mu_minus", "on_shell_mu_plus"):
        assert not ee_p3.row(name).acts_on_features
        assert not ee_p3.row(name).counted
    # m_mumu <= sqrt(s) = 80 GeV, 4.5 widths below the Z: no m_Z candidate at all
    assert "m_Z" not in st
    assert any("m_Z not proposed" in n for n in ee_p3.notes)
    assert (ee_p3.n_features, ee_p3.rank, ee_p3.predicted_dim) == (6, 4, 2)
    assert (ee_p3.embedding_dim, ee_p3.shape) == (3, "S^2")
    assert ee_p3.rank_stability == 1.0


def test_ee_mumu_p4_adds_on_shell(ee_p4: ConstraintResult) -> None:
    st = _statuses(ee_p4)
    assert st["on_shell_mu_minus"] == st["on_shell_mu_plus"] == "exact"
    assert ee_p4.row("on_shell_mu_minus").counted
    assert ee_p4.row("on_shell_mu_minus").expected == pytest.approx(M_MU**2, rel=1e-4)
    assert (ee_p4.n_features, ee_p4.rank, ee_p4.predicted_dim, ee_p4.embedding_dim) == (8, 6, 2, 3)


def test_ee_mumu_ptetaphim_same_count() -> None:
    res = analyze_constraints(_features(EE, "ptetaphim"))
    assert (res.rank, res.predicted_dim, res.embedding_dim) == (6, 2, 3)
    assert res.rank_stability == 1.0


def test_pp_zmumu_p4(pp_p4: ConstraintResult) -> None:
    st = _statuses(pp_p4)
    assert st["sum_px"] == st["sum_py"] == "exact"
    assert pp_p4.row("sum_px").kind == "transverse-momentum"
    assert "sum_pz" not in st
    assert "sum_E" not in st
    assert st["on_shell_mu_minus"] == st["on_shell_mu_plus"] == "exact"
    mz = pp_p4.row("m_Z")
    assert mz.status == "approximate"
    assert mz.width == pytest.approx(2.4955, rel=1e-3)
    assert 1.5 < mz.measured_width < 4.0  # interquartile range of a Breit-Wigner is Gamma
    assert mz.spread_ratio is not None
    assert mz.spread_ratio < 0.1
    assert mz.fraction_within > 0.8
    assert (pp_p4.rank, pp_p4.predicted_dim, pp_p4.embedding_dim) == (5, 3, 3)


def test_pp_zmumu_peak_dominates(pp_p4: ConstraintResult) -> None:
    # the 60-120 GeV window: the Z peak dominates, so m_Z is counted (the resonance rule)
    mz = pp_p4.row("m_Z")
    assert mz.peak_dominates is True
    assert mz.peak_fraction is not None
    assert mz.peak_fraction > 0.85
    assert "the peak dominates" in mz.note
    assert "a resonance counts only where its peak dominates" in str(pp_p4)
    assert pp_p4.to_dict()["resonance_rule"]["peak_max_width_ratio"] == 3.0


def test_pp_zmumu_without_resonance_candidate() -> None:
    res = analyze_constraints(_features(PP, "p4"), exclude=["m_Z"])
    assert "m_Z" not in _statuses(res)
    assert (res.rank, res.predicted_dim) == (4, 4)


def test_wide_mass_window_violates_resonance() -> None:
    rng = np.random.default_rng(3)
    fm = _drell_yan(3000, rng.uniform(20.0, 500.0, 3000), rng)
    res = analyze_constraints(fm)
    st = _statuses(res)
    assert st["m_Z"] == "violated"
    assert st["sum_px"] == st["sum_py"] == st["on_shell_mu_minus"] == "exact"
    assert (res.rank, res.predicted_dim, res.embedding_dim) == (4, 4, 4)


def test_breit_wigner_synthetic_width() -> None:
    rng = np.random.default_rng(4)
    # tan of a uniform angle is a Breit-Wigner; |angle| < 1.55 keeps m within ~ +-25 Gamma,
    # where the interquartile range is still 0.98 Gamma
    m = 91.1876 + 2.4952 / 2 * np.tan(rng.uniform(-1.55, 1.55, 4000))
    res = analyze_constraints(_drell_yan(4000, m, rng))
    mz = res.row("m_Z")
    assert mz.status == "approximate"
    assert mz.measured_width == pytest.approx(2.5, rel=0.15)
    assert res.predicted_dim == 3


def test_asymmetric_beams_total_pz() -> None:
    rng = np.random.default_rng(5)
    e1, e2 = 50.0, 30.0
    sqrt_s = 2 * math.sqrt(e1 * e2)
    y = np.full(2000, 0.5 * math.log(e1 / e2))
    ev = _two_body(
        np.full(2000, sqrt_s), rng, rapidity=y, beams=Beams(ids=(11, -11), energies=(e1, e2))
    )
    res = analyze_constraints(build_features(select(ev, "mu- mu+"), "p3"))
    assert res.row("sum_pz").expected == pytest.approx(e1 - e2)
    assert res.row("sum_E").expected == pytest.approx(e1 + e2)
    assert all(res.status(n) == "exact" for n in ("sum_px", "sum_py", "sum_pz", "sum_E"))
    assert (res.rank, res.predicted_dim, res.embedding_dim) == (4, 2, 3)


def test_sqrt_s_given_by_user() -> None:
    rng = np.random.default_rng(6)
    fm = build_features(select(_two_body(np.full(500, 80.0), rng), "mu- mu+"), "p4")
    unknown = analyze_constraints(fm)
    assert "sum_E" not in _statuses(unknown)  # beams unknown: pT, on-shell, constants only
    # in the centre-of-mass frame each energy is sqrt(s)/2 in every event: found anyway
    assert unknown.status("const_E_mu_minus") == "exact"
    assert unknown.predicted_dim == 2
    res = analyze_constraints(fm.with_beams(Beams.symmetric(80.0)))
    assert res.status("sum_E") == res.status("sum_pz") == "exact"
    assert (res.rank, res.predicted_dim, res.embedding_dim) == (6, 2, 3)


def test_file_mass_differs_from_pdg() -> None:
    rng = np.random.default_rng(7)
    ev = _two_body(np.full(200, 91.0), rng, m=0.0, gen_mass=0.0)
    res = analyze_constraints(build_features(select(ev, "mu- mu+"), "p4"))
    assert res.row("on_shell_mu_minus").expected == 0.0
    assert res.status("on_shell_mu_minus") == "exact"
    assert any("differs from PDG" in n for n in res.notes)


# --- external files ----------------------------------------------------------------------------


def test_powheg_z_jet_recoil_violates_pt() -> None:
    res = analyze_constraints(_features(POWHEG, "p4", "l- l+"))
    st = _statuses(res)
    assert st["sum_px"] == st["sum_py"] == "violated"
    assert res.row("sum_px").spread_ratio > 0.25
    assert st["on_shell_l_minus"] == st["on_shell_l_plus"] == "exact"
    assert st["m_Z"] == "approximate"
    assert (res.rank, res.predicted_dim) == (3, 5)


def test_cms_dimuon_rntuple_on_shell_only() -> None:
    for kind in ("p4", "ptetaphim"):
        res = analyze_constraints(_features(CMS, kind))
        st = _statuses(res)
        assert st["on_shell_mu_minus"] == st["on_shell_mu_plus"] == "exact"
        assert res.row("on_shell_mu_minus").expected == pytest.approx(M_MU**2, rel=1e-5)
        assert not any(r.holds for r in res.rows if r.kind.endswith("momentum"))
        assert st["m_Z"] == "violated"
        assert res.rank == 2


# --- counting ------------------------------------------------------------------------------------


def test_redundant_constraints_do_not_change_rank(pp_p4: ConstraintResult) -> None:
    fm = _features(PP, "p4")
    extra = [
        {"g": "px_mu_minus + px_mu_plus", "expected": 0.0, "name": "dup_px", "scale": 100.0},
        {
            "g": "2*(px_mu_minus + px_mu_plus) - 3*(py_mu_minus + py_mu_plus)",
            "expected": 0.0,
            "name": "combo",
            "scale": 100.0,
        },
    ]
    res = analyze_constraints(fm, extra=extra)
    assert res.status("dup_px") == res.status("combo") == "exact"
    assert res.row("combo").counted
    assert (res.rank, res.predicted_dim) == (pp_p4.rank, pp_p4.predicted_dim)


def test_override_candidate_by_name() -> None:
    fm = _features(PP, "p4")
    narrow = user_constraint(
        "sqrt((E_mu_minus + E_mu_plus)**2 - (px_mu_minus + px_mu_plus)**2"
        " - (py_mu_minus + py_mu_plus)**2 - (pz_mu_minus + pz_mu_plus)**2)",
        fm.names,
        expected=91.1876,
        width=0.01,
        name="m_Z",
    )
    res = analyze_constraints(fm, extra=[narrow])
    assert res.row("m_Z").kind == "user"
    assert res.status("m_Z") == "violated"
    assert res.predicted_dim == 4


def test_exclude_by_kind_and_unknown_name() -> None:
    fm = _features(PP, "p4")
    cands, _ = find_constraints(fm, exclude=["on-shell"])
    assert {c.kind for c in cands} == {"transverse-momentum", "resonance"}
    with pytest.raises(ConstraintError, match=r"no such candidate.*sum_px"):
        find_constraints(fm, exclude=["m_Zed"])


def test_result_json_and_table(pp_p4: ConstraintResult) -> None:
    d = json.loads(json.dumps(pp_p4.to_dict()))
    for key in ("n_features", "rank", "predicted_dim", "embedding_dim", "constraints"):
        assert key in d
    mz = next(c for c in d["constraints"] if c["name"] == "m_Z")
    assert mz["kind"] == "resonance"
    assert mz["status"] == "approximate"
    assert mz["measured_width"] > 0
    assert {c["status"] for c in d["constraints"]} <= {"exact", "approximate", "violated"}
    text = str(pp_p4)
    assert "predicted dimension: 8 - 5 = 3" in text
    assert "measured width" in text


# --- bad input -------------------------------------------------------------------------------------


def test_unknown_feature_named_with_the_list() -> None:
    fm = FeatureMatrix.from_array(circle(n=100).X)
    with pytest.raises(ConstraintError, match=r"no feature 'x3'; features are x1, x2"):
        analyze_constraints(fm, extra=["x1**2 + x3**2 = 100"])
    with pytest.raises(ConstraintError, match=r"'y'.*features are x1, x2"):
        analyze_constraints(fm, extra=[lambda x1, y: x1 + y])
    with pytest.raises(ConstraintError, match=r"'q'.*features are x1, x2"):
        analyze_constraints(fm, extra=[lambda cols: cols["q"]])


@pytest.mark.parametrize(
    "expr",
    [
        "x1 +* x2",
        "__import__('os').system('true')",
        "x1.real",
        "(lambda: 1)()",
        "x1 if x2 else 1",
        "open('f')",
        "x1 = 1 = 2",
        "[x1]",
        "sqrt",
        "'a'",
    ],
)
def test_malformed_or_unsafe_expression(expr: str) -> None:
    with pytest.raises(ConstraintError, match="expression"):
        user_constraint(expr, ("x1", "x2"))


def test_expression_functions() -> None:
    c = user_constraint("sqrt(abs(x1)) + cos(pi*x2) - exp(log(2))", ("x1", "x2"))
    X = np.array([[4.0, 0.0], [9.0, 1.0]])
    assert c.evaluate(X) == pytest.approx([1.0, 0.0])


def test_nan_features() -> None:
    X = circle(n=100).X.copy()
    X[5, 1] = np.nan
    with pytest.raises(FeatureError, match="x2"):
        analyze_constraints(FeatureMatrix.from_array(X))


def test_too_few_events() -> None:
    with pytest.raises(ConstraintError, match="too few"):
        analyze_constraints(FeatureMatrix.from_array(circle(n=10).X))


def test_bad_constraint_kind_and_shape() -> None:
    with pytest.raises(ConstraintError, match="unknown kind"):
        Constraint("c", "", "magic", lambda X: X[:, 0])
    fm = FeatureMatrix.from_array(circle(n=100).X)
    bad = Constraint("c", "", "user", lambda X: X)
    with pytest.raises(ConstraintError, match="one value per event"):
        analyze_constraints(fm, extra=[bad])


def test_ten_thousand_breit_wigner_events() -> None:
    # the timing of this call is benchmarks/bench_constraints.py's; here: its physics
    rng = np.random.default_rng(8)
    fm = _drell_yan(10_000, 91.1876 + 1.25 * np.tan(rng.uniform(-1.4, 1.4, 10_000)), rng)
    res = analyze_constraints(fm)
    assert res.status("m_Z") == "approximate"
    assert (res.rank, res.predicted_dim) == (5, 3)
