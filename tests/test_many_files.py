"""Several files as one sample: lists, globs, filesets, and what may not be mixed."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

import hepsym
from hepsym.cli import main
from hepsym.errors import InputFileError, OptionError
from hepsym.io.fileset import FileEntry, expand_inputs

DATA = Path(__file__).parent.parent / "data"
EE = DATA / "ee_mumu_80GeV.lhe.gz"
PP = DATA / "pp_zmumu_13TeV.lhe.gz"
HZZ = DATA / "external" / "uproot-HZZ.root"
NANO = DATA / "external" / "coffea-nano_dimuon.root"


@pytest.fixture
def three(split_ee) -> list[Path]:
    return split_ee(3, 400)


def test_a_list_reads_as_the_whole_sample(three: list[Path]) -> None:
    many = hepsym.read(three)
    whole = hepsym.read(EE, max_events=1200)
    assert len(many) == 1200
    assert ak.to_list(many.particles.px) == ak.to_list(whole.particles.px)
    np.testing.assert_array_equal(many.weights, whole.weights)
    assert many.beams == whole.beams
    assert many.metadata["events_per_file"] == [400, 400, 400]
    assert many.metadata["files"] == [str(p) for p in three]
    assert many.source == f"{three[0]} and 2 more files"


def test_max_events_counts_all_files(three: list[Path]) -> None:
    events = hepsym.read(three, max_events=500)
    assert len(events) == 500
    assert events.metadata["events_per_file"] == [400, 100]


def test_glob_and_filesets(three: list[Path], tmp_path: Path) -> None:
    folder = three[0].parent
    assert [e.path for e in expand_inputs(str(folder / "ee_*.lhe.gz"))] == [str(p) for p in three]
    (folder / "sample.txt").write_text("# three files\nee_00.lhe.gz\n\nee_0[12].lhe.gz  # glob\n")
    assert len(hepsym.read(folder / "sample.txt")) == 1200
    (folder / "sample.json").write_text(json.dumps({p.name: None for p in three}))
    assert len(hepsym.read(folder / "sample.json")) == 1200
    coffea = {"ee": {"files": {str(p): None for p in three[:2]}}}
    (folder / "coffea.json").write_text(json.dumps(coffea))
    assert len(hepsym.read(folder / "coffea.json")) == 800
    # the same file named twice is read once
    assert len(hepsym.read([three[0], three[0], folder / "ee_00.lhe.gz"])) == 400


def test_fileset_trees_reach_the_root_reader(tmp_path: Path) -> None:
    copy = tmp_path / "hzz.root"
    shutil.copy(HZZ, copy)
    (tmp_path / "fs.json").write_text(json.dumps({"hzz.root": "events", str(HZZ): "events"}))
    entries = expand_inputs(tmp_path / "fs.json")
    assert entries == (FileEntry(str(copy), "events"), FileEntry(str(HZZ), "events"))
    events = hepsym.read(tmp_path / "fs.json", collections=["Muon"])
    assert len(events) == 2 * 2421
    (tmp_path / "wrong.json").write_text(json.dumps({"hzz.root": "nosuchtree"}))
    with pytest.raises(InputFileError, match="no tree 'nosuchtree'"):
        hepsym.read(tmp_path / "wrong.json")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not valid JSON"),
        ('{"a.lhe": 3}', "must be a name or null"),
        ('"a.lhe"', "a fileset is {path: tree}"),
        ("", "not valid JSON"),
    ],
)
def test_bad_json_filesets(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "fs.json"
    path.write_text(content)
    with pytest.raises(InputFileError, match=match):
        hepsym.read(path)


def test_what_may_not_be_mixed(three: list[Path], tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no file matches this pattern"):
        hepsym.read(tmp_path / "nothing_*.lhe")
    with pytest.raises(InputFileError, match="different initial states") as info:
        hepsym.read([three[0], PP])
    assert str(three[0]) in str(info.value)
    assert str(PP) in str(info.value)
    with pytest.raises(InputFileError, match=r"different formats \(lhe, root-ttree\)"):
        hepsym.read([three[0], HZZ])
    with pytest.raises(InputFileError, match="different collections"):
        hepsym.read([HZZ, NANO])
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(InputFileError, match="the fileset names no file"):
        hepsym.read(tmp_path / "empty.txt")
    (tmp_path / "nested.txt").write_text("empty.txt\n")
    with pytest.raises(InputFileError, match="may not name another fileset"):
        hepsym.read(tmp_path / "nested.txt")
    (tmp_path / "typo.txt").write_text("ee_99.lhe.gz\n")
    with pytest.raises(InputFileError, match=r"typo\.txt: names 'ee_99\.lhe\.gz', no such file"):
        hepsym.read(tmp_path / "typo.txt")
    lhe_named_txt = tmp_path / "events.txt"
    lhe_named_txt.write_bytes(gzip.decompress(three[0].read_bytes()))
    assert len(hepsym.read(lhe_named_txt)) == 400
    with pytest.raises(InputFileError, match="no such fileset"):
        hepsym.read(tmp_path / "missing.json")
    with pytest.raises(InputFileError, match="no such file"):
        hepsym.read([three[0], tmp_path / "missing.lhe"])
    with pytest.raises(OptionError, match="tree= applies to ROOT"):
        hepsym.read(three, tree="Events")


def test_cli_many_files(three: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder = three[0].parent
    assert main(["info", *map(str, three), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_events"] == 1200
    assert main(["constraints", str(folder / "ee_*.lhe.gz"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["predicted_dim"] == 2
    assert main(["info", str(three[0]), str(PP)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "different initial states" in err


def test_analyze_on_many_files_equals_one(three: list[Path]) -> None:
    options = {"ensemble": 2, "epochs": 2, "discover": False, "symmetries": False}
    many = hepsym.analyze(three, **options)
    whole = hepsym.analyze(EE, max_events=1200, **options)
    assert many.spec.input.path == tuple(map(str, three))
    assert many.constraints.predicted_dim == whole.constraints.predicted_dim == 2
    np.testing.assert_array_equal(many.features.X, whole.features.X)
    assert many.verdict.outcome == whole.verdict.outcome
    assert many.to_dict()["settings"]["input"]["path"] == [str(p) for p in three]


def test_a_study_of_many_files_reads_them_one_by_one(three: list[Path], tmp_path: Path) -> None:
    """In process as on Dask: file after file, the first deciding the selection; a bad
    file stops the study or, asked, is skipped and counted."""
    from hepsym.cluster import prepare_study
    from hepsym.spec import InputSpec, ScaleSpec

    spec = InputSpec(path=tuple(map(str, three)), max_events=500)
    prepared = prepare_study(spec)
    whole = hepsym.read(EE, max_events=500)
    assert prepared.features.n_input == 500
    np.testing.assert_array_equal(
        prepared.features.column("px_mu_minus"),
        ak.to_numpy(whole.particles.px[:, 3]),
    )
    broken = tmp_path / "broken.lhe.gz"
    broken.write_bytes(three[1].read_bytes()[:300])
    spec = InputSpec(path=(str(three[0]), str(broken), str(three[2])))
    with pytest.raises(InputFileError, match=r"broken\.lhe\.gz"):
        prepare_study(spec)
    skipped = prepare_study(spec, ScaleSpec(skip_bad_files=True))
    assert skipped.features.n_input == 800
    assert skipped.notes[0].startswith("1 of 3 files skipped, as asked (--skip-bad-files): ")
    with pytest.raises(hepsym.HepsymError, match="different initial states"):
        prepare_study(InputSpec(path=(str(three[0]), str(PP)), features="p4"))


def test_distinct_rows_keeps_first_occurrences_in_order():
    from hepsym.inputs import distinct_rows

    X = np.array([[0.0, 1.0], [-0.0, 1.0], [2.0, 3.0], [0.0, 1.0], [2.0, 3.0 + 1e-15], [2.0, 3.0]])
    first, n_repeated = distinct_rows(X)
    assert first.tolist() == [0, 2, 4]  # -0.0 equals 0.0; 3 + 1e-15 is another row
    assert n_repeated == 3
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(2000, 4))
    Y[[10, 500]] = Y[[3, 7]]
    first, n_repeated = distinct_rows(Y)
    reference = np.sort(np.unique(Y, axis=0, return_index=True)[1])
    np.testing.assert_array_equal(first, reference)
    assert n_repeated == 2


def test_distinct_rows_is_exact_when_hashes_collide(monkeypatch) -> None:
    """Rows are compared by their values wherever their hashes agree: a collision of
    distinct rows keeps both."""
    from hepsym import inputs

    X = np.random.default_rng(0).normal(size=(1000, 3))
    X[10] = X[2]
    X[999] = X[2]
    monkeypatch.setattr(inputs, "row_hashes", lambda X: np.zeros(len(X), dtype=np.uint64))
    first, n_repeated = inputs.distinct_rows(X)
    assert n_repeated == 2
    np.testing.assert_array_equal(first, np.setdiff1d(np.arange(1000), [10, 999]))
