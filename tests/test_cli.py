from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hepsym.cli import main

EXTERNAL = Path(__file__).resolve().parent.parent / "data" / "external"
EXTERNAL_FILES = sorted(EXTERNAL.glob("*.l*")) + sorted(EXTERNAL.glob("*.root"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hepsym", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("path", EXTERNAL_FILES, ids=lambda p: p.name)
def test_info_on_every_external_file(path, capsys):
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "events" in out
    assert "beams" in out
    assert "weights" in out
    assert "final state particles" in out


def test_info_json_knows_the_beams(capsys):
    assert main(["info", "--json", str(EXTERNAL / "pylhe-testfile-whizard-3.1.4-eeWW.lhe")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_events"] == 10
    assert "sqrt(s) = 500 GeV" in info["beams"]
    assert info["content"]["final state"] == {"24": 10, "-24": 10}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.lhe", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "empty.lhe", b""), "file is empty"),
        (lambda d: _write(d / "x.dat", b"hello\n"), "not an LHE, HepMC or ROOT file"),
        (lambda d: _write(d / "x.txt", b"hello\n"), "names 'hello', no such file (.txt inputs"),
        (
            lambda d: _write(d / "cut.root", (EXTERNAL / "uproot-HZZ.root").read_bytes()[:100_000]),
            "truncated",
        ),
    ],
)
def test_bad_input_exit_2_one_line_no_traceback(tmp_path, make, message):
    path = make(tmp_path)
    proc = run_cli("info", str(path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("hepsym: error: ")
    assert str(path) in lines[0]
    assert message in lines[0]


def test_every_command_has_help_with_an_example():
    for command in ("info", "generate", "constraints", "learn", "analyze", "reproduce"):
        proc = run_cli(command, "--help")
        assert proc.returncode == 0
        assert "example" in proc.stdout


def test_info_reads_only_the_named_root_collections(capsys):
    assert main(["info", str(EXTERNAL / "uproot-HZZ.root"), "--collections", "Muon", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["collections"] == ["Muon"]
    assert set(info["content"]["final state"]) == {"13", "-13"}
