"""Tests of the LHE reader: real generator files, pylhe agreement, physics facts, bad input."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import awkward as ak
import numpy as np
import pylhe
import pytest

import hepsym.io
import hepsym.io._lhe_blocks as lhe_blocks
import hepsym.io._lhe_columns as lhe_columns
import hepsym.io._lhe_numbers as lhe_numbers
import hepsym.io._lhe_parse as lhe_parse
import hepsym.io._lhe_threads as lhe_threads
import hepsym.io.lhe as lhe_module
from hepsym.errors import InputFileError, OptionError
from hepsym.events import Beams
from hepsym.io.lhe import read_lhe

EXTERNAL = Path(__file__).resolve().parent.parent / "data" / "external"
COUNTS = {
    "pylhe-testfile-madgraph-2.0.0-wbj.lhe": 59,
    "pylhe-testfile-powheg-box-v2-Z.lhe": 100,
    "pylhe-testfile-pythia-8.3.14-weakbosons.lhe": 100,
    "pylhe-testfile-sherpa-3.0.1-eejjj.lhe": 100,
    "pylhe-testfile-whizard-3.1.4-eeWW.lhe": 10,
}
POWHEG = EXTERNAL / "pylhe-testfile-powheg-box-v2-Z.lhe"
WHIZARD = EXTERNAL / "pylhe-testfile-whizard-3.1.4-eeWW.lhe"
MADGRAPH = EXTERNAL / "pylhe-testfile-madgraph-2.0.0-wbj.lhe"

INIT = """<LesHouchesEvents version="3.0">
<header>
</header>
<init>
 2212 2212 6.5E+03 6.5E+03 0 0 0 0 3 1
 1.5E+01 1.0E-01 1.0E+00 1
<generator name="ToyGen" version="0.1">test</generator>
</init>
"""
EVENT = """<event>
 3 1 {weight} 9.1E+01 7.8E-03 1.2E-01
 21 -1 0 0 501 502 0.0 0.0 45.0 45.0 0.0 0.0 9.0
 21 -1 0 0 502 501 0.0 0.0 -45.0 45.0 0.0 0.0 9.0
 25 1 1 2 0 0 0.0 0.0 0.0 90.0 90.0 0.0 0.0
<rwgt><wgt id="1">1.0</wgt></rwgt>
</event>
"""


def toy_text(weights: list[float] = (1.0, -2.5, 3.0), tail: str = "</LesHouchesEvents>\n") -> str:
    return INIT + "".join(EVENT.format(weight=w) for w in weights) + tail


def write(tmp_path: Path, text: str | bytes, name: str = "toy.lhe") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def gzip_file(src: Path, dst: Path) -> Path:
    dst.write_bytes(gzip.compress(src.read_bytes()))
    return dst


def same_events(a, b) -> None:
    assert len(a) == len(b)
    for name in a.particles.fields:
        assert ak.all(a.particles[name] == b.particles[name]) or name == "charge"
    assert ak.all(ak.num(a.particles) == ak.num(b.particles))
    np.testing.assert_array_equal(a.weights, b.weights)


@pytest.fixture(scope="module")
def powheg():
    return read_lhe(POWHEG)


# --- real files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_external_file_matches_pylhe(name):
    path = EXTERNAL / name
    events = read_lhe(path)
    assert len(events) == COUNTS[name]
    assert events.metadata["n_events"] == COUNTS[name]
    assert events.format == "lhe"
    assert events.source == str(path)
    ref = pylhe.to_awkward(pylhe.LHEFile.fromfile(str(path)).events)
    p, r = events.particles, ref.particles
    assert ak.all(ak.num(p) == ak.num(r))
    for mine, theirs in [
        (p.px, r.vector.px),
        (p.py, r.vector.py),
        (p.pz, r.vector.pz),
        (p.E, r.vector.e),
        (p.pid, r.id),
        (p.status, r.status),
        (p.mother1, r.mother1),
        (p.mother2, r.mother2),
        (p.color1, r.color1),
        (p.gen_mass, r.m),
        (p.lifetime, r.lifetime),
        (p.spin, r.spin),
    ]:
        assert ak.all(mine == theirs)
    np.testing.assert_array_equal(events.weights, ak.to_numpy(ref.eventinfo.weight))
    assert events.weights.dtype == np.float64


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_small_blocks_and_event_by_event_parse_agree(name, monkeypatch, threaded):
    """Blocks that cut events anywhere, and the slow reference parse, give the same events."""
    path = EXTERNAL / name
    fast = read_lhe(path)
    monkeypatch.setattr(lhe_blocks, "BLOCK_SIZE", 777)
    same_events(fast, read_lhe(path))
    monkeypatch.setattr(lhe_parse, "_parse_fast", lambda *args, **kwargs: None)
    same_events(fast, read_lhe(path))


def _event_text(path: Path) -> bytes:
    """The text of ``path`` from its first ``<event`` tag, decompressed."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data[data.index(b"<event") : data.rindex(b"</event>") + len(b"</event>")]


