"""Pythia 8 samples: physics of the events, the LHE file they are written to, reproducibility."""

from __future__ import annotations

import math
import re
import shlex
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import pylhe
import pytest

import hepsym
from hepsym.errors import GeneratorError
from hepsym.generate import PROCESSES, GeneratedSample, generate, main

pytest.importorskip("pythia8mc")
pytestmark = pytest.mark.generate

DATA = Path(__file__).resolve().parent.parent / "data"
M_Z, GAMMA_Z, SIN2_THETA_W = 91.1876, 2.4952, 0.2312  # Pythia 8.317 defaults


# Statistics without scipy -------------------------------------------------------------------


def chi2_pvalue(chi2: float, dof: int) -> float:
    """Upper tail of the chi2 distribution (Wilson-Hilferty, good to ~1% here)."""
    z = ((chi2 / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / math.sqrt(2 / (9 * dof))
    return 0.5 * math.erfc(z / math.sqrt(2))


def ks_pvalue(d: float, n: int) -> float:
    """Kolmogorov asymptotic p-value of a one-sample KS distance (Stephens' correction)."""
    lam = d * (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n))
    return min(
        1.0,
        max(
            0.0, 2 * sum((-1) ** (j - 1) * math.exp(-2 * j * j * lam * lam) for j in range(1, 101))
        ),
    )


def afb_standard_model(sqrt_s: float) -> float:
    """Tree-level A_FB of e+e- -> gamma*/Z -> mu+mu- (theta: mu- to e-), s-dependent width."""
    s, cw2 = sqrt_s**2, 1 - SIN2_THETA_W
    chi = s / (4 * SIN2_THETA_W * cw2) / (s - M_Z**2 + 1j * s * GAMMA_Z / M_Z)
    v, a = -0.5 + 2 * SIN2_THETA_W, -0.5
    a0 = 1 + 2 * v * v * chi.real + (v * v + a * a) ** 2 * abs(chi) ** 2
    a1 = 4 * a * a * chi.real + 8 * (v * a) ** 2 * abs(chi) ** 2
    return 3 * a1 / (8 * a0)


def cos_theta_cdf(c: np.ndarray, afb: float) -> np.ndarray:
    """CDF of the density 3/8 (1 + c^2) + A_FB c on [-1, 1]."""
    return 3 / 8 * (c + c**3 / 3 + 4 / 3) + afb * (c**2 - 1) / 2


# Samples: generated once per module, read back from the LHE file they were written to --------


def read_back(path: Path) -> tuple[pylhe.LHEFile, ak.Array]:
    lhe = pylhe.LHEFile.fromfile(path, generator=False)
    return lhe, pylhe.to_awkward(lhe.events)


def column(particles: ak.Array, pid: int, name: str) -> np.ndarray:
    """One momentum component of the single particle ``pid`` of every event."""
    sel = particles[particles.id == pid]
    assert ak.all(ak.num(sel) == 1)
    return ak.to_numpy(getattr(sel.vector, name)[:, 0])


@pytest.fixture(scope="module")
def ee(tmp_path_factory) -> tuple[GeneratedSample, pylhe.LHEFile, ak.Array]:
    path = tmp_path_factory.mktemp("ee") / "ee.lhe.gz"
    sample = generate("ee-mumu", 4000, seed=3, output=path)
    return (sample, *read_back(path))


@pytest.fixture(scope="module")
def pp(tmp_path_factory) -> tuple[GeneratedSample, pylhe.LHEFile, ak.Array]:
    path = tmp_path_factory.mktemp("pp") / "pp.lhe"
    sample = generate("pp-zmumu", 3000, seed=4, output=path)
    return (sample, *read_back(path))


# e+ e- -> mu+ mu- ------------------------------------------------------------------------------


def test_ee_momentum_and_energy_balance_survive_the_file(ee):
    sample, _, events = ee
    parts = events.particles
    for k in ("px", "py", "pz"):
        total = column(parts, 13, k) + column(parts, -13, k)
        assert np.max(np.abs(total)) <= 1e-12 * 80.0
    energy = column(parts, 13, "e") + column(parts, -13, "e")
    np.testing.assert_allclose(energy, 80.0, rtol=1e-9, atol=0)
    # The file holds exactly the doubles Pythia produced.
    flat = ak.flatten(parts)
    for k, name in (("px", "px"), ("py", "py"), ("pz", "pz"), ("E", "e")):
        assert np.array_equal(ak.to_numpy(getattr(flat.vector, name)), sample.particles[k])
    assert np.array_equal(ak.to_numpy(flat.m), sample.particles["mass"])


def test_ee_record_and_init_block(ee):
    sample, lhe, events = ee
    parts = events.particles
    assert ak.all(ak.num(parts) == 5)
    assert parts.id[0].tolist() == [11, -11, 23, 13, -13]
    assert ak.all(parts.status == [[-1, -1, 2, 1, 1]])
    assert ak.all(parts.mother1 == [[0, 0, 1, 3, 3]])
    muons = parts[abs(parts.id) == 13]
    np.testing.assert_allclose(ak.to_numpy(ak.flatten(muons.m)), 0.10566)
    assert np.all(ak.to_numpy(events.eventinfo.weight) == 1.0)
    info = lhe.init.initInfo
    assert (info.beamA, info.beamB, info.energyA, info.energyB) == (11, -11, 40.0, 40.0)
    assert info.weightingStrategy == 3
    (proc,) = lhe.init.procInfo
    assert proc.xSection == pytest.approx(sample.cross_section_pb)
    assert 30.0 < proc.xSection < 45.0  # pb, gamma*/Z at 80 GeV
    assert proc.procId == 224
    assert lhe.init.generators[0].name == "Pythia8"
    assert "Random:seed = 3" in lhe.comment


def test_ee_cos_theta_follows_one_plus_cos2_with_standard_model_afb(ee):
    _, _, events = ee
    px, py, pz = (column(events.particles, 13, k) for k in ("px", "py", "pz"))
    cos = pz / np.sqrt(px**2 + py**2 + pz**2)
    n = len(cos)
    afb_theory = afb_standard_model(80.0)
    assert afb_theory == pytest.approx(-0.727, abs=0.002)

    measured = (np.sum(cos > 0) - np.sum(cos < 0)) / n
    sigma = math.sqrt((1 - measured**2) / n)
    assert abs(measured - afb_theory) < 3.5 * sigma

    # Binned shape against the prediction, nothing fitted.
    edges = np.linspace(-1, 1, 21)
    counts, _ = np.histogram(cos, bins=edges)
    expected = n * np.diff(cos_theta_cdf(edges, afb_theory))
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert chi2_pvalue(chi2, 20) > 1e-3, chi2

    # Unbinned shape with the measured asymmetry.
    c = np.sort(cos)
    cdf = cos_theta_cdf(c, measured)
    d = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert ks_pvalue(d, n) > 1e-3, d

    # The tests have power: neither a symmetric 1 + cos^2 nor a flat shape passes.
    for wrong in (cos_theta_cdf(edges, 0.0), (edges + 1) / 2):
        wrong_chi2 = float(np.sum((counts - n * np.diff(wrong)) ** 2 / (n * np.diff(wrong))))
        assert chi2_pvalue(wrong_chi2, 20) < 1e-6


def test_ee_to_events_record(ee):
    sample, _, _ = ee
    events = sample.to_events()
    assert len(events) == 4000
    assert events.beams.sqrt_s == pytest.approx(80.0, rel=1e-6)
    assert events.beams.ids == (11, -11)
    assert events.content(status=1) == {13: 4000, -13: 4000}
    mu = sample.momenta(13)
    assert mu.shape == (4000, 4)
    with pytest.raises(GeneratorError, match="not unique"):
        sample.momenta(22)


# p p -> Z -> mu+ mu- -----------------------------------------------------------------------


def dimuon(events: ak.Array) -> dict[str, np.ndarray]:
    parts = events.particles
    out = {k: column(parts, 13, k) + column(parts, -13, k) for k in ("px", "py", "pz", "e")}
    out["m"] = np.sqrt(
        (out["e"] - out["pz"]) * (out["e"] + out["pz"]) - out["px"] ** 2 - out["py"] ** 2
    )
    out["y"] = 0.5 * np.log((out["e"] + out["pz"]) / (out["e"] - out["pz"]))
    return out


def test_pp_dimuon_has_no_transverse_momentum(pp):
    _, _, events = pp
    mumu = dimuon(events)
    scale = column(events.particles, 13, "e")
    assert np.all(np.abs(mumu["px"]) <= 1e-12 * scale)
    assert np.all(np.abs(mumu["py"]) <= 1e-12 * scale)
    # Incoming partons carry the dimuon's longitudinal momentum and energy.
    parts = events.particles
    incoming = parts[parts.status == -1]
    for k, name in (("pz", "pz"), ("e", "e")):
        total = ak.to_numpy(ak.sum(getattr(incoming.vector, name), axis=1))
        np.testing.assert_allclose(total, mumu[k], rtol=1e-12, atol=1e-9)


def test_pp_mass_peak_is_the_z(pp):
    sample, lhe, events = pp
    m = dimuon(events)["m"]
    assert np.all((m > 60.0) & (m < 120.0))
    # Relativistic Breit-Wigner, unbinned maximum likelihood on a grid, in 86-96 GeV.
    lo, hi = 86.0, 96.0
    x = m[(m > lo) & (m < hi)]
    mass = np.linspace(90.6, 91.8, 61)[:, None, None]
    width = np.linspace(1.8, 3.3, 61)[None, :, None]
    grid = np.linspace(lo, hi, 2001)

    def bw(v):
        return 1.0 / ((v**2 - mass**2) ** 2 + (mass * width) ** 2)

    norm = np.trapezoid(bw(grid[None, None, :]), grid, axis=-1)
    loglike = np.log(bw(x[None, None, :])).sum(axis=-1) - len(x) * np.log(norm)
    i, j = np.unravel_index(np.argmax(loglike), loglike.shape)
    assert mass[i, 0, 0] == pytest.approx(M_Z, abs=0.15)
    assert width[0, j, 0] == pytest.approx(GAMMA_Z, abs=0.3)
    assert lhe.init.initInfo.beamA == lhe.init.initInfo.beamB == 2212
    assert lhe.init.initInfo.energyA == 6500.0
    assert 1000.0 < sample.cross_section_pb < 2000.0  # LO gamma*/Z -> mu mu, 60-120 GeV


def test_pp_rapidity_is_symmetric(pp):
    _, _, events = pp
    y = dimuon(events)["y"]
    n = len(y)
    assert abs(np.sum(y > 0) - np.sum(y < 0)) < 3.5 * math.sqrt(n)
    forward, _ = np.histogram(y, bins=np.linspace(0, 4, 9))
    backward, _ = np.histogram(-y, bins=np.linspace(0, 4, 9))
    chi2 = float(np.sum((forward - backward) ** 2 / np.maximum(forward + backward, 1)))
    assert chi2_pvalue(chi2, 8) > 1e-3, chi2
    assert np.std(y) > 1.0  # the Z is produced over a wide range of rapidity


# e+ e- -> W+ W- -> mu nu mu nu ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ww(tmp_path_factory) -> tuple[GeneratedSample, ak.Array]:
    path = tmp_path_factory.mktemp("ww") / "ww.lhe.gz"
    sample = generate("ee-ww", 200, seed=5, output=path)
    return sample, read_back(path)[1]


def test_ww_is_fully_leptonic_and_balanced(ww):
    sample, events = ww
    assert sample.sqrt_s == 250.0
    assert "WeakDoubleBoson:ffbar2WW = on" in sample.settings
    parts = events.particles
    final = parts[parts.status == 1]
    # every event: mu- nu_mu~ mu+ nu_mu, nothing else
    assert ak.all(ak.num(final) == 4)
    assert ak.all(ak.sort(final.id, axis=1) == [[-14, -13, 13, 14]])
    # e+ e- at 250 GeV without ISR: the four leptons carry the whole beam four-momentum
    for k in ("px", "py", "pz"):
        total = ak.to_numpy(ak.sum(getattr(final.vector, k), axis=1))
        assert np.max(np.abs(total)) <= 1e-10 * 250.0
    energy = ak.to_numpy(ak.sum(final.vector.e, axis=1))
    np.testing.assert_allclose(energy, 250.0, rtol=1e-10, atol=0)


def test_ww_record_holds_both_ws_and_their_decays(ww):
    _, events = ww
    parts = events.particles
    assert ak.all(ak.num(parts) == 8)  # e- e+, W+ W-, 4 leptons
    assert ak.all(parts.status[:, :2] == -1)
    for w in (24, -24):
        boson = parts[parts.id == w]
        assert ak.all(ak.num(boson) == 1)
        assert ak.all(boson.status == 2)
        # the W is the sum of its two decay products, near its mass
        position = ak.to_numpy(ak.argmax(parts.id == w, axis=1)) + 1  # 1-based, as LHE
        children = parts[parts.mother1 == position[:, None]]
        assert ak.all(ak.num(children) == 2)
        e, px, py, pz = (
            ak.to_numpy(ak.sum(getattr(children.vector, k), axis=1))
            for k in ("e", "px", "py", "pz")
        )
        mass = np.sqrt(e**2 - px**2 - py**2 - pz**2)
        np.testing.assert_allclose(mass, ak.to_numpy(boson.m[:, 0]), rtol=1e-6)
        assert 75.0 < np.median(mass) < 85.0
        charge = {24: -13, -24: 13}[w]  # W+ -> mu+ nu_mu, W- -> mu- nu_mu~
        assert ak.all(ak.sum(children.id == charge, axis=1) == 1)


def test_ww_showered_record_keeps_the_last_w_copies():
    sample = generate("ee-ww", 20, settings=["PartonLevel:all = on", "HadronLevel:all = off"])
    assert sample.record == "event"
    for w in (24, -24):
        assert sample.momenta(w, status=2).shape == (20, 4)


def test_ww_threshold_is_its_own():
    with pytest.raises(GeneratorError, match=re.escape("below the W+ W- threshold (2 m_W = 160.8")):
        generate("ee-ww", 10, sqrt_s=150.0)
    # the mu+ mu- processes keep theirs
    with pytest.raises(GeneratorError, match=re.escape("below the mu+ mu- threshold (2 m_mu")):
        generate("ee-mumu", 10, sqrt_s=0.2)


# Full events (showers) on request ------------------------------------------------------------


def test_parton_level_without_radiation_keeps_pt_zero_only_without_primordial_kt():
    no_radiation = [
        "PartonLevel:all = on",
        "PartonLevel:ISR = off",
        "PartonLevel:FSR = off",
        "PartonLevel:MPI = off",
    ]
    flat = generate("pp-zmumu", 200, settings=[*no_radiation, "BeamRemnants:primordialKT = off"])
    kicked = generate("pp-zmumu", 200, settings=no_radiation)
    assert flat.record == kicked.record == "event"
    for sample, expect_zero in ((flat, True), (kicked, False)):
        mumu = sample.momenta(13) + sample.momenta(-13)
        pt = np.hypot(mumu[:, 0], mumu[:, 1])
        assert np.all(pt < 1e-9) if expect_zero else np.mean(pt) > 0.5
        # Beams in, every final-state particle out: still balanced.
        p, ev = sample.particles, np.repeat(np.arange(len(sample)), sample.counts)
        fin, inc = p["status"] == 1, p["status"] == -1
        for k in ("px", "py", "pz", "E"):
            out = np.bincount(ev[fin], p[k][fin], minlength=len(sample))
            into = np.bincount(ev[inc], p[k][inc], minlength=len(sample))
            np.testing.assert_allclose(out, into, rtol=0, atol=1e-9 * 13000)


# Reproducibility ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x.lhe.gz", "x.lhe"])
def test_same_seed_same_bytes(tmp_path, name):
    a, b, c = (tmp_path / d for d in ("a", "b", "c"))
    for folder in (a, b, c):
        folder.mkdir()
    generate("ee-mumu", 300, seed=7, output=a / name)
    generate("ee-mumu", 300, seed=7, output=b / name)
    generate("ee-mumu", 300, seed=8, output=c / name)
    assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / name).read_bytes() != (c / name).read_bytes()
    assert not list(a.glob(".*part"))  # no temporary file left behind


