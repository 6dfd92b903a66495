"""Event weights in the constraint table: signed weighted fractions, widths and the note."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hepsym import FeatureMatrix, analyze_constraints
from hepsym.constraints.verify import event_weights, weighted_quantiles


def _sample(weights: np.ndarray) -> FeatureMatrix:
    """x1 + x2 = 1 holds exactly in the first 60 of 100 events and is off by 1 in the rest."""
    rng = np.random.default_rng(0)
    x1 = rng.uniform(0, 1, 100)
    x2 = 1 - x1
    x2[60:] += 1.0
    fm = FeatureMatrix.from_array(np.c_[x1, x2, rng.uniform(0, 1, 100)])
    return dataclasses.replace(fm, weights=weights)


def _row(weights: np.ndarray):
    result = analyze_constraints(_sample(weights), extra=["x1 + x2 = 1"])
    return result, result.row("x1+x2")


def test_signed_weights_give_the_weighted_fraction() -> None:
    # unweighted: 60% of the events obey the law
    _, row = _row(np.ones(100))
    assert row.fraction_exact == pytest.approx(0.6)
    # violating events: 20 with weight 2, 20 with weight -1 -> 60 / (60 + 40 - 20) = 0.75
    w = np.ones(100)
    w[60:80], w[80:] = 2.0, -1.0
    result, row = _row(w)
    assert row.fraction_exact == 0.75
    assert row.status == "violated"
    assert any("20 of 100 negative" in n and "signed weights" in n for n in result.notes)


def test_zero_weights_remove_events() -> None:
    w = np.ones(100)
    w[60:] = 0.0
    _, row = _row(w)
    assert row.fraction_exact == 1.0
    assert row.status == "exact"
    assert row.counted


def test_equal_weights_change_nothing() -> None:
    a, b = _row(np.ones(100))[0], _row(np.full(100, 3.5))[0]
    assert a.to_dict()["constraints"] == b.to_dict()["constraints"]
    assert not any("weighted events" in n for n in b.notes)


def test_weighted_quantiles() -> None:
    v = np.array([1.0, 2.0, 3.0, 4.0])
    # weight 3 on the value 4: the 60% quantile is 4; a negative weight lowers the CDF
    np.testing.assert_array_equal(weighted_quantiles(v, np.array([1.0, 1, 1, 3]), [0.6]), [4.0])
    np.testing.assert_array_equal(
        weighted_quantiles(v, np.array([1.0, 1, -1, 1]), [0.25, 0.5, 0.75]), [1.0, 1.0, 2.0]
    )
    # equal weights: numpy's percentile, bit for bit
    np.testing.assert_array_equal(weighted_quantiles(v, None, [0.25]), np.percentile(v, [25.0]))
    # weights summing to zero or less: |w|
    np.testing.assert_array_equal(event_weights(np.array([1.0, -2.0]), 2), [1.0, 2.0])
    assert event_weights(np.ones(3), 3) is None
