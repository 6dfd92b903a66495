"""Tests of the ROOT reader on the shipped files and on small trees written here."""

from __future__ import annotations

import itertools
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from hepsym.errors import InputFileError, OptionError
from hepsym.events import Beams, make_particles
from hepsym.io import read
from hepsym.io._root_iterate import _memory_size, _ranges
from hepsym.io._root_kinds import _interpretation_kind, _leaf_kind, branch_kinds
from hepsym.io._root_merge import _interleave
from hepsym.io._root_naming import pid_from_name, recognise
from hepsym.io.root import read_root

DATA = Path(__file__).resolve().parent.parent / "data" / "external"
HZZ = DATA / "uproot-HZZ.root"
RNTUPLE = DATA / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"
MUON_MASS = 0.1056583755


@pytest.fixture(scope="module")
def hzz():
    return read(HZZ)


@pytest.fixture(scope="module")
def hzz_raw():
    with uproot.open(HZZ) as f:
        return f["events"].arrays(
            ["NMuon", "Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E", "Muon_Charge", "EventWeight"]
        )


# --- the HZZ TTree: Cartesian jagged collections ---------------------------------------


def test_hzz_collections_and_counts(hzz, hzz_raw):
    assert hzz.format == "root-ttree"
    assert len(hzz) == 2421
    assert hzz.collections == ("Jet", "Muon", "Electron", "Photon")
    muons = hzz.particles[hzz.particles.collection == hzz.collections.index("Muon")]
    assert ak.sum(ak.num(muons)) == ak.sum(hzz_raw["NMuon"])
    np.testing.assert_array_equal(ak.num(muons), hzz_raw["NMuon"])
    np.testing.assert_allclose(ak.flatten(muons.px), ak.flatten(hzz_raw["Muon_Px"]))
    np.testing.assert_allclose(ak.flatten(muons.E), ak.flatten(hzz_raw["Muon_E"]))
    assert hzz.metadata["tree"] == "events"
    assert hzz.metadata["branches"]["Muon"]["charge"] == "Muon_Charge"
    assert hzz.metadata["counters"]["Muon"] == "NMuon"


def test_hzz_identity_from_names_and_charge(hzz, hzz_raw):
    parts = hzz.particles
    muons = parts[parts.collection == 1]
    charge = ak.flatten(hzz_raw["Muon_Charge"]).to_numpy()
    pid = ak.flatten(muons.pid).to_numpy()
    assert set(np.unique(pid)) == {13, -13}
    np.testing.assert_array_equal(pid, np.where(charge < 0, 13, -13))
    assert ak.all(parts.status == 1)
    content = hzz.content()
    assert content[0] > 0  # jets
    assert set(content) == {0, 13, -13, 11, -11, 22}
    photons = parts[parts.collection == 3]
    assert ak.all(photons.pid == 22)
    assert ak.all(photons.charge == 0)
    assert ak.all(np.isnan(ak.flatten(parts[parts.collection == 0].charge)))
    assert parts.pid.type.content.content.primitive == "int32"
    assert parts.status.type.content.content.primitive == "int8"
    assert parts.charge.type.content.content.primitive == "float32"
    assert parts.collection.type.content.content.primitive == "int8"
    for coordinate in ("x", "y", "z", "t"):
        assert parts[coordinate].type.content.content.primitive == "float64"


def test_hzz_weights_and_beams(hzz, hzz_raw):
    assert hzz.metadata["weight_branch"] == "EventWeight"
    assert hzz.weights.dtype == np.float64
    np.testing.assert_allclose(hzz.weights, hzz_raw["EventWeight"])
    assert not hzz.beams.known
    beams = Beams.symmetric(8000.0, ids=(2212, 2212))
    assert read(HZZ, beams=beams, max_events=3).beams == beams


def test_hzz_z_peak_in_dimuon_mass(hzz):
    muons = hzz.particles[hzz.particles.pid * hzz.particles.pid == 169]
    two = muons[(ak.num(muons) == 2) & (ak.sum(muons.charge, axis=1) == 0)]
    mass = (two[:, 0] + two[:, 1]).mass.to_numpy()
    assert len(mass) > 500
    counts, edges = np.histogram(mass, bins=np.arange(60.0, 121.0, 2.0))
    peak = 0.5 * (edges[counts.argmax()] + edges[counts.argmax() + 1])
    assert abs(peak - 91.2) < 3.0
    window = mass[(mass > 80) & (mass < 100)]
    assert abs(np.median(window) - 91.2) < 1.5


