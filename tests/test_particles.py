from __future__ import annotations

import math

import numpy as np
import pytest
from particle import Particle

from hepsym import particles
from hepsym.particles import (
    CHARGED_LEPTONS,
    JETS,
    NEUTRINOS,
    POINTLIKE_BEAMS,
    SIGNED_NEUTRINOS,
    ParticleToken,
    lookup,
    particle_name,
    pdg_charge,
    pdg_mass,
    pdg_width,
)

#: ids that ``particle`` does not know (81, 99) or refuses as invalid PDG ids
UNKNOWN = [0, 81, 99, 999999999, -999999999, 10**30, -(10**30)]


def test_masses_in_gev():
    assert pdg_mass(13) == pytest.approx(0.1056583755, abs=1e-9)
    assert pdg_mass(-13) == pdg_mass(13)
    assert pdg_mass(np.int64(13)) == pdg_mass(13)
    assert pdg_mass(23) == pytest.approx(91.1876, abs=5e-4)
    assert pdg_mass(2212) == pytest.approx(0.93827208943, abs=1e-9)
    assert pdg_mass(22) == 0.0


def test_widths_in_gev():
    assert pdg_width(24) == pytest.approx(2.1, abs=0.06)
    assert pdg_width(24) == Particle.from_pdgid(24).width / 1000.0
    assert pdg_width(23) == pytest.approx(2.4955, abs=2e-3)
    assert pdg_width(2212) == 0.0
    assert math.isnan(pdg_width(1))  # quarks have no width in the table


@pytest.mark.parametrize("pid", [*UNKNOWN, "foo", None, math.nan, math.inf])
def test_unknown_ids_never_raise(pid):
    assert math.isnan(pdg_mass(pid))
    assert math.isnan(pdg_width(pid))
    assert particle_name(pid) == str(pid)


def test_mass_unknown_for_neutrinos():
    assert math.isnan(pdg_mass(12))
    assert particle_name(12) == "nu(e)"


def test_charges_with_unknown_ids():
    pids = np.array([13, -13, 0, 999999999, 22, 2, -1, 81, 11, 13])
    expected = np.array([-1, 1, np.nan, np.nan, 0, 2 / 3, 1 / 3, np.nan, -1, -1])
    out = pdg_charge(pids)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)
    grid = pdg_charge(pids.reshape(2, 5))
    assert grid.shape == (2, 5)
    np.testing.assert_array_equal(grid, expected.reshape(2, 5))
    assert pdg_charge(np.array([], dtype=np.int64)).shape == (0,)


def test_charges_by_table_and_by_sorting_agree():
    """Ids within 2^16 of each other are read from a table, others through np.unique:
    the same charges either way, whatever the integer type."""
    rng = np.random.default_rng(3)
    near = rng.choice([21, 1, -1, 2, -2, 23, 13, -13, 22, 2212, -211, 81], size=5000)
    far = np.concatenate([near, [1000022, -1000024]])  # SUSY ids: beyond the table
    for ids in (near, near.astype(np.int32), near.astype(np.int16)):
        expected = np.array([pdg_charge(np.array([i, 999999999]))[0] for i in ids])
        np.testing.assert_array_equal(pdg_charge(ids), expected)
    np.testing.assert_array_equal(pdg_charge(far)[:-2], pdg_charge(near))
    # int16 ids 2^16 apart would overflow if shifted in their own type
    wide = np.array([-30000, 13, 30000], dtype=np.int16)
    np.testing.assert_array_equal(pdg_charge(wide)[1], -1.0)


def test_names():
    assert particle_name(13) == "mu-"
    assert particle_name(-13) == "mu+"
    assert particle_name(2212) == "p"
    assert particle_name(0) == "0"
    assert particle_name(999999999) == "999999999"


def test_lookups_are_memoised(monkeypatch):
    calls: list[int] = []
    original = Particle.from_pdgid

    def counting(pid):
        calls.append(pid)
        return original(pid)

    particles._record.cache_clear()
    monkeypatch.setattr(Particle, "from_pdgid", counting)
    try:
        pdg_mass(13)
        pdg_charge(np.array([13, -13] * 500))
        particle_name(13)
        pdg_mass(0)
        pdg_mass(0)
        assert sorted(calls) == [-13, 0, 13]
    finally:
        particles._record.cache_clear()


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("mu-", ParticleToken(13, "mu-", "mu_minus", "\\mu^{-}")),
        ("13", ParticleToken(13, "mu-", "mu_minus", "\\mu^{-}")),
        ("+13", ParticleToken(13, "mu-", "mu_minus", "\\mu^{-}")),
        ("-13", ParticleToken(-13, "mu+", "mu_plus", "\\mu^{+}")),
        ("mu+", ParticleToken(-13, "mu+", "mu_plus", "\\mu^{+}")),
        ("gamma", ParticleToken(22, "gamma", "gamma", "\\gamma")),
        ("Z0", ParticleToken(23, "Z0", "Z_0", "Z^{0}")),
    ],
)
def test_token_lookup(token, expected):
    assert lookup(token) == expected


@pytest.mark.parametrize("token", ["foo", "", "0", "999999999", "-999999999", "mu- ", "Z"])
def test_unknown_tokens_give_none(token):
    assert lookup(token) is None


def test_token_lookup_by_name_only():
    assert lookup("13", ids=False) is None
    assert lookup("gamma", ids=False) == lookup("22")


def test_id_sets():
    assert frozenset({11, 13, 15}) == CHARGED_LEPTONS
    assert frozenset({12, 14, 16}) == NEUTRINOS
    assert frozenset({12, -12, 14, -14, 16, -16}) == SIGNED_NEUTRINOS
    assert frozenset({0, 1, 2, 3, 4, 5, -1, -2, -3, -4, -5, 21}) == JETS
    assert frozenset({11, -11, 13, -13, 22}) == POINTLIKE_BEAMS
    assert {n - 1 for n in NEUTRINOS} == CHARGED_LEPTONS
    for pid in CHARGED_LEPTONS:
        assert pdg_charge(np.array([pid, -pid])).tolist() == [-1.0, 1.0]
    for pid in SIGNED_NEUTRINOS:
        assert pdg_charge(np.array([pid])).tolist() == [0.0]


def test_no_other_hepsym_module_imported():
    source = particles.__file__
    with open(source, encoding="utf-8") as f:
        text = f.read()
    imports = [
        line.split()[1]
        for line in text.splitlines()
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
    ]
    assert all(not name.startswith("hepsym") or name == "hepsym.errors" for name in imports)
    assert "particle" not in imports


def test_common_names_through_the_id_table_agree_with_from_name():
    """The names users type most are found without scanning the PDG table, to the same
    particle as ``Particle.from_name``."""
    from particle import Particle

    from hepsym.particles import _common_names, lookup

    names = _common_names()
    assert {"mu+", "e-", "Z0", "W+", "gamma", "nu(mu)~", "b~", "p"} <= set(names)
    for name in ("mu+", "nu(mu)~", "W-"):
        assert lookup(name).pdgid == int(Particle.from_name(name).pdgid) == names[name]
