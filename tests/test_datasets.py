from __future__ import annotations

import numpy as np
import pytest

from hepsym.datasets import TOYS, ToyDataset, circle, load_toy, square
from hepsym.errors import GeneratorError


def test_circle_points_lie_exactly_on_the_circle():
    data = circle(n=5000, R=10.0, seed=3)
    radius = np.hypot(data.X[:, 0], data.X[:, 1])
    np.testing.assert_allclose(radius, 10.0, rtol=4e-16, atol=0)
    np.testing.assert_allclose(data.constraint_values(), data.constraint_value, rtol=1e-15)
    assert data.constraint == "x1**2 + x2**2"
    assert data.constraint_value == 100.0


def test_circle_is_uniform_in_angle():
    data = circle(n=20_000, seed=4)
    phi = np.arctan2(data.X[:, 1], data.X[:, 0])
    counts, _ = np.histogram(phi, bins=16, range=(-np.pi, np.pi))
    expected = len(phi) / 16
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 40  # 15 degrees of freedom: p ~ 5e-4
    # Uniform in angle, not in x1: x1 = R cos(phi) piles up at +-R (arcsine law).
    edge = np.mean(np.abs(data.X[:, 0]) > 9.0)
    assert edge == pytest.approx(2 * np.arccos(0.9) / np.pi, abs=0.02)


def test_square_is_inside_and_uniform():
    data = square(n=20_000, R=10.0, seed=5)
    assert data.X.shape == (20_000, 2)
    assert data.X.dtype == np.float64
    assert np.all(np.abs(data.X) <= 10.0)
    for column in data.X.T:
        counts, _ = np.histogram(column, bins=20, range=(-10, 10))
        expected = len(column) / 20
        assert np.sum((counts - expected) ** 2 / expected) < 45  # 19 dof: p ~ 7e-4
    assert abs(np.corrcoef(data.X.T)[0, 1]) < 0.03  # independent coordinates
    assert data.constraint is None
    assert data.constraint_value is None
    assert data.constraint_values() is None


def test_metadata_states_dimensions():
    sq, ci = square(n=10), circle(n=10)
    assert (sq.true_dim, sq.embedding_dim) == (2, 2)
    assert (ci.true_dim, ci.embedding_dim) == (1, 2)
    assert sq.names == ci.names == ("x1", "x2")
    assert ci.to_dict()["true_dim"] == 1
    assert "circle" in repr(ci)
    assert "x1**2 + x2**2 = 100" in repr(ci)


def test_seeded_and_reproducible():
    a, b, c = circle(n=100, seed=1), circle(n=100, seed=1), circle(n=100, seed=2)
    assert np.array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert np.array_equal(square(n=50, seed=7).X, square(n=50, seed=7).X)


def test_noise_spreads_the_circle_by_its_sigma():
    data = circle(n=20_000, R=10.0, seed=6, noise=0.1)
    radius = np.hypot(data.X[:, 0], data.X[:, 1])
    assert np.mean(radius) == pytest.approx(10.0, abs=0.01)
    assert np.std(radius) == pytest.approx(0.1, rel=0.05)
    assert data.noise == 0.1


def test_registry():
    assert set(TOYS) == {"square", "circle"}
    data = load_toy("circle", n=10, R=2.0, seed=1)
    assert isinstance(data, ToyDataset)
    assert data.R == 2.0
    assert data.constraint_value == 4.0
    assert len(data) == 10


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: load_toy("sphere"), "unknown toy dataset 'sphere'"),
        (lambda: load_toy("circle", radius=3), "unexpected keyword"),
        (lambda: circle(n=0), "positive integer"),
        (lambda: square(n=2.5), "positive integer"),
        (lambda: circle(R=-1.0), "R must be positive"),
        (lambda: square(noise=-0.1), "noise must be >= 0"),
    ],
)
def test_bad_inputs(call, match):
    with pytest.raises(GeneratorError, match=match):
        call()