def test_hzz_collections_restriction_reads_only_those(hzz):
    events = read_root(HZZ, collections=["muon"], max_events=100)
    assert events.collections == ("Muon",)
    assert len(events) == 100
    assert set(events.metadata["branches"]) == {"Muon"}
    muons = hzz.particles[hzz.particles.collection == 1][:100]
    assert ak.all(events.particles.px == muons.px)
    both = read_root(HZZ, collections=["Electron", "Muon"])
    assert both.collections == ("Electron", "Muon")
    assert ak.all(both.particles.collection[both.particles.pid * both.particles.pid == 121] == 0)


def test_max_events_and_chunks_agree(hzz):
    small = read(HZZ, max_events=10)
    assert len(small) == 10
    assert ak.all(hzz.particles.E[:10] == small.particles.E)
    chunked = read(HZZ, step_size=200)
    assert len(chunked) == 2421
    assert ak.all(chunked.particles.E == hzz.particles.E)
    assert ak.all(chunked.particles.pid == hzz.particles.pid)
    np.testing.assert_array_equal(chunked.weights, hzz.weights)
    for bad in (0, -1):
        with pytest.raises(OptionError, match=f"max_events must be at least 1, got {bad}"):
            read(HZZ, max_events=bad)


def test_vector_behaviour(hzz):
    parts = hzz.particles[:50]
    assert ak.all(abs(parts.pt - np.hypot(parts.px, parts.py)) < 1e-9)
    total = parts[:, 0] + parts[:, 0]
    assert ak.all(abs(total.E - 2 * parts[:, 0].E) < 1e-9)
    assert ak.all(np.isfinite(ak.flatten(parts.eta)))


def test_collections_interleaved_as_ak_concatenate(hzz):
    """Each event holds its jets, then muons, electrons, photons: ak.concatenate(axis=1)."""
    names = hzz.collections
    with uproot.open(HZZ) as f:
        raw = f["events"].arrays([f"{c}_{v}" for c in names for v in ("Px", "E")])
    expected = ak.concatenate(
        [ak.zip({"px": raw[f"{c}_Px"], "E": raw[f"{c}_E"], "collection": ak.values_astype(
            ak.zeros_like(raw[f"{c}_Px"]) + i, np.int8)}) for i, c in enumerate(names)],
        axis=1,
    )  # fmt: skip
    parts = hzz.particles
    np.testing.assert_array_equal(ak.num(parts), ak.num(expected))
    for field in ("px", "E", "collection"):
        np.testing.assert_array_equal(
            ak.flatten(getattr(parts, field)), ak.flatten(expected[field])
        )
    for step in (100, 997, "20 kB"):
        chunked = read(HZZ, step_size=step).particles
        assert ak.all(chunked.px == parts.px)
        assert ak.all(chunked.pid == parts.pid)
        assert ak.all(chunked.collection == parts.collection)
        assert ak.all((chunked.charge == parts.charge) | np.isnan(parts.charge))


@pytest.mark.parametrize("step", [None, 300])
def test_gather_in_small_blocks_is_the_same(hzz, monkeypatch, step):
    """Blocks of a few particles (and chunks cutting across them) give the same particles."""
    import hepsym.io._root_merge as merge

    monkeypatch.setattr(merge, "_BLOCK_PARTICLES", 7)
    small = read(HZZ) if step is None else read(HZZ, step_size=step)
    for field in ("px", "py", "pz", "E", "pid", "charge", "status", "collection"):
        np.testing.assert_array_equal(
            ak.flatten(getattr(small.particles, field)), ak.flatten(getattr(hzz.particles, field))
        )
    np.testing.assert_array_equal(ak.num(small.particles), ak.num(hzz.particles))


