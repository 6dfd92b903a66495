from __future__ import annotations

from types import SimpleNamespace

from hepsym.verdict import compare


def _pred(d, emb):
    return SimpleNamespace(predicted_dim=d, embedding_dim=emb)


def _learned(k, agreement=1.0, geo=float("nan"), err=float("nan")):
    return SimpleNamespace(
        learned_dim=k, agreement=agreement, geometric_dim=geo, geometric_dim_err=err
    )


def test_learned_equals_predicted():
    v = compare(_pred(2, 2), _learned(2, geo=2.01, err=0.03))
    assert v.outcome == "predicted"
    assert v.geometric_matches == "predicted"
    assert not v.reasons


def test_sphere_is_explained_as_topology_not_failure():
    v = compare(_pred(2, 3), _learned(3, geo=2.0, err=0.03))
    assert v.outcome == "embedding"
    assert "topology" in v.text
    assert "2-sphere" in v.text
    assert v.geometric_matches == "predicted"


def test_mismatch_names_the_approximate_constraint_and_weak_agreement():
    v = compare(
        _pred(3, 3),
        _learned(5, agreement=0.4),
        approximate=("m_mumu = m_Z",),
        epochs=20,
        n_events=10000,
    )
    assert v.outcome == "mismatch"
    assert any("m_mumu = m_Z" in r for r in v.reasons)
    assert any("40%" in r for r in v.reasons)
    assert v.to_dict()["learned_dim"] == 5


def test_surplus_latents_are_explained_by_what_they_track():
    width = "m_Z (pair mass = m_Z)"
    ruled_out = compare(
        _pred(3, 3),
        _learned(5),
        approximate=(width,),
        evidence={"m(pair)": 0.08, "y(pair)": 0.74, "px": 0.3},
        measured_by={width: "m(pair)"},
    )
    # a cause the data rule out is said apart, never among the likely reasons
    assert any("m(pair)" in r for r in ruled_out.ruled_out)
    assert not any("m(pair)" in r for r in ruled_out.reasons)
    assert "Ruled out by the data: the width of m_Z" in ruled_out.text
    assert any("y(pair) (0.74)" in r for r in ruled_out.reasons)
    resolved = compare(
        _pred(3, 3),
        _learned(4),
        approximate=(width,),
        evidence={"m(pair)": 0.81},
        measured_by={width: "m(pair)"},
    )
    assert any("resolved as a direction" in r for r in resolved.reasons)
