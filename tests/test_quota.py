"""Quotas for planning: P(reaching quota) equals the target; the attainment each implies."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from channelsim.forecast import (
    ATTAINMENT_BANDS,
    ForecastError,
    fiscal_year_steps,
    forecast,
    quota_from_draws,
    suggest_quotas,
)


@pytest.fixture(scope="module")
def plan(fc_world):
    return suggest_quotas(fc_world, 2024, 0.6, seed=2, draws=400)


def test_probability_of_reaching_quota_equals_target(plan):
    t = plan.table[plan.table.territory != "total"]
    # the k-th largest of D draws, k = ceil(pD): reached by k/D of the draws, within 1/D
    np.testing.assert_allclose(t.p_reach, 0.6, atol=1 / 400 + 1e-12)
    att = plan.attainment.sel(territory=list(t.territory)).values
    np.testing.assert_allclose((att >= 1.0).mean(axis=0), t.p_reach)


def test_quota_reached_under_a_fresh_forecast(fc_world, plan):
    # out of sample: a forecast with another seed reaches the quotas with probability near p
    fc = forecast(fc_world, 12, seed=99, draws=400, recruits=True)
    _, terr = fc.level_draws("territory")
    quotas = plan.table.set_index("territory").loc[list(fc.territory_ids), "quota"].to_numpy()
    share = (terr.sum(axis=2) >= quotas).mean(axis=0)
    # binomial sd at p = 0.6, D = 400 is 0.025, plus the quota's own Monte Carlo error
    np.testing.assert_allclose(share, 0.6, atol=0.1)


def test_table_columns_phasing_and_total(plan):
    t = plan.table
    assert t.territory.tolist()[-1] == "total"
    quarters = t[[f"quota_q{k}" for k in range(1, 5)]].sum(axis=1)
    np.testing.assert_allclose(quarters, t.quota, rtol=1e-12)
    terr = t[t.territory != "total"]
    assert t.quota.iloc[-1] == pytest.approx(terr.quota.sum())
    bands = t[[b[0] for b in ATTAINMENT_BANDS]].sum(axis=1)
    np.testing.assert_allclose(bands, 1.0)
    assert (t.attainment_q10 <= t.attainment_q50).all()
    assert (t.forecast_q10 <= t.forecast_q90).all()
    assert plan.meta["fiscal_year"] == 2024 and plan.meta["probability"] == 0.6


def test_higher_probability_means_lower_quota(fc_world):
    lo = suggest_quotas(fc_world, 2024, 0.5, seed=2, draws=200).table.quota
    hi = suggest_quotas(fc_world, 2024, 0.8, seed=2, draws=200).table.quota
    assert (hi < lo).all()


def test_quota_from_draws_by_hand():
    x = np.arange(1.0, 11.0)[:, None]  # 1..10
    assert quota_from_draws(x, 0.6)[0] == 5.0  # 6 of 10 draws reach 5
    assert quota_from_draws(x, 0.55)[0] == 5.0  # ceil(5.5) = 6
    assert quota_from_draws(x, 0.999)[0] == 1.0
    with pytest.raises(ForecastError):
        quota_from_draws(x, 1.0)


def test_fiscal_years(fc_world):
    assert fiscal_year_steps(fc_world, 2024) == (0, 12)
    assert fiscal_year_steps(fc_world, 2026) == (24, 12)
    apr = replace(fc_world, fiscal_year_start_month=4)  # FY2025 = Apr 2024 .. Mar 2025
    assert fiscal_year_steps(apr, 2025) == (3, 12)
    with pytest.raises(ForecastError, match="earliest is 2025"):
        fiscal_year_steps(apr, 2024)
    with pytest.raises(ForecastError, match="before the forecast origin"):
        suggest_quotas(fc_world, 2023, 0.6)
    with pytest.raises(ForecastError, match="probability"):
        suggest_quotas(fc_world, 2024, 1.2)


def test_quarterly_world(fc_world):
    from channelsim.datasets import draw_world

    wq = draw_world(2, 20, "Q", seed=3)
    plan = suggest_quotas(wq, 2025, 0.6, draws=100, seed=1)
    assert isinstance(plan.table, pd.DataFrame) and len(plan.table) == 3
    np.testing.assert_allclose(plan.table.p_reach.iloc[:2], 0.6, atol=0.01 + 1e-12)