@pytest.mark.parametrize("polar", [False, True])
def test_momentum_screen_agrees_with_the_full_check(polar):
    """The cheap test that clears most particles never clears one the full check refuses."""
    from hepsym.momenta import _full_check, _surely_valid

    rng = np.random.default_rng(11)
    n = 200_000
    edge = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e-160, 5e-324, 1e-145, 1e155, 1e149,
                     1e151, -1.0, 1e10, 1e300, 350.0, 299.0, 25.0, 1e-5])  # fmt: skip

    def column(scale):
        values = rng.normal(0, scale, n) * rng.choice([1, 1, 1e-3, 1e3], n)
        where = rng.random(n) < 0.05
        values[where] = rng.choice(edge, int(where.sum()))
        return values

    if polar:
        stored = [column(50), column(3), column(3), column(1)]
    else:
        px, py, pz = column(50), column(50), column(50)
        with np.errstate(all="ignore"):
            p = np.sqrt(px * px + py * py + pz * pz)
        factor = rng.choice([1, 1, 1 - 4e-5, 1 - 5e-5, 1 - 6e-5, 1 + 1e-5, 0.9999, -1], n)
        stored = [px, py, pz, p * factor]
    names = ("pt", "eta", "phi", "mass") if polar else ("px", "py", "pz", "E")
    with np.errstate(all="ignore"):
        bad, _ = _full_check(stored, names, polar, None)
    cleared = _surely_valid(stored, polar)
    assert not cleared[bad].any()
    assert cleared.mean() > 0.3  # it does clear the ordinary particles


@pytest.mark.parametrize("seed", range(4))
def test_interleave_permutation_against_a_loop(seed):
    rng = np.random.default_rng(seed)
    n_events, n_coll = int(rng.integers(0, 40)), int(rng.integers(2, 5))
    counts = [rng.poisson(rng.uniform(0, 3), n_events) for _ in range(n_coll)]
    offsets = [np.concatenate([[0], np.cumsum(c)]).astype(np.int64) for c in counts]
    merged, perm, collection = _interleave(offsets)
    bases = np.cumsum([0] + [int(c.sum()) for c in counts])
    expected = [(bases[c] + offsets[c][e] + i, c)
                for e in range(n_events) for c in range(n_coll) for i in range(counts[c][e])]  # fmt: skip
    np.testing.assert_array_equal(perm, [p for p, _ in expected])
    np.testing.assert_array_equal(collection, [c for _, c in expected])
    np.testing.assert_array_equal(merged, np.sum(offsets, axis=0))


def test_cluster_aligned_ranges():
    with uproot.open(HZZ) as f:
        tree = f["events"]
        muons = tree.common_entry_offsets(filter_name=lambda name: name.startswith("Muon"))
        assert list(muons) == [0, 2231, 2421]
        assert _ranges(tree, lambda name: name.startswith("Muon"), "1 GB", None) == [(0, 2421)]
        assert _ranges(tree, lambda name: True, "1 GB", 10) == [(0, 10)]
        assert _ranges(tree, lambda name: True, 5000, None) == [(0, 2421)]
        assert _ranges(tree, lambda name: True, 1000, None) is None  # iterate's own steps
        per_step = tree.num_entries_for("20 kB", filter_name=lambda name: name.startswith("Muon"))
        assert per_step < 2231
        ranges = _ranges(tree, lambda name: name.startswith("Muon"), "20 kB", None)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == 2421
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert all(0 < stop - start <= per_step for start, stop in ranges)
    assert (2231, 2421) in ranges  # the last cluster is read on its own


@pytest.mark.parametrize(
    ("text", "size"),
    [("100 MB", 10**8), ("1 GiB", 2**30), ("20 kB", 20_000), ("1.5gb", 1.5e9), ("100", None)],
)
def test_memory_size(text, size):
    assert _memory_size(text) == size


def test_column_dtypes_and_float64_momenta_for_masses(hzz, hzz_raw):
    """Momenta are float64: E^2 - p^2 of a muon in float32 would lose its mass."""
    muons = hzz.particles[hzz.particles.collection == 1]
    px, py, pz, energy = (
        ak.to_numpy(ak.flatten(hzz_raw[f"Muon_{c}"])).astype(np.float64)
        for c in ("Px", "Py", "Pz", "E")
    )
    squared = energy**2 - px**2 - py**2 - pz**2
    expected = np.copysign(np.sqrt(np.abs(squared)), squared)  # vector's sign convention
    np.testing.assert_allclose(ak.flatten(muons.mass), expected, rtol=1e-6, atol=1e-9)
    assert ak.flatten(muons.E).to_numpy().dtype == np.float64
    # pid is int32, yet compares and np.isin's against int64 ids as before.
    pid = ak.to_numpy(ak.flatten(muons.pid))
    assert np.isin(pid, np.array([13, -13], dtype=np.int64)).all()
    assert ak.all(hzz.particles.pid * hzz.particles.pid >= 0)


