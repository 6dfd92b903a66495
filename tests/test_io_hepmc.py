"""HepMC3 (and HepMC2) reading: the layout, the beams, weights, units, damaged files."""

from __future__ import annotations

import gzip
import json
import math
import warnings
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

import hepsym
from hepsym.cli import main
from hepsym.errors import HepsymWarning, InputFileError, OptionError
from hepsym.io import detect_format
from hepsym.io.hepmc import read_hepmc

pyhepmc = pytest.importorskip("pyhepmc")

M_MU = 0.1056583755
P_MU = math.sqrt(40.0**2 - M_MU**2)
HEADER = "HepMC::Version 3.02.05\nHepMC::Asciiv3-START_EVENT_LISTING\nW Weight\nT Pythia8\\|8.317\\|test\n"
FOOTER = "HepMC::Asciiv3-END_EVENT_LISTING\n"


def _event(number: int, weight: float, cos: float, unit: str = "GEV") -> str:
    """e+ e- (status 4) -> Z (22) -> mu- mu+ (1) and a photon-less final state, back to back."""
    f = 1e3 if unit == "MEV" else 1.0
    sin = math.sqrt(1 - cos * cos)
    px, pz = P_MU * sin * f, P_MU * cos * f
    e, m = 40.0 * f, M_MU * f
    return (
        f"E {number} 2 5\nU {unit} MM\nW {weight!r}\n"
        f"P 1 0 11 0 0 {39.99999999673599 * f!r} {e!r} {0.000511 * f!r} 4\n"
        f"P 2 0 -11 0 0 {-39.99999999673599 * f!r} {e!r} {0.000511 * f!r} 4\n"
        "V -1 0 [1,2]\n"
        f"P 3 -1 23 0 0 0 {2 * e!r} {2 * e!r} 22\n"
        f"P 4 3 13 {px!r} 0 {pz!r} {e!r} {m!r} 1\n"
        f"P 5 3 -13 {-px!r} 0 {-pz!r} {e!r} {m!r} 1\n"
    )


def _text(n: int = 3, footer: bool = True) -> str:
    events = "".join(_event(i, 1.0 + i, cos=math.cos(1.0 + i)) for i in range(n))
    return HEADER + events + (FOOTER if footer else "")


