"""Every bad option value: exit 2, one line naming the problem, nothing written, no work done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hepsym.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"
EE = str(DATA / "ee_mumu_80GeV.lhe.gz")
QUICK = ["--ensemble", "2", "--epochs", "2", "--max-events", "1500", "--no-progress"]

#: (argv, words the one error line must contain)
BAD = [
    (["analyze"], "needs an event FILE"),
    (["analyze", EE, "--sqrt-s", "0"], "sqrt(s) must be a positive number"),
    (["analyze", EE, "--sqrt-s", "-80"], "sqrt(s) must be a positive number"),
    (["analyze", EE, "--sqrt-s", "nan"], "sqrt(s) must be a positive number"),
    (["analyze", EE, "--sqrt-s", "inf"], "sqrt(s) must be a positive number"),
    (["constraints", EE, "--sqrt-s", "-1"], "sqrt(s) must be a positive number"),
    (["analyze", EE, "--threads", "0"], "threads must be at least 1"),
    (["learn", EE, "--threads", "-1"], "threads must be at least 1"),
    (["analyze", EE, "--seed", "-1"], "seed must be an integer from 0"),
    (["learn", EE, "--seed", "-1"], "seed must be an integer from 0"),
    (["reproduce", "paper", "--seed", "-1"], "seed must be an integer from 0"),
    (["analyze", EE, "--device", "bogus"], "unknown torch device 'bogus'"),
    (["analyze", EE, "--max-events", "-1"], "max_events must be at least 1"),
    (["analyze", EE, "--max-events", "0"], "max_events must be at least 1"),
    (["analyze", EE, "--ensemble", "0"], "at least 1 member"),
    (["reproduce", "paper", "--ensemble", "0"], "at least 1 member"),
    (["analyze", EE, "--dataset", "circle"], "not both"),
    (["reproduce", "paper", "--data", "/nonexistent/samples"], "no such folder of samples"),
    (["analyze", EE, "--out", ""], "output folder name is empty"),
    (["analyze", EE, "--ensemble", "100000", "--no-progress"], "GiB of memory"),
    (["analyze", EE, "--hidden", "100000", "100000", "--no-progress"], "GiB of memory"),
    (["analyze", EE, "--max-degree", "9"], "max_degree must be an integer from 1 to 6, got 9"),
    (["discover", EE, "--max-degree", "0"], "max_degree must be an integer from 1 to 6, got 0"),
    (["discover", EE, "--tolerance", "2"], "tolerance must be in (0, 1), got 2.0"),
    (
        ["analyze", EE, "--dask-workers", "0", "--dask"],
        "dask_workers must be an integer of at least 1, got 0",
    ),
    (["analyze", "nothing_*.lhe"], "nothing_*.lhe: no file matches this pattern"),
    (["learn", EE, "--workers", "0"], "workers must be an integer of at least 1, got 0"),
]


@pytest.mark.parametrize(("argv", "words"), BAD, ids=[" ".join(a[:1] + a[2:]) for a, _ in BAD])
def test_bad_option_is_one_line_and_exit_2(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("hepsym: error: ")
    assert words in lines[0]
    assert "Traceback" not in captured.err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_out_that_is_a_file_is_refused_before_the_work(tmp_path, capsys):
    target = tmp_path / "report"
    target.write_text("mine")
    assert main(["analyze", EE, "--out", str(target), *QUICK]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # no notes printed: nothing was read or trained
    assert "exists and is not a folder" in err
    assert target.read_text() == "mine"


def test_existing_out_folder_needs_force_and_is_replaced_whole(tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "stale.png").write_text("from an earlier run")
    assert main(["analyze", EE, "--out", str(out), *QUICK]) == 2
    assert "use --force" in capsys.readouterr().err
    assert (out / "stale.png").exists()
    assert main(["analyze", EE, "--out", str(out), "--force", *QUICK]) == 0
    names = {p.name for p in out.iterdir()}
    assert "stale.png" not in names  # replaced whole, not mixed
    assert {"result.json", "report.md", "relevance.png"} <= names
    assert json.loads((out / "result.json").read_text())["n_events"] == 1500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no lock, no staging


def test_read_only_parent_is_refused_before_the_work(tmp_path, capsys, monkeypatch):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    if os.access(parent, os.W_OK):  # root ignores permissions: pretend it is a user
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == parent else real(p, m))
    try:
        assert main(["analyze", EE, "--out", str(parent / "report"), *QUICK]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "permission denied" in err
    finally:
        parent.chmod(0o755)


def test_a_folder_in_use_by_another_run_is_refused(tmp_path, capsys):
    out = tmp_path / "report"
    (tmp_path / ".report.hepsym-lock").write_text("12345\n")
    assert main(["analyze", EE, "--out", str(out), *QUICK]) == 2
    err = capsys.readouterr().err
    assert "another hepsym run (pid 12345)" in err
    assert not out.exists()


def test_report_folder_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        assert main(["analyze", EE, "--out", str(tmp_path / "r"), *QUICK]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "r" / "result.json").stat().st_mode & 0o777 == 0o644


def test_debug_works_after_the_subcommand(capsys):
    with pytest.raises(Exception, match="sqrt"):
        main(["analyze", EE, "--sqrt-s", "-1", "--debug"])


@pytest.mark.parametrize("after", [4, 8])
def test_sigterm_leaves_no_partial_report(tmp_path, after):
    """Into the reading (4 s) or the training (8 s): exit 143 with one line, no report,
    and no worker process left (one would keep stderr open: communicate would time out)."""
    out = tmp_path / "report"
    argv = [sys.executable, "-m", "hepsym", "analyze", EE, "--out", str(out), "--no-progress"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(after)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["hepsym: terminated"]
    assert list(tmp_path.iterdir()) == []  # no report, no hidden staging folder, no lock
