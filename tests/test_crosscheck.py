"""The cross-checks: every disagreement between hepsym's numbers becomes a warning."""

from __future__ import annotations

import math

from hepsym.crosscheck import Numbers, cross_check


def _numbers(**kw):
    base = {
        "predicted": 2,
        "embedding": 3,
        "learned": 3,
        "agreement": 1.0,
        "geometric": 2.02,
        "geometric_err": 0.02,
        "manifold": 2,
        "manifold_agreement": 1.0,
        "max_relevance": 5.0,
        "latent": 6,
    }
    return Numbers(**{**base, **kw})


def test_agreeing_numbers_give_no_warning():
    assert cross_check(_numbers()) == ()


def test_twonn_below_the_prediction_is_a_contradiction():
    # ee -> mumu with sum_E excluded: predicted 3, TwoNN 2.04
    (w,) = [w for w in cross_check(_numbers(predicted=3, manifold=3)) if "TwoNN" in w]
    assert "2.02 +- 0.02, contradicts the predicted dimension 3" in w
    assert "not among the candidates" in w


def test_twonn_above_the_prediction_names_strata_and_widths():
    (w,) = cross_check(_numbers(predicted=3, embedding=3, geometric=5.3, manifold=3))
    assert "contradicts the predicted dimension 3" in w
    assert "union of event classes" in w
    assert "approximate constraint" in w


def test_within_tolerance_is_no_contradiction():
    assert cross_check(_numbers(predicted=3, geometric=3.3, geometric_err=0.04, manifold=3)) == ()
    # a wide error widens the tolerance to two standard errors
    assert cross_check(_numbers(predicted=3, geometric=3.5, geometric_err=0.3, manifold=3)) == ()


def test_learned_manifold_against_the_prediction():
    warnings = cross_check(_numbers(predicted=3, manifold=2, geometric=2.04))
    assert any("learned has dimension 2" in w and "agrees with TwoNN" in w for w in warnings)


def test_relevances_below_one_mean_nothing_was_learned():
    warnings = cross_check(_numbers(learned=2, max_relevance=0.17, manifold=-1))
    assert any("learned nothing usable" in w and "0.17" in w for w in warnings)
    assert not _numbers(max_relevance=0.17).reliable


def test_weak_agreement_and_all_latents_used():
    warnings = cross_check(_numbers(learned=6, agreement=0.47, manifold=-1))
    assert any("Only 47% of the VAEs agree" in w for w in warnings)
    assert any("all 6 latents" in w for w in warnings)


def test_no_geometric_estimate_is_not_a_contradiction():
    assert cross_check(_numbers(geometric=math.nan, geometric_err=math.nan)) == ()
