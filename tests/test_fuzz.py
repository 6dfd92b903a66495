"""Damaged event files: ``hepsym.read`` returns good events or raises a HepsymError, nothing else.

Each case is a small shipped file (50 events of ``data/ee_mumu_80GeV.lhe.gz``, plain or
gzipped, and ``data/external/uproot-HZZ.root`` / the CMS RNTuple) damaged in one or two
ways chosen by a seeded generator: cut at a random offset, bytes flipped, lines deleted or
duplicated, tags duplicated, numbers replaced by NaN, infinities or huge values; and
read with no option, ``drop_bad_events``, ``max_events`` or ``strict``. A case is named by
``(kind, seed)`` in every failure message; ``damage(kind, seed)`` rebuilds it, so that
``python -c "from pathlib import Path; from tests.test_fuzz import *;
check_case(damage('lhe', 42), Path('/tmp'))"`` replays case ``lhe`` seed 42.
"""

from __future__ import annotations

import dataclasses
import gzip
import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest

import hepsym
from hepsym.cli import main
from hepsym.errors import HepsymError, HepsymWarning

DATA = Path(__file__).resolve().parent.parent / "data"
EE = DATA / "ee_mumu_80GeV.lhe.gz"
HZZ = DATA / "external" / "uproot-HZZ.root"
RNTUPLE = DATA / "external" / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"

#: Cases in the default run (about 5 s) and in the ``slow`` one (about 2 min).
N_DEFAULT = {"lhe": 80, "lhe.gz": 40, "gz-bytes": 15, "root": 35, "rntuple": 30}
N_SLOW = {"lhe": 3000, "lhe.gz": 1500, "gz-bytes": 500, "root": 1000, "rntuple": 1000}
MASTER_SEED = 20240601

#: What replaces a number: not numbers, or numbers no event can hold.
BAD_NUMBERS = (
    b"nan",
    b"NaN",
    b"-nan",
    b"inf",
    b"-inf",
    b"1e999",
    b"-1e999",
    b"1e308",
    b"-1.7976931348623157e+308",
    b"1e300",
    b"1e160",
    b"99999999999999999999999",
    b"-4e19",
    b"0",
    b"-0",
    b"-40",
    b"4e1",
    b"",
    b"x",
    b"1.0.0",
    b"0x10",
)
TAG_LINES = (
    b"<event>",
    b"</event>",
    b"<init>",
    b"</init>",
    b'<LesHouchesEvents version="3.0">',
    b"</LesHouchesEvents>",
    b"<header>",
    b"<event",
    b"</event",
)
_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@cache
def small_lhe() -> bytes:
    """The header, ``<init>`` and first 50 events of the e+e- -> mu+ mu- sample."""
    text = gzip.decompress(EE.read_bytes())
    end = -1
    for _ in range(50):
        end = text.index(b"</event>", end + 1)
    return text[: end + len(b"</event>\n")] + b"</LesHouchesEvents>\n"


#: The options of read() a case is read with (most cases: none).
OPTIONS: tuple[dict[str, Any], ...] = (
    {},
    {},
    {},
    {"drop_bad_events": True},
    {"max_events": 17},
    {"strict": True},
)


@dataclass(frozen=True)
class Case:
    kind: str
    seed: int
    data: bytes
    name: str
    what: str
    options: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.kind} seed {self.seed} ({self.what}; read with {self.options})"


