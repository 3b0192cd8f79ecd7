"""Comparison statistics on a fake Simulation Dataset with known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from channelsim.scenario import (
    OBJECTIVES,
    compare,
    lever_sensitivity,
    paired_differences,
    pareto_front,
    ranking_stability,
)
from channelsim.scenario._objectives import objective_values


def test_paired_differences_by_hand():
    y = np.array([[1.0, 2.0, 4.0, 3.0], [1.5, 2.0, 5.0, 2.5]])
    v = xr.Dataset({"attainment": (("policy", "path"), y)}, coords={"policy": [0, 1]})
    d = paired_differences(v, level=0.9).loc[(1, "attainment")]
    diffs = np.array([0.5, 0.0, 1.0, -0.5])
    assert d["diff"] == pytest.approx(diffs.mean())
    assert d["se"] == pytest.approx(diffs.std(ddof=1) / 2)
    from scipy import stats

    t = stats.t.ppf(0.95, 3)
    assert d["lo"] == pytest.approx(diffs.mean() - t * diffs.std(ddof=1) / 2)
    assert d["p_beats"] == pytest.approx((2 + 0.5) / 4)  # two better, one tie
    assert d["rel_diff"] == pytest.approx(diffs.mean() / 2.5)
    base = paired_differences(v).loc[(0, "attainment")]
    assert base["diff"] == 0 and base["se"] == 0 and base["p_beats"] == 0.5


def test_lower_is_better_objectives_are_oriented():
    y = np.array([[0.3, 0.3], [0.2, 0.25]])
    v = xr.Dataset({"commit_ape": (("policy", "path"), y)}, coords={"policy": [0, 1]})
    d = paired_differences(v).loc[(1, "commit_ape")]
    assert d["diff"] < 0 and d["better"] > 0 and d["p_beats"] == 1.0
    assert d["p_mean_better"] > 0.5


def test_objective_reductions(fake_ds):
    v = objective_values(fake_ds, ["attainment", "revenue", "coverage_index", "commit_bias"])
    np.testing.assert_allclose(v.attainment, fake_ds.attainment.mean("quarter"))
    np.testing.assert_allclose(v.revenue, fake_ds.revenue.sum("quarter"))
    np.testing.assert_allclose(v.coverage_index, fake_ds.coverage_index.isel(quarter=-1))
    np.testing.assert_allclose(v.commit_bias, abs(fake_ds.commit_bias.mean("quarter")))
    assert set(OBJECTIVES) == {
        "revenue",
        "attainment",
        "share_at_quota",
        "stat_ape",
        "stat_bias",
        "stat_coverage",
        "commit_ape",
        "commit_bias",
        "commit_coverage",
        "coverage_index",
        "share_mature",
        "active_partners",
        "pay_cost_ratio",
        "programme_cost",
        "cam_attrition",
    } | {
        f"{v}_{w}"
        for v in (
            "stat_ape",
            "stat_bias",
            "stat_coverage",
            "commit_ape",
            "commit_bias",
            "commit_coverage",
        )
        for w in ("transition", "steady")
    }
    # a window reads only its quarters: the first four, the last four
    w = objective_values(fake_ds, ["commit_ape_transition", "stat_bias_steady"])
    np.testing.assert_allclose(
        w.commit_ape_transition, fake_ds.commit_ape.isel(quarter=slice(0, 4)).mean("quarter")
    )
    np.testing.assert_allclose(
        w.stat_bias_steady, abs(fake_ds.stat_bias.isel(quarter=slice(-4, None)).mean("quarter"))
    )


def test_pareto_front():
    pts = np.array([[1, 1], [2, 0], [0, 0], [1, 1], [0.5, 1.5], [0.4, 1.4]])
    assert pareto_front(pts).tolist() == [True, True, False, True, True, False]
    rng = np.random.default_rng(1)
    big = rng.random((1500, 2))
    mask = pareto_front(big)
    # brute force check on a few points
    for i in rng.choice(1500, 30, replace=False):
        dominated = ((big >= big[i]).all(1) & (big > big[i]).any(1)).any()
        assert mask[i] == (not dominated)


def test_lever_sensitivity_recovers_main_effects():
    levels = pd.DataFrame(
        [(a, b) for a in ("x", "y") for b in ("p", "q", "r")] * 2, columns=["a", "b"]
    )
    y = levels["a"].map({"x": 0.0, "y": 2.0}) + levels["b"].map({"p": 0.0, "q": 0.5, "r": 1.0})
    s, _m = lever_sensitivity(y, levels)
    assert s.index.tolist() == ["a", "b"]
    assert s.loc["a", "range"] == pytest.approx(2.0)
    assert s.loc["b", "range"] == pytest.approx(1.0)
    assert s.loc["a", "high_level"] == "y"
    assert s["first_order"].sum() == pytest.approx(1.0)  # additive: main effects explain all
    cont = pd.DataFrame({"w": np.linspace(0, 1, 50)})
    s2, m2 = lever_sensitivity(pd.Series(3 * cont["w"]), cont, n_bins=5)
    assert s2.loc["w", "kind"] == "continuous" and s2.loc["w", "first_order"] > 0.9
    assert len(m2) == 5


def test_ranking_stability():
    base = pd.Series({1: 3.0, 2: 2.0, 3: 1.0, 4: 0.0})
    r = ranking_stability(
        base, {"same": base * 2, "swap": pd.Series({1: 1.0, 2: 3.0, 3: 0.5, 4: 0.0})}, top_k=2
    )
    assert r.loc["same"].tolist() == [1, True, 1, 1.0, 1.0]
    assert r.loc["swap", "top_policy"] == 2 and not r.loc["swap", "same_top"]
    assert r.loc["swap", "base_top_rank"] == 2


def test_compare_on_fake_sweep(fake_ds):
    c = compare(fake_ds, level=0.9)
    assert c.n_policies == 48 and c.n_paths == 40
    top = c.top(3)
    # the fake gives channel-manager hiring and channel onboarding the largest gains
    assert (top["hiring"] == "channel_manager").all()
    assert (top["onboarding"] == "channel").all()
    assert c.table.loc[0, "changes"] == "the status quo"
    assert c.table["on_frontier"].any()
    sens = c.sensitivity["attainment"]
    assert sens.index[0] == "hiring"
    assert sens.loc["hiring", "range"] == pytest.approx(0.03, abs=0.005)
    assert c.max_se() < 0.01
    summary = c.summary_frame()
    assert summary.loc[0, "policy"] == 0 and len(summary) == 48
    for col in (
        "attainment_diff",
        "attainment_lo",
        "attainment_hi",
        "attainment_p_beats",
        "rank",
        "on_frontier",
        "changes",
    ):
        assert col in summary
    assert c.highlight[0] == 0 and len(c.highlight) == 6
    assert set(c.by_quarter.dims) == {"policy", "quarter"}


def test_compare_weights_and_errors(fake_ds):
    c = compare(fake_ds, weights={"attainment": 1.0, "programme_cost": 5.0})
    assert not (c.top(1)["onboarding"] == "channel").all()  # the cost weight flips onboarding
    with pytest.raises(ValueError, match="unknown objective"):
        compare(fake_ds, objectives=["atainment"])
    with pytest.raises(ValueError, match="policy 0"):
        compare(fake_ds.isel(policy=slice(1, None)))


def test_territory_dimension_is_collapsed(fake_ds):
    two = xr.concat([fake_ds, fake_ds], dim="territory").transpose(
        "policy", "path", "quarter", "territory"
    )
    c = compare(two)
    c1 = compare(fake_ds)
    np.testing.assert_allclose(c.table["revenue"], 2 * c1.table["revenue"])
    np.testing.assert_allclose(c.table["attainment"], c1.table["attainment"])
