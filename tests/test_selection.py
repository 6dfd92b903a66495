from __future__ import annotations

import numpy as np
import pytest

from hepsym.errors import SelectionError
from hepsym.events import Events, make_particles
from hepsym.selection import default_query, parse_query, select


def _events(pids_per_event, pts_per_event, status=None):
    counts = np.array([len(p) for p in pids_per_event])
    pid = np.concatenate(pids_per_event)
    pt = np.concatenate(pts_per_event).astype(float)
    st = np.ones(len(pid), dtype=np.int64) if status is None else np.concatenate(status)
    parts = make_particles(
        {
            "px": pt,
            "py": np.zeros_like(pt),
            "pz": np.zeros_like(pt),
            "E": pt + 1.0,
            "pid": pid,
            "status": st,
        },
        counts=counts,
    )
    return Events(parts, np.arange(len(counts), dtype=float), source="synthetic.lhe")


def test_parse_names_ids_and_generic_tokens():
    slots = parse_query("mu+ mu-")
    assert [s.pids for s in slots] == [frozenset({-13}), frozenset({13})]
    assert [s.label for s in slots] == ["mu_plus", "mu_minus"]
    assert parse_query("13, -13")[1].pids == frozenset({-13})
    assert parse_query(["e-"])[0].label == "e_minus"
    assert parse_query("l+ l-")[0].lepton_sign == 1


@pytest.mark.parametrize("bad", ["", "muon_of_doom", "mu+ 99999999"])
def test_bad_queries(bad):
    with pytest.raises(SelectionError):
        parse_query(bad)


def test_dropped_events_are_counted_and_order_follows_query():
    ev = _events([[13, -13, 22], [11, -11], [13, -13, 13]], [[5, 6, 1], [3, 4], [7, 8, 9]])
    sel = select(ev, "mu- mu+")
    assert len(sel) == 2
    assert sel.n_input == 3
    assert sel.n_dropped == 1
    assert sel.kept.tolist() == [0, 2]
    assert sel.weights.tolist() == [0.0, 2.0]
    assert sel.particles.pid.tolist() == [[13, -13], [13, -13]]
    # the highest-pT mu- wins when there are two; that event counts as having extras
    assert sel.particles.px.tolist()[1] == [9.0, 8.0]
    assert sel.n_extra == 1


def test_same_flavour_opposite_charge_pair_takes_the_harder_flavour():
    ev = _events([[13, -13, 11, -11], [11, -11], [13, 11]], [[1, 2, 30, 40], [3, 4], [5, 6]])
    sel = select(ev, "l+ l-")
    assert sel.labels == ("l_plus", "l_minus")
    assert sel.particles.pid.tolist() == [[-11, 11], [-11, 11]]
    assert sel.n_dropped == 1  # mu- e- is not a same-flavour pair


def test_final_state_only_by_default_and_cuts():
    ev = _events([[13, -13, 13]], [[50, 60, 70]], status=[[1, 1, 2]])
    assert select(ev, "mu- mu+").particles.px.tolist() == [[50.0, 60.0]]
    assert select(ev, "mu- mu+", final_state=False).particles.px.tolist() == [[70.0, 60.0]]
    with pytest.raises(SelectionError, match=r"synthetic\.lhe: no event"):
        select(ev, "mu- mu+", pt_min=55)


def test_repeated_slots_get_numbered_labels_and_distinct_particles():
    ev = _events([[21, 1, 2]], [[10, 30, 20]])
    sel = select(ev, "jet jet")
    assert sel.labels == ("j_1", "j_2")
    assert sel.particles.px.tolist() == [[30.0, 20.0]]


def test_momentum4d_behaviour_survives(two_body_events):
    sel = select(two_body_events, "mu- mu+")
    pair = sel.slot(0) + sel.slot(1)
    np.testing.assert_allclose(np.asarray(pair.mass), 80.0, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(sel.slot(0).mass), 0.1056583755, rtol=1e-6)


def test_default_studies_a_fixed_four_particle_final_state_with_neutrinos():
    # W+ W- -> mu+ nu_mu mu- nu_mu~: four particles in every event, all of them studied
    ww = [[13, -14, -13, 14]] * 3
    query, why = default_query(_events(ww, [[1, 2, 3, 4]] * 3))
    assert sorted(query.split()) == sorted(["mu-", "nu(mu)~", "mu+", "nu(mu)"])
    assert "same final state" in why


def test_default_refusal_names_the_most_common_final_state():
    # W+ W- with both W's to e or mu: final states differ between events, and 1 of 5 holds
    # a same-flavour pair (the pair rule needs half of them)
    mixed = [
        [13, -14, -11, 12],
        [13, -14, -11, 12],
        [11, -12, -13, 14],
        [13, -14, -13, 14],
        [11, -12, -13, 14],
    ]
    ev = _events(mixed, [[1, 2, 3, 4]] * 5)
    with pytest.raises(SelectionError) as err:
        default_query(ev)
    text = str(err.value)
    assert "only 20% of events hold a same-flavour opposite-charge lepton pair" in text
    assert "--select 'mu- nu(mu)~ e+ nu(e)'" in text  # in the order of its first event
    assert "(the most common final state, 40% of events)" in text
    sel = select(ev, "mu- nu(mu)~ e+ nu(e)")
    assert len(sel) == 2
