"""The policy dynamics in numpy: hooks that run :func:`channelsim.world.generate` under a policy.

This is the numpy reference of :mod:`channelsim.simulate`'s kernels. It does not write the
generative process again: :class:`PolicyHooks` plugs into the world's own loop
(:class:`channelsim.world.ProcessHooks`) and supplies, step by step, the offsets of DESIGN.md
section 4 against the status quo's effort on the same path and step.

Per territory seat and step ``j`` (the order the kernels follow):

1. ``step_start``: channel maturity from the engaged partners of step ``j - 1``; pay weights
   (KPI, pay mix, payout slope at the projected attainment, ratchet discount); effort;
   ``Δe`` against the status quo's effort; offsets.
2. ``quarter_start`` (a quarter's first step): the company's forecast and the quota.
3. ``transition_probs`` / ``recruit_rate`` / ``log_sales``: the offsets.
4. ``step_end``: territory sales; at a quarter's last step the timing game (pull ``(f -
   f_sq) x`` the step's sales into the quarter at a discount, out of the next) and the
   booked revenue; projected attainment; CAM quits (hazard rising with low attainment,
   keyed ``ATTRITION``), vacancies (keyed ``HIRE``) and hires; at a quarter's end, pay,
   programme cost and the quarter record (after the commit: ``commit_terms`` gives the
   signal's log-sd offset ``signal_forecast Δe_fc + signal_develop Δe_dev`` and the report
   noise factor ``exp(-forecast_noise Δe_fc)``; ``commit_shift`` solves the plan's optimal
   report shift, :func:`channelsim.world._forecaster.solve_shift`, for the policy and the
   status quo plan; ``commit_made`` closes the quarter).

Run the status quo first with ``reference=None``: its hooks record the :class:`Trace` (its
effort and timing pull) that every other policy's hooks take as ``reference``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from channelsim import rng
from channelsim.policy import _mechanisms as mech
from channelsim.policy._effects import EffectSizes
from channelsim.policy._levers import ACTIVITY_CAP
from channelsim.policy._pack import (
    F_ACC,
    F_ACT_EN,
    F_ACT_PLAN,
    F_ACT_REC,
    F_ATTR_INC,
    F_ATTR_RATE,
    F_CAM_COST,
    F_CAP,
    F_GONIK,
    F_HIRE_COST,
    F_KPI_COST,
    F_PREMIUM,
    F_RAMP_START,
    F_RAMP_STEPS,
    F_RATCHET,
    F_RETRAIN_COST,
    F_TARGET,
    F_THR,
    F_TTF_STEPS,
    F_VS,
    PackedPolicies,
)
from channelsim.rng import Purpose
from channelsim.world import ProcessHooks, engaged_stage_mask, row_sum, solve_shift

__all__ = ["INCUMBENT_TENURE", "QUARTER_FIELDS", "PolicyHooks", "Trace"]

#: Tenure (steps) of the CAMs in their seats at the origin: fully ramped.
INCUMBENT_TENURE = 1_000_000
#: What :class:`PolicyHooks` records per (path, territory, quarter).
QUARTER_FIELDS = (
    "revenue",
    "quota",
    "mean",
    "var",
    "commit",
    "engaged",
    "active",
    "maturity",
    "pay",
    "cost",
    "quits",
    "belief",
    "belief_sd",
    "shift",
    "gap_recruits",
    "enabled",
    "plans",
)


@dataclass
class Trace:
    """The status quo's effort (path, territory, step, task), forecast pay weight (path,
    territory, step), timing pull (path, territory, quarter) and partner business-plan flags
    (path, partner, step), which other policies' offsets are taken against."""

    effort: np.ndarray
    forecast_weight: np.ndarray
    pull: np.ndarray
    plan: np.ndarray


