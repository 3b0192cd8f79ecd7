"""Seeded directional checks on the default world, each a paired difference with its interval.

One run (``default_world_run``: the example world, 64 paths, 36 months, common random
numbers) serves all four. Intervals are mean +/- 3 standard errors of the per-path paired
difference (about 99.7%); the tests ask the whole interval to lie on the expected side.
"""

import numpy as np

from tests._fixtures_simulate import origin_maturity


def paired_interval(diff):
    """(mean, lo, hi) of a per-path difference: mean +/- 3 standard errors."""
    diff = np.asarray(diff, dtype=np.float64)
    m = float(np.mean(diff))
    se = float(np.std(diff, ddof=1) / np.sqrt(diff.size))
    return m, m - 3 * se, m + 3 * se


def _policy(ds, compensation=None, kpi=None, quota=None):
    sel = np.ones(ds.sizes["policy"], dtype=bool)
    for lever, value in (("compensation", compensation), ("kpi", kpi), ("quota", quota)):
        if value is not None:
            sel &= ds[lever].values == value
    for lever, base in (("compensation", "revenue_heavy"), ("kpi", "revenue_only"),
                        ("quota", "ratchet")):  # fmt: skip
        if locals()[lever] is None:
            sel &= ds[lever].values == base
    (idx,) = np.flatnonzero(sel)
    return int(ds["policy"].values[idx])


def test_territory_building_pay_raises_coverage_in_immature_territories(default_world_run):
    world, ds = default_world_run
    immature = np.isin(origin_maturity(world), [0, 1])  # nascent, building
    assert immature.sum() >= 4
    cov = ds["coverage_index"].isel(quarter=-1, territory=np.flatnonzero(immature))
    pol = _policy(ds, compensation="territory_building")
    diff = (cov.sel(policy=pol) - cov.sel(policy=0)).mean("territory")
    m, lo, hi = paired_interval(diff)
    assert lo > 0, (m, lo, hi)


def test_ratchet_quota_biases_commits_low(default_world_run):
    _, ds = default_world_run
    bias = ds["commit_bias"].mean(("quarter", "territory"))
    pol = _policy(ds, quota="forecast")
    m, lo, hi = paired_interval(bias.sel(policy=0) - bias.sel(policy=pol))  # ratchet - forecast
    assert hi < 0, (m, lo, hi)


def test_forecast_kpi_and_gonik_bonus_remove_the_ratchets_sandbagging(default_world_run):
    # the status quo's CAM is optimistic in belief and shades its report down under the full
    # ratchet; a Gonik bonus or accuracy pay pulls the report to the belief median, so the
    # commit rises toward the (optimistic) belief: commit bias up, paired on every path
    _, ds = default_world_run
    bias = ds["commit_bias"].mean(("quarter", "territory"))
    sq = bias.sel(policy=0)
    assert float(sq.mean()) > 0  # status-quo commits are optimistic
    for pol in (_policy(ds, kpi="forecast_accuracy"), _policy(ds, compensation="gonik")):
        m, lo, hi = paired_interval(bias.sel(policy=pol) - sq)
        assert lo > 0, (pol, m, lo, hi)


def test_statistical_forecast_is_more_accurate_in_mature_territories(default_world_run):
    world, ds = default_world_run
    mat = origin_maturity(world)
    ape = ds["stat_ape"].sel(policy=0).mean("quarter")
    mature = ape.isel(territory=np.flatnonzero(mat == 3)).mean("territory")
    nascent = ape.isel(territory=np.flatnonzero(mat == 0)).mean("territory")
    m, lo, hi = paired_interval(mature - nascent)
    assert hi < 0, (m, lo, hi)
