from __future__ import annotations

import json
from pathlib import Path

import matplotlib as mpl
import pytest

mpl.use("Agg")

from hepsym.analysis import analyze
from hepsym.cli import main
from hepsym.errors import HepsymError
from hepsym.report import plot_latents, plot_relevance

DATA = Path(__file__).resolve().parent.parent / "data"
EE = DATA / "ee_mumu_80GeV.lhe.gz"
QUICK = ["--ensemble", "2", "--epochs", "2", "--max-events", "1500", "--progress", "--no-progress"]
SCHEMA = {
    "predicted_dim",
    "embedding_dim",
    "learned_dim",
    "agreement",
    "geometric_dim",
    "verdict",
    "constraints",
    "n_events",
    "n_dropped",
    "features",
}


@pytest.fixture(scope="module")
def ee_result():
    return analyze(EE, max_events=1500, ensemble=2, epochs=3, progress=False)


def test_api_result_on_ee(ee_result):
    r = ee_result
    assert r.constraints.predicted_dim == 2
    assert r.constraints.embedding_dim == 3
    assert r.features.kind == "p3"  # the paper's choice at a lepton collider, and said so
    assert any("features: p3" in n for n in r.notes)
    # a 2-member, 3-epoch ensemble may give any count; the verdict must name it correctly
    expected = {2: "predicted", 3: "embedding"}.get(r.learned.learned_dim, "mismatch")
    assert r.verdict.outcome == expected
    assert r.verdict.learned_dim == r.learned.learned_dim == r.to_dict()["learned_dim"]
    d = json.loads(r.to_json(), parse_constant=_no_nan)  # strict JSON: no NaN or Infinity
    assert set(d) >= SCHEMA
    status = {c["name"]: c["status"] for c in d["constraints"]}
    assert "m_Z" not in status  # m(mumu) <= sqrt(s) = 80 GeV, out of the Z's reach
    assert set(status.values()) == {"exact"}  # momentum and energy sums, on-shell
    assert d["settings"]["input"]["select"] == "mu- mu+"  # what hepsym chose, recorded
    assert d["settings"]["learn"]["ensemble"] == 2


def _no_nan(name):
    raise AssertionError(f"non-strict JSON constant {name}")


def test_relevance_figure_has_marks_and_labels(ee_result):
    ax = plot_relevance(ee_result)
    assert ax.get_yscale() == "log"
    assert "relevance" in ax.get_ylabel()
    assert "rank" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("predicted dimension = 2" in t for t in labels)
    assert any("embedding dimension = 3" in t for t in labels)
    assert len(ax.lines) >= 3


def test_latent_grid_is_latents_by_features(ee_result):
    fig = plot_latents(ee_result)
    assert len(fig.axes) == 6 * 6
    assert "GeV" in fig.axes[-1].get_xlabel()


def test_cli_json_schema(capsys):
    assert main(["analyze", str(EE), "--json", *QUICK]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) >= SCHEMA
    assert d["predicted_dim"] == 2
    assert d["n_events"] == 1500


def test_cli_out_writes_report_figures_and_json(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["analyze", str(EE), "--out", str(out), *QUICK]) == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "result.json",
        "report.md",
        "relevance.png",
        "relevance.pdf",
        "latents_vs_features.png",
        "constraint_sum_E.png",
    } <= names
    result = json.loads((out / "result.json").read_text())
    assert result["hepsym_version"]
    assert result["settings"]["learn"]["ensemble"] == 2
    assert "relevance.png" in (out / "report.md").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
    assert "verdict" in capsys.readouterr().out