SAMPLES = [EXTERNAL / name for name in sorted(COUNTS)] + [
    EXTERNAL.parent / "ee_mumu_80GeV.lhe.gz",
    EXTERNAL.parent / "pp_zmumu_13TeV.lhe.gz",
]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_table_readers_and_event_by_event_parse_give_the_same_bits(path, monkeypatch):
    """The line reader (loadtxt), the stream reader (fromstring) and the slow parse agree."""
    text = _event_text(path)
    starts, ends = lhe_parse.locate_events(text)
    stream = lhe_parse._parse_fast(text, starts, ends, by_line=False)
    slow = lhe_parse._parse_slow(text, starts, ends)
    assert stream is not None

    def not_called(text: bytes) -> None:
        pytest.fail("the line reader fell back to the stream reader")

    monkeypatch.setattr(lhe_numbers, "_numbers", not_called)
    by_line = lhe_parse._parse_fast(text, starts, ends)
    assert by_line is not None
    for other in (stream, slow):
        for name in ("header", "particles", "counts"):
            mine, theirs = getattr(by_line, name), getattr(other, name)
            assert mine.shape == theirs.shape
            assert mine.dtype == theirs.dtype
            # Bit for bit: -0.0 and 0.0 differ here.
            assert np.array_equal(mine.view(np.int64), theirs.view(np.int64))
        assert by_line.lines == other.lines == text.count(b"\n")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_arrow_cast_gives_the_bits_of_the_event_by_event_parse(path, monkeypatch):
    """Arrow's string-to-float cast (used on large texts) reads what float() reads."""
    pytest.importorskip("pyarrow")
    text = _event_text(path)
    starts, ends = lhe_parse.locate_events(text)
    slow = lhe_parse._parse_slow(text, starts, ends)
    monkeypatch.setattr(lhe_numbers, "ARROW_MIN_BYTES", 0)
    used = []
    arrow_table = lhe_numbers._arrow_table

    def spy(text: bytes, nrow: int, ncol: int, newlines: np.ndarray) -> np.ndarray | None:
        # the newlines the parse derives from the block's are those of the joined text
        assert np.array_equal(newlines, np.flatnonzero(np.frombuffer(text, np.uint8) == 10))
        used.append(arrow_table(text, nrow, ncol) is not None)
        return arrow_table(text, nrow, ncol, newlines)

    monkeypatch.setattr(lhe_numbers, "_arrow_table", spy)
    fast = lhe_parse._parse_fast(text, starts, ends)
    assert fast is not None
    assert used
    assert all(used)
    for name in ("header", "particles", "counts"):
        mine, theirs = getattr(fast, name), getattr(slow, name)
        assert mine.shape == theirs.shape
        assert np.array_equal(mine.view(np.int64), theirs.view(np.int64))


ODD_NUMBERS = [
    b"+1.5",
    b"1.",
    b".5",
    b"-0",
    b"1E+05",
    b"00001",
    b"4.9e-324",
    b"2.4703282292062328e-324",
    b"1e-400",
    b"1e400",
    b"-inf",
    b"Infinity",
    b"9007199254740993",
    b"1.7976931348623159e308",
    b"0.1000000000000000055511151231257827021181583404541015625",
    b"12345678901234567890123",
]
REFUSED = [b"nan", b"nan(123)", b"1_0", b"1.0D+00", b"0x10", b"1e", b"--1", b"1.5f", b"infin"]


