"""Bad input is normal input: each case one HepsymError (or HepsymWarning) naming file and problem."""

from __future__ import annotations

import gzip
import os
import re
import threading
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

import hepsym
from hepsym.cli import main
from hepsym.errors import HepsymWarning, InputFileError, OptionError
from hepsym.io import check_path
from hepsym.io.lhe import read_lhe
from hepsym.io.root import read_root
from hepsym.momenta import SPACELIKE_TOLERANCE, check_momenta

DATA = Path(__file__).resolve().parent.parent / "data"
EXTERNAL = DATA / "external"
EE = DATA / "ee_mumu_80GeV.lhe.gz"
HZZ = EXTERNAL / "uproot-HZZ.root"
SHIPPED = sorted([*DATA.glob("*.lhe.gz"), *EXTERNAL.glob("*.lhe"), *EXTERNAL.glob("*.root")])


def ee_text(n: int = 20, *, closed: bool = True) -> str:
    """The header, ``<init>`` and first ``n`` events of the e+e- sample (5 particles each:
    e-, e+, Z, then mu- and mu+ at indices 3 and 4)."""
    text = gzip.decompress(EE.read_bytes()).decode()
    end = -1
    for _ in range(n):
        end = text.index("</event>", end + 1)
    return text[: end + len("</event>\n")] + ("</LesHouchesEvents>\n" if closed else "")


def write(tmp_path: Path, text: str, name: str = "small.lhe") -> Path:
    path = tmp_path / name
    data = text.encode()
    path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    return path


def edit_particle(text: str, event: int, particle: int, column: int, value: str) -> str:
    """``text`` with one number of one particle line replaced (0-based event, particle, column)."""
    starts = [m.end() for m in re.finditer(r"<event>\n", text)]
    lines = text[starts[event] :].split("\n")
    fields = lines[1 + particle].split()
    fields[column] = value
    lines[1 + particle] = " " + " ".join(fields)
    return text[: starts[event]] + "\n".join(lines)


def edit_header(text: str, event: int, column: int, value: str) -> str:
    starts = [m.end() for m in re.finditer(r"<event>\n", text)]
    lines = text[starts[event] :].split("\n")
    fields = lines[0].split()
    fields[column] = value
    lines[0] = " " + " ".join(fields)
    return text[: starts[event]] + "\n".join(lines)


PX, PY, PZ, E, MASS = 6, 7, 8, 9, 10


# --- 1. invalid momenta -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["small.lhe", "small.lhe.gz"])
def test_nan_momentum_names_file_event_particle(tmp_path, name):
    path = write(tmp_path, edit_particle(ee_text(), 7, 3, PX, "nan"), name)
    expected = (
        f"{path}: event 7 (0-based), particle 3 (pid 13): px is nan; invalid events: 1 of 20 "
        "(--drop-bad-events, or drop_bad_events=True in Python, drops them)"
    )
    with pytest.raises(InputFileError) as info:
        hepsym.read(path)
    assert str(info.value) == expected


@pytest.mark.parametrize("name", ["small.lhe", "small.lhe.gz"])
def test_drop_bad_events(tmp_path, name):
    path = write(tmp_path, edit_particle(ee_text(), 7, 3, PX, "nan"), name)
    clean = hepsym.read(write(tmp_path, ee_text(), "clean.lhe"))
    with pytest.warns(HepsymWarning, match=r"small\.lhe(\.gz)?: dropped 1 of 20 events") as rec:
        events = hepsym.read(path, drop_bad_events=True)
    assert len(rec) == 1
    assert "event 7 (0-based), particle 3 (pid 13): px is nan" in str(rec[0].message)
    assert len(events) == 19
    assert events.metadata["n_bad_events"] == 1
    assert events.metadata["n_events"] == 19
    keep = np.arange(20) != 7
    assert ak.all(events.particles.pz == clean.particles.pz[keep])
    np.testing.assert_array_equal(events.weights, clean.weights[keep])
    assert clean.metadata["n_bad_events"] == 0


def test_several_bad_events_counted(tmp_path):
    text = ee_text()
    for event in (2, 5, 11):
        text = edit_particle(text, event, 4, E, "inf")
    path = write(tmp_path, text)
    with pytest.raises(
        InputFileError,
        match=r"event 2 \(0-based\), particle 4 \(pid -13\): E is inf; invalid events: 3 of 20",
    ):
        hepsym.read(path)
    with pytest.warns(HepsymWarning, match="dropped 3 of 20 events"):
        events = hepsym.read(path, drop_bad_events=True)
    assert len(events) == 17
    assert events.metadata["n_bad_events"] == 3


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        (PY, "-inf", "py is -inf"),
        (PZ, "1e999", "pz is inf"),
        (E, "-40", "negative energy E = -40"),
        (E, "1e200", "momentum too large (E = 1e+200"),
        (PX, "1e200", "momentum too large"),
        (MASS, "nan", "gen_mass is nan"),
        (E, "30", "energy below the momentum, E = 30 < |p| = 39.99986"),
    ],
)
def test_each_momentum_problem(tmp_path, column, value, problem):
    path = write(tmp_path, edit_particle(ee_text(), 4, 3, column, value))
    with pytest.raises(InputFileError) as info:
        hepsym.read(path)
    message = str(info.value)
    assert message.startswith(f"{path}: event 4 (0-based), particle 3 (pid 13): {problem}")
    assert "\n" not in message