def test_particles_built_like_make_particles(hzz):
    """The direct layout is what ``make_particles`` (vector.zip) makes of the same columns."""
    parts = hzz.particles[:20]
    columns = {
        "px": parts.px, "py": parts.py, "pz": parts.pz, "E": parts.E, "pid": parts.pid,
        "status": parts.status, "charge": parts.charge, "collection": parts.collection,
    }  # fmt: skip
    zipped = make_particles(columns)
    assert parts.layout.form.content == zipped.layout.form.content
    assert type(parts) is type(zipped)
    assert ak.all(parts.mass == zipped.mass)


def test_branch_kinds_fast_path_agrees_with_uproot(tmp_path):
    path = tmp_path / "kinds.root"
    counts = np.array([2, 0, 1])
    data = {}
    for dtype in (np.int8, np.int16, np.int32, np.int64, np.uint32, np.float32, np.float64, bool):
        name = np.dtype(dtype).name
        data[f"s_{name}"] = np.zeros(3, dtype=dtype)
        data[f"j_{name}"] = ak.unflatten(np.zeros(3, dtype=dtype), counts)
    data["fixed"] = np.zeros((3, 4), dtype=np.float32)
    _write_ttree(path, "t", data)
    with uproot.open(path) as f:
        tree = f["t"]
        kinds = branch_kinds(tree, rntuple=False)
        for name, branch in tree.iteritems(recursive=True):
            assert kinds[name] == _interpretation_kind(branch), name
        assert _leaf_kind(tree["fixed"]) is None
        assert kinds["fixed"] == "other"
        assert kinds["s_float32"] == "scalar"
        assert kinds["j_int8"] == "jagged"
    with uproot.open(HZZ) as f:
        assert all(_leaf_kind(b) is not None for _, b in f["events"].iteritems(recursive=True))


# --- the RNTuple: NanoAOD names -------------------------------------------------------


def test_rntuple_nanoaod_muons():
    events = read(RNTUPLE)
    assert events.format == "root-rntuple"
    assert len(events) == 1000
    assert events.collections == ("Muon",)
    with uproot.open(RNTUPLE) as f:
        raw = f["Events"].arrays(["nMuon", "Muon_pt", "Muon_eta", "Muon_phi", "Muon_charge"])
    mu = events.particles
    np.testing.assert_array_equal(ak.num(mu), raw["nMuon"])
    for name in ("pt", "eta", "phi"):
        np.testing.assert_allclose(
            ak.flatten(getattr(mu, name)), ak.flatten(raw[f"Muon_{name}"]), rtol=1e-6
        )
    np.testing.assert_allclose(ak.flatten(mu.mass), MUON_MASS, rtol=1e-3)
    charge = ak.flatten(raw["Muon_charge"]).to_numpy()
    np.testing.assert_array_equal(ak.flatten(mu.pid), np.where(charge < 0, 13, -13))
    assert events.metadata["coordinates"] == "pt, eta, phi, mass"
    np.testing.assert_array_equal(events.weights, np.ones(1000))


def test_rntuple_uses_plain_fields_not_collection_subfields():
    events = read(RNTUPLE, max_events=5)
    assert events.metadata["branches"]["Muon"]["pt"] == "Muon_pt"
    assert len(events) == 5


# --- small trees written here ---------------------------------------------------------


def _write_ttree(path, name, data):
    """A TTree (``f[name] = data`` would write an RNTuple in uproot >= 5.7)."""
    with uproot.recreate(path) as f:
        f.mktree(name, data)


def _four_momenta(rng, n):
    px, py, pz = rng.normal(0, 30, size=(3, n))
    mass = rng.uniform(0, 5, size=n)
    energy = np.sqrt(px**2 + py**2 + pz**2 + mass**2)
    return px, py, pz, energy


