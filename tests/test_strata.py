"""Strata: a synthetic union of a 3- and a 5-dimensional manifold is found and counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hepsym.constraints import analyze_constraints
from hepsym.events import Beams, Events, make_particles
from hepsym.features import build_features
from hepsym.selection import select
from hepsym.spec import ConstraintSpec
from hepsym.strata import Strata, Stratum, find_strata

M_MU = 0.1056583755


def _boost(e, px, py, pz, b):
    """Boost four-momenta (arrays over events) by velocities b (events x 3)."""
    b2 = np.sum(b * b, axis=1)
    g = 1 / np.sqrt(1 - b2)
    bp = b[:, 0] * px + b[:, 1] * py + b[:, 2] * pz
    g2 = np.where(b2 > 0, (g - 1) / np.where(b2 > 0, b2, 1), 0.0)
    out = [px + g2 * bp * b[:, 0] + g * b[:, 0] * e]
    out.append(py + g2 * bp * b[:, 1] + g * b[:, 1] * e)
    out.append(pz + g2 * bp * b[:, 2] + g * b[:, 2] * e)
    return g * (e + bp), *out


def _dimuons(n: int, rng: np.random.Generator, recoil: bool) -> dict[str, np.ndarray]:
    """Z -> mu- mu+ (Breit-Wigner mass), boosted along z; with recoil also transversally."""
    m = 91.1876 + 1.25 * np.tan(rng.uniform(-1.4, 1.4, n))
    cos_t, phi = rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n)
    p = np.sqrt(m**2 / 4 - M_MU**2)
    sin_t = np.sqrt(1 - cos_t**2)
    d = np.c_[p * sin_t * np.cos(phi), p * sin_t * np.sin(phi), p * cos_t]
    pt = rng.exponential(20.0, n) if recoil else np.zeros(n)
    az = rng.uniform(0, 2 * np.pi, n)
    pz = np.sqrt(m**2 + pt**2) * np.sinh(rng.normal(0, 1.5, n))
    P = np.c_[pt * np.cos(az), pt * np.sin(az), pz]
    E = np.sqrt(m**2 + np.sum(P * P, axis=1))
    b = P / E[:, None]
    cols = {"E": [], "px": [], "py": [], "pz": []}
    for s in (1, -1):
        e, x, y, z = _boost(m / 2, s * d[:, 0], s * d[:, 1], s * d[:, 2], b)
        for k, v in zip(("E", "px", "py", "pz"), (e, x, y, z), strict=True):
            cols[k].append(v)
    return {k: np.column_stack(v).ravel() for k, v in cols.items()}


def _merged(n0: int, n1: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    a, b = _dimuons(n0, rng, recoil=False), _dimuons(n1, rng, recoil=True)
    fields = {k: np.r_[a[k], b[k]] for k in a}
    n = n0 + n1
    fields["pid"] = np.tile([13, -13], n)
    fields["status"] = np.ones(2 * n, dtype=np.int64)
    fields["charge"] = np.tile([-1.0, 1.0], n)
    events = Events(
        make_particles(fields, counts=np.full(n, 2)),
        np.ones(n),
        Beams(ids=(2212, 2212), energies=(6500.0, 6500.0)),
        source="<merged>",
        format="generated",
    )
    return build_features(select(events, "mu- mu+"), "p4")


@pytest.fixture(scope="module")
def merged():
    fm = _merged(1100, 900)
    return fm, analyze_constraints(fm)


def test_each_part_alone_has_its_dimension():
    assert analyze_constraints(_merged(1500, 0)).predicted_dim == 3  # pT balance holds
    assert analyze_constraints(_merged(0, 1500)).predicted_dim == 5  # it does not


def test_a_law_that_holds_on_a_subset_splits_the_events(merged):
    fm, whole = merged
    assert whole.status("sum_px") == "violated"  # on all events together
    strata = find_strata(fm, whole, ConstraintSpec())
    assert strata is not None
    assert strata.rule == "by a law that holds on a subset"
    assert [s.label for s in strata.strata] == ["sum_px holds exactly", "sum_px does not hold"]
    assert [s.n_events for s in strata.strata] == [1100, 900]
    assert strata.dims == (3, 5)
    assert strata.strata[0].geometric_dim == pytest.approx(3, abs=0.5)
    assert strata.strata[1].geometric_dim == pytest.approx(5, abs=0.8)
    assert "sum_px" in strata.strata[0].constraints
    assert "sum_px" not in strata.strata[1].constraints
    text = strata.describe()
    assert "a union of a 3-dimensional (55%) and a 5-dimensional (45%) manifold" in text
    assert strata.warnings(whole.predicted_dim)


def test_final_state_classes_split_first(merged):
    fm, whole = merged
    classes = np.r_[np.full(1100, "mu- mu+"), np.full(900, "mu- mu+ g")]
    strata = find_strata(fm, whole, ConstraintSpec(), classes=classes)
    assert strata is not None
    assert strata.rule == "by final state"
    assert [s.label for s in strata.strata] == ["final state mu- mu+", "final state mu- mu+ g"]
    assert strata.dims == (3, 5)
    d = strata.to_list()[0]
    assert set(d) == {
        "label",
        "n_events",
        "fraction",
        "predicted_dim",
        "geometric_dim",
        "geometric_dim_err",
        "constraints",
    }
    assert d["fraction"] == pytest.approx(0.55)


def test_one_class_or_a_tiny_one_is_no_strata():
    fm = _merged(1500, 0)
    res = analyze_constraints(fm)
    assert find_strata(fm, res, ConstraintSpec()) is None
    tiny = _merged(1960, 40)  # 2%: below MIN_FRACTION
    assert find_strata(tiny, analyze_constraints(tiny), ConstraintSpec()) is None


def test_same_dimension_strata_are_described_as_such():
    s = Strata(
        (Stratum("a", 10, 0.5, 5, 5.0, 0.1, ()), Stratum("b", 10, 0.5, 5, 5.1, 0.1, ())), "x"
    )
    assert "each 5-dimensional" in s.describe()
    assert s.warnings(5) == ()
    assert s.warnings(4)


def test_injected_duplicates_are_counted_and_left_out(tmp_path):
    import gzip

    from hepsym.cli import main
    from hepsym.inputs import prepare

    # repeat 3000 of the 10^4 shipped e+e- events: 3000 repeated rows, 10^4 distinct ones
    src = Path(__file__).resolve().parent.parent / "data" / "ee_mumu_80GeV.lhe.gz"
    text = gzip.decompress(src.read_bytes()).decode()
    head, _, rest = text.partition("<event>")
    body, _, tail = ("<event>" + rest).rpartition("</event>")
    events = (body + "</event>").split("</event>")[:-1]
    copies = [e + "</event>" for e in events] + [e + "</event>" for e in events[:3000]]
    path = tmp_path / "dup.lhe"
    path.write_text(head + "".join(copies) + tail)
    p = prepare(path)
    assert p.features.n_events == 10_000
    assert p.features.metadata["n_repeated"] == 3000
    assert any("3000 of 13000 events (23%) repeat" in n for n in p.notes)
    kept = prepare(path, keep_duplicates=True)
    assert kept.features.n_events == 13_000
    assert main(["constraints", str(path), "--json"]) == 0


def test_strata_of_a_sample_count_every_event(merged):
    """Studied on a sample, the strata keep the sizes of all events (the population's
    class counts), and the rule decides on them."""
    fm, _ = merged
    classes = np.r_[np.full(1100, "mu- mu+"), np.full(900, "mu- mu+ g")]
    pick = np.sort(np.random.default_rng(1).choice(2000, 1000, replace=False))
    sample = fm.take(pick)
    counts = {"mu- mu+": 1100, "mu- mu+ g": 900}
    strata = find_strata(
        sample, analyze_constraints(sample), ConstraintSpec(), classes=classes[pick], counts=counts
    )
    assert strata is not None
    assert [s.n_events for s in strata.strata] == [1100, 900]
    assert [s.fraction for s in strata.strata] == pytest.approx([0.55, 0.45])
    assert strata.dims == (3, 5)
