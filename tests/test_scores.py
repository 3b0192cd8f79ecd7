"""Scores fit for intermittent series and the oracle yardstick, against hand-worked cases."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from channelsim.forecast import (
    backtest,
    crps_sample,
    history_since_entry,
    mase_summary,
    seasonal_naive_scale,
    summarize,
    truth_fitter,
)


def test_history_since_entry_by_hand():
    h = np.array([[np.nan, np.nan, 0.0, 4.0, 0.0, 2.0], [1.0, 0, 0, 0, 0, 0], [0.0] * 6])
    assert history_since_entry(h).tolist() == [3, 6, 0]


def test_scale_since_entry_ignores_the_zeros_before_a_partner_existed():
    # entry at index 3; history since entry [2, 6, 3, 7, 4], lag 2: |3-2|, |7-6|, |4-3| = 1
    h = [[0.0, 0.0, 0.0, 2.0, 6.0, 3.0, 7.0, 4.0]]
    assert seasonal_naive_scale(h, 2, since_entry=True)[0] == pytest.approx(1.0)
    assert seasonal_naive_scale(h, 2, 2, since_entry=True)[0] == pytest.approx(1.0)
    # the whole history counts |0-0|, |2-0|, |6-0|, |3-2|, |7-6|, |4-3| -> 11 / 6
    assert seasonal_naive_scale(h, 2)[0] == pytest.approx(11 / 6)
    # under m + 1 periods since entry: no seasonal scale (NaN), reported apart
    assert np.isnan(seasonal_naive_scale([[0.0, 0.0, 5.0, 6.0]], 2, since_entry=True)[0])
    # NaN after entry counts as zero: [3, 0, 1] lag 2 -> |1 - 3| = 2
    assert seasonal_naive_scale([[np.nan, 3.0, np.nan, 1.0]], 2, since_entry=True)[0] == 2.0


def test_mase_mean_median_pooled_by_hand():
    out = mase_summary([2.0, 1.0, 6.0, 5.0, 1.0], [1.0, 2.0, 3.0, 0.0, np.nan])
    # ratios 2, 0.5, 2 (zero and undefined scales left out)
    assert out["mean"] == pytest.approx(1.5)
    assert out["median"] == pytest.approx(2.0)
    assert out["pooled"] == pytest.approx(9.0 / 6.0)
    assert out["n"] == 3
    assert np.isnan(mase_summary([1.0], [0.0])["pooled"])


def _records():
    # partner a: scale 1, errors |1|,|3| (median point); b: scale 4, errors |2|,|2|;
    # c: too little history (NaN scale)
    return pd.DataFrame(
        {
            "window": 0,
            "level": "partner",
            "id": np.repeat(["a", "b", "c"], 2),
            "stage": "active",
            "actual": [1.0, 3.0, 10.0, 10.0, 0.0, 4.0],
            "mean": [1.5, 1.5, 9.0, 9.0, 1.0, 1.0],
            "q25": [0.0, 0.0, 7.0, 7.0, 0.0, 0.0],
            "q50": [0.0, 0.0, 8.0, 12.0, 0.0, 1.0],
            "q75": [2.0, 2.0, 11.0, 11.0, 1.0, 1.0],
            "scale": np.repeat([1.0, 4.0, np.nan], 2),
            "scale2": np.repeat([1.0, 16.0, np.nan], 2),
        }
    )


def test_summary_reports_three_mases_coverage_50_and_the_points_used():
    out = summarize(_records(), ["model"], by_stage=False)
    row = out[out.stage == "all"].iloc[0]
    # per-series MAE of the median: a 2, b 2; ratios 2, 0.5
    assert row["mase"] == pytest.approx(1.25)
    assert row["mase_median"] == pytest.approx(1.25)
    assert row["mase_pooled"] == pytest.approx(4.0 / 5.0)
    # RMSSE with the mean: a sqrt(((0.5)^2 + 1.5^2)/2 / 1), b sqrt(1 / 16)
    assert row["rmsse"] == pytest.approx((np.sqrt(1.25) + 0.25) / 2)
    assert row["short_history_series"] == 1 and row["zero_scale_series"] == 0
    # 50% interval [q25, q75] holds y in rows 1 (1 in [0,2]), 3, 4, 5 (0 in [0,1]) of 6
    assert row["coverage_50"] == pytest.approx(4 / 6)
    assert (row["point_abs"], row["point_sq"]) == ("q50", "mean")
    short = out[out.stage == "short_history"].iloc[0]
    assert short["n_series"] == 1 and np.isnan(short["mase"])
    assert short["wape"] == pytest.approx((0 + 3) / 4)  # median 0 and 1 vs actuals 0 and 4


def test_crps_sample_matches_the_normal_closed_form():
    # CRPS(N(mu, s), y) = s [z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi)], z = (y - mu) / s
    mu, s = 3.0, 2.0
    y = np.array([-1.0, 2.5, 3.0, 6.0])
    z = (y - mu) / s
    exact = s * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    draws = stats.norm.ppf((np.arange(20_000) + 0.5) / 20_000, loc=mu, scale=s)
    got = crps_sample(y, np.repeat(draws[:, None], len(y), axis=1))
    np.testing.assert_allclose(got, exact, rtol=2e-3, atol=1e-4)


def test_oracle_is_scored_beside_the_model_on_a_tiny_synthetic_book(truth_case):
    world, run, book = truth_case
    truth = truth_fitter(world, run)

    def biased(train, seed):  # the true world with every territory's sales doubled
        w = truth(train, seed)
        return replace(w, a_terr=w.a_terr + np.log(2.0))

    biased.fingerprint = "truth x2"
    res = backtest(book, windows=2, horizon=3, draws=60, seed=3, fitter=biased, oracle=truth)
    rec = res.records
    assert {"oracle_mean", "oracle_q50", "oracle_crps", "oracle_pit"} <= set(rec.columns)
    assert rec["oracle_mean"].notna().all()
    s = res.summary
    terr = s[(s.level == "territory") & (s.stage == "all")].set_index("method")
    assert {"model", "oracle", "seasonal_naive"} <= set(terr.index)
    # the doubled forecast is biased high and scores worse than the truth's forecast
    assert terr.loc["model", "bias"] > terr.loc["oracle", "bias"] + 0.4
    assert terr.loc["model", "crps"] > terr.loc["oracle", "crps"]

    # with the truth as the model too, the oracle's columns are the model's own (same seed)
    same = backtest(book, windows=1, horizon=3, draws=40, seed=3, fitter=truth, oracle=truth)
    np.testing.assert_array_equal(same.records["mean"], same.records["oracle_mean"])
    np.testing.assert_array_equal(same.records["crps"], same.records["oracle_crps"])