def _write(path: Path, text: str | bytes) -> Path:
    data = text.encode() if isinstance(text, str) else text
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def test_layout_beams_weights(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    events = hepsym.read(_write(tmp_path / "ee.hepmc3", _text()))
    assert events.format == "hepmc3"
    assert len(events) == 3
    assert events.weights.tolist() == [1.0, 2.0, 3.0]
    assert events.beams.ids == (11, -11)
    assert events.beams.energies == (40.0, 40.0)
    parts = events.particles
    # final state and beams only, with HepMC's statuses
    assert ak.to_list(parts.status[0]) == [4, 4, 1, 1]
    assert ak.to_list(parts.pid[0]) == [11, -11, 13, -13]
    assert ak.to_list(parts.charge[0]) == [-1.0, 1.0, -1.0, 1.0]
    final = parts[parts.status == 1]
    np.testing.assert_allclose(ak.to_numpy(ak.sum(final.E, axis=1)), 80.0)
    np.testing.assert_allclose(ak.to_numpy(ak.sum(final.pz, axis=1)), 0.0, atol=1e-12)
    np.testing.assert_allclose(ak.to_numpy(ak.flatten(final.gen_mass)), M_MU)
    np.testing.assert_allclose(ak.to_numpy(ak.flatten(final.mass)), M_MU, rtol=1e-6)
    assert events.metadata["hepmc_version"] == "3.02.05"
    assert events.metadata["generators"] == [{"name": "Pythia8", "version": "8.317"}]
    assert events.metadata["n_particles_in_file"] == 15
    assert events.metadata["weight_names"] == ["Weight"]
    out, err = capfd.readouterr()
    assert out == err == ""


def test_whole_record_gzip_mev_and_max_events(tmp_path: Path) -> None:
    text = HEADER + _event(0, 1.0, 0.2, unit="MEV") + _event(1, 1.0, -0.4) + FOOTER
    path = _write(tmp_path / "ee.hepmc.gz", text)
    assert detect_format(path) == "hepmc3"
    events = read_hepmc(path, statuses=None)
    assert ak.to_list(ak.num(events.particles)) == [5, 5]
    # MeV converted to GeV
    np.testing.assert_allclose(ak.to_numpy(events.particles.E[:, 2]), 80.0)
    assert len(hepsym.read(path, max_events=1)) == 1
    with pytest.raises(OptionError, match=r"tree= applies to ROOT files; .* is HepMC3"):
        hepsym.read(path, tree="Events")


def test_statuses_through_read_and_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "ee.hepmc3", _text(2))
    whole = hepsym.read(path, statuses="all")
    assert ak.to_list(ak.num(whole.particles)) == [5, 5]
    finals = hepsym.read(path, statuses=[1])
    assert ak.all(finals.particles.status == 1)
    assert ak.to_list(ak.num(finals.particles)) == [2, 2]
    assert main(["info", str(path), "--statuses", "all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["content"]["status 22"] == {"23": 2}
    assert main(["info", str(path), "--statuses", "one"]) == 2
    assert "--statuses takes integers or 'all', got one" in capsys.readouterr().err
    with pytest.raises(OptionError, match="statuses must be integers"):
        hepsym.read(path, statuses=["x"])


def test_hepmc2(tmp_path: Path) -> None:
    src = _write(tmp_path / "ee.hepmc3", _text(2))
    out = tmp_path / "ee.hepmc2"
    with pyhepmc.open(src) as f, pyhepmc.open(out, "w", format="hepmc2") as g:
        for event in f:
            g.write(event)
    events = hepsym.read(out)
    assert events.format == "hepmc2"
    assert len(events) == 2
    assert events.beams.sqrt_s == pytest.approx(80.0)
    assert ak.to_list(events.particles.pid[1]) == [11, -11, 13, -13]


def _one_line_error(path: Path, match: str, **options: object) -> str:
    with pytest.raises(InputFileError, match=match) as info:
        hepsym.read(path, **options)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


@pytest.mark.parametrize("suffix", [".hepmc3", ".hepmc3.gz"])
def test_truncated(tmp_path: Path, suffix: str, capfd: pytest.CaptureFixture[str]) -> None:
    text = _text(3, footer=False)
    cut = text.rindex("P 4 ")  # inside the last event
    _one_line_error(_write(tmp_path / f"cut{suffix}", text[:cut]), "event 2 .* is damaged")
    # cut between two events: a warning, or with strict an error
    boundary = _write(tmp_path / f"b{suffix}", text)
    with pytest.warns(HepsymWarning, match="END_EVENT_LISTING line: it may be truncated"):
        assert len(hepsym.read(boundary)) == 3
    _one_line_error(boundary, "may be truncated; read 3 events", strict=True)
    out, err = capfd.readouterr()
    assert out == err == ""


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    data = gzip.compress(_text(40).encode())
    path = tmp_path / "t.hepmc3.gz"
    path.write_bytes(data[: len(data) // 2])
    _one_line_error(path, "damaged or truncated gzip stream")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("E 0 2 5\nU GEV MM\nP 1 0 11 garbage\n", "event 0 .* is damaged"),
        ("hello world\nmore garbage\n", "is damaged|no events"),
        ("", "no events"),
    ],
)
def test_garbage(tmp_path: Path, body: str, match: str) -> None:
    _one_line_error(_write(tmp_path / "g.hepmc3", HEADER + body + FOOTER), match)


def test_not_hepmc(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.hepmc3", "garbage\n" * 5)
    _one_line_error(path, "not an LHE, HepMC or ROOT file")
    with pytest.raises(InputFileError, match="not a HepMC3 or HepMC2 ASCII file"):
        read_hepmc(path)


def test_bad_momentum_named_and_dropped(tmp_path: Path) -> None:
    bad = _event(1, 1.0, 0.1).replace(f"{40.0!r} {M_MU!r} 1\nP 5", f"{1.0!r} {M_MU!r} 1\nP 5")
    path = _write(tmp_path / "bad.hepmc3", HEADER + _event(0, 1.0, 0.3) + bad + FOOTER)
    _one_line_error(path, "event 1 .*particle 2 .*energy below the momentum")
    with pytest.warns(HepsymWarning, match="dropped 1 of 2 events"):
        assert len(hepsym.read(path, drop_bad_events=True)) == 1


@pytest.mark.generate
def test_generated_showered(tmp_path: Path) -> None:
    """Pythia's showered e+e- -> mu+ mu- (gamma): photons radiated, four-momentum conserved."""
    pytest.importorskip("pythia8mc")
    from hepsym.generate import generate

    path = tmp_path / "ee.hepmc3.gz"
    sample = generate("ee-mumu", 200, seed=3, output=path, output_format="hepmc3")
    assert sample.path == path
    assert not list(tmp_path.glob(".*"))  # no temporary file left
    events = hepsym.read(path)
    assert len(events) == 200
    assert events.beams.sqrt_s == pytest.approx(80.0)
    final = events.particles[events.particles.status == 1]
    assert ak.sum(final.pid == 22) > 50  # final-state radiation
    sums = np.column_stack(
        [ak.to_numpy(ak.sum(getattr(final, c), axis=1)) for c in ("E", "px", "py", "pz")]
    )
    np.testing.assert_allclose(sums, np.tile([80.0, 0, 0, 0], (200, 1)), atol=1e-6)
    sel = hepsym.select(events, "l+ l-")
    assert sel.n_dropped < 5


@pytest.mark.generate
def test_cli_generate_hepmc3_and_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pythia8mc")
    from hepsym.cli import main

    path = tmp_path / "ee.hepmc3"
    assert main(["generate", "ee-mumu", "-n", "50", "--format", "hepmc3", "-o", str(path)]) == 0
    assert path.read_bytes().startswith(b"HepMC::Version")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "format      hepmc3" in out
    assert "e- e+ at sqrt(s) = 80 GeV" in out
    hard = tmp_path / "hard.hepmc3"
    assert main(["generate", "ee-mumu", "-n", "20", "--no-shower", "-o", str(hard)]) == 0
    final = hepsym.read(hard).particles
    assert ak.all(ak.sum(final.status == 1, axis=1) == 2)  # mu+ mu- only


def test_weight_spread_in_info(tmp_path: Path) -> None:
    from hepsym.summary import summarize

    summary = summarize(hepsym.read(_write(tmp_path / "w.hepmc3", _text())))
    # weights 1, 2, 3: Kish's effective number (sum w)^2 / sum w^2 = 36 / 14
    assert summary.weights["n_effective"] == pytest.approx(36 / 14)
    assert "effective events 2.57143" in str(summary)


def test_fuzz(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Seeded damage (cuts, flipped bytes, junk lines): a result or one InputFileError line."""
    rng = np.random.default_rng(13)
    text = _text(6).encode()
    for i in range(60):
        data = bytearray(text)
        kind = i % 3
        if kind == 0:
            data = data[: rng.integers(1, len(data))]
        elif kind == 1:
            for j in rng.integers(0, len(data), 3):
                data[j] = int(rng.integers(0, 256))
        else:
            j = text.index(b"\n", int(rng.integers(0, len(text) - 1))) + 1
            data[j:j] = bytes(rng.integers(32, 127, 12).astype(np.uint8)) + b"\n"
        path = tmp_path / f"f{i}.hepmc3{'.gz' if i % 2 else ''}"
        _write(path, bytes(data))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HepsymWarning)
            problem = ""
            try:
                hepsym.read(path)
            except InputFileError as err:
                problem = str(err)
            assert "\n" not in problem
    out, err = capfd.readouterr()
    assert out == err == ""


def test_gen_mass_unset_is_the_momentum_mass(tmp_path: Path) -> None:
    # an event whose particles have no generated mass set
    event = pyhepmc.GenEvent()
    event.add_particle(pyhepmc.GenParticle(pyhepmc.FourVector(0, 0, 3, 5), 22, 1))
    event.add_particle(pyhepmc.GenParticle(pyhepmc.FourVector(0, 0, -3, 5), 22, 1))
    path = tmp_path / "nomass.hepmc3"
    with pyhepmc.open(path, "w") as f:
        f.write(event)
    parts = hepsym.read(path).particles
    np.testing.assert_allclose(ak.to_numpy(ak.flatten(parts.gen_mass)), 4.0)
