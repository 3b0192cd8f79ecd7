"""The simulator: numba kernel == numpy reference, neutrality, partner mode, schema, errors."""

import subprocess
import sys

import numpy as np
import pytest

from channelsim.policy import POLICY_PRESETS, VARIABLES, EffectSizes, Policy, PolicyGrid
from channelsim.simulate import (
    ACCURACY_VARIABLES,
    SimulationError,
    crn_standard_errors,
    expected_sales_numba,
    simulate,
    simulate_partners,
    summarize,
)
from channelsim.world import expected_sales, generate, initial_state

# variables computed from discrete outcomes only: equal exactly between numba and numpy
EXACT = (
    "share_at_quota",
    "coverage_index",
    "share_mature",
    "active_partners",
    "cam_attrition",
    "gap_recruits",
    "partners_enabled",
    "plans_completed",
)


def assert_same_results(a, b, rtol=1e-9):
    assert dict(a.sizes) == dict(b.sizes)
    for name in VARIABLES:
        x, y = a[name].values, b[name].values
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=name)
        if name in EXACT:
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            np.testing.assert_allclose(x, y, rtol=rtol, atol=0, err_msg=name)


def test_import_simulate_does_not_import_pymc():
    code = "import channelsim.simulate, sys; assert 'pymc' not in sys.modules, 'pymc loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("by_territory", [True, False])
def test_numba_equals_numpy_reference_monthly(sim_world, warm_kernels, by_territory):
    pols = list(POLICY_PRESETS.values())
    kw = {"n_paths": 4, "n_steps": 12, "seed": 3, "progress": False, "by_territory": by_territory}
    a = simulate(sim_world, pols, **kw)
    b = simulate(sim_world, pols, engine="numpy", **kw)
    assert_same_results(a, b)
    # the policies do move the world (not a vacuous comparison)
    rev = a["revenue"].sum(("path", "quarter") + (("territory",) if by_territory else ()))
    assert len(np.unique(rev.values)) > 5


def test_numba_equals_numpy_reference_quarterly_and_sampled(sim_world_q, warm_kernels):
    grid = PolicyGrid.sample(5, seed=2)
    effects = EffectSizes().scaled(2.0)
    kw = {"n_paths": 3, "n_steps": 8, "seed": 9, "progress": False, "effects": effects}
    assert_same_results(
        simulate(sim_world_q, grid, **kw), simulate(sim_world_q, grid, engine="numpy", **kw)
    )


def test_numba_equals_numpy_for_the_seat_and_results_mechanisms(sim_world, warm_kernels):
    """The CAM in the seat (incumbents vs hires, retraining), pay for results (activity
    split and targets), the payout slope below a threshold and partner business plans with
    strong effects: numba == numpy, and the mechanisms do move the outcomes."""
    from channelsim.policy import CompensationPlan, OnboardingProgramme
    from channelsim.world import QuotaRule

    retrain = OnboardingProgramme.preset("channel").replace(retrain_incumbents=True)
    plan = CompensationPlan.preset("territory_building").replace(
        threshold=0.95, activity_split=((0.2, 0.3, 0.5),) * 4, activity_targets=(0.3, 0.5, 0.2)
    )
    pols = [
        Policy(hiring="channel_manager", onboarding=retrain),
        Policy(compensation=plan),
        Policy(compensation="maturity_shift", kpi="maturity_based",
               quota=QuotaRule(kind="forecast", stretch=0.6)),
    ]  # fmt: skip
    effects = EffectSizes(plan_rate=2.0, plan_advance=2.0, plan_dormancy=-2.0, attainment_sd=0.3)
    kw = {"n_paths": 4, "n_steps": 24, "seed": 17, "progress": False, "effects": effects}
    a = simulate(sim_world, pols, by_territory=True, **kw)
    b = simulate(sim_world, pols, by_territory=True, engine="numpy", **kw)
    assert_same_results(a, b)
    plans = a["plans_completed"].sum(("path", "quarter", "territory")).values
    assert plans.min() > 0 and len(np.unique(plans)) == len(plans)
    cost0 = a["programme_cost"].isel(quarter=0).sum(("path", "territory"))
    # retraining: 12,000 per incumbent seat in the first quarter
    assert (
        float(cost0.sel(policy=1) - cost0.sel(policy=0))
        > 0.8 * 12_000 * 4 * sim_world.n_territories
    )


