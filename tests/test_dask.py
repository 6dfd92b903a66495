"""The Dask path: the same answer as in process, a lost worker, a bad file."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

import hepsym
from hepsym import cluster as hepsym_cluster
from hepsym.cli import main
from hepsym.errors import InputFileError
from hepsym.spec import InputSpec, ScaleSpec

distributed = pytest.importorskip("distributed")

DATA = Path(__file__).parent.parent / "data"
EE = DATA / "ee_mumu_80GeV.lhe.gz"
NANO = DATA / "external" / "coffea-nano_dimuon.root"


@pytest.fixture(scope="module")
def threads():
    """Two in-process workers: enough for the equality and bad-file tests, fast."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def files(split_ee) -> list[Path]:
    return split_ee(5, 300)


def _same(a: hepsym.AnalysisResult, b: hepsym.AnalysisResult) -> None:
    np.testing.assert_array_equal(a.features.X, b.features.X)
    assert a.constraints.to_dict()["constraints"] == b.constraints.to_dict()["constraints"]
    assert a.constraints.predicted_dim == b.constraints.predicted_dim
    assert a.learned.learned_dim == b.learned.learned_dim
    assert a.verdict.outcome == b.verdict.outcome


def test_the_dask_path_gives_the_in_process_answer(files: list[Path], threads: str) -> None:
    options = {"ensemble": 2, "epochs": 2, "discover": False, "symmetries": False}
    local = hepsym.analyze(files, **options)
    dask = hepsym.analyze(files, scheduler=threads, **options)
    _same(local, dask)
    assert dask.notes[0].startswith(f"Dask: scheduler {threads}, 2 workers")
    assert any(
        n.startswith("Dask: 5 files, one task each; peak memory of a worker ") for n in dask.notes
    )
    # what the in-process path said, the Dask path says too
    assert [n for n in dask.notes if not n.startswith("Dask")] == list(local.notes)


def test_max_events_counts_files_in_order(files: list[Path], threads: str) -> None:
    spec = InputSpec(path=tuple(map(str, files)), max_events=700)
    local = hepsym_cluster.prepare_study(spec)
    dask = hepsym_cluster.prepare_study(spec, ScaleSpec(scheduler=threads))
    np.testing.assert_array_equal(local.features.X, dask.features.X)
    assert dask.features.n_input == 700


def test_nanoaod_files_on_dask(tmp_path: Path, threads: str) -> None:
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"nano_{i}.root")
        paths[-1].write_bytes(NANO.read_bytes())
    (tmp_path / "fileset.json").write_text(json.dumps({p.name: "Events" for p in paths}))
    spec = InputSpec(path=str(tmp_path / "fileset.json"), select="Muon: mu+ mu-")
    local = hepsym_cluster.prepare_study(spec)
    dask = hepsym_cluster.prepare_study(spec, ScaleSpec(scheduler=threads))
    np.testing.assert_array_equal(local.features.X, dask.features.X)
    assert local.features.n_input == 3 * 40
    assert any(
        n.startswith("Dask: 3 files, one task each (3 read by uproot.dask)") for n in dask.notes
    )