def test_no_partial_report_after_a_failure(tmp_path, monkeypatch, capsys):
    import hepsym.report

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hepsym.report, "_markdown", boom)
    out = tmp_path / "report"
    assert main(["analyze", str(EE), "--out", str(out), *QUICK]) == 130
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_toy_circle_predicts_one(capsys):
    assert (
        main(
            [
                "analyze",
                "--dataset",
                "circle",
                "--json",
                "--ensemble",
                "2",
                "--epochs",
                "2",
                "--no-progress",
            ]
        )
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["predicted_dim"] == 1
    assert d["embedding_dim"] == 2


@pytest.mark.parametrize("path", sorted((DATA / "external").iterdir()), ids=lambda p: p.name)
def test_every_external_file_analyzes_or_says_why(path, capsys):
    code = main(
        ["analyze", str(path), "--epochs", "2", "--ensemble", "2", "--no-progress", "--json"]
    )
    err = capsys.readouterr().err
    if code == 0:
        return
    assert code == 2
    assert err.startswith("hepsym: error: ")
    assert str(path) in err


def test_selection_error_is_a_hepsym_error():
    with pytest.raises(HepsymError, match="no event has all of 'tau- tau\\+'"):
        analyze(EE, select="tau- tau+", ensemble=1, epochs=1)


def test_constant_features_are_constraints_not_vae_inputs():
    r = analyze(EE, features="p4", max_events=1500, ensemble=2, epochs=2, progress=False)
    assert r.constraints.predicted_dim == 2
    assert "E_mu_minus" not in r.learned.names  # E = sqrt(s)/2 in every event
    assert any("constant features" in n for n in r.notes)
    assert len(plot_latents(r).axes) == 6 * 6


def test_cli_learn_on_p4_leaves_constant_energies_out_like_analyze(capsys):
    # the VAE-input rules live with learning: `learn` and `analyze` give the VAE the same columns
    assert main(["learn", str(EE), "--features", "p4", "--json", *QUICK]) == 0
    captured = capsys.readouterr()
    learned = json.loads(captured.out)
    assert "E_mu_minus" not in learned["features"]
    assert len(learned["features"]) == 6
    assert any("constant features left out of the VAE" in n for n in learned["notes"])
    assert "constant features left out" in captured.err
    r = analyze(EE, features="p4", max_events=1500, ensemble=2, epochs=2, progress=False)
    assert list(r.learned.names) == learned["features"]


def test_spec_options_and_unknown_option():
    from hepsym.errors import OptionError
    from hepsym.spec import StudySpec

    spec = StudySpec().with_options(select="mu+ mu-", epochs=7, ensemble=3, exclude=["m_Z"])
    assert spec.input.select == "mu+ mu-"
    assert (spec.learn.vae.epochs, spec.learn.ensemble) == (7, 3)
    assert spec.constraints.exclude == ("m_Z",)
    with pytest.raises(OptionError, match="unknown option ensembel"):
        StudySpec().with_options(ensembel=3)
    with pytest.raises(OptionError, match="sqrt\\(s\\) must be a positive number"):
        StudySpec().with_options(sqrt_s=-80.0)


def test_excluding_a_holding_constraint_is_caught_by_twonn(capsys):
    # without sum_E the constraints predict 3, but the events lie on a 2-sphere
    assert main(["analyze", str(EE), "--exclude", "sum_E", "--json", *QUICK]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["predicted_dim"] == 3
    assert d["geometric_dim"] == pytest.approx(2.0, abs=0.15)
    assert any("contradicts the predicted dimension 3" in w for w in d["warnings"])
    assert "learned_manifold_dim" in d
    assert "learned_manifold_agreement" in d


def test_analyze_carries_the_discovered_relations_and_the_symmetries(ee_result):
    d = ee_result.to_dict()
    assert d["discovered_dim"] == 2  # the same surface found from the data alone
    assert d["hilbert"][:3] == [1, 3, 5]
    assert {r["matches"] for r in d["discovered"]} >= {"sum_px", "sum_py", "sum_pz"}
    assert [s["name"] for s in d["support_symmetries"]] == ["J_x", "J_y", "J_z"]  # so(3)
    by_name = {s["name"]: s["symmetric"] for s in d["density_symmetries"]}
    assert by_name["J_z"]
    assert not by_name["J_x"]
    assert "discovered dimension 2" in ee_result.summary()


def test_the_discovery_settings_reach_analyze():
    """--max-degree in analyze is the discover stage's: degree 1 finds only the sums."""
    from hepsym import FeatureMatrix
    from hepsym.datasets import load_toy

    circle = load_toy("circle", seed=0).features()
    assert isinstance(circle, FeatureMatrix)
    options = {"ensemble": 1, "epochs": 1, "symmetries": False, "progress": False}
    low = analyze(circle, max_degree=1, **options)
    assert low.discovery.max_degree == 1
    assert low.discovery.discovered_dim == 2  # x1^2 + x2^2 = 100 is beyond degree 1
    assert low.to_dict()["settings"]["discovery"] == {"max_degree": 1, "tolerance": None}
    assert analyze(circle, **options).discovery.discovered_dim == 1
