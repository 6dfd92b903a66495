"""The learning study: relevance, the learned-dimension rule, correlations, TwoNN, errors."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from hepsym.errors import FeatureError, LearnError
from hepsym.geometry import two_nn
from hepsym.learning import (
    RELEVANCE_FLOOR,
    correlations,
    ensemble_dimension,
    evaluate,
    learn,
    learned_dimension,
    load,
)
from hepsym.vae import VAEConfig

# ~1250 optimizer steps (the paper set-up has ~1600) let unused latents collapse onto the prior.
SMALL = VAEConfig(epochs=40, batch_size=64)


def _square(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-10, 10, size=(n, 2))


def _circle(n: int, seed: int = 0) -> np.ndarray:
    phi = np.random.default_rng(seed).uniform(0, 2 * np.pi, n)
    return 10 * np.c_[np.cos(phi), np.sin(phi)]


def _sphere(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 3))
    return 40 * v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def square_result():
    X = _square(2000)
    return X, learn(X, ["x1", "x2"], ensemble=3, vae=VAEConfig(epochs=40, batch_size=64, latent=4))


def test_unused_latents_sit_on_the_prior(square_result):
    X, res = square_result
    assert res.relevance.shape == (3, 4)
    assert (np.diff(res.relevance, axis=1) <= 0).all()
    assert (res.relevance[:, :2] > 1).all()
    assert (res.relevance[:, 2:] < RELEVANCE_FLOOR).all()
    mu, sigma = res.encode(X)
    unused = np.take_along_axis(sigma.mean(axis=1), res.order, axis=1)[:, 2:]
    np.testing.assert_allclose(unused, 1, atol=0.1)
    assert (np.abs(np.take_along_axis(mu.std(axis=1), res.order, axis=1)[:, 2:]) < 0.1).all()
    assert (res.kl[:, 2:] < 0.01).all()
    assert (res.kl[:, :2] > 0.5).all()
    assert res.learned_dim == 2
    assert res.agreement == 1.0


def test_linearly_embedded_uniform_features_give_their_number():
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    X = np.c_[rng.uniform(-1, 1, size=(2000, 2)), np.zeros((2000, 3))] @ q.T
    res = learn(X, ensemble=5, vae=SMALL, seed=2)
    assert res.model.latent == 5
    assert res.learned_dim == 2
    assert res.agreement >= 0.6


def test_same_seed_reproduces_and_other_seed_differs():
    X = _circle(600)
    cfg = VAEConfig(epochs=3, batch_size=64, hidden=(16,), latent=3)
    a = learn(X, ensemble=2, vae=cfg, seed=5, geometric=False)
    b = learn(X, ensemble=2, vae=cfg, seed=5, geometric=False)
    c = learn(X, ensemble=2, vae=cfg, seed=6, geometric=False)
    np.testing.assert_array_equal(a.relevance, b.relevance)
    assert not np.allclose(a.relevance, c.relevance)
    assert np.isnan(a.geometric_dim)
    assert json.loads(json.dumps(a.to_dict(), allow_nan=False))["geometric_dim"] is None


def test_save_load_reproduces_relevances(square_result, tmp_path):
    X, res = square_result
    res.save(tmp_path / "model.pt")
    again = evaluate(load(tmp_path / "model.pt"), X, ["x1", "x2"], seed=res.seed)
    np.testing.assert_array_equal(again.relevance, res.relevance)
    assert again.member_dims == res.member_dims
    assert again.geometric_dim == res.geometric_dim


def test_result_serialises_and_prints(square_result):
    _, res = square_result
    d = json.loads(json.dumps(res.to_dict()))
    for key in (
        "learned_dim",
        "agreement",
        "relevance_mean",
        "relevance_std",
        "geometric_dim",
        "config",
        "ensemble",
        "seed",
        "epochs",
        "latent",
        "rule",
    ):
        assert key in d
    assert d["learned_dim"] == 2
    assert len(d["relevance_mean"]) == 4
    assert d["config"]["beta"] == 0.1
    text = str(res)
    assert "learned dimension: 2" in text
    assert "TwoNN" in text


@pytest.mark.parametrize(
    ("relevance", "expected"),
    [
        ([4.0, 3.8, 0.02, 0.01], 2),  # square: two comparable, two on the prior
        ([5.0, 0.03, 0.02, 0.01], 1),
        ([10.0, 8.0, 3.0, 2.0], 4),  # nothing unused: the drop to the floor is largest
        ([9.0, 8.0, 7.0, 1.5, 0.4, 0.02], 3),  # a weak tail is cut at the largest drop
        ([0.05, 0.02, 0.01], 0),  # everything on the prior
        ([0.01, 3.0, 0.02, 2.9], 2),  # order of input does not matter
    ],
)
def test_learned_dimension_rule(relevance, expected):
    assert learned_dimension(relevance) == expected


def test_ensemble_dimension_majority_and_ties():
    assert ensemble_dimension([2, 2, 3, 2]) == (2, 0.75)
    assert ensemble_dimension([3, 2, 3, 2]) == (2, 0.5)
    assert ensemble_dimension([4]) == (4, 1.0)


def test_correlations_linear_rank_and_nonlinear():
    rng = np.random.default_rng(0)
    n = 3000
    t = rng.uniform(-1, 1, n)
    mu = np.stack([t, rng.normal(size=n)], axis=1)[None]  # (1 member, n, 2 latents)
    X = np.stack([3 * t + 1, t**3], axis=1)
    c = correlations(mu, np.array([[0, 1]]), X, ["lin", "cube"], extra={"square": t**2})
    assert c.columns == ("lin", "cube", "square")
    assert c.pearson.shape == (1, 2, 3)
    assert c.pearson[0, 0, 0] == pytest.approx(1.0)
    assert c.spearman[0, 0, 1] == pytest.approx(1.0)
    assert abs(c.pearson[0, 0, 2]) < 0.1  # t^2 is invisible to linear and rank measures
    assert abs(c.spearman[0, 0, 2]) < 0.1
    assert c.info[0, 0, 2] > 0.8  # but not to the mutual information
    assert (np.abs(c.pearson[0, 1]) < 0.1).all()
    assert (c.info[0, 1] < 0.15).all()
    assert "rank" in c.table()


def test_extra_combinations_in_learn(square_result):
    X, res = square_result
    extra = {"x1-x2": X[:, 0] - X[:, 1]}
    again = evaluate(res.model, X, ["x1", "x2"], extra=extra, geometric=False)
    assert again.correlations.columns == ("x1", "x2", "x1-x2")
    # the two used latents together carry x1 and x2: each feature is explained by one of them
    top = again.correlations.mean_abs("info")[:2]
    assert (top.max(axis=0) > 0.5).all()
    with pytest.raises(FeatureError, match="extra column 'bad'"):
        evaluate(res.model, X, extra={"bad": np.zeros(5)}, geometric=False)


@pytest.mark.parametrize(
    ("make", "dim"),
    [(_circle, 1.0), (_square, 2.0), (_sphere, 2.0)],
)
def test_two_nn_finds_the_manifold_dimension(make, dim):
    res = two_nn(make(4000), subsamples=4)
    assert res.dim == pytest.approx(dim, abs=max(0.12, 4 * res.err))
    assert 0 < res.err < 0.15
    assert len(res.estimates) == 4


def test_two_nn_is_scikit_dimensions_estimate():
    # the values scikit-dimension 0.3 gives on the same points (skdim.id.TwoNN().fit(X)),
    # written down here rather than computed: the library is no dependency
    v = np.random.default_rng(0).normal(size=(3000, 3))
    sphere = 40 * v / np.linalg.norm(v, axis=1, keepdims=True)
    square = np.random.default_rng(0).uniform(-10, 10, size=(2000, 2))
    gauss = np.random.default_rng(5).normal(size=(5000, 5))
    for X, expected in (
        (sphere, 1.8970676620199591),
        (square, 1.9910394627085206),
        (gauss, 4.969093417920431),
    ):
        assert two_nn(X, standardize=False).dim == pytest.approx(expected, rel=1e-12)


def test_two_nn_sees_through_linear_embedding_and_duplicates():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    sphere = _sphere(3000)
    X = np.c_[sphere, -sphere] @ q.T  # e+e- -> mu+mu- like: p2 = -p1, rotated
    assert two_nn(X).dim == pytest.approx(2.0, abs=0.15)
    dup = np.r_[_square(1000), _square(1000)[:100]]
    assert two_nn(dup).dim == pytest.approx(2.0, abs=0.2)
    with pytest.raises(LearnError, match="at least"):
        two_nn(np.zeros((5, 2)))


def test_two_nn_draws_the_rows_first_beyond_pre_draw_times_cap(monkeypatch):
    import hepsym.geometry

    X = _sphere(6000)
    whole = two_nn(X, cap=1500)  # 6000 rows <= PRE_DRAW x cap: every row, as before
    assert whole.points == 1500
    monkeypatch.setattr(hepsym.geometry, "PRE_DRAW", 2)
    drawn = two_nn(X, cap=1500)  # 3000 rows drawn first
    assert drawn.points == 1500
    assert drawn.dim != whole.dim
    assert drawn.dim == pytest.approx(2.0, abs=max(0.15, 4 * drawn.err))
    assert drawn.dim == pytest.approx(whole.dim, abs=4 * max(drawn.err, whole.err))


def test_nan_and_infinite_features_name_the_column():
    X = _square(500)
    X[[3, 7, 9], 1] = np.nan
    with pytest.raises(FeatureError, match=r"'py' \(column 1\) has 3 NaN and 0 infinite"):
        learn(X, ["px", "py"], ensemble=1, vae=SMALL)
    X = _square(500)
    X[0, 0] = np.inf
    with pytest.raises(FeatureError, match=r"column 0.*1 infinite"):
        learn(X, ensemble=1, vae=SMALL)


def test_constant_feature_is_reported_as_a_constraint():
    X = np.c_[_square(500), np.full(500, 40.0)]
    with pytest.raises(
        FeatureError, match=r"'E' \(column 2\) is constant \(= 40.*constraint E = c"
    ):
        learn(X, ["px", "py", "E"], ensemble=1, vae=SMALL)


def test_bad_shapes_sizes_and_settings():
    with pytest.raises(FeatureError, match="non-empty"):
        learn(np.zeros(10))
    with pytest.raises(FeatureError, match="3 feature names given for 2"):
        learn(_square(500), ["a", "b", "c"])
    with pytest.raises(FeatureError, match="duplicate"):
        learn(_square(500), ["a", "a"])
    with pytest.raises(LearnError, match="too few for batch_size 64"):
        learn(_square(100), ensemble=1, vae=SMALL)
    with pytest.raises(LearnError, match="latent size must be >= 1"):
        learn(_square(500), vae=VAEConfig(latent=0))
    with pytest.raises(LearnError, match="at least 1 member"):
        learn(_square(500), ensemble=0, vae=SMALL)


@pytest.mark.slow
@pytest.mark.parametrize(("make", "expected"), [(_square, 2), (_circle, 2)])
def test_paper_toys(make, expected):
    """Paper sec. 4.1: 10^4 events, latent 4, 20 epochs, 15 members.

    Square: 2 of 4 as in the paper. Circle: 2, not the paper's 1 -- the posterior
    means form a ring, which needs the circle's embedding dimension (2).
    """
    res = learn(make(10_000), ensemble=15, vae=VAEConfig(latent=4), seed=0)
    assert res.learned_dim == expected
    assert res.agreement >= 0.8
    assert res.geometric_dim == pytest.approx(expected if make is _square else 1, abs=0.1)
    assert res.learned_manifold_dim == (2 if make is _square else 1)
    assert res.learned_manifold_agreement >= 0.8


def test_learned_manifold_dimension_of_square_and_circle(square_result):
    # the relevance count is the embedding (2 for the circle's ring); the cloud of
    # posterior means in those latents is the learned surface: 2 for the square, 1 the circle
    _, square = square_result
    assert square.learned_manifold_dim == 2
    assert square.learned_manifold_agreement == 1.0
    X = _circle(2000)
    circle = learn(X, ensemble=3, vae=VAEConfig(epochs=40, batch_size=64, latent=4))
    assert circle.learned_dim == 2
    assert circle.member_manifold_dims == (1, 1, 1)
    assert circle.learned_manifold_dim == 1
    d = circle.to_dict()
    assert (d["learned_manifold_dim"], d["learned_manifold_agreement"]) == (1, 1.0)


def test_training_sample_and_streamed_relevance(monkeypatch):
    import hepsym.learning
    from hepsym.relevance import relevance_and_kl, streamed_relevance

    X = _square(3000)
    res = learn(X, ensemble=2, vae=SMALL, train_events=1000, geometric=False)
    assert res.n_events == 3000  # relevances over every event
    assert any("uniform sample of 1000 of 3000 events" in n for n in res.notes)
    # the chunked relevance equals the one-pass one on the same posteriors
    mu, sigma = res.encode(X)
    exact = relevance_and_kl(mu, sigma)
    streamed = streamed_relevance(functools.partial(res.model.posterior_sums, chunk=700), X)
    for a, b in zip(exact, streamed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    # above EVAL_SAMPLE events the correlations use a sample, the relevances do not
    monkeypatch.setattr(hepsym.learning, "EVAL_SAMPLE", 500)
    again = evaluate(res.model, X, geometric=False)
    np.testing.assert_allclose(again.relevance, np.sort(exact[0], axis=1)[:, ::-1], rtol=1e-9)


def test_weighted_events_are_drawn_by_their_weight():
    # half the square weighted 0: the VAEs only ever see x1 > 0
    X = _square(2000)
    w = np.where(X[:, 0] > 0, 1.0, 0.0)
    res = learn(X, ensemble=1, vae=SMALL, weights=w, geometric=False)
    assert any("probability |weight|" in n for n in res.notes)
    mu = res.model.mean  # the standardisation fitted on what it trained on
    assert mu[0] > 4.0  # the mean of x1 over x1 > 0 is ~5
    same = learn(X, ensemble=1, vae=SMALL, weights=np.ones(2000), geometric=False)
    assert not same.notes  # equal weights: the events as they are


def test_default_training_is_a_budget_of_passes_over_train_events():
    cfg = VAEConfig()
    assert cfg.epochs_for(1_000_000, 20_000) == 20  # the 2x10^4-event sample, 20 passes
    assert cfg.epochs_for(20_000, 20_000) == 20
    assert cfg.epochs_for(10_000, 20_000) == 40  # half the events, twice the passes
    assert cfg.epochs_for(15_000, 20_000) == 27
    assert cfg.epochs_for(10_000, None) == 20  # training on all events: 20 passes
    assert VAEConfig(epochs=5).epochs_for(10_000, 20_000) == 5  # asked for: as asked
    res = learn(
        _square(600),
        ensemble=1,
        vae=VAEConfig(hidden=(8,), latent=3),
        train_events=1200,
        geometric=False,
    )
    assert res.config.epochs == 40
    assert res.to_dict()["epochs"] == 40
    assert any("40 passes over the 600 events" in n for n in res.notes)
    asked = VAEConfig(hidden=(8,), latent=3, epochs=3)
    assert learn(_square(600), ensemble=1, vae=asked, train_events=1200).config.epochs == 3