def test_flat_numbered_branches(tmp_path):
    rng = np.random.default_rng(1)
    n = 50
    p1, p2 = _four_momenta(rng, n), _four_momenta(rng, n)
    columns = {}
    for i, (px, py, pz, energy) in enumerate((p1, p2), start=1):
        columns |= {f"E{i}": energy, f"px{i}": px, f"py{i}": py, f"pz{i}": pz}
        columns[f"pid{i}"] = np.full(n, 11 if i == 1 else -11, dtype=np.int32)
    columns["weight"] = np.linspace(0.5, 1.5, n)
    path = tmp_path / "flat.root"
    _write_ttree(path, "t", columns)
    events = read(path)
    assert events.format == "root-ttree"
    assert events.collections == ("particle",)
    parts = events.particles
    assert ak.all(ak.num(parts) == 2)
    np.testing.assert_allclose(parts.px[:, 0], p1[0])
    np.testing.assert_allclose(parts.E[:, 1], p2[3])
    assert ak.all(parts.pid[:, 0] == 11)
    assert ak.all(parts.pid[:, 1] == -11)
    np.testing.assert_allclose(ak.flatten(parts.charge), np.tile([-1.0, 1.0], n))
    np.testing.assert_allclose(events.weights, columns["weight"])
    assert events.metadata["branches"]["particle"]["px"] == ["px1", "px2"]


@pytest.mark.parametrize(
    ("template", "collection"),
    [("{c}_{i}", "particle"), ("mu{i}_{c}", "mu"), ("mu_{c}{i}", "mu"), ("mu_{i}_{c}", "mu")],
)
def test_flat_spellings(tmp_path, template, collection):
    rng = np.random.default_rng(2)
    moms = [_four_momenta(rng, 20) for _ in range(3)]
    columns = {}
    for i, mom in enumerate(moms, start=1):
        for comp, values in zip(("px", "py", "pz", "E"), mom, strict=True):
            columns[template.format(c=comp, i=i)] = values
    path = tmp_path / "flat.root"
    _write_ttree(path, "tree", columns)
    events = read_root(path)
    assert events.collections == (collection,)
    np.testing.assert_allclose(events.particles.pz[:, 2], moms[2][2])
    expected = 13 if collection == "mu" else 0
    assert ak.all(abs(events.particles.pid) == expected)


def _nanoaod_tree(path, rng, n=40):
    counts = rng.integers(0, 4, size=n)
    total = int(counts.sum())
    muon = ak.unflatten(
        ak.zip(
            {
                "pt": rng.uniform(5, 80, total).astype(np.float32),
                "eta": rng.uniform(-2.4, 2.4, total).astype(np.float32),
                "phi": rng.uniform(-np.pi, np.pi, total).astype(np.float32),
                "mass": np.full(total, MUON_MASS, dtype=np.float32),
                "charge": rng.choice([-1, 1], total).astype(np.int32),
            }
        ),
        counts,
    )
    jcounts = rng.integers(0, 3, size=n)
    jtotal = int(jcounts.sum())
    jet = ak.unflatten(
        ak.zip(
            {
                "pt": rng.uniform(20, 200, jtotal),
                "eta": rng.uniform(-4, 4, jtotal),
                "phi": rng.uniform(-np.pi, np.pi, jtotal),
            }
        ),
        jcounts,
    )
    _write_ttree(path, "Events", {"Muon": muon, "Jet": jet, "genWeight": rng.normal(1, 0.1, n)})
    return muon, jet


def test_nanoaod_ttree(tmp_path):
    path = tmp_path / "nano.root"
    muon, jet = _nanoaod_tree(path, np.random.default_rng(3))
    events = read(path)
    assert events.collections == ("Muon", "Jet")
    assert events.metadata["counters"] == {"Muon": "nMuon", "Jet": "nJet"}
    assert events.metadata["weight_branch"] == "genWeight"
    assert any("Jet: no mass branch" in note for note in events.metadata["notes"])
    parts = events.particles
    mu = parts[parts.collection == 0]
    np.testing.assert_allclose(ak.flatten(mu.pt), ak.flatten(muon.pt), rtol=1e-6)
    np.testing.assert_allclose(ak.flatten(mu.eta), ak.flatten(muon.eta), rtol=1e-6)
    np.testing.assert_allclose(ak.flatten(mu.mass), MUON_MASS, rtol=1e-3)
    jets = parts[parts.collection == 1]
    np.testing.assert_allclose(ak.flatten(jets.phi), ak.flatten(jet.phi))
    assert ak.all(jets.mass == 0)
    assert ak.all(jets.pid == 0)