def test_neutral_effects_every_policy_is_the_status_quo(sim_world, warm_kernels):
    pols = list(POLICY_PRESETS.values())
    ds = simulate(
        sim_world, pols, n_paths=5, n_steps=12, seed=8, effects=EffectSizes.neutral(),
        by_territory=True, progress=False,
    )  # fmt: skip
    # partner states, sales and commits: paired differences are exactly zero
    for name in ("revenue", "stat_ape", "commit_ape", "commit_bias", "coverage_index",
                 "active_partners", "share_mature"):  # fmt: skip
        diff = ds[name] - ds[name].sel(policy=0)
        assert float(np.nanmax(np.abs(diff.values))) == 0.0, name
    # ... and equal the world's generative process on the same seed
    run = generate(sim_world, 12, seed=8, n_paths=5)
    rev = ds["revenue"].sel(policy=0).transpose("path", "territory", "quarter").values
    np.testing.assert_allclose(rev, run.quarter_sales, rtol=1e-9)
    commit = (1 + ds["commit_bias"].sel(policy=0)) * ds["revenue"].sel(policy=0)
    np.testing.assert_allclose(
        commit.transpose("path", "territory", "quarter"), run.commit, rtol=1e-9
    )
    # pay and quota-dependent outputs may still differ between policies
    assert float(np.abs(ds["pay_cost_ratio"] - ds["pay_cost_ratio"].sel(policy=0)).max()) > 0


@pytest.mark.parametrize("policy", ["channel_programme", "forecast_quota", "gonik"])
def test_neutral_partner_mode_equals_generate(sim_world, warm_kernels, policy):
    run = generate(sim_world, 12, seed=6, n_paths=3)
    pr = simulate_partners(
        sim_world, 12, seed=6, n_paths=3, policy=policy, effects=EffectSizes.neutral()
    )
    np.testing.assert_array_equal(pr.state, run.state)
    np.testing.assert_allclose(pr.sales, run.sales, rtol=1e-9, atol=0)


@pytest.mark.parametrize("world_name", ["sim_world", "sim_world_q", "sim_world_1stage"])
@pytest.mark.parametrize("recruit", [True, False])
def test_status_quo_partner_mode_equals_generate(request, warm_kernels, world_name, recruit):
    w = request.getfixturevalue(world_name)
    n_steps = 4 if w.steps_per_quarter == 1 else 12
    pr = simulate_partners(w, n_steps, seed=5, n_paths=4, recruit=recruit)
    run = generate(w, n_steps, seed=5, n_paths=4, recruit=recruit)
    col = {e: i for i, e in enumerate(run.entity)}
    cols = np.array([col[e] for e in pr.entity])
    np.testing.assert_array_equal(pr.state, run.state[:, cols])
    np.testing.assert_allclose(pr.sales, run.sales[:, cols], rtol=1e-9, atol=0)
    np.testing.assert_allclose(pr.kappa, run.kappa[:, cols], rtol=1e-12, atol=0)
    np.testing.assert_allclose(pr.eta, run.eta, rtol=1e-12)
    unused = np.setdiff1d(np.arange(run.entity.size), cols)
    assert (run.state[:, unused] == -1).all()  # slots no path used are left out
    np.testing.assert_allclose(pr.territory_sales(), run.territory_sales(), rtol=1e-9)
    assert len(pr.partner_ids) == pr.sales.shape[1]
    assert pr.is_recruit.sum() == pr.sales.shape[1] - w.n_partners


def test_policy_partner_mode_equals_numpy_reference(sim_world, warm_kernels):
    from channelsim.policy import PolicyHooks, pack_policies

    sq, pol = Policy.status_quo(sim_world), Policy.preset("channel_programme")
    pr = simulate_partners(sim_world, 12, seed=5, n_paths=4, policy=pol)
    ref = PolicyHooks(pack_policies([sq, sq], sq, 3), EffectSizes())
    generate(sim_world, 12, seed=5, n_paths=4, hooks=ref)
    hooks = PolicyHooks(pack_policies([pol, sq], sq, 3), EffectSizes(), reference=ref.trace)
    run = generate(sim_world, 12, seed=5, n_paths=4, quota_rule=pol.quota, hooks=hooks)
    np.testing.assert_array_equal(pr.state, run.state)
    np.testing.assert_allclose(pr.sales, run.sales, rtol=1e-9, atol=0)
    assert not np.array_equal(run.state, generate(sim_world, 12, seed=5, n_paths=4).state)


