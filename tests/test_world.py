"""The generative process (the executable specification) and the World schema."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from channelsim.datasets import draw_world, example_world
from channelsim.world import (
    QuotaRule,
    World,
    WorldError,
    expected_sales,
    generate,
    initial_state,
    lognormal_quantiles,
    quota_update,
)


@pytest.fixture(scope="module")
def small_world():
    return draw_world(4, 40, "M", seed=11)


def test_import_world_does_not_import_pymc():
    code = "import channelsim.world, channelsim.datasets, sys; assert 'pymc' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_world_validation_lists_every_problem(small_world):
    d = small_world.to_dict()
    d["a_stage"] = d["a_stage"][:, :3]
    d["trans"] = d["trans"] * 2
    d["partner_state"] = np.full(small_world.n_partners, 99)
    with pytest.raises(WorldError) as err:
        World(**d)
    msg = str(err.value)
    assert "a_stage: expected shape (1, 6)" in msg
    assert "trans rows must be probabilities" in msg and "partner_state: state codes" in msg
    assert len(err.value.problems) == 3  # all three injected problems, each once


def test_world_validation_checks_probabilities(small_world):
    d = small_world.to_dict()
    d["trans"] = d["trans"] * 2
    d["rho"] = np.array([1.5])
    with pytest.raises(WorldError) as err:
        World(**d)
    assert any("trans rows" in p for p in err.value.problems)
    assert any("rho" in p for p in err.value.problems)


def test_generate_is_deterministic_and_path_keyed(small_world):
    a = generate(small_world, 9, seed=5, n_paths=3)
    b = generate(small_world, 9, seed=5, n_paths=3)
    np.testing.assert_array_equal(a.sales, b.sales)
    np.testing.assert_array_equal(a.state, b.state)
    # a path's numbers do not depend on how many paths run beside it
    c = generate(small_world, 9, seed=5, n_paths=1)
    np.testing.assert_array_equal(c.sales[0], a.sales[0])
    np.testing.assert_array_equal(c.commit[0], a.commit[0])
    d = generate(small_world, 9, seed=6, n_paths=1)
    assert not np.array_equal(d.sales[0], a.sales[0])


def test_states_follow_allowed_moves(small_world):
    run = generate(small_world, 24, seed=2, n_paths=4)
    K = small_world.n_states
    st = run.state
    prev, nxt = st[:, :, :-1], st[:, :, 1:]
    both = (prev >= 0) & (nxt >= 0)
    moves = set(zip(prev[both].tolist(), nxt[both].tolist(), strict=True))
    allowed = small_world.trans[0].max(axis=0) > 0  # any territory allows it
    for a, b in moves:
        assert allowed[a, b], (a, b)
    assert (K - 1, 0) not in moves  # exited is absorbing
    # exited partners and absent slots have no sales
    assert np.all(run.sales[(st < 0) | (st == K - 1)] == 0)


def test_recruits_enter_at_first_stage_and_counts_match(small_world):
    run = generate(small_world, 12, seed=4, n_paths=2)
    P = small_world.n_partners
    born = run.state[:, P:, :] >= 0
    first = born.argmax(axis=2)
    has = born.any(axis=2)
    for p in range(2):
        idx = np.flatnonzero(has[p])
        assert np.all(run.state[p, P + idx, first[p, idx]] == 0)
        assert np.all(first[p, idx] == run.birth_step[P + idx])
    assert run.recruits.sum() == has.sum()


def test_common_random_numbers_survive_recruit_changes(small_world):
    from dataclasses import replace

    # the slot layout is fixed by max_recruits, so both runs share it
    w1 = replace(small_world, max_recruits=small_world.recruit_slots() + 2)
    w2 = replace(w1, recruit_rate=w1.recruit_rate * np.array([3.0, 1, 1, 1]))
    a = generate(w1, 12, seed=8)
    b = generate(w2, 12, seed=8)
    P = small_world.n_partners
    np.testing.assert_array_equal(a.sales[0, :P], b.sales[0, :P])
    other = a.territory[P:] != 0
    # recruits of other territories are untouched
    assert np.array_equal(a.state[0, P:][other], b.state[0, P:][other])
    assert not np.array_equal(a.recruits[0, 0], b.recruits[0, 0])


def test_expected_sales_matches_monte_carlo(small_world):
    # 4,000 paths of one quarter: the closed form mean within 3% of the simulated mean
    # (simulation standard error is about 1%), variance within 25%.
    run = generate(small_world, 3, seed=3, n_paths=4000)
    sim = run.quarter_sales[:, :, 0]
    np.testing.assert_allclose(run.expected[0, :, 0], sim.mean(0), rtol=0.03)
    np.testing.assert_allclose(run.expected_var[0, :, 0], sim.var(0), rtol=0.25)


def test_expected_sales_without_variance_equals_mean(small_world):
    cal = small_world.calendar(3)
    st = initial_state(small_world)
    mean, _ = expected_sales(small_world, st, (cal.m, cal.season))
    only = expected_sales(small_world, st, (cal.m, cal.season), variance=False)
    np.testing.assert_array_equal(mean, only)


def test_commits_are_optimistic_by_commit_bias(small_world):
    # the commit is a decision (belief + calibrated optimism + report noise); its log ratio
    # to the model's expectation reproduces the world's commit_bias / commit_sd to within
    # 0.01 / 0.02 (the calibration is exact only under the forecast's normal approximation;
    # the standard error of the mean here is 0.2 / sqrt(12000) = 0.002)
    run = generate(small_world, 12, seed=9, n_paths=1000)
    ratio = np.log(run.commit / run.expected)
    assert abs(ratio.mean() - small_world.commit_bias[0]) < 0.01
    assert abs(ratio.std() - small_world.commit_sd[0]) < 0.02


def test_ratchet_quota_hand_worked():
    rule = QuotaRule(growth=0.1, up=1.0, down=0.25)
    trailing = np.array([[100.0, 100.0, 100.0, 100.0], [50.0, 50.0, 50.0, 50.0]])
    last = np.array([100.0, 100.0])
    quota, full = quota_update(rule, last, trailing, mean=None, frac=1.0)
    # territory 0: target 110 > 100 -> all the way up; territory 1: target 55 < 100 -> 25% down
    np.testing.assert_allclose(quota, [110.0, 100.0 - 0.25 * 45.0])
    np.testing.assert_allclose(full, quota)
    fq, _ = quota_update(
        QuotaRule(kind="forecast", stretch=0.05), last, trailing, np.array([200.0, 80.0]), 1.0
    )
    np.testing.assert_allclose(fq, [210.0, 84.0])


def test_quota_rule_validates():
    with pytest.raises(WorldError) as err:
        QuotaRule(kind="bogus", up=2.0)
    assert len(err.value.problems) == 2


def test_one_stage_and_quarterly_worlds_run():
    w1 = draw_world(3, 20, "M", seed=1, has_stages=False)
    run = generate(w1, 6, seed=1)
    assert set(np.unique(run.state[run.state >= 0])) <= {0, 1}
    wq = draw_world(3, 20, "Q", seed=1)
    runq = generate(wq, 4, seed=1)
    assert runq.calendar.n_quarters == 4 and np.all(runq.calendar.quarter_len == 1)
    assert np.all(runq.quota > 0)


def test_calendar_fiscal_year():
    from channelsim.world import StepCalendar

    cal = StepCalendar.build(pd.Period("2024-01", "M"), 6, 3, fy_start=2)
    # Jan is the last month of FY2024 Q4; Feb-Apr is FY2025 Q1
    assert cal.quarter_labels == ["FY2024Q4", "FY2025Q1", "FY2025Q2"]
    np.testing.assert_array_equal(cal.quarter_len, [1, 3, 2])
    np.testing.assert_array_equal(cal.season, [0, 1, 2, 3, 4, 5])


def test_lognormal_quantiles_moment_match():
    from scipy import stats

    q = lognormal_quantiles(np.array([100.0, 0.0]), np.array([400.0, 0.0]), [0.1, 0.5, 0.9])
    s2 = np.log1p(400 / 100**2)
    dist = stats.lognorm(s=np.sqrt(s2), scale=np.exp(np.log(100) - s2 / 2))
    np.testing.assert_allclose(q[0], dist.ppf([0.1, 0.5, 0.9]), rtol=1e-12)
    assert np.all(q[1] == 0)


def test_example_world_has_all_maturities():
    from channelsim._vocab import MATURITY_LEVELS, maturity_code

    w = example_world()
    eng = np.isin(w.partner_state, [2, 3, 4])
    cov = np.minimum(1, np.bincount(w.partner_territory[eng], minlength=12) / w.target_partners)
    levels = {MATURITY_LEVELS[maturity_code(c)] for c in cov}
    assert levels == set(MATURITY_LEVELS)