def test_rntuple_records_written_by_uproot(tmp_path):
    rng = np.random.default_rng(6)
    counts = rng.integers(0, 4, size=30)
    px, py, pz, energy = _four_momenta(rng, int(counts.sum()))
    electron = ak.unflatten(ak.zip({"px": px, "py": py, "pz": pz, "E": energy}), counts)
    path = tmp_path / "records.root"
    with uproot.recreate(path) as f:
        f["Events"] = {"Electron": electron, "weight": np.full(30, 2.0)}
    events = read(path)
    assert events.format == "root-rntuple"
    assert events.collections == ("Electron",)
    assert events.metadata["branches"]["Electron"]["px"] == "Electron.px"
    np.testing.assert_allclose(ak.flatten(events.particles.E), energy)
    np.testing.assert_array_equal(ak.num(events.particles), counts)
    np.testing.assert_array_equal(events.weights, 2.0)
    assert ak.all(abs(events.particles.pid) == 11)


def test_mixed_coordinates_become_cartesian(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "mixed.root"
    n = 30
    px, py, pz, energy = _four_momenta(rng, n)
    _write_ttree(path, "Events", {
            "Muon": ak.unflatten(
                ak.zip({"pt": np.hypot(px, py), "eta": np.arcsinh(pz / np.hypot(px, py)),
                        "phi": np.arctan2(py, px), "mass": np.sqrt(np.maximum(energy**2 - px**2 - py**2 - pz**2, 0))}),
                np.ones(n, dtype=int),
            ),
            "Photon": ak.unflatten(ak.zip({"Px": px, "Py": py, "Pz": pz, "E": energy}), np.ones(n, dtype=int)),
        })  # fmt: skip
    events = read(path)
    assert events.metadata["coordinates"] == "px, py, pz, E"
    mu, gamma = events.particles[:, 0], events.particles[:, 1]
    np.testing.assert_allclose(mu.px, gamma.px, atol=1e-9)
    np.testing.assert_allclose(mu.pz, gamma.pz, atol=1e-9)
    np.testing.assert_allclose(mu.E, gamma.E, rtol=1e-9)


def test_explicit_branches_mapping(tmp_path):
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 3, size=25)
    total = int(counts.sum())
    px, py, pz, energy = _four_momenta(rng, total)
    q = rng.choice([-1, 1], total)
    path = tmp_path / "odd.root"
    columns = {"mupx": px, "mupy": py, "mupz": pz, "muen": energy, "muq": q}
    with uproot.recreate(path) as f:
        f.mktree(
            "ntp",
            {k: ak.unflatten(v, counts) for k, v in columns.items()},
            counter_name=lambda _: "n",
        )
    with pytest.raises(InputFileError, match=r"odd\.root: no particle collection .*branches="):
        read(path)
    mapping = {"Muon": {"px": "mupx", "py": "mupy", "pz": "mupz", "E": "muen", "charge": "muq"}}
    events = read(path, branches=mapping)
    assert events.collections == ("Muon",)
    np.testing.assert_allclose(ak.flatten(events.particles.E), energy)
    np.testing.assert_array_equal(ak.flatten(events.particles.pid), np.where(q < 0, 13, -13))
    with pytest.raises(InputFileError, match=r"odd\.root: .*no branch 'nope'"):
        read(path, branches={"Muon": {**mapping["Muon"], "E": "nope"}})
    with pytest.raises(InputFileError, match=r"needs px, py, pz, E"):
        read(path, branches={"Muon": {"px": "mupx", "py": "mupy"}})