def test_arrow_cast_agrees_with_float_on_odd_numbers_and_refuses_the_rest():
    pytest.importorskip("pyarrow")
    line = b" ".join(ODD_NUMBERS) + b"\n"
    values = lhe_numbers._arrow_table(line * 3, 3, len(ODD_NUMBERS))
    assert values is not None
    expected = np.array([float(x) for x in ODD_NUMBERS] * 3)
    assert np.array_equal(values.ravel().view(np.int64), expected.view(np.int64))
    for token in REFUSED:
        assert lhe_numbers._arrow_table(b"1 " + token + b"\n", 1, 2) is None, token
    # Only the six whitespace bytes separate; a line of the wrong length is refused.
    assert lhe_numbers._arrow_table(b"1\x012\n", 1, 2) is None
    assert lhe_numbers._arrow_table(b"1 2\n3\n", 2, 1) is None
    assert lhe_numbers._arrow_table(b"1 2\n3 4", 2, 2) is None
    assert lhe_numbers._arrow_table(b" 1\t2\r\n\x0b3\x0c 4 \n", 2, 2) is not None


def test_reading_without_pyarrow_gives_the_same_events(monkeypatch, tmp_path):
    text = toy_text([1.0, -2.5, 3.0] * 2000)
    path = write(tmp_path, text)
    monkeypatch.setattr(lhe_numbers, "ARROW_MIN_BYTES", 0)
    with_arrow = read_lhe(path)
    monkeypatch.setattr(lhe_numbers, "_ARROW", [None])
    same_events(with_arrow, read_lhe(path))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_tag_search_matches_the_regex_on_real_files(path):
    text = _event_text(path)
    buf = np.frombuffer(text, dtype=np.uint8)
    for end in (len(text), len(text) - 1, len(text) // 3):
        found = lhe_parse._find_tags(buf[:end])
        assert found is not None
        for mine, theirs in zip(found, lhe_parse._find_tags_re(text, end), strict=True):
            np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize(
    "text",
    [
        b"<event>\n1\n</event>\n",
        b"<event id='1' x=\"a\">\n1\n</event>",
        b"<event\tn=1>1</event><eventgroup>\n<event/>\n</eventgroup>",
        b"<event>1</event ><event>2</event\n>",
        b"<event <event>1</event>",
        b"<event a=1>1</event><event",
        b"<event>1</event></event",
        b"<eventinfo><event>1</event></events><event",
        b"",
        b"<",
    ],
)
def test_tag_search_matches_the_regex_on_odd_tags(text):
    found = lhe_parse._find_tags(np.frombuffer(text, dtype=np.uint8))
    if found is None:
        return  # left to the regex
    for mine, theirs in zip(found, lhe_parse._find_tags_re(text, len(text)), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_field_types(powheg):
    p = powheg.particles
    for name in ("pid", "status", "mother1", "mother2", "color1", "color2"):
        assert ak.flatten(getattr(p, name)).type.content.primitive == "int64"
    for name in ("px", "py", "pz", "E", "gen_mass", "charge", "spin", "lifetime"):
        assert ak.flatten(getattr(p, name)).type.content.primitive == "float64"
    assert "mass" not in p.fields
    assert "tau" not in p.fields
    assert set(np.unique(ak.to_numpy(ak.flatten(p.status)))) == {-1, 1, 2}
    charge = ak.flatten(p.charge[p.pid == 11])
    assert ak.all(charge == -1)


def test_powheg_z_peak_beams_and_weights(powheg):
    p = powheg.particles
    leptons = p[(p.status == 1) & (abs(p.pid) == 11)]
    assert ak.all(ak.num(leptons) == 2)
    assert ak.all(ak.sum(leptons.charge, axis=1) == 0)
    mass = ak.to_numpy((leptons[:, 0] + leptons[:, 1]).mass)
    counts, edges = np.histogram(mass, bins=np.arange(50.0, 150.0, 4.0))
    peak = edges[np.argmax(counts)] + 2.0
    assert abs(peak - 91.2) < 4.0
    assert abs(np.median(mass) - 91.2) < 3.0
    # The Z (status 2) carries the lepton pair's momentum.
    z = p[p.pid == 23][:, 0]
    np.testing.assert_allclose(ak.to_numpy(z.mass), mass, rtol=1e-5)
    assert powheg.beams.ids == (2212, 2212)
    assert powheg.beams.energies == (4000.0, 4000.0)
    assert powheg.beams.sqrt_s == 8000
    assert powheg.beams.hadronic
    # Weights as in the file (XWGTUP of the first event), cross-section from <init>.
    assert powheg.weights[0] == 1.22355e03
    assert powheg.metadata["cross_section_pb"] == pytest.approx(1205.36)
    assert powheg.metadata["processes"][0]["process_id"] == 10011


def test_vector_behaviour(powheg):
    p = powheg.particles
    final = p[p.status == 1]
    assert ak.all(final.pt >= 0)
    assert ak.all(np.isfinite(final[abs(final.pid) == 11].eta))
    # Invariant mass from the momenta agrees with the generator's mass column.
    z = p[p.pid == 23]
    np.testing.assert_allclose(
        ak.to_numpy(ak.flatten(z.mass)), ak.to_numpy(ak.flatten(z.gen_mass)), rtol=1e-5
    )
    pair = p[:, 0] + p[:, 1]
    assert ak.all(pair.E == p[:, 0].E + p[:, 1].E)


def test_whizard_ee_500_gev_conserves_momentum():
    events = read_lhe(WHIZARD)
    assert events.beams.ids == (-11, 11)
    assert events.beams.sqrt_s == pytest.approx(500.0)
    assert events.beams.pointlike
    final = events.particles[events.particles.status == 1]
    total = ak.sum(final.E, axis=1)
    np.testing.assert_allclose(ak.to_numpy(total), 500.0, rtol=1e-9)
    np.testing.assert_allclose(ak.to_numpy(ak.sum(final.px, axis=1)), 0.0, atol=1e-8)
    assert events.metadata["generators"] == [{"name": "WHIZARD", "version": "3.1.6"}]


def test_metadata_generators_and_version():
    events = read_lhe(MADGRAPH)
    assert events.metadata["lhe_version"] == "3.0"
    assert [g["name"] for g in events.metadata["generators"]] == [
        "SomeGen1",
        "SomeGen2",
        "SomeGen3",
    ]
    assert events.metadata["cross_section_pb"] == pytest.approx(50.109086)


@pytest.mark.parametrize("inflater", ["isal", "zlib"])
def test_gzip_equals_plain(tmp_path, monkeypatch, inflater):
    if inflater == "zlib":  # the fallback where isal has no wheel
        import zlib

        monkeypatch.setattr(lhe_blocks, "_zlib", zlib)
        monkeypatch.setattr(lhe_blocks, "_INFLATE_ERROR", zlib.error)
    else:
        assert lhe_blocks._zlib.__name__ == "isal.isal_zlib"
    gz = gzip_file(POWHEG, tmp_path / "z.lhe.gz")
    same_events(read_lhe(POWHEG), read_lhe(gz))
    damaged = bytearray(gz.read_bytes())
    damaged[len(damaged) // 2 : len(damaged) // 2 + 64] = bytes(64)
    bad = write(tmp_path, bytes(damaged), "bad.lhe.gz")
    with pytest.raises(InputFileError, match=r"bad\.lhe\.gz: damaged gzip stream"):
        read_lhe(bad)
    # Recognised by content, not by name.
    renamed = gzip_file(POWHEG, tmp_path / "z.lhe")
    assert len(read_lhe(renamed)) == 100


def test_read_dispatches_to_lhe(tmp_path):
    gz = gzip_file(WHIZARD, tmp_path / "w.lhe.gz")
    events = hepsym.io.read(gz, max_events=4)
    assert len(events) == 4
    assert events.format == "lhe"


def test_max_events(powheg, monkeypatch):
    some = read_lhe(POWHEG, max_events=7)
    assert len(some) == 7
    assert ak.all(some.particles.px == powheg.particles.px[:7])
    np.testing.assert_array_equal(some.weights, powheg.weights[:7])
    assert len(read_lhe(POWHEG, max_events=1000)) == 100
    monkeypatch.setattr(lhe_blocks, "BLOCK_SIZE", 1000)
    assert len(read_lhe(POWHEG, max_events=13)) == 13
    for bad in (0, -1):
        with pytest.raises(OptionError, match=f"max_events must be at least 1, got {bad}"):
            read_lhe(POWHEG, max_events=bad)


def test_beams_override():
    beams = Beams.symmetric(13000.0, ids=(2212, 2212))
    assert read_lhe(POWHEG, beams=beams).beams == beams


def test_negative_weights_kept_and_extra_tags_skipped(tmp_path):
    events = read_lhe(write(tmp_path, toy_text([1.0, -2.5, 3.0])))
    np.testing.assert_array_equal(events.weights, [1.0, -2.5, 3.0])
    assert ak.all(ak.num(events.particles) == 3)
    assert events.beams.sqrt_s == pytest.approx(13000.0)
    assert events.metadata["generators"] == [{"name": "ToyGen", "version": "0.1"}]
    higgs = events.particles[events.particles.pid == 25]
    np.testing.assert_allclose(ak.to_numpy(ak.flatten(higgs.mass)), 90.0)


def test_unusual_layout(tmp_path):
    """CRLF endings, a header on the tag's line, attributes, a D exponent: all allowed."""
    text = toy_text([1.0, 2.0])
    text = text.replace("<event>\n 3 1 2.0", "<event id='2' weight=\"x\"> 3 1 2.0")
    text = text.replace("9.1E+01", "9.1D+01").replace("\n", "\r\n")
    events = read_lhe(write(tmp_path, text))
    np.testing.assert_array_equal(events.weights, [1.0, 2.0])
    assert ak.all(events.particles.pid == [[21, 21, 25]] * 2)


# --- bad input ----------------------------------------------------------------------------


def test_truncated_gzip(tmp_path):
    data = gzip.compress(POWHEG.read_bytes())
    path = write(tmp_path, data[: len(data) // 2], "cut.lhe.gz")
    with pytest.raises(
        InputFileError,
        match=r"cut\.lhe\.gz: truncated gzip stream .*after [1-9]\d* complete events",
    ):
        read_lhe(path)
    with pytest.raises(InputFileError, match="truncated"):
        hepsym.io.read(path)


def test_truncated_plain_file(tmp_path):
    text = POWHEG.read_text()
    cut = text.index("<event>", text.index("<event>") + 1) + 200  # inside the second event
    with pytest.raises(InputFileError, match="event 2 has no </event>"):
        read_lhe(write(tmp_path, text[:cut]))


def test_non_number_in_particle_line(tmp_path):
    bad = EVENT.format(weight=2.0).replace(" 25 1 1 2 0 0 0.0 0.0", " 25 1 1 2 0 0 0.0 abc")
    text = INIT + EVENT.format(weight=1.0) + bad + EVENT.format(weight=3.0)
    path = write(tmp_path, text + "</LesHouchesEvents>\n")
    with pytest.raises(
        InputFileError,
        match=r"toy\.lhe: event 2 \(line 20\): particle line 3: 'abc' is not a number",
    ):
        read_lhe(path)


@pytest.fixture
def threaded(monkeypatch):
    """Small files parsed on the parse threads too (by default text under 1 MiB is
    parsed in the calling thread), so that the tests' toy files cover the threads."""
    monkeypatch.setattr(lhe_module, "_SMALL_TEXT", 0)


def test_small_files_are_parsed_in_the_calling_thread(monkeypatch):
    threads = []
    original = lhe_module.BlockParses

    def spy(*args, **kwargs):
        parses = original(*args, **kwargs)
        threads.append(parses._pool is None)
        return parses

    monkeypatch.setattr(lhe_module, "BlockParses", spy)
    read_lhe(POWHEG)
    monkeypatch.setattr(lhe_module, "_SMALL_TEXT", 0)
    read_lhe(POWHEG)
    assert threads == [True, False]


def _late_bad_event(tmp_path: Path) -> tuple[Path, str]:
    """A file whose 41st of 46 events has a bad number, and the message it must give."""
    bad = EVENT.format(weight=2.0).replace(" 25 1 1 2 0 0 0.0 0.0", " 25 1 1 2 0 0 0.0 abc")
    good = EVENT.format(weight=1.0)
    path = write(tmp_path, INIT + good * 40 + bad + good * 5 + "</LesHouchesEvents>\n")
    line = (INIT + good * 40 + bad[: bad.index("abc")]).count("\n") + 1
    return path, rf"toy\.lhe: event 41 \(line {line}\): particle line 3: 'abc' is not a number"


def test_error_in_a_late_block_names_the_same_event_and_line(tmp_path, monkeypatch, threaded):
    """Blocks parsed on several threads are taken in order: a bad event far into the file
    gets the event and line numbers of a one-block, one-thread read."""
    good = EVENT.format(weight=1.0)
    path, expected = _late_bad_event(tmp_path)
    with pytest.raises(InputFileError, match=expected):
        read_lhe(path)
    monkeypatch.setattr(lhe_blocks, "BLOCK_SIZE", 700)  # a few events a block
    for threads in (1, 2, 3):
        monkeypatch.setattr(lhe_module, "parse_threads", lambda t=threads: t)
        with pytest.raises(InputFileError, match=expected):
            read_lhe(path)
        good_path = write(tmp_path, INIT + good * 46 + "</LesHouchesEvents>\n", "good.lhe")
        assert len(read_lhe(good_path)) == 46


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_pieces_of_a_block_give_the_events_of_one_parse(name, monkeypatch, threaded):
    """A block parsed in pieces cut between events (what large blocks are) gives the events,
    bit for bit, of the block parsed at once."""
    path = EXTERNAL / name
    monkeypatch.setattr(lhe_threads, "PIECE_SIZE", 1 << 40)  # never in pieces
    whole = read_lhe(path)
    for piece in (300, 4096):
        monkeypatch.setattr(lhe_threads, "PIECE_SIZE", piece)
        pieces = lhe_threads._pieces(path.read_bytes(), path.stat().st_size)
        assert len(pieces) > 2 or path.stat().st_size <= 3 * piece
        assert b"".join(pieces) == path.read_bytes()
        same_events(whole, read_lhe(path))


@pytest.mark.parametrize(("block", "piece"), [(1 << 24, 1 << 40), (1 << 24, 300), (700, 100)])
def test_errors_are_those_of_one_parse_in_pieces_too(tmp_path, monkeypatch, threaded, block, piece):
    """A bad event, and events after the closing tag, name the same event and line however
    the text is cut into blocks and pieces."""
    monkeypatch.setattr(lhe_blocks, "BLOCK_SIZE", block)
    monkeypatch.setattr(lhe_threads, "PIECE_SIZE", piece)
    good = EVENT.format(weight=1.0)
    path, expected = _late_bad_event(tmp_path)
    with pytest.raises(InputFileError, match=expected):
        read_lhe(path)
    first = INIT + good * 30 + "</LesHouchesEvents>\n"
    joined = write(tmp_path, first + INIT + good * 20 + "</LesHouchesEvents>\n", "joined.lhe")
    line = first.count("\n")
    with pytest.raises(
        InputFileError, match=rf"joined\.lhe: events after the closing </LesHouchesEvents> tag "
        rf"\(line {line}\); files joined together"
    ):  # fmt: skip
        read_lhe(joined)


@pytest.mark.parametrize("expected", ["file", None, 1, 10**12])
def test_columns_filled_as_blocks_come_whatever_the_size_guess(monkeypatch, threaded, expected):
    """The particle columns, sized from the file's text and grown when short, hold every
    block's particles in order; a block keeps no table once its particles are copied."""
    path = EXTERNAL / "pylhe-testfile-pythia-8.3.14-weakbosons.lhe"
    whole = read_lhe(path)
    monkeypatch.setattr(lhe_blocks, "BLOCK_SIZE", 2000)  # many blocks
    if expected != "file":
        monkeypatch.setattr(lhe_module, "expected_text", lambda *args: expected)
    taken = []
    original = lhe_columns.ParticleColumns.take

    def spy(self, block, text_bytes):
        out = original(self, block, text_bytes)
        taken.append(out.particles.base is None and len(out.particles) == 0)
        return out

    monkeypatch.setattr(lhe_columns.ParticleColumns, "take", spy)
    same_events(whole, read_lhe(path))
    assert len(taken) > 10
    assert all(taken)


def test_expected_text_is_the_size_the_file_will_give(tmp_path):
    text = POWHEG.read_bytes()
    assert lhe_columns.expected_text(POWHEG) == len(text)
    assert lhe_columns.expected_text(gzip_file(POWHEG, tmp_path / "z.lhe.gz")) == len(text)
    assert lhe_columns.expected_text(POWHEG, (100, 5000)) == 4900
    # a trailer that cannot be the size (text under the compressed size): unknown
    odd = write(tmp_path, gzip.compress(b"x") + bytes(4), "odd.lhe.gz")
    assert lhe_columns.expected_text(odd) is None


def test_wrong_column_count(tmp_path):
    text = toy_text([1.0, 2.0, 3.0, 4.0])
    text = text.replace(" 0.0 0.0 -45.0 45.0 0.0 0.0 9.0", " 0.0 0.0 -45.0 45.0 0.0 0.0", 3)
    with pytest.raises(
        InputFileError, match=r"event 1 \(line 12\): particle line 2 has 12 columns"
    ):
        read_lhe(write(tmp_path, text))


def test_too_few_particle_lines(tmp_path):
    text = toy_text([1.0]).replace(" 3 1 1.0", " 4 1 1.0")
    with pytest.raises(InputFileError, match="announces 4 particles but only 3"):
        read_lhe(write(tmp_path, text))


def test_missing_init(tmp_path):
    text = toy_text().replace(INIT[INIT.index("<init>") :], "")
    with pytest.raises(InputFileError, match=r"no <init> block"):
        read_lhe(write(tmp_path, text))


def test_malformed_init(tmp_path):
    text = toy_text().replace(" 2212 2212 6.5E+03", " 2212 6.5E+03")
    with pytest.raises(InputFileError, match=r"malformed <init> block"):
        read_lhe(write(tmp_path, text))


def test_no_events(tmp_path):
    with pytest.raises(InputFileError, match="no events"):
        read_lhe(write(tmp_path, INIT + "</LesHouchesEvents>\n"))


@pytest.mark.parametrize(
    "content", ["just some text\n", b"\x00\x01binary\xff" * 10, "<html><body></body></html>"]
)
def test_not_an_lhe_file(tmp_path, content):
    with pytest.raises(InputFileError, match="not an LHE file"):
        read_lhe(write(tmp_path, content, "x.lhe"))


def test_not_gzip_lhe(tmp_path):
    path = write(tmp_path, gzip.compress(b"hello world\n" * 100), "x.lhe.gz")
    with pytest.raises(InputFileError, match="not an LHE file"):
        read_lhe(path)


def test_byte_ranges_hold_every_event_once(tmp_path):
    """Issue 17: event-aligned byte ranges of a plain file read, one after the other, the
    events of one read; a bad event in a late range keeps its file line number."""
    from hepsym.io.lhe import event_ranges

    plain = write(
        tmp_path, gzip.decompress((EXTERNAL.parent / "ee_mumu_80GeV.lhe.gz").read_bytes())
    )
    whole = read_lhe(plain)
    ranges = event_ranges(plain, 3000)
    assert ranges is not None
    assert len(ranges) == 4
    assert ranges[-1][1] == plain.stat().st_size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    parts = [read_lhe(plain, byte_range=r) for r in ranges]
    assert sum(len(p) for p in parts) == len(whole)
    assert ak.all(ak.concatenate([p.particles.px for p in parts]) == whole.particles.px)
    assert parts[2].source == f"{plain} [bytes {ranges[2][0]}:{ranges[2][1]}]"
    assert event_ranges(plain, 10**6) is None  # one range would do
    assert event_ranges(EXTERNAL.parent / "ee_mumu_80GeV.lhe.gz", 100) is None  # gzip
    text = plain.read_bytes()
    at = ranges[2][0] + text[ranges[2][0] :].index(b"\n", 200) + 1  # a line of event 1
    line = text[:at].count(b"\n") + 1
    bad = write(tmp_path, text[:at] + b"   x" + text[at:], "bad.lhe")
    with pytest.raises(InputFileError, match=rf"bad\.lhe: event 1 \(line {line}\)"):
        read_lhe(bad, byte_range=(ranges[2][0], ranges[2][1] + 4))
    with pytest.raises(InputFileError, match="a byte range needs an uncompressed file"):
        read_lhe(EXTERNAL.parent / "ee_mumu_80GeV.lhe.gz", byte_range=(0, 100))
