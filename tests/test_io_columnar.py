"""Real columnar files as physicists have them: NanoAOD (ROOT, Parquet), TreeMaker, EDM4hep,
and a flat ntuple without PDG ids. Levels are kept apart and final states are honest."""

from __future__ import annotations

import json
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from hepsym.cli import main
from hepsym.errors import InputFileError, SelectionError
from hepsym.io import read
from hepsym.selection import default_query, scope_events, select
from hepsym.summary import summarize

DATA = Path(__file__).resolve().parent.parent / "data" / "external"
NANO_TT = DATA / "coffea-nano_tt_v12.root"
NANO_DIMUON = DATA / "coffea-nano_dimuon.root"
NANO_DY = DATA / "coffea-nano_dy.parquet"
TREEMAKER = DATA / "coffea-treemaker.root"
FCC = DATA / "coffea-test_FCC_Winter2023.root"
EDM4HEP = DATA.parent / "damaged" / "coffea-edm4hep.root"


def _flat(events, name):
    i = events.collections.index(name)
    parts = ak.flatten(events.particles)
    return parts[ak.to_numpy(parts.collection) == i]


@pytest.fixture(scope="module")
def tt():
    return read(NANO_TT)


def test_nanoaod_gen_final_state_has_no_resonance_parton_or_trigger(tt):
    assert tt.metadata["levels"]["GenPart"] == "gen"
    assert tt.metadata["levels"]["Muon"] == "reco"
    gen = _flat(tt, "GenPart")
    final = np.abs(ak.to_numpy(gen.pid[gen.status == 1]))
    assert not np.isin(final, [6, 23, 24, 25, 1, 2, 3, 4, 5, 21]).any()
    # two incoming partons (status 21) per event, with pt 0 and a finite momentum
    incoming = tt.particles[tt.particles.status == -1]
    assert ak.all(ak.num(incoming, axis=1) == 2)
    assert np.isfinite(ak.to_numpy(ak.flatten(incoming.pz))).all()
    # the tops are there, as intermediate particles: a ttbar file that holds its tops
    assert ak.all(gen.status[np.abs(gen.pid) == 6] == 2)
    assert {"FatJet", "GenJetAK8", "SubGenJetAK8"} <= set(tt.metadata["not_read"])


def test_reco_jets_are_jets_whatever_their_flavour(tt):
    for name in ("Jet", "GenJet"):
        assert ak.all(_flat(tt, name).pid == 0)


def test_nanoaod_trigger_objects_tracks_vertices_are_not_read_unless_named():
    events = read(NANO_DIMUON)
    assert set(events.collections) == {"Electron", "Jet", "Muon", "Photon", "Tau"}
    assert {"TrigObj", "IsoTrack", "SV", "FatJet", "SubJet"} <= set(events.metadata["not_read"])
    named = read(NANO_DIMUON, collections=["TrigObj"])
    assert named.metadata["levels"] == {"TrigObj": "trigger"}


def test_default_selection_is_gen_level_and_says_so(tt):
    query, why = default_query(tt)
    assert query == "gen: l+ l-"
    assert "gen level" in why
    assert "reco" in why
    sel = select(tt, query)
    levels = {tt.metadata["levels"][tt.collections[c]] for c in np.unique(sel.particles.collection)}
    assert levels == {"gen"}


def test_selection_never_mixes_levels(tt):
    sel = select(tt, "reco: l+ l-")
    names = {
        tt.collections[c] for c in np.unique(ak.to_numpy(ak.flatten(sel.particles.collection)))
    }
    assert names <= {"Electron", "Muon"}
    sel = select(tt, "Muon: mu+ mu-")
    assert ak.all(sel.particles.collection == tt.collections.index("Muon"))
    assert sel.query == "Muon: mu+ mu-"
    with pytest.raises(SelectionError, match="neither a level"):
        select(tt, "Bogus: mu+ mu-")


def test_info_counts_per_collection_and_level(tt):
    summary = summarize(tt)
    text = str(summary)
    assert "GenPart   gen" in text
    assert "not read" in text
    assert "gen: final state particles" in text
    assert "reco: final state particles" in text
    assert 24 not in summary.content["gen: final state"]
    assert summary.per_collection["GenPart"]["counts"]["incoming"] == 2 * len(tt)


