"""Accuracy metrics against hand-worked examples; PIT uniformity; the summary table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelsim.forecast import (
    crps_sample,
    interval_coverage,
    last_year_mean,
    mape,
    mase,
    naive,
    pinball_loss,
    pit_coverage,
    pit_uniformity,
    randomized_pit,
    rmsse,
    seasonal_naive,
    seasonal_naive_scale,
    share_within,
    signed_bias,
    summarize,
    wape,
)


def test_wape_bias_mape_by_hand():
    y = np.array([100.0, 50.0, 0.0, 50.0])
    f = np.array([110.0, 40.0, 5.0, 60.0])
    # |e| = 10, 10, 5, 10 -> 35 / 200
    assert wape(y, f) == pytest.approx(35 / 200)
    # sum f = 215, sum y = 200
    assert signed_bias(y, f) == pytest.approx(0.075)
    # APE over positive actuals only: 0.1, 0.2, 0.2
    assert mape(y, f) == pytest.approx(0.5 / 3)
    assert np.isnan(wape([0.0, 0.0], [1.0, 2.0]))
    assert np.isnan(mape([0.0], [1.0]))


def test_share_within_by_hand():
    y = [100.0, 100.0, 100.0, 200.0, 0.0]
    f = [95.0, 104.0, 110.0, 180.0, 7.0]
    # APE: 5%, 4%, 10%, 10%; the zero actual is left out
    assert share_within(y, f, 0.05) == pytest.approx(0.5)
    assert share_within(y, f, 0.10) == pytest.approx(1.0)


def test_seasonal_scale_mase_rmsse_by_hand():
    hist = np.array([[10.0, 20.0, 30.0, 14.0, 22.0, 35.0]])
    # lag 3: |14-10|, |22-20|, |35-30| = 4, 2, 5 -> 11/3; squares 16, 4, 25 -> 15
    s = seasonal_naive_scale(hist, 3)
    s2 = seasonal_naive_scale(hist, 3, power=2)
    assert s[0] == pytest.approx(11 / 3)
    assert s2[0] == pytest.approx(15.0)
    y = np.array([[12.0, 25.0]])
    f = np.array([[14.0, 20.0]])  # errors 2, -5
    assert mase(y, f, s)[0] == pytest.approx(3.5 / (11 / 3))
    assert rmsse(y, f, s2)[0] == pytest.approx(np.sqrt(14.5 / 15.0))
    # a series too short for the season uses lag 1
    assert seasonal_naive_scale([[1.0, 3.0, 2.0]], 12)[0] == pytest.approx(1.5)


def test_zero_scale_is_reported_not_divided():
    hist = np.array([[5.0, 5.0, 5.0, 5.0], [0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]])
    s = seasonal_naive_scale(hist, 1)
    assert s.tolist() == [0.0, 0.0, 1.0]
    out = mase(np.ones((3, 2)), np.zeros((3, 2)), s)
    assert np.isnan(out[:2]).all() and out[2] == 1.0
    rec = pd.DataFrame(
        {
            "level": "partner",
            "id": np.repeat(["a", "b", "c"], 2),
            "stage": "active",
            "actual": 1.0,
            "mean": 0.0,
            "scale": np.repeat(s, 2),
            "scale2": np.repeat(s, 2),
        }
    )
    row = summarize(rec, ["model"], by_stage=False).iloc[0]
    assert row["zero_scale_series"] == 2
    assert row["mase"] == pytest.approx(1.0)
    assert row["n_series"] == 3


def test_crps_by_hand():
    # draws {0, 2}, y = 1: E|X-y| = 1, E|X-X'| = (0+2+2+0)/4 = 1 -> 1 - 0.5
    assert crps_sample(1.0, [0.0, 2.0]) == pytest.approx(0.5)
    # draws {1, 2, 4}, y = 0: E|X-y| = 7/3; pairs |.|: 1,3,2 each twice -> 12/9
    assert crps_sample(0.0, [1.0, 2.0, 4.0]) == pytest.approx(7 / 3 - 0.5 * 12 / 9)
    # a point forecast: CRPS is the absolute error
    assert crps_sample(3.0, [5.0]) == pytest.approx(2.0)
    # vectorised over trailing axes, equals the O(D^2) definition
    gen = np.random.default_rng(0)
    x = gen.gamma(2.0, size=(50, 3, 4))
    y = gen.gamma(2.0, size=(3, 4))
    brute = np.abs(x - y).mean(0) - 0.5 * np.abs(x[:, None] - x[None, :]).mean((0, 1))
    np.testing.assert_allclose(crps_sample(y, x), brute, rtol=1e-12)


def test_pinball_and_coverage_by_hand():
    np.testing.assert_allclose(pinball_loss([10.0, 10.0], [8.0, 12.0], 0.9), [1.8, 0.2])
    np.testing.assert_allclose(pinball_loss([10.0], [10.0], 0.3), [0.0])
    assert interval_coverage([1, 5, 9, 4], [0, 0, 0, 4], [4, 6, 8, 4]) == pytest.approx(0.75)


def test_randomized_pit_by_hand():
    # y = 5 among {1, 2, 9}: 2 below, no ties -> (2 + V) / 4 in [0.5, 0.75)
    p = randomized_pit([5.0], np.array([[1.0], [2.0], [9.0]]), seed=0)
    assert 0.5 <= p[0] < 0.75
    # y = 0 with draws {0, 0, 3}: 0 below, 2 ties -> 3V/4 in [0, 0.75)
    p = randomized_pit(np.zeros(2000), np.tile([[0.0], [0.0], [3.0]], (1, 2000)), seed=1)
    assert p.min() >= 0 and p.max() < 0.75
    assert p.mean() == pytest.approx(0.375, abs=0.02)


def test_randomized_pit_uniform_with_point_mass():
    # zero-inflated log-normal: the actual is exchangeable with the draws -> U(0, 1)
    gen = np.random.default_rng(5)
    n, D = 3000, 99

    def draw(size):
        return np.where(gen.random(size) < 0.4, 0.0, gen.lognormal(0, 1, size))

    y, x = draw(n), draw((D, n))
    pit = randomized_pit(y, x, seed=2)
    assert pit_uniformity(pit)[1] > 0.01
    cov = pit_coverage(pit, [0.8, 0.95])
    np.testing.assert_allclose(cov, [0.8, 0.95], atol=0.03)
    # a too-narrow forecast is flagged
    bad = randomized_pit(y, 0.3 * x, seed=2)
    assert pit_uniformity(bad)[1] < 1e-6


def test_baselines_by_hand():
    h = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    assert naive(h, 2).tolist() == [[6.0, 6.0]]
    assert seasonal_naive(h, 5, season=4).tolist() == [[3.0, 4.0, 5.0, 6.0, 3.0]]
    assert last_year_mean(h, 2, season=4).tolist() == [[4.5, 4.5]]
    assert seasonal_naive([[7.0, 8.0]], 2, season=4).tolist() == [[8.0, 8.0]]  # too short


def test_summary_levels_methods_and_ape_only_above_partner():
    rec = pd.DataFrame(
        {
            "window": 0,
            "level": ["territory"] * 2 + ["partner"] * 4,
            "id": ["t", "t", "a", "a", "b", "b"],
            "stage": ["all", "all", "active", "active", "dormant", "dormant"],
            "actual": [10.0, 12.0, 0.0, 5.0, 1.0, 0.0],
            "mean": [11.0, 10.0, 1.0, 4.0, 1.0, 1.0],
            "q10": [9.0, 9.0, 0.0, 0.0, 0.0, 0.0],
            "q90": [13.0, 11.0, 3.0, 3.0, 3.0, 3.0],
            "crps": [0.5, 1.0, 0.4, 1.5, 0.2, 0.5],
            "pit": [0.4, 0.8, 0.1, 0.97, 0.5, 0.6],
            "scale": [2.0, 2.0, 1.0, 1.0, 0.0, 0.0],
            "scale2": [4.0, 4.0, 1.0, 1.0, 0.0, 0.0],
            "naive": [9.0, 9.0, 0.0, 0.0, 1.0, 1.0],
        }
    )
    out = summarize(rec, ["model", "naive"])
    t = out[(out.level == "territory") & (out.method == "model")].iloc[0]
    assert t["wape"] == pytest.approx(3 / 22)
    assert t["mape"] == pytest.approx((0.1 + 2 / 12) / 2)
    assert t["mase"] == pytest.approx(0.75)
    assert t["rmsse"] == pytest.approx(np.sqrt(2.5 / 4))
    assert t["coverage_80"] == pytest.approx(0.5)
    assert t["crps"] == pytest.approx(0.75)
    p = out[(out.level == "partner") & (out.stage == "all") & (out.method == "model")].iloc[0]
    assert np.isnan(p["mape"]) and np.isnan(p["within_5"])  # APE-type: not at partner level
    assert p["zero_scale_series"] == 1
    assert p["mase"] == pytest.approx(1.0)  # only series a: (1 + 1) / 2 / 1
    assert set(out[out.level == "partner"].stage) == {"all", "active", "dormant"}
    n = out[(out.level == "territory") & (out.method == "naive")].iloc[0]
    assert n["crps"] == pytest.approx(2.0)  # a point forecast's CRPS is its absolute error
    assert np.isnan(n["coverage_80"])


def test_summary_scores_each_metric_with_its_optimal_point():
    rec = pd.DataFrame(
        {
            "level": "territory",
            "id": ["t", "t"],
            "stage": "all",
            "actual": [10.0, 10.0],
            "mean": [14.0, 14.0],  # mean above the median (a skewed forecast)
            "q50": [11.0, 9.0],
            "scale": 2.0,
            "scale2": 4.0,
        }
    )
    auto = summarize(rec, ["model"]).iloc[0]
    assert auto["wape"] == pytest.approx(0.1)  # median: |1| + |1| over 20
    assert auto["mase"] == pytest.approx(0.5)
    assert auto["bias"] == pytest.approx(0.4)  # mean: 28 vs 20
    assert auto["rmsse"] == pytest.approx(2.0)  # mean: sqrt(16 / 4)
    mean = summarize(rec, ["model"], point="mean").iloc[0]
    assert mean["wape"] == pytest.approx(0.4)
    with pytest.raises(ValueError):
        summarize(rec, ["model"], point="mode")