def test_nan_weight(tmp_path):
    path = write(tmp_path, edit_header(ee_text(), 9, 2, "nan"))
    with pytest.raises(InputFileError, match=r"small\.lhe: event 9 \(0-based\): weight is nan"):
        hepsym.read(path)


def _muon_with_energy(tmp_path: Path, shortfall: float) -> Path:
    """Event 0's mu- with ``p^2 - E^2 = shortfall * E^2`` (E kept, |p| scaled)."""
    text = ee_text()
    events = hepsym.read(write(tmp_path, text, "clean.lhe"))
    mu = events.particles[0, 3]
    scale = np.sqrt((1 + shortfall) * mu.E**2) / mu.p
    for column, value in ((PX, mu.px), (PY, mu.py), (PZ, mu.pz)):
        text = edit_particle(text, 0, 3, column, repr(float(value * scale)))
    return write(tmp_path, text)


def test_spacelike_tolerance_edge(tmp_path):
    assert len(hepsym.read(_muon_with_energy(tmp_path, 0.5 * SPACELIKE_TOLERANCE))) == 20
    with pytest.raises(
        InputFileError, match=r"event 0 \(0-based\), particle 3 \(pid 13\): energy below"
    ):
        hepsym.read(_muon_with_energy(tmp_path, 2 * SPACELIKE_TOLERANCE))


def test_spacelike_propagator_status_minus_2_is_allowed(tmp_path):
    # ISTUP -2: a space-like propagator (DIS), E < |p| and even E < 0 are physical.
    text = edit_particle(ee_text(), 4, 2, 1, "-2")
    text = edit_particle(text, 4, 2, E, "-5")
    text = edit_particle(text, 4, 2, PZ, "30")
    events = hepsym.read(write(tmp_path, text))
    assert events.particles.status[4, 2] == -2
    with pytest.raises(InputFileError, match=r"particle 2 .*: pz is nan"):
        hepsym.read(write(tmp_path, edit_particle(text, 4, 2, PZ, "nan")))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_files_are_far_inside_the_tolerance(path):
    events = hepsym.read(path)
    assert events.metadata["n_bad_events"] == 0
    parts = events.particles
    px, py, pz, energy = (
        ak.to_numpy(ak.flatten(getattr(parts, c))).astype(np.float64)
        for c in ("px", "py", "pz", "E")
    )
    # NanoAOD's incoming partons have lost their momentum (pt 0): read as a zero vector.
    zero = energy == 0
    assert not np.abs(np.c_[px[zero], py[zero], pz[zero]]).any()
    px, py, pz, energy = px[~zero], py[~zero], pz[~zero], energy[~zero]
    ratio = (px**2 + py**2 + pz**2 - energy**2) / energy**2
    # float32 HZZ muons and photons reach 1.8e-7; the tolerance is 1e-4.
    assert ratio.max() < SPACELIKE_TOLERANCE / 100