def documented_commands() -> dict[str, list[str]]:
    """The ``hepsym generate`` commands of data/README.md, by output file name."""
    text = (DATA / "README.md").read_text()
    section = text.split("## Generated samples", 1)[1]
    commands = {}
    for line in re.findall(r"^hepsym generate .*$", section, flags=re.MULTILINE):
        argv = shlex.split(line)[2:]
        commands[Path(argv[argv.index("-o") + 1]).name] = argv
    return commands


@pytest.mark.parametrize("name", ["ee_mumu_80GeV.lhe.gz", "pp_zmumu_13TeV.lhe.gz"])
def test_shipped_sample_is_reproduced_bit_for_bit_by_its_command(tmp_path, name, capsys):
    argv = documented_commands()[name]
    out = tmp_path / name
    argv[argv.index("-o") + 1] = str(out)
    assert main(argv) == 0
    assert "wrote 10000" in capsys.readouterr().out
    assert out.read_bytes() == (DATA / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "process", "sqrt_s"),
    [("ee_mumu_80GeV.lhe.gz", "ee-mumu", 80.0), ("pp_zmumu_13TeV.lhe.gz", "pp-zmumu", 13000.0)],
)
def test_shipped_samples_read_back(name, process, sqrt_s):
    path = DATA / name
    assert path.stat().st_size < 2_500_000
    events = pylhe.to_awkward(pylhe.LHEFile.fromfile(path))
    assert len(events) == 10_000
    assert ak.all(events.particles.status == [[-1, -1, 2, 1, 1]])
    read = hepsym.read(path)
    assert len(read) == 10_000
    assert read.beams.sqrt_s == pytest.approx(sqrt_s, rel=1e-6)
    # hepsym's reader gives exactly the momenta pylhe reads (which are what Pythia made).
    for mine, theirs in (("px", "px"), ("py", "py"), ("pz", "pz"), ("E", "e")):
        a = ak.to_numpy(ak.flatten(getattr(read.particles, mine)))
        b = ak.to_numpy(ak.flatten(getattr(events.particles.vector, theirs)))
        assert np.array_equal(a, b)
    assert process in pylhe.LHEFile.fromfile(path).comment


# Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"process": "ee-tautau"},
            "unknown process 'ee-tautau'; known: ee-mumu, pp-zmumu, ee-ww",
        ),
        ({"n_events": 0}, "positive integer"),
        ({"n_events": -5}, "positive integer"),
        ({"n_events": 2.5}, "positive integer"),
        ({"process": "pp-zmumu", "sqrt_s": 50.0}, "below the mass window"),
        ({"sqrt_s": 80.0, "mass_window": (85.0, 95.0)}, "below the mass window"),
        ({"sqrt_s": 100.0, "mass_window": (60.0, 90.0)}, "above the mass window"),
        ({"mass_window": (120.0, 60.0)}, "LOW < HIGH"),
        ({"sqrt_s": 0.1}, "threshold"),
        ({"seed": 0}, "seed must be in 1"),
        ({"settings": ["PartonLevel:all on"]}, "Key:name = value"),
        ({"settings": ["Foo:bar = 3"]}, "Pythia rejected the setting 'Foo:bar = 3'"),
        ({"sqrtS": 80.0}, "ee-mumu: unknown option sqrtS; known: sqrt_s, seed"),
    ],
)
def test_bad_inputs_raise_generator_error(kwargs, match):
    kwargs = {"process": "ee-mumu", "n_events": 10, **kwargs}
    with pytest.raises(GeneratorError, match=re.escape(match)):
        generate(**kwargs)


def test_missing_pythia_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pythia8mc", None)
    with pytest.raises(GeneratorError, match=re.escape('pip install "hepsym[generate]"')):
        generate("ee-mumu", 10)


def test_command_line(tmp_path, capsys):
    out = tmp_path / "ee.lhe"
    assert main(["ee-mumu", "--events", "50", "--seed", "2", "-o", str(out), "--no-progress"]) == 0
    assert "wrote 50 ee-mumu events at sqrt(s) = 80 GeV (seed 2" in capsys.readouterr().out
    assert pylhe.LHEFile.count_events(out) == 50
    assert main(["pp-zmumu", "--events", "0", "-o", str(out)]) == 2
    assert "hepsym: error: pp-zmumu: the number of events" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ee-tautau", "-o", str(out)])
    assert set(PROCESSES) == {"ee-mumu", "pp-zmumu", "ee-ww"}
