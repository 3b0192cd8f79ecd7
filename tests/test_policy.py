"""Levers, policies, effect sizes, grids, packing and the numpy mechanisms (no numba)."""

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import norm

from channelsim.policy import (
    ACTIVITY_CAP,
    ACTIVITY_SPLIT,
    BETA_FIELDS,
    EFFECT_FIELDS,
    F_ATTR_RATE,
    F_RAMP_STEPS,
    F_RATCHET,
    F_TTF_STEPS,
    NF,
    POLICY_PRESETS,
    QUOTA_PRESETS,
    SAMPLE_PARAMETERS,
    VARIABLES,
    CompensationPlan,
    EffectSizes,
    HiringProfile,
    KPIScheme,
    OnboardingProgramme,
    Policy,
    PolicyError,
    PolicyGrid,
    PolicyHooks,
    move_types,
    pack_policies,
    quarter_variables,
    quota_label,
)
from channelsim.policy import _mechanisms as mech
from channelsim.world import ProcessHooks, QuotaRule, generate


def test_import_policy_does_not_import_numba_or_pymc():
    code = (
        "import channelsim.policy, sys; "
        "assert 'pymc' not in sys.modules and 'numba' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lever_validation_lists_every_problem_and_is_bad_input():
    with pytest.raises(PolicyError) as err:
        HiringProfile(skills=(1.0, -1.0, 1.0), attrition_per_year=1.5, cost_per_hire=-1)
    assert err.value.is_bad_input
    msg = str(err.value)
    assert "skills must have 5 values" in msg
    assert "attrition_per_year" in msg and "cost_per_hire" in msg
    with pytest.raises(PolicyError) as err:
        KPIScheme(weights=((1, 0, 0, 0, 0),) * 3)
    assert "4 rows" in str(err.value)
    with pytest.raises(PolicyError) as err:
        CompensationPlan(weights=((0.5, 0.1, 0.1),) * 4, threshold=2, variable_share=-0.1)
    assert len(err.value.problems) == 6  # four rows, threshold, variable share
    with pytest.raises(PolicyError, match="unknown hiring profile preset 'nope'"):
        HiringProfile.preset("nope")
    with pytest.raises(PolicyError):
        OnboardingProgramme(ramp_start=1.5)


def test_presets_and_status_quo():
    assert HiringProfile.preset_names()[0] == "direct_rep"
    assert CompensationPlan.preset("uncapped").cap == math.inf
    assert Policy() == Policy.status_quo() == Policy.preset("status_quo")
    assert next(iter(POLICY_PRESETS)) == "status_quo"
    for name, pol in POLICY_PRESETS.items():
        assert isinstance(pol, Policy), name
    p = Policy(hiring="channel_manager", quota="forecast")
    assert p.labels() == {
        "hiring": "channel_manager",
        "onboarding": "direct_sales",
        "kpi": "revenue_only",
        "compensation": "revenue_heavy",
        "quota": "forecast",
    }
    with pytest.raises(PolicyError) as err:
        Policy(hiring="nope", quota="nope")
    assert len(err.value.problems) == 2


def test_status_quo_takes_the_worlds_quota_rule(sim_world):
    from dataclasses import replace

    w = replace(sim_world, quota_rule=QuotaRule(up=0.6))
    assert Policy.status_quo(w).quota == QuotaRule(up=0.6)
    assert quota_label(QuotaRule(up=0.6)) == "ratchet(up=0.6)"
    assert quota_label(QUOTA_PRESETS["forecast"]) == "forecast"


def test_policy_dict_round_trip():
    p = POLICY_PRESETS["channel_programme"]
    d = p.to_dict()
    assert Policy.from_dict(d) == p
    assert Policy.from_dict({"compensation": "gonik"}) == POLICY_PRESETS["gonik"]
    with pytest.raises(PolicyError, match="unknown lever"):
        Policy.from_dict({"pay": "gonik"})
    assert p.digest() == Policy.from_dict(d).digest() != Policy().digest()


def test_effect_sizes_validate_and_neutral():
    e = EffectSizes()
    assert e.to_array().shape == (len(EFFECT_FIELDS),)
    n = EffectSizes.neutral()
    assert all(getattr(n, f) == 0.0 for f in BETA_FIELDS)
    assert n.effort_sensitivity == e.effort_sensitivity
    assert e.scaled(2.0).co_sell == 2 * e.co_sell
    with pytest.raises(PolicyError) as err:
        EffectSizes(pull_forward=2.0, timing_discount=float("nan"))
    assert len(err.value.problems) == 2
    doc = EffectSizes.__doc__
    for cited in ("Rao et al. (2021, JMR)", "Misra & Nair (2011, QME)", "Larkin (2014, JAE)"):
        assert cited in doc


def test_factorial_grid_status_quo_first_and_chunks():
    g = PolicyGrid.factorial(
        hiring=["direct_rep", "channel_manager"], compensation=["territory_building", "gonik"]
    )
    assert len(g) == 5  # 4 combinations + the status quo (not among them)
    assert g[0] == Policy()
    g2 = PolicyGrid.factorial(quota=["ratchet", "forecast"])
    assert len(g2) == 2 and g2[0] == Policy()
    chunks = list(g.chunks(2))
    assert [o for o, _ in chunks] == [0, 2, 4]
    assert sum(len(c) for _, c in chunks) == len(g)
    assert list(g.labels().columns) == ["hiring", "onboarding", "kpi", "compensation", "quota"]
    with pytest.raises(PolicyError):
        PolicyGrid.factorial(hiring="direct_rep")
    with pytest.raises(PolicyError, match="unknown"):
        PolicyGrid.factorial(kpi=["nope"])


def test_sample_grid_is_seeded_and_validates_ranges():
    ranges = {"compensation.variable_share": (0.3, 0.7), "hiring.channel_profile": (0, 1)}
    a = PolicyGrid.sample(7, ranges, seed=3)
    b = PolicyGrid.sample(7, ranges, seed=3)
    assert len(a) == 8 and list(a) == list(b)
    shares = [p.compensation.variable_share for p in a[1:]]
    assert all(0.3 <= s <= 0.7 for s in shares) and len(set(shares)) == 7
    with pytest.raises(PolicyError) as err:
        PolicyGrid.sample(4, {"compensation.variable_shar": (0, 1), "quota.up": (0.5, 2.0)})
    msg = str(err.value)
    assert "did you mean 'compensation.variable_share'" in msg and "outside the valid" in msg
    assert len(PolicyGrid.sample(0, seed=1)) == 1
    for name, par in SAMPLE_PARAMETERS.items():  # every parameter applies at both ends
        base = getattr(Policy(), par.lever)
        hi = min(par.hi, 10.0) if name == "compensation.cap" else par.hi
        at_lo, at_hi = par.apply(base, par.lo), par.apply(base, hi)
        assert type(at_lo) is type(base) and type(at_hi) is type(base), name
        assert at_lo != at_hi, f"{name} changes nothing between {par.lo} and {hi}"


def test_pack_policies_units():
    p = Policy(hiring="channel_manager")
    packed = pack_policies([Policy(), p], Policy(), steps_per_quarter=3)
    assert packed.fpar.shape == (2, NF)
    assert packed.fpar[0, F_RAMP_STEPS] == 6.0  # months per step 1
    assert packed.fpar[1, F_TTF_STEPS] == 4.0
    assert packed.fpar[0, F_RATCHET] == 1.0
    # incumbents keep the status quo's skills; new hires get the policy's
    np.testing.assert_allclose(packed.skill_inc[1], Policy().hiring.skills)
    np.testing.assert_allclose(packed.skill_new[1], p.hiring.skills)
    q = pack_policies([Policy(quota="forecast")], Policy(), steps_per_quarter=1)
    assert q.fpar[0, F_RATCHET] == 0.0 and q.qkind[0] == 1
    # per-step quit hazard: 20% a year over 4 quarterly steps
    assert math.isclose(1 - math.exp(-4 * q.fpar[0, F_ATTR_RATE]), 0.2)
    assert len(packed.take([1])) == 1


def test_z90_is_the_normal_quantile():
    from scipy.special import ndtri

    from channelsim.policy import Z90

    assert Z90 == float(ndtri(0.9))


def test_payout_curve_and_scores_hand_worked():
    a = np.array([0.4, 0.5, 0.9, 1.0, 1.5, 3.0])
    np.testing.assert_allclose(mech.payout_curve(a, 0.5, 1.5, 2.0), [0, 0.5, 0.9, 1.0, 1.75, 2.5])
    # below the threshold: Phi(z) + thr phi(z) / sd, z = (a - thr) / sd (0.4: z = -2/3)
    below = norm.cdf(-0.1 / 0.15) + 0.5 * norm.pdf(-0.1 / 0.15) / 0.15
    np.testing.assert_allclose(
        mech.payout_slope(a, 0.5, 1.5, 2.0, 0.15), [below, 1, 1, 1.5, 1.5, 0], rtol=1e-12
    )
    # far below the threshold the revenue incentive vanishes
    assert mech.payout_slope(np.array([0.0]), 0.5, 1.5, 2.0, 0.15)[0] < 0.01
    # Gonik: forecast 1.0, actual 1.2 -> 1.1; actual 0.8 -> 0.7
    np.testing.assert_allclose(
        mech.gonik_score(np.array([1.0, 1.0]), np.array([1.2, 0.8])), [1.1, 0.7]
    )
    np.testing.assert_allclose(mech.forecast_score(np.array([0.0, 0.125, 0.5])), [1, 0.5, 0])
    f = mech.timing_intensity(np.array([0.45, 0.95, 1.05]), 0.5, 1.0, 0.5, 1.5, 0.2, 0.1)
    np.testing.assert_allclose(f, [0.1, 0.1, 0.0])


def test_effort_responds_to_pay_weights():
    prod = np.ones(5)
    w_rev = np.array([0.0, 0.0, 0.0, 1.0, 0.0])
    w_fc = np.array([0.0, 0.0, 0.0, 0.7, 0.3])
    e_rev = mech.effort(w_rev, prod, np.array(1.0), 1.5)
    e_fc = mech.effort(w_fc, prod, np.array(1.0), 1.5)
    assert e_fc[4] > e_rev[4] and e_fc[3] < e_rev[3]
    assert e_rev.sum() < 1  # some time goes to unrewarded work
    np.testing.assert_array_equal(mech.effort(w_rev, prod, np.array(0.0), 1.5), 0)


def test_move_types_and_neutral_probabilities(sim_world):
    mt = move_types(sim_world.stage_names)
    assert mt[0, 1] == mech.MOVE_ADVANCE_EARLY and mt[3, 4] == mech.MOVE_ADVANCE_LATE
    assert mt[5, 2] == mech.MOVE_REACTIVATE and mt[2, 5] == mech.MOVE_DORMANT
    assert (mt[:-1, -1] == mech.MOVE_EXIT).all() and mt[2, 2] == mech.MOVE_NONE
    assert (move_types(("active",)) == [[0, 5], [0, 0]]).all()
    probs = sim_world.trans[0, 0][None]
    types = mt[None]
    same = mech.modify_transition_probs(probs, types, np.ones((1, 7, 6)), np.zeros((1, 7), bool))
    assert same is not probs and np.array_equal(same, probs)
    fac = np.ones((1, 7, 6))
    fac[..., mech.MOVE_EXIT] = 2.0
    mod = mech.modify_transition_probs(probs, types, fac, np.ones((1, 7), bool))
    np.testing.assert_allclose(mod.sum(-1), 1.0)
    assert (mod[0, :-1, -1] > probs[0, :-1, -1]).all()


def test_base_process_hooks_leave_generate_unchanged(sim_world):
    a = generate(sim_world, 6, seed=4, n_paths=2)
    b = generate(sim_world, 6, seed=4, n_paths=2, hooks=ProcessHooks())
    for name in ("state", "sales", "commit", "quota", "quarter_sales"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_reference_status_quo_equals_generate_for_any_effects(sim_world):
    sq = Policy.status_quo(sim_world)
    base = generate(sim_world, 12, seed=3, n_paths=3)
    big = EffectSizes().scaled(3.0)
    hooks = PolicyHooks(pack_policies([sq, sq], sq, 3), big)
    run = generate(sim_world, 12, seed=3, n_paths=3, hooks=hooks)
    np.testing.assert_array_equal(run.state, base.state)
    np.testing.assert_array_equal(run.sales, base.sales)
    np.testing.assert_array_equal(run.commit, base.commit)
    np.testing.assert_array_equal(hooks.record["revenue"], base.quarter_sales)
    v = quarter_variables(hooks.record, sim_world.target_partners, by_territory=False)
    assert v.shape == (len(VARIABLES), 3, 4, 1) and np.isfinite(v).all()


def test_reference_neutral_effects_leave_every_policy_at_the_status_quo(sim_world):
    sq = Policy.status_quo(sim_world)
    base = generate(sim_world, 12, seed=3, n_paths=3)
    neutral = EffectSizes.neutral()
    ref = PolicyHooks(pack_policies([sq, sq], sq, 3), neutral)
    generate(sim_world, 12, seed=3, n_paths=3, hooks=ref)
    for name in ("channel_programme", "forecast_quota", "gonik", "uncapped_no_ratchet"):
        pol = Policy.preset(name)
        hooks = PolicyHooks(pack_policies([pol, sq], sq, 3), neutral, reference=ref.trace)
        run = generate(sim_world, 12, seed=3, n_paths=3, quota_rule=pol.quota, hooks=hooks)
        np.testing.assert_array_equal(run.state, base.state)
        np.testing.assert_array_equal(run.sales, base.sales)
        np.testing.assert_array_equal(run.commit, base.commit)


def test_incumbents_keep_the_status_quos_profile_unless_retrained():
    from channelsim.policy import F_ATTR_INC, F_RETRAIN_COST

    sq = Policy()
    chan = Policy(hiring="channel_manager", onboarding="channel")
    retrain = Policy(
        onboarding=OnboardingProgramme.preset("channel").replace(retrain_incumbents=True)
    )
    packed = pack_policies([sq, chan, retrain], sq, steps_per_quarter=3)
    sq_skills = np.asarray(sq.hiring.skills) * np.asarray(sq.onboarding.training)
    np.testing.assert_allclose(packed.skill_inc[1], sq_skills)  # not the channel training
    np.testing.assert_allclose(
        packed.skill_new[1],
        np.asarray(chan.hiring.skills) * np.asarray(chan.onboarding.training),
    )
    np.testing.assert_allclose(
        packed.skill_inc[2], np.asarray(sq.hiring.skills) * np.asarray(retrain.onboarding.training)
    )
    # quit hazards: the policy's for its hires, the status quo's for incumbents
    assert packed.fpar[1, F_ATTR_RATE] < packed.fpar[1, F_ATTR_INC]
    assert packed.fpar[1, F_ATTR_INC] == packed.fpar[0, F_ATTR_RATE]
    assert list(packed.fpar[:, F_RETRAIN_COST]) == [0.0, 0.0, 12_000.0]
    with pytest.raises(PolicyError, match="retrain_incumbents"):
        OnboardingProgramme(retrain_incumbents="yes")


def test_activity_split_and_targets_are_plan_fields():
    plan = CompensationPlan()
    assert plan.activity_split == ACTIVITY_SPLIT
    custom = plan.replace(activity_split=((1.0, 0.0, 0.0),) * 4, activity_targets=(2.0, 1.0, 1.0))
    packed = pack_policies([Policy(), Policy(compensation=custom)], Policy(), 3)
    np.testing.assert_allclose(packed.split[0], np.asarray(ACTIVITY_SPLIT))
    np.testing.assert_allclose(packed.split[1], np.tile([1.0, 0.0, 0.0], (4, 1)))
    assert CompensationPlan.from_dict(custom.to_dict()) == custom
    with pytest.raises(PolicyError) as err:
        CompensationPlan(activity_split=((0.5, 0.5, 0.5),) * 4, activity_targets=(1.0, 0.0, 1.0))
    text = str(err.value)
    assert "activity_split" in text and "activity_targets[1]" in text
    # the activity score: results against targets, capped at ACTIVITY_CAP, split-weighted
    s = mech.activity_score(
        np.array([0.65, 5.0]), np.array([0.0, 0.7]), np.array([0.5, 0.0]),
        (0.65, 0.7, 0.5), np.array([0.6, 0.3, 0.1]), ACTIVITY_CAP,
    )  # fmt: skip
    np.testing.assert_allclose(s, [0.6 + 0.1, 0.6 * 2.0 + 0.3])