def _jagged_tree(path: Path, px: np.ndarray, counts: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    n = int(counts.sum())
    py, pz = rng.normal(0, 20, size=(2, n))
    energy = np.sqrt(px**2 + py**2 + pz**2 + 0.1056**2)
    charge = np.where(np.arange(n) % 2, 1, -1).astype(np.int32)
    muon = ak.zip({"Px": px, "Py": py, "Pz": pz, "E": energy, "Charge": charge})
    with uproot.recreate(path) as f:
        f.mktree("events", {"Muon": ak.unflatten(muon, counts)})


def test_root_nan_momentum_and_drop(tmp_path):
    counts = np.full(20, 2)
    px = np.random.default_rng(1).normal(0, 20, 40).astype(np.float32)
    px[7 * 2 + 1] = np.nan  # event 7, particle 1 (a mu+: charge +1)
    path = tmp_path / "muons.root"
    _jagged_tree(path, px, counts)
    with pytest.raises(InputFileError) as info:
        hepsym.read(path)
    assert str(info.value).startswith(
        f"{path}: event 7 (0-based), particle 1 (pid -13): px is nan; invalid events: 1 of 20"
    )
    with pytest.warns(HepsymWarning, match="dropped 1 of 20 events"):
        events = read_root(path, drop_bad_events=True)
    assert len(events) == 19
    assert events.metadata["n_bad_events"] == 1
    assert hepsym.read(HZZ).metadata["n_bad_events"] == 0


def test_root_polar_infinite_eta(tmp_path):
    n = 10
    muon = ak.zip(
        {
            "pt": np.full(n, 30.0, dtype=np.float32),
            "eta": np.array([0.5] * 3 + [np.inf] + [0.5] * 6, dtype=np.float32),
            "phi": np.zeros(n, dtype=np.float32),
            "mass": np.full(n, 0.1056, dtype=np.float32),
        }
    )
    path = tmp_path / "nano.root"
    with uproot.recreate(path) as f:
        f.mktree("Events", {"Muon": ak.unflatten(muon, np.ones(n, dtype=int))})
    with pytest.raises(
        InputFileError, match=r"nano\.root: event 3 \(0-based\), particle 0 .*: eta is inf"
    ):
        hepsym.read(path)


def test_check_momenta_in_memory(two_body_events):
    assert check_momenta(two_body_events).metadata["n_bad_events"] == 0


# --- 2. max_events ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "max_events must be at least 1, got -1"),
        (0, "max_events must be at least 1, got 0"),
        (2.5, "max_events must be an integer, got 2.5"),
        ("10", "max_events must be an integer, got '10'"),
    ],
)
@pytest.mark.parametrize("reader", [hepsym.read, read_lhe, read_root])
def test_max_events_below_one_before_opening(tmp_path, reader, value, message):
    missing = tmp_path / "does-not-exist.lhe"
    with pytest.raises(OptionError) as info:
        reader(missing, max_events=value)
    assert str(info.value) == message


def test_max_events_numpy_integer(tmp_path):
    assert len(hepsym.read(write(tmp_path, ee_text()), max_events=np.int64(3))) == 3


# --- 3. no closing tag --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cut.lhe", "cut.lhe.gz"])
def test_no_closing_tag_warns(tmp_path, name):
    path = write(tmp_path, ee_text(20, closed=False), name)
    expected = (
        f"{path}: has no closing </LesHouchesEvents> tag: it may be truncated; read 20 events"
    )
    with pytest.warns(HepsymWarning) as rec:
        events = hepsym.read(path)
    assert [str(w.message) for w in rec] == [expected]
    assert len(events) == 20
    with pytest.raises(InputFileError) as info:
        hepsym.read(path, strict=True)
    assert str(info.value) == expected
    # The end was never reached: nothing to warn about (pytest turns warnings into errors).
    assert len(hepsym.read(path, max_events=5)) == 5
    assert len(hepsym.read(path, max_events=20)) == 20


def test_closed_file_does_not_warn_even_when_strict(tmp_path):
    assert len(hepsym.read(write(tmp_path, ee_text(20)), strict=True)) == 20


def test_events_after_the_closing_tag(tmp_path):
    one, two = ee_text(3), ee_text(2)
    path = write(tmp_path, one + two)
    with pytest.raises(
        InputFileError,
        match=r"small\.lhe: events after the closing </LesHouchesEvents> tag \(line \d+\); files joined together",
    ):
        hepsym.read(path)


# --- 4. more particle lines than NUP ------------------------------------------------------


def _extra_line(text: str, event: int, line: str) -> str:
    starts = [m.end() for m in re.finditer(r"<event>\n", text)]
    lines = text[starts[event] :].split("\n")
    lines.insert(6, line)  # after the header and the 5 particle lines
    return text[: starts[event]] + "\n".join(lines)


@pytest.mark.parametrize("block_size", [None, 1000])
def test_extra_particle_line(tmp_path, monkeypatch, block_size):
    from hepsym.io import _lhe_blocks as lhe_blocks

    if block_size:
        monkeypatch.setattr(lhe_blocks, "BLOCK_SIZE", block_size)
    text = ee_text()
    muon = text.split("\n")[12]  # the mu- line of event 0
    starts = [m.end() for m in re.finditer(r"<event>\n", text)]
    line = text[: starts[3]].count("\n") + 7  # after event 3's tag, header and 5 particles
    path = write(tmp_path, _extra_line(text, 3, muon))
    with pytest.raises(InputFileError) as info:
        hepsym.read(path)
    message = str(info.value)
    assert message.startswith(
        f"{path}: event 4 (line {line}): more particle lines than the 5 the header announces "
        f"(NUP): '{muon.strip()[:57]}...'"
    )
    assert "\n" not in message


def test_extra_line_of_twelve_numbers_or_text(tmp_path):
    text = ee_text()
    for line in (" 13 1 3 0 0 0 1.0 2.0 3.0 4.0 0.1 0.0", "garbage here"):
        with pytest.raises(
            InputFileError, match=r"event 9 \(line \d+\): more particle lines than the 5"
        ):
            hepsym.read(write(tmp_path, _extra_line(text, 8, line)))


