"""Comparison statistics: hand-made examples, and a real small sweep (``sweep`` of
``tests/_fixtures_scenario.py``) whose winners, intervals and frontier the tests recompute
from the Simulation Dataset itself."""

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


def test_objective_reductions(sweep_ds):
    v = objective_values(sweep_ds, ["attainment", "revenue", "coverage_index", "commit_bias"])
    np.testing.assert_allclose(v.attainment, sweep_ds.attainment.mean("quarter"))
    np.testing.assert_allclose(v.revenue, sweep_ds.revenue.sum("quarter"))
    np.testing.assert_allclose(v.coverage_index, sweep_ds.coverage_index.isel(quarter=-1))
    np.testing.assert_allclose(v.commit_bias, abs(sweep_ds.commit_bias.mean("quarter")))
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
        "gap_recruits",
        "partners_enabled",
        "plans_completed",
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
    w = objective_values(sweep_ds, ["commit_ape_transition", "stat_bias_steady"])
    np.testing.assert_allclose(
        w.commit_ape_transition, sweep_ds.commit_ape.isel(quarter=slice(0, 4)).mean("quarter")
    )
    np.testing.assert_allclose(
        w.stat_bias_steady, abs(sweep_ds.stat_bias.isel(quarter=slice(-4, None)).mean("quarter"))
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


def _path_values(ds, name, reduce):
    """(policy, path) values of one objective, reduced over quarters here, not by channelsim."""
    x = ds[name].values
    return {"mean": x.mean(axis=2), "sum": x.sum(axis=2), "last": x[:, :, -1]}[reduce]


def test_compare_on_a_real_sweep(sweep_ds):
    c = compare(sweep_ds, level=0.9)
    n_pol, n_paths = sweep_ds.sizes["policy"], sweep_ds.sizes["path"]
    assert c.n_policies == n_pol == 8 and c.n_paths == n_paths == 40
    att = _path_values(sweep_ds, "attainment", "mean")
    d = att - att[0]
    diff, se = d.mean(axis=1), d.std(axis=1, ddof=1) / np.sqrt(n_paths)
    # the winners are whatever the simulation says: ranked by the mean paired difference
    expected_order = [int(p) for p in np.argsort(-diff[1:], kind="stable")[:3] + 1]
    assert c.top(3).index.tolist() == expected_order
    np.testing.assert_allclose(c.table["attainment_diff"].loc[range(n_pol)], diff, atol=1e-12)
    np.testing.assert_allclose(c.table["attainment_se"].loc[range(n_pol)], se, atol=1e-12)
    from scipy import stats

    t = stats.t.ppf(0.95, n_paths - 1)
    np.testing.assert_allclose(c.table["attainment_lo"].loc[1:], (diff - t * se)[1:], atol=1e-12)
    assert c.max_se() == pytest.approx(se[1:].max())
    # main effects of each lever, over the policies other than the status quo
    lv = c.table.drop(index=0)
    ranges = {
        lever: float(
            np.ptp([diff[lv.index[lv[lever] == lvl]].mean() for lvl in lv[lever].unique()])
        )
        for lever in ("hiring", "onboarding", "compensation")
    }
    sens = c.sensitivity["attainment"]
    assert sens.index[0] == max(ranges, key=ranges.get)
    for lever, r in ranges.items():
        assert sens.loc[lever, "range"] == pytest.approx(r)
    # the frontier of (commit APE, lower better; attainment, higher better), by brute force
    ape = _path_values(sweep_ds, "commit_ape", "mean")
    pts = np.column_stack([-(ape - ape[0]).mean(axis=1), diff])
    dominated = [((pts >= q).all(1) & (pts > q).any(1)).any() for q in pts]
    assert c.table["on_frontier"].loc[range(n_pol)].tolist() == [not x for x in dominated]
    assert c.table.loc[0, "changes"] == "the status quo"
    summary = c.summary_frame()
    assert summary.loc[0, "policy"] == 0 and len(summary) == n_pol
    assert summary["policy"].iloc[1:4].tolist() == expected_order
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
    assert c.highlight == [0, *[int(p) for p in np.argsort(-diff[1:], kind="stable")[:5] + 1]]
    assert set(c.by_quarter.dims) == {"policy", "quarter"}


def test_compare_weights_and_errors(sweep_ds):
    weights = {"attainment": 1.0, "programme_cost": 5.0}
    c = compare(sweep_ds, weights=weights)
    score = 0.0
    for name, w in weights.items():
        reduce, sign = {"attainment": ("mean", 1), "programme_cost": ("sum", -1)}[name]
        v = _path_values(sweep_ds, name, reduce)
        score = score + w * sign * (v - v[0]).mean(axis=1) / (v[0].std() or 1.0)
    np.testing.assert_allclose(c.table["score"].loc[range(len(score))], score, atol=1e-9)
    assert int(c.top(1).index[0]) == int(np.argmax(score[1:]) + 1)
    with pytest.raises(ValueError, match="unknown objective"):
        compare(sweep_ds, objectives=["atainment"])
    with pytest.raises(ValueError, match="policy 0"):
        compare(sweep_ds.isel(policy=slice(1, None)))


def test_territory_dimension_is_collapsed(sweep_ds):
    two = xr.concat([sweep_ds, sweep_ds], dim="territory").transpose(
        "policy", "path", "quarter", ..., "territory"
    )
    c = compare(two)
    c1 = compare(sweep_ds)
    np.testing.assert_allclose(c.table["revenue"], 2 * c1.table["revenue"])
    np.testing.assert_allclose(c.table["attainment"], c1.table["attainment"])