def test_a_root_file_with_damaged_baskets_names_itself(tmp_path: Path, threads: str) -> None:
    """Its header reads (so uproot.dask plans it); its baskets fail on the worker: the
    error names the file, or the file is skipped and counted."""
    good = [tmp_path / f"nano_{i}.root" for i in range(2)]
    for p in good:
        p.write_bytes(NANO.read_bytes())
    data = bytearray(NANO.read_bytes())
    data[len(data) // 5 : len(data) // 2] = bytes(len(data) // 2 - len(data) // 5)
    bad = tmp_path / "nano_bad.root"
    bad.write_bytes(bytes(data))
    spec = InputSpec(path=tuple(map(str, [good[0], bad, good[1]])), select="Muon: mu+ mu-")
    with pytest.raises(InputFileError, match=r"nano_bad\.root: .*DeserializationError"):
        hepsym_cluster.prepare_study(spec, ScaleSpec(scheduler=threads))
    skipped = hepsym_cluster.prepare_study(spec, ScaleSpec(scheduler=threads, skip_bad_files=True))
    assert skipped.features.n_input == 2 * 40
    assert any(n.startswith("1 of 3 files skipped") and "nano_bad.root" in n for n in skipped.notes)


def test_a_bad_file_names_itself_or_is_skipped(files: list[Path], threads: str) -> None:
    bad = files[0].parent / "ee_02.lhe.gz"
    bad.write_bytes(bad.read_bytes()[:200])  # truncated gzip
    spec = InputSpec(path=tuple(map(str, files)))
    with pytest.raises(InputFileError, match=r"ee_02\.lhe\.gz"):
        hepsym_cluster.prepare_study(spec, ScaleSpec(scheduler=threads))
    skipped = hepsym_cluster.prepare_study(spec, ScaleSpec(scheduler=threads, skip_bad_files=True))
    assert skipped.features.n_input == 4 * 300
    note = next(n for n in skipped.notes if "skipped" in n)
    assert note.startswith("1 of 5 files skipped, as asked (--skip-bad-files): ")
    assert "ee_02.lhe.gz" in note


def test_cli_dask_bad_file_exit_2(files: list[Path], threads: str, capsys) -> None:
    (files[0].parent / "ee_03.lhe.gz").write_bytes(b"\x1f\x8b garbage")
    code = main(["constraints", str(files[0].parent / "ee_*.lhe.gz"), "--scheduler", threads])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "ee_03.lhe.gz" in err[0]


def test_no_scheduler_there(files: list[Path], capsys) -> None:
    code = main(["constraints", str(files[0]), "--scheduler", "tcp://127.0.0.1:1"])
    assert code == 2
    assert "no Dask scheduler at tcp://127.0.0.1:1" in capsys.readouterr().err


def test_a_lost_worker_changes_nothing(files: list[Path], monkeypatch) -> None:
    """One worker process is killed after the first file: Dask restarts it, retries its
    tasks, and the study's answer is the in-process one."""
    spec = InputSpec(path=tuple(map(str, files)))
    local = hepsym_cluster.prepare_study(spec)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = list(client.run(os.getpid).values())
        original = hepsym_cluster._result
        killed = []

        def kill_after_first(*args, **kwargs):
            out = original(*args, **kwargs)
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            return out

        monkeypatch.setattr(hepsym_cluster, "_result", kill_after_first)
        dask = hepsym_cluster.prepare_study(spec, ScaleSpec(scheduler=cluster.scheduler_address))
    assert killed
    np.testing.assert_array_equal(local.features.X, dask.features.X)


def test_files_that_choose_differently_follow_the_first(files: list[Path], threads: str) -> None:
    """A file whose events list mu+ before mu- would choose 'mu+ mu-' by itself; it is
    read with the first file's choice on Dask as in process."""
    text = gzip.decompress(files[1].read_bytes()).decode()
    blocks = text.split("<event>\n")
    for k in range(1, len(blocks)):
        lines = blocks[k].split("\n")
        lines[4], lines[5] = lines[5], lines[4]  # header, e-, e+, Z, mu-, mu+
        blocks[k] = "\n".join(lines)
    files[1].write_bytes(gzip.compress("<event>\n".join(blocks).encode()))
    assert hepsym_cluster.prepare_study(InputSpec(path=str(files[1]))).spec.select == "mu+ mu-"
    spec = InputSpec(path=tuple(map(str, files)))
    local = hepsym_cluster.prepare_study(spec)
    dask = hepsym_cluster.prepare_study(spec, ScaleSpec(scheduler=threads))
    assert local.spec.select == dask.spec.select == "mu- mu+"
    np.testing.assert_array_equal(local.features.X, dask.features.X)
    assert local.notes == tuple(n for n in dask.notes if not n.startswith("Dask"))


def test_a_big_root_tree_is_read_in_partitions(threads: str) -> None:
    """HZZ's 2421 entries in partitions of 1000: on Dask and in process the answer of one
    read of the whole file; a bad momentum would name the partition's entries."""
    hzz = str(DATA / "external" / "uproot-HZZ.root")
    spec = InputSpec(path=hzz, select="mu+ mu-")
    whole = hepsym.prepare(spec)
    scale = ScaleSpec(partition_entries=1000)
    here = hepsym_cluster.prepare_study(spec, scale)
    dask = hepsym_cluster.prepare_study(spec, dataclasses.replace(scale, scheduler=threads))
    np.testing.assert_array_equal(here.features.X, whole.features.X)
    np.testing.assert_array_equal(dask.features.X, whole.features.X)
    assert here.notes == whole.notes
    assert any(
        n.startswith("Dask: 1 file in 3 partitions, one task each (3 read by uproot.dask)")
        for n in dask.notes
    )
    assert dask.features.source == hzz
    part = hepsym.read(hzz, entries=(1000, 2000))
    assert part.source == f"{hzz} [entries 1000:2000]"
    limited = hepsym_cluster.prepare_study(dataclasses.replace(spec, max_events=1500), scale)
    assert limited.features.n_input == 1500


def test_a_big_plain_lhe_file_is_read_in_byte_ranges(tmp_path: Path, threads: str) -> None:
    """The shipped e+e- sample, gunzipped, in event-aligned byte ranges of about 3000
    events: the answer of one read, in process and on Dask; a gzipped file is one task."""
    plain = tmp_path / "ee.lhe"
    plain.write_bytes(gzip.decompress(EE.read_bytes()))
    spec = InputSpec(path=str(plain))
    whole = hepsym.prepare(spec)
    scale = ScaleSpec(partition_entries=3000)
    here = hepsym_cluster.prepare_study(spec, scale)
    dask = hepsym_cluster.prepare_study(spec, dataclasses.replace(scale, scheduler=threads))
    np.testing.assert_array_equal(here.features.X, whole.features.X)
    np.testing.assert_array_equal(dask.features.X, whole.features.X)
    assert here.notes == whole.notes
    assert any(n.startswith("Dask: 1 file in 4 partitions, one task each") for n in dask.notes)
    limited = hepsym_cluster.prepare_study(dataclasses.replace(spec, max_events=4000), scale)
    assert limited.features.n_input == 4000
    gz = hepsym_cluster.prepare_study(dataclasses.replace(spec, path=str(EE)), scale)
    np.testing.assert_array_equal(gz.features.X, whole.features.X)


def _rows_close(a: hepsym.ConstraintResult, b: hepsym.ConstraintResult) -> None:
    """The same table, the numbers summed in another order equal to rounding."""
    assert (a.n_events, a.rank, a.predicted_dim) == (b.n_events, b.rank, b.predicted_dim)
    for x, y in zip(a.rows, b.rows, strict=True):
        dx, dy = x.to_dict(), y.to_dict()
        for key, value in dx.items():
            if isinstance(value, float):
                assert dy[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (x.name, key)
            else:
                assert dy[key] == value, (x.name, key)


def test_a_study_above_the_sample_stays_on_the_workers(files: list[Path], threads: str) -> None:
    """Above sample_events the client holds a uniform sample; the table's counts are
    summed over every event on the workers, and equal those of the in-process study."""
    from hepsym.cluster import open_study
    from hepsym.dask_study import DaskPopulation

    copy = files[0].with_name("copy.lhe.gz")
    copy.write_bytes(files[0].read_bytes())
    spec = InputSpec(path=tuple(map(str, [*files, copy])))  # a file's events repeated
    with open_study(spec, ScaleSpec(sample_events=500), seed=3) as here:
        local = hepsym.analyze_constraints(here.features, population=here.population)
        assert here.population is not None
        assert here.population.n_events == 1500
        assert here.population.class_counts() == {"mu- mu+": 1500}
    with open_study(spec, ScaleSpec(scheduler=threads, sample_events=500), seed=3) as there:
        assert isinstance(there.population, DaskPopulation)
        dask = hepsym.analyze_constraints(there.features, population=there.population)
        # the final states of every event (repeated ones left out), for the strata
        assert there.population.class_counts() == {"mu- mu+": 1500}
    np.testing.assert_array_equal(here.features.X, there.features.X)
    np.testing.assert_array_equal(here.classes, there.classes)
    assert here.features.n_events == 500
    assert local.n_events == 1500
    _rows_close(local, dask)
    assert [n for n in there.notes if not n.startswith("Dask")] == list(here.notes)
    assert any("300 of 1800 events (17%) repeat" in n for n in here.notes)
    assert any(n.startswith("sample: 500 of the 1500 events") for n in here.notes)
    # every event counted, not the sample's: the whole table matches the all-in-memory one
    whole = hepsym_cluster.prepare_study(spec)
    full = hepsym.analyze_constraints(whole.features)
    assert [r.fraction_exact for r in full.rows] == pytest.approx(
        [r.fraction_exact for r in dask.rows]
    )
    assert [r.std for r in full.rows] == pytest.approx([r.std for r in dask.rows], rel=1e-9)


def test_analyze_above_the_sample_on_dask(files: list[Path], threads: str) -> None:
    options = {"ensemble": 2, "epochs": 2, "discover": False, "symmetries": False}
    local = hepsym.analyze(files, sample_events=600, **options)
    dask = hepsym.analyze(files, scheduler=threads, sample_events=600, **options)
    assert local.features.n_events == dask.features.n_events == 600
    assert local.constraints.n_events == dask.constraints.n_events == 1500
    _rows_close(local.constraints, dask.constraints)
    assert local.learned.learned_dim == dask.learned.learned_dim
    assert local.verdict.outcome == dask.verdict.outcome
    # trained on the sample, the ensemble's relevances are over every event, on the workers
    np.testing.assert_allclose(dask.learned.relevance, local.learned.relevance, rtol=1e-5)
    every = hepsym_cluster.prepare_study(InputSpec(path=tuple(map(str, files))))
    over_all = hepsym.learning.evaluate(local.learned.model, every.features.X, geometric=False)
    np.testing.assert_allclose(local.learned.relevance, over_all.relevance, rtol=1e-5)
    assert any(n == "relevances and KL over all 1500 events, where they lie" for n in dask.notes)


def test_a_worker_lost_after_reading_is_read_again(files: list[Path]) -> None:
    """The partitions live on the workers: one killed between reading and the table's
    tallies is read again by Dask, and the table is unchanged."""
    from hepsym.cluster import open_study

    spec = InputSpec(path=tuple(map(str, files)))
    with open_study(spec, ScaleSpec(sample_events=500)) as here:
        local = hepsym.analyze_constraints(here.features, population=here.population)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        scale = ScaleSpec(scheduler=cluster.scheduler_address, sample_events=500)
        with open_study(spec, scale) as there:
            pid = next(iter(there.population.client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)
            dask = hepsym.analyze_constraints(there.features, population=there.population)
    _rows_close(local, dask)