def test_partner_mode_one_path_per_draw(sim_world, warm_kernels):
    w = sim_world.select_draws([0, 0, 0])
    pr = simulate_partners(w, 3, seed=1)
    assert pr.n_paths == 3 and list(pr.draw) == [0, 1, 2]
    pr2 = simulate_partners(w, 3, seed=1, draws=[2, 0])
    np.testing.assert_array_equal(pr2.draw, [2, 0])
    with pytest.raises(SimulationError):
        simulate_partners(w, 3, seed=1, draws=[5])
    with pytest.raises(SimulationError, match="stages"):
        simulate_partners(
            __import__("channelsim.datasets").datasets.draw_world(2, 10, seed=1, has_stages=False),
            3, seed=1, policy="gonik",
        )  # fmt: skip


def test_expected_sales_numba_equals_numpy(sim_world, sim_world_q, warm_kernels):
    for w in (sim_world, sim_world_q):
        cal = w.calendar(w.steps_per_quarter)
        st = initial_state(w, n_paths=2)
        mean, var = expected_sales(w, st, (cal.m, cal.season))
        m2, v2 = expected_sales_numba(w, st, (cal.m, cal.season))
        np.testing.assert_allclose(m2, mean, rtol=1e-9)
        np.testing.assert_allclose(v2, var, rtol=1e-9)
    # from a mid-run state with recruits and exits
    run = generate(sim_world, 7, seed=2, n_paths=3)
    state = {"state": run.state[:, :, -1].astype(np.int64), "kappa": run.kappa,
             "territory": run.territory, "eta": run.eta[:, :, -1], "draw": run.draw}  # fmt: skip
    cal = sim_world.calendar(9)
    mean, var = expected_sales(sim_world, state, (cal.m[7:9], cal.season[7:9]))
    m2, v2 = expected_sales_numba(sim_world, state, (cal.m[7:9], cal.season[7:9]))
    np.testing.assert_allclose(m2, mean, rtol=1e-9)
    np.testing.assert_allclose(v2, var, rtol=1e-9)


def test_bad_input_lists_every_problem(sim_world, sim_world_1stage):
    with pytest.raises(SimulationError) as err:
        simulate(sim_world, [], n_paths=0, n_steps=7, seed=-1, progress=False)
    assert err.value.is_bad_input
    assert len(err.value.problems) == 3
    assert "whole number of quarters" in str(err.value)
    with pytest.raises(SimulationError, match="one-stage"):
        simulate(sim_world_1stage, ["gonik"], n_paths=2, n_steps=3, seed=1, progress=False)
    with pytest.raises(SimulationError, match="engine"):
        simulate(sim_world, [], n_paths=2, n_steps=3, seed=1, engine="cuda")