def test_explicit_polar_mapping_without_mass_uses_pdg_mass(tmp_path):
    path = tmp_path / "pol.root"
    with uproot.recreate(path) as f:
        f["t"] = {
            "a": np.array([10.0, 20.0]),
            "b": np.array([0.5, -1.0]),
            "c": np.array([0.1, 2.0]),
        }
    events = read(path, branches={"Electron": {"pt": "a", "eta": "b", "phi": "c"}})
    np.testing.assert_allclose(ak.flatten(events.particles.pt), [10.0, 20.0])
    np.testing.assert_allclose(ak.flatten(events.particles.mass), 0.000511, rtol=1e-2)
    assert ak.all(events.particles.pid == 11)
    assert ak.all(np.isnan(ak.flatten(events.particles.charge)))


# --- tree choice and bad input --------------------------------------------------------


def test_several_trees(tmp_path):
    path = tmp_path / "two.root"
    with uproot.recreate(path) as f:
        f["aux"] = {"x": np.arange(3.0)}
        f["other"] = {"E1": np.ones(3), "px1": np.zeros(3), "py1": np.zeros(3), "pz1": np.zeros(3)}
    with pytest.raises(InputFileError, match=r"two\.root: several trees \(aux, other\)"):
        read(path)
    assert len(read(path, tree="other")) == 3
    with uproot.update(path) as f:
        f["events"] = {"E1": np.ones(4), "px1": np.zeros(4), "py1": np.zeros(4), "pz1": np.zeros(4)}
    assert read(path).metadata["tree"] == "events"


def test_wrong_tree_name():
    with pytest.raises(
        InputFileError, match=r"uproot-HZZ\.root: no tree 'Events' \(trees in the file: events\)"
    ):
        read(HZZ, tree="Events")


def test_unknown_collection():
    with pytest.raises(
        InputFileError, match=r"no collection 'Tau' \(recognised: Jet, Muon, Electron, Photon\)"
    ):
        read(HZZ, collections=["Tau"])


def test_truncated_file(tmp_path):
    data = HZZ.read_bytes()
    cut = tmp_path / "cut.root"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"cut\.root: .*truncated") as info:
        read(cut)
    assert "\n" not in str(info.value)
    assert info.value.__cause__ is not None


def test_corrupted_baskets(tmp_path):
    data = bytearray(HZZ.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = bytes(4000)
    bad = tmp_path / "bad.root"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"bad\.root: cannot read 'events', corrupted") as info:
        read(bad)
    assert info.value.__cause__ is not None


def test_histogram_is_not_a_tree(tmp_path):
    path = tmp_path / "hist.root"
    with uproot.recreate(path) as f:
        f["h"] = np.histogram([1.0, 2.0, 2.5], bins=3)
    with pytest.raises(
        InputFileError, match=r"hist\.root: no TTree or RNTuple in the file \(it holds h \(TH1D\)\)"
    ):
        read(path)
    with pytest.raises(InputFileError, match=r"'h' is a TH1D, not a TTree or RNTuple"):
        read(path, tree="h")


# --- naming rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pid"),
    [("Muon", 13), ("mu", 13), ("Electron", 11), ("Ele", 11), ("Tau", 15), ("Photon", 22),
     ("gamma", 22), ("FsrPhoton", 22), ("Jet", 0), ("FatJet", 0), ("track", 0)],
)  # fmt: skip
def test_pid_from_name(name, pid):
    assert pid_from_name(name) == pid


def test_recognise_ignores_incomplete_and_flags():
    kinds = {
        "MET_px": "scalar", "MET_py": "scalar",
        "Jet_Px": "jagged", "Jet_Py": "jagged", "Jet_Pz": "jagged", "Jet_E": "jagged", "Jet_ID": "jagged",
        "Tau_pt": "jagged", "Tau_eta": "jagged", "Tau_phi": "jagged", "Tau_pdgId": "jagged",
        "_collection0.Tau_pt": "jagged", "Tau_x": "other",
    }  # fmt: skip
    specs = {s.name: s for s in recognise(kinds)}
    assert set(specs) == {"Jet", "Tau"}
    assert specs["Jet"].slots[0] == {"px": "Jet_Px", "py": "Jet_Py", "pz": "Jet_Pz", "E": "Jet_E"}
    assert specs["Tau"].coords == "polar"
    assert specs["Tau"].slots[0]["pid"] == "Tau_pdgId"