def _lines_mutation(text: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """One damage to LHE text."""
    lines = text.split(b"\n")
    choice = rng.integers(7)
    if choice == 0:
        cut = int(rng.integers(len(text)))
        return text[:cut], f"cut at byte {cut}"
    if choice == 1:
        data = bytearray(text)
        where = rng.integers(len(data), size=int(rng.integers(1, 6)))
        for i in where:
            data[i] ^= int(rng.integers(1, 256))
        return bytes(data), f"bytes {sorted(where.tolist())} flipped"
    if choice == 2:
        i = int(rng.integers(len(lines)))
        n = int(rng.integers(1, 4))
        return b"\n".join(lines[:i] + lines[i + n :]), f"lines {i}-{i + n - 1} deleted"
    if choice == 3:
        i, j = (int(x) for x in rng.integers(len(lines), size=2))
        out = [*lines[:j], lines[i], *lines[j:]]
        return b"\n".join(out), f"line {i} copied before line {j}"
    if choice == 4:
        tag = TAG_LINES[int(rng.integers(len(TAG_LINES)))]
        j = int(rng.integers(len(lines)))
        return b"\n".join([*lines[:j], tag, *lines[j:]]), f"{tag!r} inserted at line {j}"
    if choice == 5:
        # A tag that the file has, duplicated where it stands.
        tagged = [k for k, line in enumerate(lines) if line.lstrip().startswith(b"<")]
        k = tagged[int(rng.integers(len(tagged)))]
        return b"\n".join([*lines[: k + 1], lines[k], *lines[k + 1 :]]), f"tag line {k} doubled"
    numbers = list(_NUMBER.finditer(text))
    out, what = bytearray(text), []
    for m in sorted(
        (numbers[int(i)] for i in rng.integers(len(numbers), size=int(rng.integers(1, 4)))),
        key=lambda m: -m.start(),
    ):
        bad = BAD_NUMBERS[int(rng.integers(len(BAD_NUMBERS)))]
        out[m.start() : m.end()] = bad
        what.append(f"{m.group().decode()}->{bad.decode()} at {m.start()}")
    return bytes(out), "numbers " + ", ".join(what)


def damage(kind: str, seed: int) -> Case:
    """The damaged file of one case: its bytes and what was done."""
    rng = np.random.default_rng([MASTER_SEED, seed, sum(kind.encode())])
    if kind in ("lhe", "lhe.gz"):
        data, whats = small_lhe(), []
        for _ in range(1 + int(rng.random() < 0.3)):
            data, what = _lines_mutation(data, rng)
            whats.append(what)
        if kind == "lhe.gz":
            data = gzip.compress(data, mtime=0)
        case = Case(kind, seed, data, f"fuzz-{seed}.{kind}", "; ".join(whats))
    elif kind == "gz-bytes":
        data = gzip.compress(small_lhe(), mtime=0)
        case = Case(kind, seed, *_bytes_mutation(data, rng, f"fuzz-{seed}.lhe.gz"))
    else:
        source = HZZ if kind == "root" else RNTUPLE
        case = Case(kind, seed, *_bytes_mutation(source.read_bytes(), rng, f"fuzz-{seed}.root"))
    options = OPTIONS[int(rng.integers(len(OPTIONS)))]
    return dataclasses.replace(case, options=options)


def _bytes_mutation(data: bytes, rng: np.random.Generator, name: str) -> tuple[bytes, str, str]:
    """A binary file cut at a random offset or with a few bytes flipped."""
    if rng.random() < 0.4:
        cut = int(rng.integers(len(data)))
        return data[:cut], name, f"cut at byte {cut} of {len(data)}"
    out = bytearray(data)
    where = rng.integers(len(out), size=int(rng.integers(1, 9)))
    for i in where:
        out[i] ^= int(rng.integers(1, 256))
    return bytes(out), name, f"bytes {sorted(where.tolist())} flipped"


def check_case(case: Case, tmp_path: Path) -> str:
    """Read one damaged file; ``"ok"`` or ``"error"``, or fail the test naming the case."""
    path = tmp_path / case.name
    path.write_bytes(case.data)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            events = hepsym.read(path, **case.options)
    except HepsymError as err:
        message = str(err)
        assert "\n" not in message.strip(), f"{case}: message of several lines: {message!r}"
        assert str(path) in message or "max_events" in message, f"{case}: {message!r}"
        return "error"
    except Exception as err:  # noqa: BLE001 - any other exception is the finding
        pytest.fail(f"{case}: {type(err).__name__} escaped read(): {err}")
    others = [w for w in caught if not issubclass(w.category, HepsymWarning)]
    assert not others, f"{case}: warnings {[f'{w.category.__name__}: {w.message}' for w in others]}"
    parts = events.particles
    for coord in ("px", "py", "pz", "E"):
        values = ak.to_numpy(ak.flatten(getattr(parts, coord), axis=1)).astype(np.float64)
        assert np.isfinite(values).all(), f"{case}: non-finite {coord} returned"
    assert np.isfinite(np.asarray(events.weights)).all(), f"{case}: non-finite weight returned"
    return "ok"


def _cases(counts: dict[str, int], offset: int = 0) -> list[tuple[str, int]]:
    return [(kind, offset + i) for kind, n in counts.items() for i in range(n)]


def test_fuzz_default(tmp_path):
    outcomes = {"ok": 0, "error": 0}
    for kind, seed in _cases(N_DEFAULT):
        outcomes[check_case(damage(kind, seed), tmp_path)] += 1
    assert sum(outcomes.values()) == sum(N_DEFAULT.values())
    # Both outcomes occur: the damage is neither always harmless nor always fatal.
    assert outcomes["ok"] >= 10
    assert outcomes["error"] >= 100


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(N_SLOW))
def test_fuzz_many(kind, tmp_path):
    for _, seed in _cases({kind: N_SLOW[kind]}, offset=10_000):
        check_case(damage(kind, seed), tmp_path)


#: Damaged files that read() refuses, given to the command line.
CLI_CASES = [("lhe", 1), ("lhe.gz", 2), ("gz-bytes", 3), ("root", 4)]


def _failing(kind: str, start: int, tmp_path: Path) -> Case:
    """The first case of ``kind`` from seed ``start`` on that read() refuses without warning."""
    for seed in range(start, start + 200):
        case = damage(kind, seed)
        path = tmp_path / case.name
        path.write_bytes(case.data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                hepsym.read(path)
        except HepsymError:
            return case
        except HepsymWarning:
            continue
    pytest.fail(f"no failing {kind} case from seed {start}")


@pytest.mark.parametrize(("kind", "start"), CLI_CASES)
def test_fuzz_cli_one_line_exit_2(kind, start, tmp_path, capsys):
    case = _failing(kind, start, tmp_path)
    path = tmp_path / case.name
    assert main(["info", str(path)]) == 2, str(case)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{case}: {err!r}"
    assert lines[0].startswith("hepsym: error:"), f"{case}: {err!r}"
    assert str(path) in lines[0], f"{case}: {err!r}"
    assert "Traceback" not in err
