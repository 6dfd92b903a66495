"""Real-sample physics: per-particle masses, resonance or continuum, parton balance.

The known answers (docs/physics.md, "Real samples"):

* a slot mixing species (``l`` = e or mu, ``j`` = any quark or the gluon) takes each
  particle's own mass: e+e- -> q qbar at 91.19 GeV with 5 flavours has d = 2, a merged
  Z -> ee / mumu sample d = 3 (pT balanced) or 5 (a recoiling jet not selected), Z + 2 jets
  with the full final state ``l+ l- j j`` d = 16 - 7 = 9;
* m_ll = m_Z is a constraint only where the peak dominates: a wide Drell-Yan mass window
  (the gamma* continuum holds half the events) has d = 4;
* with the incoming partons in the record, total E and pz of the full final state equal
  theirs, a check that is never counted.

Most samples are built here in numpy; the Pythia ones (``generate`` marker) are small.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

import hepsym
from hepsym.constraints import ConstraintResult, analyze_constraints
from hepsym.constraints.base import evaluation_matrix, kinematics
from hepsym.constraints.builders import on_shell
from hepsym.constraints.verify import PEAK_MAX_WIDTH_RATIO, PEAK_MIN_FRACTION, PEAK_N_WIDTHS
from hepsym.errors import ConstraintError, FeatureError
from hepsym.events import Beams, Events, make_particles
from hepsym.features import build_features
from hepsym.selection import select

M_Z, GAMMA_Z = 91.1876, 2.4952
#: Pythia 8's masses, as its LHE files carry them (column 11)
MASS = {11: 0.000511, 13: 0.10566, 1: 0.33, 2: 0.33, 3: 0.5, 4: 1.5, 5: 4.8, 21: 0.0}
PP = Beams(ids=(2212, 2212), energies=(6500.0, 6500.0))


# --- kinematics in numpy ------------------------------------------------------------------


def _boost(p: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Boost four-momenta p (n x (E, px, py, pz)) by velocities beta (n x 3)."""
    b2 = np.sum(beta * beta, axis=1)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p[:, 1:], axis=1)
    k = np.where(b2 > 0, (gamma - 1.0) * bp / np.where(b2 > 0, b2, 1.0), 0.0)
    e = gamma * (p[:, 0] + bp)
    vec = p[:, 1:] + (k + gamma * p[:, 0])[:, None] * beta
    return np.column_stack([e, vec])