class PolicyHooks(ProcessHooks):
    """Run the world's generative process under one policy (numpy reference).

    Parameters
    ----------
    packed : PackedPolicies
        Two rows: the policy (row 0) and the status quo (row 1).
    effects : EffectSizes
    reference : Trace or None
        The status quo's trace; ``None`` when running the status quo itself (the trace is
        then recorded in :attr:`trace`).

    Attributes
    ----------
    record : dict of (path, territory, quarter) arrays, keys :data:`QUARTER_FIELDS`.
    trace : Trace (recorded when ``reference`` is None).

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> from channelsim.policy import Policy, pack_policies
    >>> from channelsim.world import generate
    >>> w = draw_world(2, 12, seed=1)
    >>> sq = Policy.status_quo(w)
    >>> hooks = PolicyHooks(pack_policies([sq, sq], sq, 3), EffectSizes())
    >>> run = generate(w, 3, seed=1, hooks=hooks)
    >>> hooks.record["revenue"].shape
    (1, 2, 1)
    """

    def __init__(
        self, packed: PackedPolicies, effects: EffectSizes, reference: Trace | None = None
    ):
        if len(packed) != 2:
            raise ValueError("packed must hold two rows: the policy, then the status quo")
        self.fp = packed.fpar[0]
        self.fp_sq = packed.fpar[1]
        self.skill_new = packed.skill_new[0]
        self.skill_inc = packed.skill_inc[0]
        self.kpi = packed.kpi[0]
        self.comp = packed.comp[0]
        self.comp_sq = packed.comp[1]
        self.split = packed.split[0]
        self.kpi_sq = packed.kpi[1]
        self.effects = effects
        self.reference = reference
        self.trace: Trace | None = None

    # -- setup -------------------------------------------------------------------------------
    def start(self, ctx: dict) -> None:
        w = ctx["world"]
        cal = ctx["calendar"]
        self.world, self.cal, self.seed = w, cal, int(ctx["seed"])
        self.paths = ctx["paths"]
        self.territory = ctx["territory"]
        self.spq = w.steps_per_quarter
        self.exited = w.exited
        n_paths, T, Q, J = len(self.paths), w.n_territories, cal.n_quarters, cal.n_steps
        self.T = T
        self.engaged_mask = engaged_stage_mask(w.stage_names)
        active = np.ones(w.n_states, dtype=bool)
        active[-1] = False
        if w.has_stages:
            active[w.stage_names.index("dormant")] = False
        self.active_mask = active
        self.move_types = mech.move_types(w.stage_names)
        self.plan_ok = mech.plan_eligible_mask(w.stage_names).astype(bool)
        self.adv_ok = mech.advance_mask(w.stage_names).astype(bool)
        self.entity = ctx["entity"]
        self.birth = ctx["birth_step"]
        self.plan = np.zeros((n_paths, self.territory.size), dtype=np.int8)
        self.rate_step = self.effects.plan_rate * (3.0 / self.spq)
        self.sel = [self.territory == t for t in range(T)]
        self.target = w.target_partners
        shape = (n_paths, T)
        self.filled = np.ones(shape, dtype=bool)
        self.vac_left = np.zeros(shape, dtype=np.int64)
        self.tenure = np.full(shape, INCUMBENT_TENURE, dtype=np.int64)
        self.newprof = np.zeros(shape, dtype=bool)
        first_quota = w.first_quota()
        a0 = np.where(first_quota > 0, w.trailing_sales[:, 3] / first_quota, 1.0)
        self.a_proj = np.broadcast_to(a0, shape).copy()
        eng, _ = self._counts(ctx["state"])
        self.eng_prev = eng
        self.plan_mat = mech.maturity_of(eng, self.target)
        for name in (
            "qsales",
            "adj",
            "carry",
            "wpay",
            "filled_steps",
            "quits",
            "hires",
            "quota_q",
            "mean_q",
            "var_q",
            "commit_q",
            "n_gap",
            "n_enabled",
            "n_plans",
        ):
            setattr(self, name, np.zeros(shape))
        self.record = {k: np.zeros((n_paths, T, Q)) for k in QUARTER_FIELDS}
        if self.reference is None:
            self.trace = Trace(
                np.zeros((n_paths, T, J, 5)),
                np.zeros((n_paths, T, J)),
                np.zeros((n_paths, T, Q)),
                np.zeros((n_paths, self.territory.size, J), dtype=np.int8),
            )

    def _counts(self, st):
        present = (st >= 0) & (st != self.exited)
        safe = np.where(st >= 0, st, self.exited)
        eng = present & self.engaged_mask[safe]
        act = present & self.active_mask[safe]
        E = np.zeros((st.shape[0], self.T), dtype=np.int64)
        A = np.zeros((st.shape[0], self.T), dtype=np.int64)
        for t in range(self.T):
            sel = self.territory == t
            E[:, t] = eng[:, sel].sum(1)
            A[:, t] = act[:, sel].sum(1)
        return E, A

    # -- step start: effort and offsets -----------------------------------------------------
    def step_start(self, j: int) -> None:
        fp, ef = self.fp, self.effects
        m = mech.maturity_of(self.eng_prev, self.target)
        if self.cal.quarter_start[j]:
            self.plan_mat = m
        slope = mech.payout_slope(self.a_proj, fp[F_THR], fp[F_ACC], fp[F_CAP], ef.attainment_sd)
        keep = 1.0 - ef.ratchet_discount * fp[F_RATCHET]
        self.gap = (self.eng_prev < self.target).astype(np.float64)  # a gap in the plan
        w = mech.pay_weights(
            self.kpi[m], self.comp[m], self.split[m], fp[F_VS], fp[F_GONIK], slope, keep, self.gap
        )
        prod = np.where(self.newprof[..., None], self.skill_new, self.skill_inc)
        cap = np.where(self.filled, mech.ramp(self.tenure, fp[F_RAMP_STEPS], fp[F_RAMP_START]), 0.0)
        e = mech.effort(w, prod, cap, ef.effort_sensitivity)
        self.p_plan = mech.plan_probability(e[..., 2], self.rate_step)
        prem = 1.0 + fp[F_PREMIUM] * self.newprof
        self.wpay = self.wpay + self.filled * prem
        self.filled_steps = self.filled_steps + self.filled
        if self.reference is None:
            self.trace.effort[:, :, j] = e
            self.trace.forecast_weight[:, :, j] = w[..., 4]
            ref, ref_w = e, w[..., 4]
        else:
            ref = self.reference.effort[:, :, j]
            ref_w = self.reference.forecast_weight[:, :, j]
        delta = e - ref
        off, off_r, off_s = mech.transition_offsets(delta, ef)
        self.factors = np.exp(off)
        self.flag = np.any(off != 0.0, axis=-1)
        self.rfac = np.exp(off_r)
        self.off_s = off_s
        self.d_fc = delta[..., 4]
        self.d_dev = delta[..., 2]
        self.d_wfc = w[..., 4] - ref_w

    def quarter_start(self, q: int, mean, var, quota) -> None:
        self.mean_q, self.var_q, self.quota_q = mean, var, quota

    def commit_terms(self, q: int):
        ef = self.effects
        log_factor = ef.signal_forecast * self.d_fc + ef.signal_develop * self.d_dev
        return log_factor, np.exp(-ef.forecast_noise * self.d_fc)

    def _plan_terms(self, fp, comp, kpi):
        """``(c_r, H)`` of a plan at the seats' plan maturity: the ratchet's marginal cost of
        a higher commit and the median pull of the Gonik schedule, the accuracy pay and the
        forecast-accuracy KPI weight."""
        ef = self.effects
        cm = comp[self.plan_mat]
        vs = fp[F_VS]
        c_r = ef.commit_incentive * (ef.ratchet_commit * fp[F_RATCHET] * (vs * cm[..., 0]))
        km = kpi[self.plan_mat]
        h = ef.commit_incentive * (fp[F_GONIK] + 8.0 * (vs * cm[..., 2] + (1.0 - vs) * km[..., 4]))
        return c_r, h

    def commit_shift(self, q: int, belief_sd):
        kappa = self.effects.lying_aversion
        c_sq, h_sq = self._plan_terms(self.fp_sq, self.comp_sq, self.kpi_sq)
        shift_sq = solve_shift(kappa, c_sq, h_sq, belief_sd)
        if self.reference is None:
            shift = shift_sq
        else:
            c_r, h = self._plan_terms(self.fp, self.comp, self.kpi)
            shift = solve_shift(kappa, c_r, h, belief_sd)
        self.shift_q = shift
        self.belief_sd_q = belief_sd
        return shift, shift_sq

    def commit_made(self, q: int, commit, belief_mean) -> None:
        self.commit_q = commit
        self._close_quarter(q, self._booked, self._eng, self._act)
        self.record["revenue"][:, :, q] = self._booked_g
        self.record["belief"][:, :, q] = belief_mean
        self.record["shift"][:, :, q] = self.shift_q
        self.record["belief_sd"][:, :, q] = self.belief_sd_q

    def _plans(self, j: int, state) -> np.ndarray:
        """Complete business plans for step ``j`` (eligible partners without one, keyed
        ``PLAN``); returns the plan flag minus the status quo's, per partner."""
        safe = np.where(state >= 0, state, self.exited)
        pidx = np.arange(state.shape[0])[:, None]
        u = rng.uniform(
            rng.key(self.seed, Purpose.PLAN, self.paths[:, None], self.entity[None, :], j)
        ).reshape(state.shape)
        p = self.p_plan[pidx, self.territory[None, :]]
        new = (state >= 0) & self.plan_ok[safe] & (self.plan == 0) & (u < p)
        self.plan = np.where(new, 1, self.plan).astype(np.int8)
        for t in range(self.T):
            self.n_plans[:, t] = self.n_plans[:, t] + new[:, self.sel[t]].sum(1)
        if self.reference is None:
            self.trace.plan[:, :, j] = self.plan
            return np.zeros(state.shape)
        return self.plan.astype(np.float64) - self.reference.plan[:, :, j]

    def transition_probs(self, j: int, probs, state):
        diff = self._plans(j, state)
        self.prev_state = state
        safe = np.where(state >= 0, state, 0)
        types = self.move_types[safe]  # (path, n, K)
        pidx = np.arange(probs.shape[0])[:, None]
        factors = self.factors[pidx, self.territory[None, :]]
        flag = self.flag[pidx, self.territory[None, :]]
        ef = self.effects
        has = (diff != 0.0) & (ef.plan_advance != 0.0 or ef.plan_dormancy != 0.0)
        if has.any():
            g = np.ones(factors.shape)
            ga = np.exp(ef.plan_advance * diff)
            g[..., mech.MOVE_ADVANCE_EARLY] = ga
            g[..., mech.MOVE_ADVANCE_LATE] = ga
            g[..., mech.MOVE_DORMANT] = np.exp(ef.plan_dormancy * diff)
            factors = np.where(has[..., None], factors * g, factors)
            flag = flag | has
        return mech.modify_transition_probs(probs, types, factors, flag)

    def recruit_rate(self, j: int, rate):
        return rate * self.rfac

    def log_sales(self, j: int, log_mean):
        pidx = np.arange(log_mean.shape[0])[:, None]
        return log_mean + self.off_s[pidx, self.territory[None, :]]

    # -- step end: booking, timing, CAM turnover ---------------------------------------------
    def step_end(self, j: int, state, sales) -> None:
        fp, ef, cal = self.fp, self.effects, self.cal
        T = self.T
        step_sales = np.zeros((sales.shape[0], T))
        for t in range(T):
            step_sales[:, t] = row_sum(sales[:, self.territory == t])
        self.qsales = self.qsales + step_sales
        eng, act = self._counts(state)
        self.eng_prev = eng
        # results: partners advanced from onboarding, recruits into plan gaps
        prev = self.prev_state
        adv = (prev == 0) & self.adv_ok[np.where(state >= 0, state, self.exited)]
        joined = (self.birth == j)[None, :] & (state >= 0)
        for t in range(T):
            sel = self.sel[t]
            self.n_enabled[:, t] = self.n_enabled[:, t] + adv[:, sel].sum(1)
            self.n_gap[:, t] = self.n_gap[:, t] + joined[:, sel].sum(1) * self.gap[:, t]
        q = cal.quarter[j]
        L = cal.quarter_len[q]
        last = j == cal.n_steps - 1 or cal.quarter[j + 1] != q
        quota = self.quota_q
        pos = quota > 0
        safe_quota = np.where(pos, quota, 1.0)
        if last:
            a_now = np.where(pos, (self.qsales + self.adj) / safe_quota, 1.0)
            rev_w = self.comp[self.plan_mat, 0]
            f = mech.timing_intensity(
                a_now, fp[F_VS], rev_w, fp[F_THR], fp[F_ACC], ef.pull_forward, ef.timing_window
            )
            if self.reference is None:
                self.trace.pull[:, :, q] = f
                f_sq = f
            else:
                f_sq = self.reference.pull[:, :, q]
            x = (f - f_sq) * step_sales
            self.adj = self.adj + x * (1.0 - ef.timing_discount)
            self.carry = -x
            booked = self.qsales + self.adj
            self.a_proj = np.where(pos, booked / safe_quota, 1.0)
        else:
            done = j - int(np.flatnonzero(cal.quarter == q)[0]) + 1
            self.a_proj = np.where(pos, (self.qsales + self.adj) / (safe_quota * (done / L)), 1.0)
        self._turnover(j)
        if last:  # the quarter closes once the commit is made (commit_made)
            self._booked, self._eng, self._act = booked, eng, act

    def _turnover(self, j: int) -> None:
        fp, ef = self.fp, self.effects
        n_paths = len(self.paths)
        terr = np.arange(self.T)[None, :]
        pidx = self.paths[:, None]
        u_quit = rng.uniform(rng.key(self.seed, Purpose.ATTRITION, pidx, terr, j))
        u_fill = rng.open_uniform(rng.key(self.seed, Purpose.HIRE, pidx, terr, j))
        u_quit = u_quit.reshape(n_paths, self.T)
        u_fill = u_fill.reshape(n_paths, self.T)
        # the CAM in the seat: a hire under the policy quits at its profile's rate, an
        # incumbent at the status quo's
        rate = np.where(self.newprof, fp[F_ATTR_RATE], fp[F_ATTR_INC])
        h = mech.attrition_probability(self.a_proj, rate, ef.attrition_attainment)
        was = self.filled
        quit = was & (u_quit < h)
        self.tenure = np.where(was & ~quit, self.tenure + 1, self.tenure)
        vac = np.where(~was, self.vac_left - 1, self.vac_left)
        hire = ~was & (vac <= 0)
        self.filled = (was & ~quit) | hire
        self.tenure = np.where(hire, 0, self.tenure)
        self.newprof = self.newprof | hire
        self.vac_left = np.where(quit, mech.vacancy_steps(u_fill, fp[F_TTF_STEPS]), vac)
        self.quits = self.quits + quit
        self.hires = self.hires + hire

    def _close_quarter(self, q: int, booked, eng, act) -> None:
        fp = self.fp
        L = float(self.cal.quarter_len[q])
        frac = L / self.spq
        quota, commit = self.quota_q, self.commit_q
        pos = quota > 0
        safe_quota = np.where(pos, quota, 1.0)
        a = np.where(pos, booked / safe_quota, 1.0)
        c = np.where(pos, commit / safe_quota, 1.0)
        ape = np.where(
            booked > 0, np.abs(commit - booked) / np.where(booked > 0, booked, 1.0), np.inf
        )
        cm = self.comp[self.plan_mat]
        vs = fp[F_VS]
        inner = (1.0 - vs) + vs * (
            cm[..., 0] * mech.payout_curve(a, fp[F_THR], fp[F_ACC], fp[F_CAP])
            + cm[..., 2] * mech.forecast_score(ape)
        )
        inner = inner + fp[F_GONIK] * mech.gonik_score(c, a)
        score = mech.activity_score(
            self.n_gap,
            self.n_enabled,
            self.n_plans,
            (fp[F_ACT_REC] * frac, fp[F_ACT_EN] * frac, fp[F_ACT_PLAN] * frac),
            self.split[self.plan_mat],
            ACTIVITY_CAP,
        )
        base = fp[F_TARGET] * frac
        pay = base * ((self.wpay / L) * inner + vs * cm[..., 1] * ((self.wpay / L) * score))
        cost = self.hires * fp[F_HIRE_COST] + frac * (
            fp[F_CAM_COST] * (self.filled_steps / L) + fp[F_KPI_COST]
        )
        if q == 0:  # retraining the incumbents (0 without it)
            cost = cost + fp[F_RETRAIN_COST]
        rec = self.record
        rec["revenue"][:, :, q] = booked
        rec["quota"][:, :, q] = quota
        rec["mean"][:, :, q] = self.mean_q
        rec["var"][:, :, q] = self.var_q
        rec["commit"][:, :, q] = commit
        rec["engaged"][:, :, q] = eng
        rec["active"][:, :, q] = act
        rec["maturity"][:, :, q] = mech.maturity_of(eng, self.target)
        rec["pay"][:, :, q] = pay
        rec["cost"][:, :, q] = cost
        rec["quits"][:, :, q] = self.quits
        rec["gap_recruits"][:, :, q] = self.n_gap
        rec["enabled"][:, :, q] = self.n_enabled
        rec["plans"][:, :, q] = self.n_plans
        self.qsales = np.zeros_like(self.qsales)
        self.adj = self.carry
        self.carry = np.zeros_like(self.carry)
        for name in ("wpay", "filled_steps", "quits", "hires", "n_gap", "n_enabled", "n_plans"):
            setattr(self, name, np.zeros_like(self.qsales))

    def quarter_end(self, q: int, sales):
        self._booked_g = sales + self.adj
        return self._booked_g