def test_dataset_schema_and_provenance(sim_world, warm_kernels):
    import channelsim

    ds = simulate(
        sim_world, ["territory_pay", "gonik"], n_paths=3, n_steps=6, seed=4, progress=False
    )
    assert dict(ds.sizes) == {"policy": 3, "path": 3, "quarter": 2, "window": 3}
    assert list(ds["policy"].values) == [0, 1, 2]
    assert list(ds["quarter"].values) == [0, 1]
    windowed = [f"{n}_window" for n in ACCURACY_VARIABLES]
    assert list(ds.data_vars) == list(VARIABLES) + windowed
    assert list(ds["window"].values) == ["transition", "steady", "horizon"]
    assert ds["stat_ape_window"].dims == ("policy", "path", "window")
    # the horizon window is the mean over every quarter
    np.testing.assert_allclose(
        ds["commit_ape_window"].sel(window="horizon").values, ds["commit_ape"].mean("quarter")
    )
    for lever in ("hiring", "onboarding", "kpi", "compensation", "quota"):
        assert ds[lever].dims == ("policy",)
    assert list(ds["compensation"].values) == ["revenue_heavy", "territory_building", "gonik"]
    assert ds.attrs["seed"] == 4 and ds.attrs["channelsim_version"] == channelsim.__version__
    assert len(ds.attrs["config_hash"]) == 16
    by_t = simulate(sim_world, [], n_paths=2, n_steps=3, seed=4, by_territory=True, progress=False)
    assert by_t["revenue"].dims == ("policy", "path", "quarter", "territory")
    assert list(by_t["territory"].values) == list(sim_world.territory_ids)
    # a chunk that starts later is labelled with global indices and has no status quo row
    chunk = simulate(
        sim_world, ["gonik"], n_paths=3, n_steps=6, seed=4, policy_offset=2, progress=False
    )
    assert (
        list(chunk["policy"].values) == [2]
        and chunk.attrs["config_hash"] == ds.attrs["config_hash"]
    )
    np.testing.assert_array_equal(chunk["revenue"].values[0], ds["revenue"].values[2])


def test_recruit_slots_equal_scipys_poisson_tail_quantile(sim_world, sim_world_q):
    """The pure-Python tail quantile sizing the recruit buffers equals scipy's
    ``poisson.isf(1e-9)`` over rates from 1e-3 to 2,000 (and the worlds' own rates)."""
    from dataclasses import replace

    from scipy import stats

    from channelsim.datasets import example_world
    from channelsim.world import poisson_tail_quantile

    for lam in np.concatenate([np.geomspace(1e-3, 2000.0, 157), [0.5, 1.0, 2.0, 10.0]]):
        assert poisson_tail_quantile(lam, 1e-9) == stats.poisson(lam).isf(1e-9), lam
        assert poisson_tail_quantile(lam, 1e-3) == stats.poisson(lam).isf(1e-3), lam
    for w in (sim_world, sim_world_q, example_world()):
        lam = w.recruit_rate.max()
        assert w.recruit_slots() == int(max(1, stats.poisson(lam).isf(1e-9) + 1))
    assert replace(sim_world, max_recruits=3).recruit_slots() == 3
    assert replace(sim_world, recruit_rate=sim_world.recruit_rate * 0).recruit_slots() == 1


def test_paths_do_not_depend_on_the_number_of_paths(sim_world, warm_kernels):
    a = simulate(sim_world, ["channel_kpis"], n_paths=2, n_steps=6, seed=4, progress=False)
    b = simulate(sim_world, ["channel_kpis"], n_paths=5, n_steps=6, seed=4, progress=False,
                 block_size=3)  # fmt: skip
    for name in VARIABLES:
        np.testing.assert_array_equal(a[name].values, b[name].values[:, :2], err_msg=name)


def test_summarize_per_policy(sim_world, warm_kernels):
    ds = simulate(sim_world, ["territory_pay"], n_paths=6, n_steps=6, seed=4, progress=False)
    df = summarize(ds)
    assert list(df.index) == [0, 1]
    for name in VARIABLES:
        for stat in ("mean", "p10", "p50", "p90"):
            assert f"{name}_{stat}" in df.columns
    assert df.loc[0, "compensation"] == "revenue_heavy"
    per_path = ds["revenue"].sel(policy=1).sum("quarter")
    assert np.isclose(df.loc[1, "revenue_mean"], float(per_path.mean()))
    assert df.loc[1, "revenue_p10"] <= df.loc[1, "revenue_p50"] <= df.loc[1, "revenue_p90"]
    by_t = summarize(simulate(sim_world, [], n_paths=3, n_steps=3, seed=1, by_territory=True,
                              progress=False))  # fmt: skip
    assert by_t.index.names == ["policy", "territory"] and len(by_t) == 3


def test_common_random_numbers_shrink_the_standard_error(sim_world, warm_kernels):
    res = crn_standard_errors(sim_world, "channel_programme", n_paths=40, n_steps=12, seed=3)
    for name, r in res.items():
        assert r["se_shared"] < r["se_independent"], name
    assert res["revenue"]["ratio"] > 2