def test_nanoaod_status_flags_count_each_resonance_once(tt):
    """GenPart_statusFlags: isLastCopy (bit 13) and isHardProcess (bit 7) as fields."""
    assert tt.metadata["status_flags"] == ["GenPart"]
    with uproot.open(NANO_TT) as f:
        raw = f["Events"]["GenPart_statusFlags"].array()
    gen = _flat(tt, "GenPart")
    flags = ak.to_numpy(ak.flatten(raw)).astype(np.int64)
    np.testing.assert_array_equal(ak.to_numpy(gen.is_last_copy), (flags >> 13) & 1 == 1)
    np.testing.assert_array_equal(ak.to_numpy(gen.is_hard_process), (flags >> 7) & 1 == 1)
    pid = ak.to_numpy(gen.pid)
    last = ak.to_numpy(gen.is_last_copy)
    # a top is recorded 2-3 times per event; its last copy once: one t and one t~ each
    for resonance in (6, -6, 24, -24):
        assert (pid == resonance).sum() > len(tt)
        assert ((pid == resonance) & last).sum() == len(tt)
    # objects without flags are their own last copy and not the hard process
    muons = _flat(tt, "Muon")
    assert ak.all(muons.is_last_copy)
    assert not ak.any(muons.is_hard_process)
    summary = summarize(tt)
    intermediate = summary.content["gen: intermediate (last copies)"]
    assert intermediate[6] == intermediate[-6] == intermediate[24] == len(tt)
    assert "gen: intermediate (last copies) particles" in str(summary)


def test_parquet_reads_like_nanoaod_root():
    pytest.importorskip("pyarrow")
    events = read(NANO_DY)
    assert events.format == "parquet"
    assert events.metadata["levels"]["LHEPart"] == "lhe"
    assert "TrigObj" not in events.collections
    gen = _flat(events, "GenPart")
    assert not np.isin(np.abs(ak.to_numpy(gen.pid[gen.status == 1])), [23, 24, 21]).any()
    lhe = _flat(events, "LHEPart")
    assert np.isin(np.abs(ak.to_numpy(lhe.pid)), [11, 13, 15, 1, 2, 3, 4, 21]).all()
    assert events.metadata["status_flags"] == ["GenPart"]
    assert ak.all(lhe.is_hard_process)  # LHE particles are the hard process, no flags needed
    assert len(read(NANO_DY, max_events=5)) == 5


def test_treemaker_lorentz_vector_branches():
    events = read(TREEMAKER)
    assert events.metadata["levels"]["GenParticles"] == "gen"
    assert events.metadata["branches"]["GenParticles"]["pt"].endswith("fCoordinates.fPt")
    gen = _flat(events, "GenParticles")
    assert ak.all(ak.num(events.particles[events.particles.status == -1], axis=1) >= 1)
    muons = _flat(events, "Muons")
    assert np.isin(ak.to_numpy(muons.pid), [13, -13]).all()
    # E from the file, not from a mass: E >= |p| for every generator particle
    assert (ak.to_numpy(gen.E) >= ak.to_numpy(gen.p) * (1 - 1e-4)).all()


def test_edm4hep_mc_and_reconstructed_particles():
    events = read(FCC)
    assert events.metadata["levels"] == {"ReconstructedParticles": "reco", "Particle": "gen"}
    # the beams are the MC record's particles without parents
    assert events.beams.ids == (11, -11)
    assert events.beams.sqrt_s == pytest.approx(240.0)
    assert "Jet" in events.metadata["not_read"]  # made of the particle-flow candidates
    gen = scope_events(events, "gen").particles
    final = gen[gen.status == 1]
    # e+ e- at 240 GeV: each event's final state carries the collision energy (to the
    # beam energy spread)
    energy = ak.to_numpy(ak.sum(final.E, axis=1))
    assert np.allclose(energy, 240.0, rtol=5e-3)


def test_edm4hep_reconstructed_particles_species_from_type():
    """FCC's ReconstructedParticles.type: a PDG id for neutrals (22, 130), 0 for charged
    particles, whose mass hypothesis (e, mu, pi) gives the species."""
    from hepsym.particles import pdg_charge

    events = read(FCC)
    assert events.metadata["species"]["ReconstructedParticles"].startswith("type branch")
    reco = _flat(events, "ReconstructedParticles")
    pid, charge = ak.to_numpy(reco.pid), ak.to_numpy(reco.charge)
    assert set(np.unique(pid)) == {22, 130, 211, -211, 13, -13, 11, -11}
    np.testing.assert_array_equal(pdg_charge(pid), charge)
    with uproot.open(FCC) as f:
        kind = ak.to_numpy(ak.flatten(f["events"]["ReconstructedParticles.type"].array()))
    np.testing.assert_array_equal(pid[kind != 0], kind[kind != 0])
    # the reconstructed muons are the generator's, to a few lost in the detector
    gen = scope_events(events, "gen").particles
    n_gen = ak.sum(abs(gen.pid[gen.status == 1]) == 13)
    assert 0.8 * n_gen <= (np.abs(pid) == 13).sum() <= n_gen
    selected = select(events, "reco: mu+ mu-")
    assert len(selected.kept) > 0.5 * len(events)