def _decay(
    parent: np.ndarray, m1: np.ndarray, m2: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic two-body decays of ``parent`` (n x 4) into masses m1, m2, in the lab."""
    n = len(parent)
    m = np.sqrt(parent[:, 0] ** 2 - np.sum(parent[:, 1:] ** 2, axis=1))
    p = np.sqrt((m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2)) / (2 * m)
    cos, phi = rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n)
    sin = np.sqrt(1 - cos * cos)
    d = p[:, None] * np.column_stack([sin * np.cos(phi), sin * np.sin(phi), cos])
    beta = parent[:, 1:] / parent[:, :1]
    a = _boost(np.column_stack([np.sqrt(p * p + m1 * m1), d]), beta)
    b = _boost(np.column_stack([np.sqrt(p * p + m2 * m2), -d]), beta)
    return a, b


def _at_rest(m: np.ndarray, rapidity: np.ndarray) -> np.ndarray:
    """Systems of mass m moving along z with the given rapidity (n x 4)."""
    z = np.zeros_like(m)
    return np.column_stack([m * np.cosh(rapidity), z, z, m * np.sinh(rapidity)])


def _events(
    parts: list[tuple[np.ndarray, np.ndarray, int]],
    beams: Beams,
    weights: np.ndarray | None = None,
    source: str = "<synthetic>",
) -> Events:
    """Events from per-particle (p4 (n x 4), pid (n,), status) columns, with gen_mass."""
    n = len(parts[0][0])
    p4 = np.stack([p for p, _, _ in parts], axis=1)  # events x particles x 4
    pid = np.stack([np.broadcast_to(i, (n,)) for _, i, _ in parts], axis=1)
    status = np.stack([np.full(n, s) for _, _, s in parts], axis=1)
    charge = np.where(np.isin(np.abs(pid), (11, 13)), -np.sign(pid), 0).astype(float)
    gen_mass = np.vectorize(lambda i: MASS[abs(int(i))])(pid).astype(float)
    fields = {
        "E": p4[..., 0].ravel(),
        "px": p4[..., 1].ravel(),
        "py": p4[..., 2].ravel(),
        "pz": p4[..., 3].ravel(),
        "pid": pid.ravel(),
        "status": status.ravel(),
        "charge": charge.ravel(),
        "gen_mass": gen_mass.ravel(),
    }
    particles = make_particles(fields, counts=np.full(n, len(parts)))
    w = np.ones(n) if weights is None else weights
    return Events(particles, w, beams, source=source, format="generated")


def _breit_wigner(n: int, rng: np.random.Generator) -> np.ndarray:
    # tan of a uniform angle is a Breit-Wigner; |angle| < 1.5 keeps m within ~14 Gamma
    return M_Z + GAMMA_Z / 2 * np.tan(rng.uniform(-1.5, 1.5, n))


def _continuum(n: int, rng: np.random.Generator, lo: float = 20.0, hi: float = 1000.0):
    """Masses with density ~ 1/m^3 on [lo, hi] (about the gamma* continuum's fall)."""
    u = rng.uniform(0, 1, n)
    return 1.0 / np.sqrt(1.0 / lo**2 - u * (1.0 / lo**2 - 1.0 / hi**2))


def _flavours(n: int, rng: np.random.Generator, ids=(11, 13)) -> np.ndarray:
    return rng.choice(np.asarray(ids), n)


def _partons(system: np.ndarray, beams: Beams = PP) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The two massless incoming partons (status -1) that make ``system`` (n x 4)."""
    e_plus = (system[:, 0] + system[:, 3]) / 2
    e_minus = (system[:, 0] - system[:, 3]) / 2
    z = np.zeros(len(system))
    return [
        (np.column_stack([e_plus, z, z, e_plus]), np.full(len(system), 21), -1),
        (np.column_stack([e_minus, z, z, -e_minus]), np.full(len(system), 21), -1),
    ]


def _drell_yan_mixed(
    n: int,
    rng: np.random.Generator,
    masses: np.ndarray | None = None,
    recoil: bool = False,
    weights: np.ndarray | None = None,
) -> Events:
    """pp -> Z/gamma* -> l+ l- with l = e or mu per event; with ``recoil`` a parton
    (not a lepton) takes transverse momentum, as in Z + jet."""
    m_ll = _breit_wigner(n, rng) if masses is None else masses
    flav = _flavours(n, rng)
    m_l = np.vectorize(MASS.get)(flav).astype(float)
    y = rng.uniform(-4.0, 4.0, n)  # pp at 13 TeV: the pair's rapidity spreads widely
    if recoil:
        m_hat = m_ll + rng.uniform(30, 300, n)
        system = _at_rest(m_hat, y)
        z, jet = _decay(system, m_ll, np.zeros(n), rng)
        extra = [(jet, np.full(n, 21), 1)]
    else:
        system = z = _at_rest(m_ll, y)
        extra = []
    lm, lp = _decay(z, m_l, m_l, rng)
    parts = [(lm, flav, 1), (lp, -flav, 1), *extra, *_partons(system)]
    return _events(parts, PP, weights)


def _jet_species(n: int, rng: np.random.Generator) -> np.ndarray:
    q = rng.choice(np.array([1, 2, 3, 4, 5, 21]), n)
    return np.where(q == 21, 21, q * rng.choice(np.array([-1, 1]), n))


def _z_two_jets(n: int, rng: np.random.Generator) -> Events:
    """pp -> Z (-> l+ l-, l = e or mu) + 2 partons (quarks of 5 flavours or gluons)."""
    m_ll = _breit_wigner(n, rng)
    m_hat = rng.uniform(250.0, 600.0, n)
    y = np.clip(rng.normal(0, 1, n), -2.5, 2.5)
    j1, j2 = _jet_species(n, rng), _jet_species(n, rng)
    m1, m2 = (np.vectorize(MASS.get)(np.abs(j)).astype(float) for j in (j1, j2))
    m_jj = rng.uniform(m1 + m2 + 10.0, m_hat - m_ll - 10.0)
    system = _at_rest(m_hat, y)
    z, x = _decay(system, m_ll, m_jj, rng)
    flav = _flavours(n, rng)
    m_l = np.vectorize(MASS.get)(flav).astype(float)
    lm, lp = _decay(z, m_l, m_l, rng)
    ja, jb = _decay(x, m1, m2, rng)
    parts = [(lm, flav, 1), (lp, -flav, 1), (ja, j1, 1), (jb, j2, 1), *_partons(system)]
    return _events(parts, PP)


def _ee_qqbar(n: int, rng: np.random.Generator, sqrt_s: float = 91.19) -> Events:
    """e+e- -> q qbar with 5 flavours at fixed sqrt(s) (each quark with its own mass)."""
    q = rng.choice(np.array([1, 2, 3, 4, 5]), n)
    m = np.vectorize(MASS.get)(q).astype(float)
    a, b = _decay(_at_rest(np.full(n, sqrt_s), np.zeros(n)), m, m, rng)
    return _events([(a, q, 1), (b, -q, 1)], Beams.symmetric(sqrt_s))


def _statuses(res: ConstraintResult) -> dict[str, str]:
    return {r.name: r.status for r in res.rows}


def _analyze(events: Events, query: str, kind: str, **kw) -> ConstraintResult:
    return analyze_constraints(build_features(select(events, query), kind, events=events), **kw)


# --- 1. one mass per particle ---------------------------------------------------------------


def test_ee_qqbar_five_flavours_energy_exact() -> None:
    res = _analyze(_ee_qqbar(3000, np.random.default_rng(1)), "j j", "p3")
    st = _statuses(res)
    assert all(st[n] == "exact" for n in ("sum_px", "sum_py", "sum_pz", "sum_E"))
    assert res.row("sum_E").fraction_exact == 1.0
    assert "own mass" in res.row("sum_E").formula
    assert (res.rank, res.predicted_dim, res.embedding_dim, res.shape) == (4, 2, 3, "S^2")
    # each flavour's Pythia mass is reported against its PDG (current-quark) mass
    assert any(
        "on_shell_j_1" in n and "differ from PDG" in n and "b/b~" not in n for n in res.notes
    )


def test_merged_e_mu_pair_without_recoil() -> None:
    ev = _drell_yan_mixed(3000, np.random.default_rng(2))
    res = _analyze(ev, "l+ l-", "p4")
    st = _statuses(res)
    assert st["on_shell_l_plus"] == st["on_shell_l_minus"] == "exact"
    assert res.row("on_shell_l_minus").expected == 0.0  # E^2 - p^2 - m_i^2 per event
    assert "e- 0.000511" in res.row("on_shell_l_minus").formula
    assert "mu- 0.1057" in res.row("on_shell_l_minus").formula
    assert st["m_Z"] == "approximate"
    assert (res.rank, res.predicted_dim) == (5, 3)


def test_merged_e_mu_pair_with_recoil_predicts_five() -> None:
    ev = _drell_yan_mixed(3000, np.random.default_rng(3), recoil=True)
    res = _analyze(ev, "l+ l-", "p4")
    st = _statuses(res)
    assert st["sum_px"] == st["sum_py"] == "violated"
    assert st["on_shell_l_plus"] == st["on_shell_l_minus"] == "exact"
    assert res.row("m_Z").counted
    assert (res.rank, res.predicted_dim) == (3, 5)
    # the two lepton pairs are not the whole final state: the partons say so
    assert st["parton_sum_E"] == st["parton_sum_pz"] == "violated"


def test_z_plus_two_jets_full_final_state_predicts_nine() -> None:
    ev = _z_two_jets(3000, np.random.default_rng(4))
    res = _analyze(ev, "l+ l- j j", "p4")
    st = _statuses(res)
    for name in ("sum_px", "sum_py", "on_shell_l_plus", "on_shell_l_minus"):
        assert st[name] == "exact", name
    assert st["on_shell_j_1"] == st["on_shell_j_2"] == "exact"
    assert "g 0" in res.row("on_shell_j_1").formula
    assert st["m_Z"] == "approximate"
    assert res.row("m_Z").counted
    # the full final state balances the incoming partons: reported, never counted
    for name in ("parton_sum_E", "parton_sum_pz"):
        row = res.row(name)
        assert (row.kind, row.status, row.acts_on_features, row.counted) == (
            "parton-balance",
            "exact",
            True,
            False,
        )
        assert "never counted" in row.note
    assert "no (partons not features)" in str(res)
    assert (res.n_features, res.rank, res.predicted_dim) == (16, 7, 9)


def test_z_plus_two_jets_ptetaphim_same_count() -> None:
    ev = _z_two_jets(2000, np.random.default_rng(5))
    res = _analyze(ev, "l+ l- j j", "ptetaphim")
    assert res.status("on_shell_j_1") == res.status("on_shell_j_2") == "exact"
    assert res.predicted_dim == 9


def test_per_event_masses_and_representative() -> None:
    ev = _drell_yan_mixed(500, np.random.default_rng(6))
    fm = build_features(select(ev, "l+ l-"), "p4")
    info = fm.particles[1]  # l_minus
    pid = info.event_pids
    assert info.masses is not None
    assert pid is not None
    assert info.masses.shape == (500,)
    np.testing.assert_array_equal(info.masses[pid == 11], MASS[11])
    np.testing.assert_array_equal(info.masses[pid == 13], MASS[13])
    assert info.mixed
    assert info.species_masses() == {11: MASS[11], 13: MASS[13]}
    assert math.isnan(info.pdg_mass)  # mixed slot
    assert info.mass in (MASS[11], MASS[13])  # the median, for printing
    assert "mass column" in info.mass_source
    assert fm.event_masses().shape == (500, 2)


def test_take_keeps_masses_aligned() -> None:
    ev = _drell_yan_mixed(1000, np.random.default_rng(7))
    fm = build_features(select(ev, "l+ l-"), "p4", events=ev)
    mask = fm.particles[0].event_pids == -13  # the muon events only
    sub = fm.take(mask)
    assert sub.n_events == int(mask.sum())
    assert not sub.particles[0].mixed
    assert sub.partons is not None
    assert len(sub.partons) == sub.n_events
    assert analyze_constraints(sub).status("on_shell_l_plus") == "exact"
    # reversed order: still aligned, still exact
    rev = fm.take(np.arange(fm.n_events)[::-1])
    assert analyze_constraints(rev).status("on_shell_l_minus") == "exact"
    with pytest.raises(FeatureError, match=r"FeatureMatrix\.take"):
        dataclasses.replace(fm, X=fm.X[:100])


def test_mixed_constraint_on_plain_features_and_on_rows() -> None:
    ev = _drell_yan_mixed(400, np.random.default_rng(8))
    fm = build_features(select(ev, "l+ l-"), "p4")
    c = on_shell(fm, kinematics(fm)[0])
    # on the feature matrix's own rows (as a residual plot evaluates it): each own mass
    np.testing.assert_allclose(c.evaluate(fm.X), 0.0, atol=1e-6)  # m_mu^2 = 0.011
    # rows of the evaluation matrix carry their masses along
    Xe = evaluation_matrix(fm)
    assert Xe.shape == (400, 8 + 2)
    np.testing.assert_allclose(c.evaluate(Xe[::3]), 0.0, atol=1e-6)
    # rows of the features without their masses cannot be evaluated
    with pytest.raises(ConstraintError, match="evaluation_matrix"):
        c.evaluate(fm.X[::3])


def test_file_mass_varying_within_a_species_is_no_constraint() -> None:
    # reconstructed jets (pid 0) whose mass branch differs from event to event
    rng = np.random.default_rng(9)
    n = 500
    pt = rng.uniform(30, 200, (n, 2))
    eta = rng.uniform(-2, 2, (n, 2))
    phi = rng.uniform(-np.pi, np.pi, (n, 2))
    mass = rng.uniform(2, 30, (n, 2))
    parts = make_particles(
        {
            "pt": pt.ravel(),
            "eta": eta.ravel(),
            "phi": phi.ravel(),
            "mass": mass.ravel(),
            "pid": np.zeros(2 * n, dtype=np.int64),
            "status": np.ones(2 * n, dtype=np.int64),
            "charge": np.zeros(2 * n),
        },
        counts=np.full(n, 2),
    )
    ev = Events(parts, np.ones(n), Beams.unknown(), source="<jets>", format="generated")
    fm = build_features(select(ev, "j j"), "p4")
    assert not fm.particles[0].mixed  # one species, one mass: the median
    assert any("varies between events" in n for n in fm.particles[0].mass_notes)
    res = analyze_constraints(fm)
    assert res.status("on_shell_j_1") == "violated"
    assert any("varies between events" in n for n in res.notes)


# --- 2. a resonance on a continuum ------------------------------------------------------------


def _peak_and_continuum(n: int, peak: float, rng: np.random.Generator) -> np.ndarray:
    k = round(peak * n)
    return rng.permutation(np.concatenate([_breit_wigner(k, rng), _continuum(n - k, rng)]))


def test_wide_window_peak_on_a_continuum_predicts_four() -> None:
    rng = np.random.default_rng(10)
    ev = _drell_yan_mixed(4000, rng, masses=_peak_and_continuum(4000, 0.55, rng))
    res = _analyze(ev, "l+ l-", "p4")
    mz = res.row("m_Z")
    assert mz.status == "approximate"  # more than half the events within 3 widths ...
    assert not mz.counted  # ... but the peak does not dominate
    assert mz.peak_fraction is not None
    assert 0.5 < mz.peak_fraction < PEAK_MIN_FRACTION
    assert mz.measured_width is not None
    assert mz.measured_width > PEAK_MAX_WIDTH_RATIO * mz.width
    assert "peak on a continuum" in mz.note
    assert f"{mz.peak_fraction:.0%} of events within {PEAK_N_WIDTHS:g} widths" in mz.note
    assert "vs PDG 2.5 GeV" in mz.note
    assert mz.peak_dominates is False
    assert "no (peak on a continuum)" in str(res)
    assert (res.rank, res.predicted_dim) == (4, 4)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["resonance_rule"]["peak_min_fraction"] == PEAK_MIN_FRACTION
    row = next(c for c in d["constraints"] if c["name"] == "m_Z")
    assert row["counted"] is False
    assert row["peak_dominates"] is False


def test_peak_with_a_quarter_off_shell_still_counts() -> None:
    # merged Z + jets samples keep ~25% of events outside 3 Gamma: the peak dominates
    rng = np.random.default_rng(11)
    ev = _drell_yan_mixed(4000, rng, masses=_peak_and_continuum(4000, 0.8, rng))
    res = _analyze(ev, "l+ l-", "p4")
    mz = res.row("m_Z")
    assert mz.status == "approximate"
    assert mz.peak_fraction is not None
    assert PEAK_MIN_FRACTION < mz.peak_fraction < 0.8
    assert mz.peak_dominates is True
    assert mz.counted
    assert "the peak dominates" in mz.note
    assert res.predicted_dim == 3


def test_peak_fraction_is_weighted() -> None:
    rng = np.random.default_rng(12)
    n, k = 4000, 3200
    masses = np.concatenate([_breit_wigner(k, rng), _continuum(n - k, rng)])
    weights = np.concatenate([np.ones(k), np.full(n - k, 3.0)])  # the continuum weighs more
    ev = _drell_yan_mixed(n, rng, masses=masses, weights=weights)
    res = _analyze(ev, "l+ l-", "p4")
    mz = res.row("m_Z")
    near = np.abs(masses - M_Z) <= PEAK_N_WIDTHS * GAMMA_Z
    assert np.mean(near) > PEAK_MIN_FRACTION  # by event count the peak dominates ...
    assert mz.peak_fraction is not None
    assert mz.peak_fraction < PEAK_MIN_FRACTION  # ... not by weight
    # the fraction in tolerance is weighted too: the same 3 widths, the same number
    assert mz.fraction_within == pytest.approx(mz.peak_fraction, abs=0.01)
    assert not mz.counted
    assert res.predicted_dim == 4


def test_no_resonance_out_of_reach_at_a_lepton_collider(two_body_events) -> None:
    fm = build_features(select(two_body_events, "mu- mu+"), "p3")  # sqrt(s) = 80 GeV
    res = analyze_constraints(fm)
    assert "m_Z" not in _statuses(res)
    assert any("m_Z not proposed" in n and "4.5 PDG widths" in n for n in res.notes)
    assert res.predicted_dim == 2
    # excluding it is no error, naming it proposes it all the same
    assert analyze_constraints(fm, exclude=["m_Z"]).predicted_dim == 2
    assert analyze_constraints(fm, resonances=["Z"]).status("m_Z") == "violated"


def test_resonance_in_reach_at_the_z_pole() -> None:
    rng = np.random.default_rng(13)
    n = 1000
    a, b = _decay(
        _at_rest(np.full(n, M_Z), np.zeros(n)), np.full(n, MASS[13]), np.full(n, MASS[13]), rng
    )
    ev = _events([(a, np.full(n, 13), 1), (b, np.full(n, -13), 1)], Beams.symmetric(M_Z))
    res = _analyze(ev, "mu- mu+", "p3")
    assert "m_Z" in _statuses(res)
    assert res.predicted_dim == 2  # m(mumu) = sqrt(s) follows from the sums: no new rank


# --- 3. incoming partons -----------------------------------------------------------------------


def test_partons_only_with_the_events_and_hadron_beams() -> None:
    ev = _drell_yan_mixed(500, np.random.default_rng(14))
    without = analyze_constraints(build_features(select(ev, "l+ l-"), "p4"))
    assert not any(r.kind == "parton-balance" for r in without.rows)
    fm = build_features(select(ev, "l+ l-"), "p4", events=ev)
    assert fm.partons is not None
    assert fm.partons.shape == (500, 4)
    res = analyze_constraints(fm)
    assert res.status("parton_sum_E") == res.status("parton_sum_pz") == "exact"
    assert res.predicted_dim == without.predicted_dim == 3
    # at a lepton collider the beams fix E and pz already: no parton rows
    qq = _analyze(_ee_qqbar(300, np.random.default_rng(15)), "j j", "p3")
    assert not any(r.kind == "parton-balance" for r in qq.rows)


def test_partons_from_other_events_refused() -> None:
    ev = _drell_yan_mixed(300, np.random.default_rng(16))
    other = _drell_yan_mixed(200, np.random.default_rng(17))
    with pytest.raises(FeatureError, match="selection was made from 300"):
        build_features(select(ev, "l+ l-"), "p4", events=other)


# --- Pythia samples (small) ---------------------------------------------------------------------


def _pythia(tmp_path, name: str, *args, **kwargs) -> Events:
    pytest.importorskip("pythia8mc")
    from hepsym.generate import generate

    path = tmp_path / f"{name}.lhe.gz"
    generate(*args, output=path, **kwargs)
    return hepsym.read(path)


@pytest.mark.generate
def test_pythia_ee_qqbar_at_the_z_pole(tmp_path) -> None:
    ev = _pythia(
        tmp_path,
        "qq",
        "ee-mumu",
        2000,
        sqrt_s=91.19,
        settings=["23:onMode = off", "23:onIfAny = 1 2 3 4 5"],
    )
    res = _analyze(ev, "j j", "p3")
    assert res.status("sum_E") == "exact"
    assert (res.predicted_dim, res.embedding_dim) == (2, 3)


@pytest.mark.generate
def test_pythia_wide_mass_window(tmp_path) -> None:
    ev = _pythia(tmp_path, "wide", "pp-zmumu", 3000, mass_window=(20.0, 1000.0))
    res = _analyze(ev, "mu- mu+", "p4")
    mz = res.row("m_Z")
    assert mz.status == "approximate"
    assert not mz.counted
    assert "peak on a continuum" in mz.note
    assert mz.measured_width is not None
    assert mz.measured_width > 20.0
    assert res.status("parton_sum_E") == "exact"  # the dimuon is the whole final state
    assert res.predicted_dim == 4


@pytest.mark.generate
def test_pythia_z_jet_e_mu(tmp_path) -> None:
    ev = _pythia(
        tmp_path,
        "zj",
        "pp-zmumu",
        2000,
        mass_window=(20.0, 13000.0),
        settings=[
            "WeakSingleBoson:ffbar2gmZ = off",
            "WeakBosonAndParton:qqbar2gmZg = on",
            "WeakBosonAndParton:qg2gmZq = on",
            "PhaseSpace:pTHatMin = 20",
            "23:mMin = 60",
            "23:mMax = 120",
            "23:onIfAny = 11 13",
        ],
    )
    pair = _analyze(ev, "l+ l-", "p4")
    assert pair.status("on_shell_l_plus") == pair.status("on_shell_l_minus") == "exact"
    assert pair.status("sum_px") == pair.status("parton_sum_E") == "violated"
    assert pair.predicted_dim == 5
    full = _analyze(ev, "l+ l- j", "p4")
    assert full.status("on_shell_j") == "exact"  # quarks 0.33-4.8 GeV and gluons 0
    assert full.status("parton_sum_E") == full.status("parton_sum_pz") == "exact"
    assert not full.row("parton_sum_E").counted
    assert full.predicted_dim == 6
