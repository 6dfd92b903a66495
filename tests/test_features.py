from __future__ import annotations

import numpy as np
import pytest

from hepsym.errors import FeatureError
from hepsym.features import FeatureMatrix, build_features
from hepsym.selection import select


@pytest.mark.parametrize(("kind", "n"), [("p3", 6), ("p4", 8), ("ptetaphim", 8)])
def test_kinds_shapes_and_names(two_body_events, kind, n):
    fm = build_features(select(two_body_events, "mu- mu+"), kind)
    assert fm.X.shape == (500, n)
    assert fm.X.dtype == np.float64
    assert len(fm.names) == len(set(fm.names)) == n
    assert all(name.isidentifier() for name in fm.names)
    assert fm.beams.sqrt_s == pytest.approx(80.0)


def test_p4_columns_are_the_momenta(two_body_events):
    sel = select(two_body_events, "mu- mu+")
    fm = build_features(sel, "p4")
    np.testing.assert_allclose(fm.column("px_mu_minus") + fm.column("px_mu_plus"), 0, atol=1e-12)
    np.testing.assert_allclose(fm.column("E_mu_minus") + fm.column("E_mu_plus"), 80.0, rtol=1e-12)
    assert fm.particles[0].columns["E"] == "E_mu_minus"
    assert fm.particles[0].pdg_mass == pytest.approx(0.1056583755)
    assert fm.particles[0].mass == pytest.approx(0.1056583755, rel=1e-4)


def test_ptetaphim_agrees_with_cartesian(two_body_events):
    sel = select(two_body_events, "mu- mu+")
    a = build_features(sel, "ptetaphim")
    b = build_features(sel, "p3")
    np.testing.assert_allclose(
        a.column("pt_mu_plus") * np.cos(a.column("phi_mu_plus")), b.column("px_mu_plus"), rtol=1e-9
    )


def test_bad_kind_and_missing_column(two_body_events):
    sel = select(two_body_events, "mu- mu+")
    with pytest.raises(FeatureError, match="unknown feature kind"):
        build_features(sel, "p5")
    with pytest.raises(FeatureError, match="no feature 'px_e_minus'"):
        build_features(sel, "p3").column("px_e_minus")


def test_custom_arrays_and_finite_check():
    fm = FeatureMatrix.from_array(np.array([[1.0, 2.0], [np.nan, 3.0], [np.inf, 1.0]]))
    assert fm.names == ("x1", "x2")
    with pytest.raises(FeatureError, match=r"x1 \(2 events\)"):
        fm.check_finite()
    with pytest.raises(FeatureError):
        FeatureMatrix.from_array(np.zeros(3))