def test_edm4hep_type_that_is_no_pdg_id_stays_unknown():
    from hepsym.io._root_columns import _pid_from_type

    kind = np.array([22, 0, 0, 0, 5, 99999, 0, 130], dtype=np.int32)
    charge = np.array([0, -1, 1, 1, 0, 0, 1, 1], dtype=np.float32)
    mass = np.array([0, 0.000511, 0.105658, 0.13957, 0.3, 1.0, 0.5, 0.5], dtype=np.float32)
    np.testing.assert_array_equal(
        _pid_from_type(kind, charge, mass), [22, 11, -13, 211, 0, 0, 0, 0]
    )


def test_damaged_edm4hep_file_is_one_error_line():
    # coffea's edm4hep.root holds random numbers: an energy below the momentum
    with pytest.raises(InputFileError, match=r"coffea-edm4hep\.root: event 0"):
        read(EDM4HEP)
    # every event is invalid: dropping them would leave nothing, so that is refused too,
    # and the message does not suggest it
    for drop in (False, True):
        with pytest.raises(InputFileError, match=r"every event is invalid \(3 of 3\)") as info:
            read(EDM4HEP, drop_bad_events=drop)
        assert "drop" not in str(info.value)
        assert "\n" not in str(info.value)


@pytest.fixture
def flat_ntuple(tmp_path):
    rng = np.random.default_rng(1)
    n = 40
    branches = {}
    for i, sign in ((1, 1), (2, -1)):
        px, py, pz = rng.normal(0, 20, (3, n))
        branches.update(
            {
                f"E{i}": np.sqrt(px**2 + py**2 + pz**2 + 0.10566**2),
                f"px{i}": px,
                f"py{i}": py,
                f"pz{i}": pz,
                f"Q{i}": sign * np.where(np.arange(n) % 2, 1.0, -1.0),
            }
        )
    path = tmp_path / "flat.root"
    with uproot.recreate(path) as f:
        f.mktree("events", dict.fromkeys(branches, np.float64))
        f["events"].extend(branches)
    return path


def test_flat_ntuple_without_pdg_id_keeps_charges(flat_ntuple):
    events = read(flat_ntuple)
    assert events.metadata["species"]["particle"] == "unknown (no PDG id branch)"
    assert "unknown (no PDG id branch)" in str(summarize(events))
    query, why = default_query(events)
    assert query in {"x- x+", "x+ x-"}
    assert "unknown species" in why
    assert len(select(events, query)) == len(events)
    with pytest.raises(SelectionError, match="particle as mu"):
        select(events, "mu+ mu-")
    sel = select(events, "particle as mu: mu+ mu-")
    assert len(sel) == len(events)
    assert ak.all(sel.slot(0).charge > 0)
    assert ak.all(sel.slot(0).pid == -13)
    named = read(flat_ntuple, species={"particle": "mu"})
    assert len(select(named, "mu+ mu-")) == len(events)


def test_cli_constraints_on_flat_ntuple_with_species(flat_ntuple, capsys):
    code = main(["constraints", str(flat_ntuple), "--select", "particle as mu: mu+ mu-", "--json"])
    assert code == 0
    assert "mu_plus" in " ".join(json.loads(capsys.readouterr().out)["features"])
    code = main(["constraints", str(flat_ntuple), "--species", "particle=mu", "--json"])
    assert code == 0
    assert "mu_plus" in " ".join(json.loads(capsys.readouterr().out)["features"])
    with pytest.raises(SystemExit) as exit_info:
        main(["info", str(flat_ntuple), "--species", "particle"])
    assert exit_info.value.code == 2
    assert "expected COLLECTION=SPECIES" in capsys.readouterr().err


def test_cli_info_json_has_levels(capsys):
    assert main(["info", "--json", str(NANO_TT)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["per_collection"]["GenPart"]["level"] == "gen"
    assert "TrigObj" not in info["collections"]


def test_a_level_scope_on_an_event_record():
    lhe = read(DATA / "pylhe-testfile-powheg-box-v2-Z.lhe")
    assert len(select(lhe, "lhe: l+ l-")) == len(select(lhe, "l+ l-"))
    with pytest.raises(SelectionError, match="neither a level"):
        select(lhe, "reco: l+ l-")


def test_info_lists_at_most_twenty_ids_per_status(tt):
    text = str(summarize(tt))
    assert "more ids" in text  # the shower and hadrons of GenPart's intermediate record


def test_unknown_species_keep_their_measured_mass(flat_ntuple):
    """Without a PDG id or a mass branch, a charged particle's mass is what E and p say:
    on-shell holds at the muon mass, as with --species, and the dimension is the same."""
    from hepsym import analyze_constraints, prepare

    unnamed = prepare(str(flat_ntuple)).features
    named = prepare(str(flat_ntuple), species={"particle": "mu"}).features
    assert unnamed.particles[0].mass == pytest.approx(0.10566, rel=1e-9)
    assert "measured mass" in unnamed.particles[0].mass_source
    a, b = analyze_constraints(unnamed), analyze_constraints(named)
    assert [r.status for r in a.rows if r.kind == "on-shell"] == ["exact", "exact"]
    assert a.predicted_dim == b.predicted_dim == 6