def test_comments_and_tags_after_particles_are_fine(tmp_path):
    text = _extra_line(ee_text(), 2, "# a comment 1 2 3")
    text = _extra_line(text, 5, "   <rwgt><wgt id='1'> 1.0 </wgt></rwgt>")
    text = _extra_line(text, 6, "")
    assert len(hepsym.read(write(tmp_path, text))) == 20


# --- 5. standard input and pipes ----------------------------------------------------------

NO_PIPES = (
    "reading from standard input or a pipe is not supported; write the events to a file first"
)


def test_stdin_dash():
    with pytest.raises(InputFileError) as info:
        hepsym.read("-")
    assert str(info.value) == f"-: {NO_PIPES}"
    assert main(["info", "-"]) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_does_not_block(tmp_path):
    fifo = tmp_path / "events.lhe"
    os.mkfifo(fifo)
    done: list[BaseException] = []

    def attempt() -> None:
        try:
            hepsym.read(fifo)
        except InputFileError as err:
            done.append(err)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock it: open the write end
        with open(fifo, "wb"):
            pass
        pytest.fail("read() blocked on a FIFO")
    assert [str(e) for e in done] == [f"{fifo}: {NO_PIPES}"]
    with pytest.raises(InputFileError, match="a pipe is not supported"):
        check_path(fifo)


# --- 6. ROOT options for an LHE file ------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "applies"),
    [
        ("tree", "events", "ROOT"),
        ("collections", ["Muon"], "ROOT and Parquet"),
        ("branches", {"Muon": {}}, "ROOT"),
        ("species", {"particle": "mu"}, "ROOT and Parquet"),
        ("statuses", (1,), "HepMC3"),
    ],
)
def test_root_options_for_lhe(tmp_path, option, value, applies):
    path = write(tmp_path, ee_text(5))
    with pytest.raises(OptionError) as info:
        hepsym.read(path, **{option: value})
    assert str(info.value) == f"{option}= applies to {applies} files; {path} is LHE"


def test_unknown_read_option(tmp_path):
    path = write(tmp_path, ee_text(5))
    with pytest.raises(OptionError, match="unknown reading option treee; known: beams"):
        hepsym.read(path, treee="Events")


# --- 7. no exception from the libraries underneath ----------------------------------------


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: edit_particle(t, 5, 3, 0, "nan"), r"event 6 \(line \d+\): particle line 4: pid nan is not an integer"),
        (lambda t: edit_particle(t, 5, 3, 1, "inf"), r"event 6 \(line \d+\): particle line 4: status inf is not an integer"),
        (lambda t: edit_particle(t, 5, 3, 0, "1e300"), r"event 6 \(line \d+\): particle line 4: pid 1e\+300 is too large"),
        (lambda t: edit_header(t, 5, 0, "nan"), r"event 6 \(line \d+\): number of particles nan is not a count"),
        (lambda t: edit_header(t, 5, 0, "1e300"), r"event 6 \(line \d+\): header announces \d+ particles but only 5"),
        (lambda t: t.replace("    11    -11  4.0", "    nan    -11  4.0"), r"malformed <init> block \(beam id nan is not an integer\)"),
        (lambda t: t.replace("    11    -11  4.0000000000000000e+01", "    11    -11  inf"), r"malformed <init> block \(beam energy inf is not a finite"),
        (lambda t: t.replace("0     0     0     0     3     1\n", "0     0     0     0     3     1e999\n"), r"malformed <init> block \(number of processes inf"),
    ],
)  # fmt: skip
def test_numbers_that_are_no_integers(tmp_path, edit, problem):
    path = write(tmp_path, edit(ee_text()))
    with pytest.raises(InputFileError, match=rf"^{re.escape(str(path))}: {problem}"):
        hepsym.read(path)


def test_damaged_gzip_inside_the_first_block(tmp_path):
    data = bytearray(gzip.compress(ee_text().encode(), mtime=0))
    data[40] ^= 0xFF  # inside the deflate stream: zlib.error while sniffing the format
    path = tmp_path / "bad.lhe.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(
        InputFileError, match=r"bad\.lhe\.gz: (not a readable gzip file|damaged gzip)"
    ):
        hepsym.read(path)


def test_cli_one_line(tmp_path, capsys):
    path = write(tmp_path, edit_particle(ee_text(), 7, 3, PX, "nan"))
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    expected = (
        f"hepsym: error: {path}: event 7 (0-based), particle 3 (pid 13): px is nan; "
        "invalid events: 1 of 20 (--drop-bad-events, or drop_bad_events=True in Python, drops them)"
    )
    assert err.strip().splitlines() == [expected]
