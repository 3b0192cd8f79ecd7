"""The pieces of one kernel step (numba), in the order of :func:`channelsim.world.generate`.

Per (territory, slot) state lives in two arrays, ``fs[FS_*, t, slot]`` (float) and
``is_[IS_*, t, slot]`` (int); each function below is one phase of a step and mirrors the
numpy reference (:class:`channelsim.policy.PolicyHooks`) operation for operation wherever a
discrete outcome depends on the result.
"""

from __future__ import annotations

import math

import numpy as np

from channelsim.policy import (
    ACTIVITY_CAP,
    EFFECT_FIELDS,
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
    F_Q_DOWN,
    F_Q_GROWTH,
    F_Q_STRETCH,
    F_Q_UP,
    F_RAMP_START,
    F_RAMP_STEPS,
    F_RATCHET,
    F_RETRAIN_COST,
    F_TARGET,
    F_THR,
    F_TTF_STEPS,
    F_VS,
)
from channelsim.simulate import _forecaster_nb as fnb
from channelsim.simulate import _mechanisms_nb as mech
from channelsim.simulate import _rng_nb as rng
from channelsim.simulate._expected_nb import LMAX, finish, row_constants
from channelsim.simulate._numba_config import jit
from channelsim.simulate._outcomes_nb import (
    NQ,
    Q_ACTIVE,
    Q_CMEAN,
    Q_COMMIT,
    Q_COST,
    Q_CVAR,
    Q_ENABLED,
    Q_ENGAGED,
    Q_GAPS,
    Q_MATURITY,
    Q_MEAN,
    Q_PAY,
    Q_PLANS,
    Q_QUITS,
    Q_QUOTA,
    Q_REVENUE,
    Q_VAR,
    write_variables,
)
from channelsim.world import RECRUIT_ENTITY_BASE

__all__ = [
    "NQ",
    "close_quarter",
    "close_step",
    "make_commits",
    "new_row",
    "open_quarter",
    "partners_step",
    "raw_table",
    "recruits_step",
    "start_step",
]

_E = {name: i for i, name in enumerate(EFFECT_FIELDS)}
E_THETA, E_RDISC, E_REC, E_EN = (
    _E["effort_sensitivity"],
    _E["ratchet_discount"],
    _E["recruit"],
    _E["enable"],
)
E_DEV, E_DORM, E_RET, E_CS = _E["develop"], _E["develop_dormancy"], _E["retention"], _E["co_sell"]
E_FN, E_SF, E_SDEV, E_CI = (
    _E["forecast_noise"],
    _E["signal_forecast"],
    _E["signal_develop"],
    _E["commit_incentive"],
)
E_KAPPA, E_RHOC = _E["lying_aversion"], _E["ratchet_commit"]
E_PULL, E_DISC, E_WIN, E_ATT = (
    _E["pull_forward"],
    _E["timing_discount"],
    _E["timing_window"],
    _E["attrition_attainment"],
)
E_ASD = _E["attainment_sd"]
E_PRATE, E_PADV, E_PDORM = _E["plan_rate"], _E["plan_advance"], _E["plan_dormancy"]

# float state fs[i, t, slot]
(
    FS_APROJ, FS_LASTQ, FS_QSALES, FS_ADJ, FS_CARRY, FS_STEP, FS_WPAY, FS_NPLAN, FS_FILLED,
    FS_QUITS, FS_HIRES, FS_QUOTA, FS_MEAN, FS_VAR, FS_COMMIT, FS_PULL, FS_DFC, FS_DWFC,
    FS_WFC, FS_RFAC, FS_LIFT, FS_TR0, FS_TR1, FS_TR2, FS_TR3, FS_PSLOPE, FS_PCAP,
    FS_LVL, FS_LVAR, FS_PP, FS_R2, FS_MUF, FS_S2F, FS_POST, FS_COV, FS_DDEV, FS_BSD,
    FS_GAP, FS_PPLAN, FS_NGAP, FS_NADV,
) = range(41)  # fmt: skip
NFS = 41
# int state is_[i, t, slot]
(
    IS_FILLED, IS_VAC, IS_TENURE, IS_NEWPROF, IS_ENGPREV, IS_PLANMAT, IS_ENG, IS_ACT, IS_PM,
    IS_PNEW, IS_PGAP,
) = range(11)  # fmt: skip
NIS = 11
_ACT_CAP = float(ACTIVITY_CAP)
RBASE = int(RECRUIT_ENTITY_BASE)


@jit
def raw_table(d, tr_n, tr_p, cum, sl):  # pragma: no cover - numba
    """Fill ``cum[t, s0, sl, :]`` with the world's cumulative transition probabilities."""
    T, K = cum.shape[0], cum.shape[1]
    for t in range(T):
        for s0 in range(K - 1):
            c = 0.0
            for i in range(tr_n[d, t, s0]):
                c = c + tr_p[d, t, s0, i]
                cum[t, s0, sl, i] = c


@jit
def start_step(d, qs, E, pol, target, trw, fs, is_, eff, work, rate_step):  # pragma: no cover
    """Effort of every slot (status quo first), offsets against the status quo's, and each
    slot's cumulative transition probabilities (:class:`PolicyHooks.step_start`).

    Effort is a function of (maturity, payout slope, capacity, hiring profile, plan gap)
    only; when none changed since the last step the slot keeps its effort, and its offsets and table
    are recomputed only when its or the status quo's effort changed (same numbers, less
    work: most steps change nothing). ``pol`` is the packed policies ``(fpar, skill_new,
    skill_inc, kpi, comp, split, qkind)``, ``trw`` the transition tables ``(cum, tr_n, tr_to,
    tr_p, tr_type, facs)`` (``facs[t, slot]`` the slot's exponentiated offsets by move type),
    ``work`` three scratch vectors of length 5. Also each slot's gap flag (coverage below 1)
    and business-plan probability ``1 - exp(-rate_step x e_develop)``."""
    fpar, skill_new, skill_inc, kpi, comp, split, _qkind = pol
    cum, tr_n, _tr_to, tr_p, tr_type, facs = trw
    w, prod, e = work
    T, n_sl = fs.shape[1], fs.shape[2]
    K = cum.shape[1]
    theta = E[E_THETA]
    asd = E[E_ASD]
    fac = np.empty(6)
    changed = np.empty(n_sl, dtype=np.bool_)
    for t in range(T):
        for sl in range(n_sl):
            m = mech.maturity_code(np.float64(is_[IS_ENGPREV, t, sl]), target[t])
            gap = 1.0 if np.float64(is_[IS_ENGPREV, t, sl]) < target[t] else 0.0
            fs[FS_GAP, t, sl] = gap
            if qs:
                is_[IS_PLANMAT, t, sl] = m
            slope = mech.payout_slope(
                fs[FS_APROJ, t, sl], fpar[sl, F_THR], fpar[sl, F_ACC], fpar[sl, F_CAP], asd
            )
            newp = is_[IS_NEWPROF, t, sl] == 1
            filled = is_[IS_FILLED, t, sl] == 1
            cap = (
                mech.ramp(is_[IS_TENURE, t, sl], fpar[sl, F_RAMP_STEPS], fpar[sl, F_RAMP_START])
                if filled
                else 0.0
            )
            prem = 1.0 + fpar[sl, F_PREMIUM] * (1.0 if newp else 0.0)
            fs[FS_WPAY, t, sl] = fs[FS_WPAY, t, sl] + (1.0 if filled else 0.0) * prem
            fs[FS_FILLED, t, sl] = fs[FS_FILLED, t, sl] + (1.0 if filled else 0.0)
            same = (
                is_[IS_PM, t, sl] == m
                and fs[FS_PSLOPE, t, sl] == slope
                and fs[FS_PCAP, t, sl] == cap
                and is_[IS_PNEW, t, sl] == is_[IS_NEWPROF, t, sl]
                and is_[IS_PGAP, t, sl] == np.int64(gap)
            )
            changed[sl] = not same
            if same:
                continue
            is_[IS_PM, t, sl] = m
            fs[FS_PSLOPE, t, sl] = slope
            fs[FS_PCAP, t, sl] = cap
            is_[IS_PNEW, t, sl] = is_[IS_NEWPROF, t, sl]
            is_[IS_PGAP, t, sl] = np.int64(gap)
            keep = 1.0 - E[E_RDISC] * fpar[sl, F_RATCHET]
            mech.pay_weights(
                kpi[sl, m], comp[sl, m], split[sl, m], fpar[sl, F_VS], fpar[sl, F_GONIK], slope, keep,
                gap, w,
            )  # fmt: skip
            for k in range(5):
                prod[k] = skill_new[sl, k] if newp else skill_inc[sl, k]
            mech.effort(w, prod, cap, theta, e)
            for k in range(5):
                eff[t, sl, k] = e[k]
            fs[FS_WFC, t, sl] = w[4]
        for sl in range(n_sl):
            fs[FS_PPLAN, t, sl] = 1.0 - math.exp(-(rate_step * eff[t, sl, 2]))
        for sl in range(n_sl):
            if not (changed[sl] or changed[0]):
                continue
            d_rec = eff[t, sl, 0] - eff[t, 0, 0]
            d_en = eff[t, sl, 1] - eff[t, 0, 1]
            d_dev = eff[t, sl, 2] - eff[t, 0, 2]
            d_cs = eff[t, sl, 3] - eff[t, 0, 3]
            fs[FS_DFC, t, sl] = eff[t, sl, 4] - eff[t, 0, 4]
            fs[FS_DDEV, t, sl] = d_dev
            fs[FS_DWFC, t, sl] = fs[FS_WFC, t, sl] - fs[FS_WFC, t, 0]
            o1 = E[E_EN] * d_en  # move types 1 and 3 both take the enablement offset
            o2 = E[E_DEV] * d_dev
            o4 = E[E_DORM] * d_dev
            o5 = E[E_RET] * (d_en + d_dev)
            fac[0] = 1.0
            fac[1] = math.exp(o1)
            fac[2] = math.exp(o2)
            fac[3] = fac[1]
            fac[4] = math.exp(o4)
            fac[5] = math.exp(o5)
            for k in range(6):
                facs[t, sl, k] = fac[k]
            noff = o1 != 0.0 or o2 != 0.0 or o4 != 0.0 or o5 != 0.0
            fs[FS_RFAC, t, sl] = math.exp(E[E_REC] * d_rec)
            fs[FS_LIFT, t, sl] = math.exp(E[E_CS] * d_cs)
            for s0 in range(K - 1):
                nz = tr_n[d, t, s0]
                c = 0.0
                if noff:
                    Z = 0.0
                    for i in range(nz):
                        Z = Z + tr_p[d, t, s0, i] * fac[tr_type[d, t, s0, i]]
                    for i in range(nz):
                        c = c + tr_p[d, t, s0, i] * fac[tr_type[d, t, s0, i]] / Z
                        cum[t, s0, sl, i] = c
                else:
                    for i in range(nz):
                        c = c + tr_p[d, t, s0, i]
                        cum[t, s0, sl, i] = c


@jit
def partners_step(
    b, j, d, L, qs, pout, n_live, rows, step, qtab, trw, masks, scratch, ps, plans
):  # pragma: no cover - numba
    """Every present partner in every slot: the quarter's expected-sales moments (at a
    quarter's first step, from the state before the transition), the end-of-step transition,
    and the step's sales. Random numbers are drawn once per partner and shared by all
    slots. Returns the number of rows still present in some slot (compacted in ``live``).

    Grouped arguments (see :func:`channelsim.simulate._kernel.run_block`): ``rows`` the
    partner-row arrays, ``step`` the per-territory arrays of the step, ``qtab`` the quarter's
    moment tables and accumulators, ``trw`` the transition tables, ``masks`` the engaged and
    active state masks, ``scratch`` per-row work arrays, ``ps`` the per-partner outputs,
    ``plans`` the business-plan state ``(flag[row, slot], probability, plans completed,
    partners advanced from onboarding, eligible-state mask, advanced-state mask, advance
    and dormancy effects, dynamics)``: with dynamics, an eligible partner without a plan
    completes one when its ``PLAN`` uniform falls below the slot's probability, and a plan
    flag that differs from the status quo's (slot 0) for the same partner moves its
    transition row (:meth:`channelsim.policy.PolicyHooks.transition_probs`)."""
    live, row_t, row_kap, row_hk, row_out, ppos, g1, g2, st = rows
    lmb, step_term, sig, cmt, lift, _rfac, step_sales, eng_cnt, act_cnt, post = step
    W1, W2, Macc, S2acc, Dacc = qtab
    cum, tr_n, tr_to, tr_p, tr_type, facs = trw
    emask, amask = masks
    bp, pplan, nplan, nadv, planok, advok, p_adv, p_dorm, dyn = plans
    e1m, e2m, e_done, amt, amt_done, hit, cm_r = scratch
    ps_sales, ps_state, _ps_kappa, _ps_eta = ps
    n_sl = st.shape[1]
    S = ppos.shape[1]
    K = S + 1
    EX = S
    n_keep = 0
    for ii in range(n_live):
        r = live[ii]
        t = row_t[r]
        u_tr = rng.uniform(rng.finish(row_hk[r, 0], j, 0))
        u_h = rng.uniform(rng.finish(row_hk[r, 1], j, 0))
        u_p = rng.uniform(rng.finish(row_hk[r, 3], j, 0)) if dyn else 1.0
        z_a = 0.0
        z_done = False
        if qs:
            for k in range(K):
                e_done[k] = False
        for s in range(S):
            amt_done[s] = False
            cm_r[s] = g1[r, s] * cmt[t, s]  # conditional mean at stage s (no policy offset)
        alive = False
        o = row_out[r] if pout >= 0 else -1
        track = o >= 0
        # this row's and territory's slices, hoisted out of the slot loop
        st_r = st[r]
        cum_t = cum[t]
        tn = tr_n[d, t]
        tto = tr_to[d, t]
        tp_t = tr_p[d, t]
        tty_t = tr_type[d, t]
        bp_r = bp[r]
        lift_t = lift[t]
        sales_t = step_sales[t]
        eng_t = eng_cnt[t]
        act_t = act_cnt[t]
        post_t = post[t]
        macc_t = Macc[t]
        s2acc_t = S2acc[t]
        dacc_t = Dacc[t]
        for s in range(S):
            hit[s] = u_h < ppos[r, s]
        for sl in range(n_sl):
            s0 = np.int64(st_r[sl])
            if s0 < 0 or s0 == EX:
                continue
            if qs:
                if not e_done[s0]:
                    for l in range(L):
                        a1 = 0.0
                        a2 = 0.0
                        for s in range(S):
                            a1 += W1[t, s0, l, s] * g1[r, s]
                            a2 += W2[t, s0, l, s] * g2[r, s]
                        e1m[s0, l] = a1
                        e2m[s0, l] = a2
                    e_done[s0] = True
                for l in range(L):
                    macc_t[sl, l] += e1m[s0, l]
                    s2acc_t[sl, l] += e2m[s0, l]
                    dacc_t[sl, l] += e1m[s0, l] * e1m[s0, l]
            diff = 0
            if dyn:
                if bp_r[sl] == 0 and planok[s0] == 1 and u_p < pplan[t, sl]:
                    bp_r[sl] = 1
                    nplan[t, sl] += 1.0
                if p_adv != 0.0 or p_dorm != 0.0:
                    diff = np.int64(bp_r[sl]) - np.int64(bp_r[0])
            nz = tn[s0]
            s1 = tto[s0, nz - 1]
            if diff == 0:
                for i in range(nz - 1):
                    if u_tr < cum_t[s0, sl, i]:
                        s1 = tto[s0, i]
                        break
            else:
                s1 = _plan_move(u_tr, s0, nz, tto, tp_t, tty_t, facs[t, sl], p_adv, p_dorm, diff)
            st_r[sl] = s1
            if dyn and s0 == 0 and advok[s1] == 1:
                nadv[t, sl] += 1.0
            if track and sl == pout:
                ps_state[b, o, j] = s1
            if s1 == EX:
                continue
            alive = True
            post_t[sl] += cm_r[s1]
            if hit[s1]:
                if not amt_done[s1]:
                    if not z_done:
                        z_a = rng.normal(rng.finish(row_hk[r, 2], j, 0))
                        z_done = True
                    amt[s1] = math.exp(lmb[t, s1] + row_kap[r] + step_term[t] + sig[s1] * z_a)
                    amt_done[s1] = True
                sale = amt[s1] * lift_t[sl]
                sales_t[sl] += sale
                if track and sl == pout:
                    ps_sales[b, o, j] = sale
            eng_t[sl] += emask[s1]
            act_t[sl] += amask[s1]
        if alive:
            live[n_keep] = r
            n_keep += 1
    return n_keep


@jit
def _plan_move(u, s0, nz, tto, tp, tty, fac, p_adv, p_dorm, diff):  # pragma: no cover - numba
    """The next state of a partner whose plan flag differs from the status quo's by
    ``diff``: its transition row weighted by the slot's factors ``fac`` and ``exp(p_adv
    diff)`` on advances, ``exp(p_dorm diff)`` on dormancy, renormalised (the numpy
    :func:`channelsim.policy.modify_transition_probs`, same order of operations)."""
    ga = math.exp(p_adv * np.float64(diff))
    gd = math.exp(p_dorm * np.float64(diff))
    Z = 0.0
    for i in range(nz):
        ty = tty[s0, i]
        f = fac[ty]
        if ty == 1 or ty == 2:
            f = f * ga
        elif ty == 4:
            f = f * gd
        Z = Z + tp[s0, i] * f
    c = 0.0
    for i in range(nz - 1):
        ty = tty[s0, i]
        f = fac[ty]
        if ty == 1 or ty == 2:
            f = f * ga
        elif ty == 4:
            f = f * gd
        c = c + tp[s0, i] * f / Z
        if u < c:
            return tto[s0, i]
    return tto[s0, nz - 1]


@jit
def recruits_step(
    b,
    j,
    d,
    R,
    pout,
    n_rows,
    n_live,
    keys,
    wrow,
    rate,
    sd_kappa,
    slots,
    rows,
    step,
    masks,
    ps,
    n_new,
    plans,
):  # pragma: no cover - numba
    """Recruits of step ``j``: one Poisson uniform per territory shared by all slots (each
    with its own rate), slots keyed (step, territory, k); recruits enter at the first stage
    and sell in their first step. Returns ``(n_rows, n_live)``.

    With dynamics, each slot's recruits count as recruits into plan gaps while its
    territory's coverage was below 1 at the step's start (``FS_GAP``; ``plans`` as in
    :func:`partners_step` plus the gap flags and the gap-recruit counts).

    ``keys`` are the path's key prefixes ``(recruit count, recruit kappa, transition, hurdle,
    amount, plan)``, ``wrow`` the World arrays of :func:`new_row`, ``slots`` the output layout
    ``(slot_base, slot_cnt)``; the other groups as in :func:`partners_step`."""
    pre_rc, pre_rk, pre_t, pre_h, pre_a, pre_p = keys
    bp, _pplan, _nplan, _nadv, _planok, _advok, _pa, _pd, dyn, gapf, ngap = plans
    slot_base, slot_cnt = slots
    live, _row_t, _row_kap, row_hk, row_out, ppos, g1, _g2, st = rows
    lmb, step_term, sig, cmt, lift, rfac, step_sales, eng_cnt, act_cnt, post = step
    emask, amask = masks
    ps_sales, ps_state, ps_kappa, _ps_eta = ps
    rkeys = (pre_t, pre_h, pre_a, pre_p)
    T = rate.shape[1]
    n_sl = st.shape[1]
    for t in range(T):
        u_rc = rng.uniform(rng.finish(rng.fold(pre_rc, t), j, 0))
        nmax = 0
        for sl in range(n_sl):
            nn = min(rng.poisson(u_rc, rate[d, t] * rfac[t, sl]), R)
            n_new[sl] = nn
            nmax = max(nmax, nn)
            if dyn:
                ngap[t, sl] = ngap[t, sl] + np.float64(nn) * gapf[t, sl]
        for k in range(nmax):
            ent = RBASE + (j << 24) + (t << 8) + k
            kap = sd_kappa[d] * rng.normal(rng.finish(rng.fold(pre_rk, ent), 0, 0))
            r = n_rows
            n_rows += 1
            new_row(r, ent, t, kap, d, wrow, rkeys, rows)
            o = -1
            if pout >= 0 and slot_base[j, t] >= 0 and k < slot_cnt[j, t]:
                o = slot_base[j, t] + k
                row_out[r] = o
                ps_kappa[b, o] = kap if k < n_new[pout] else 0.0
            u_h = rng.uniform(rng.finish(row_hk[r, 1], j, 0))
            sale0 = 0.0
            if u_h < ppos[r, 0]:
                z_a = rng.normal(rng.finish(row_hk[r, 2], j, 0))
                sale0 = math.exp(lmb[t, 0] + kap + step_term[t] + sig[0] * z_a)
            cm0 = g1[r, 0] * cmt[t, 0]
            for sl in range(n_sl):
                bp[r, sl] = 0
                if k < n_new[sl]:
                    st[r, sl] = 0
                    post[t, sl] += cm0
                    sale = sale0 * lift[t, sl]
                    step_sales[t, sl] += sale
                    eng_cnt[t, sl] += emask[0]
                    act_cnt[t, sl] += amask[0]
                    if sl == pout and o >= 0:
                        ps_state[b, o, j] = 0
                        ps_sales[b, o, j] = sale
                else:
                    st[r, sl] = -1
            live[n_live] = r
            n_live += 1
    return n_rows, n_live


@jit
def new_row(r, ent, t, kap, d, wrow, rkeys, rows):  # pragma: no cover - numba
    """Register partner row ``r`` (entity ``ent``): its keys and per-stage constants.

    ``wrow`` is ``(sigma_stage, h_stage, h_terr, h_cap)``, ``rkeys`` the key prefixes
    ``(transition, hurdle, amount, plan)``, ``rows`` the partner-row arrays."""
    sigma_stage, h_stage, h_terr, h_cap = wrow
    pre_t, pre_h, pre_a, pre_p = rkeys
    _live, row_t, row_kap, row_hk, _row_out, ppos, g1, g2, _st = rows
    row_t[r] = t
    row_kap[r] = kap
    row_hk[r, 0] = rng.fold(pre_t, ent)
    row_hk[r, 1] = rng.fold(pre_h, ent)
    row_hk[r, 2] = rng.fold(pre_a, ent)
    row_hk[r, 3] = rng.fold(pre_p, ent)
    row_constants(d, t, kap, sigma_stage, h_stage, h_terr, h_cap, ppos[r], g1[r], g2[r])


@jit
def _quota_update(kind, fpar, sl, last_full, t0, t1, t2, t3, mean, frac):  # pragma: no cover
    """:func:`channelsim.world.quota_update` for one territory: (quota, new full quota)."""
    if kind == 1:
        quota = mean * (1.0 + fpar[sl, F_Q_STRETCH])
        full = quota / frac if frac > 0 else quota
        return quota, full
    target = (1.0 + fpar[sl, F_Q_GROWTH]) * ((((t0 + t1) + t2) + t3) / 4.0)
    w = fpar[sl, F_Q_UP] if target > last_full else fpar[sl, F_Q_DOWN]
    full = last_full + w * (target - last_full)
    return full * frac, full


@jit
def open_quarter(q, L, spq, pol, target, qtab, tabs, fs, is_):  # pragma: no cover - numba
    """The company's forecast and the quota of every slot for quarter ``q``; ``qtab`` and
    ``tabs`` as in :func:`partners_step` and :func:`~._expected_nb.quarter_tables`."""
    fpar, _skill_new, _skill_inc, _kpi, _comp, _split, qkind = pol
    _W1, _W2, Macc, S2acc, Dacc = qtab
    _Tpow, _W1t, _W2t, Mrec, S2rec, _mu, _vq, ex1, ex2, cm1 = tabs
    T, n_sl = fs.shape[1], fs.shape[2]
    frac = L / spq
    Ebuf = np.empty(LMAX)
    for t in range(T):
        for sl in range(n_sl):
            mn, vr = finish(t, sl, L, Macc, S2acc, Dacc, Mrec, S2rec, ex1, ex2, cm1, Ebuf)
            m_hat, v_hat, mu_f, s2_f, pp, r2 = fnb.forecast_prior(
                mn, vr, fs[FS_LVL, t, sl], fs[FS_LVAR, t, sl]
            )
            fs[FS_MEAN, t, sl] = m_hat
            fs[FS_VAR, t, sl] = v_hat
            fs[FS_MUF, t, sl] = mu_f
            fs[FS_S2F, t, sl] = s2_f
            fs[FS_PP, t, sl] = pp
            fs[FS_R2, t, sl] = r2 if mn > 0 else -1.0  # -1: nothing expected
            fs[FS_COV, t, sl] = min(1.0, np.float64(is_[IS_ENGPREV, t, sl]) / target[t])
            quota, full = _quota_update(
                qkind[sl], fpar, sl, fs[FS_LASTQ, t, sl], fs[FS_TR0, t, sl], fs[FS_TR1, t, sl],
                fs[FS_TR2, t, sl], fs[FS_TR3, t, sl], m_hat, frac,
            )  # fmt: skip
            fs[FS_QUOTA, t, sl] = quota
            fs[FS_LASTQ, t, sl] = full


@jit
def _plan_terms(E, fpar, comp, kpi, sl, pm):  # pragma: no cover - numba
    """``(c_r, H)`` of slot ``sl`` at plan maturity ``pm``; see
    :meth:`channelsim.policy.PolicyHooks._plan_terms`."""
    vs = fpar[sl, F_VS]
    c_r = E[E_CI] * (E[E_RHOC] * fpar[sl, F_RATCHET] * (vs * comp[sl, pm, 0]))
    h = E[E_CI] * (fpar[sl, F_GONIK] + 8.0 * (vs * comp[sl, pm, 2] + (1.0 - vs) * kpi[sl, pm, 4]))
    return c_r, h


@jit
def make_commits(q, pre_commit, E, pol, commit_bias, commit_sd, fs, is_):  # pragma: no cover
    """Every slot's commit for quarter ``q`` from the booked quarter, then the forecaster's
    update (the numpy reference's quarter end in :func:`channelsim.world.generate`)."""
    fpar, _skill_new, _skill_inc, kpi, comp, _split, _qkind = pol
    T, n_sl = fs.shape[1], fs.shape[2]
    kappa = E[E_KAPPA]
    for t in range(T):
        z_rep = rng.normal(rng.finish(rng.fold(pre_commit, t), q, 0))
        z_sig = rng.normal(rng.finish(rng.fold(pre_commit, t), q, 1))
        for sl in range(n_sl):
            booked = fs[FS_QSALES, t, sl] + fs[FS_ADJ, t, sl]
            mu_f = fs[FS_MUF, t, sl]
            s2_f = fs[FS_S2F, t, sl]
            cov = fs[FS_COV, t, sl]
            log_factor = E[E_SF] * fs[FS_DFC, t, sl] + E[E_SDEV] * fs[FS_DDEV, t, sl]
            tau = fnb.signal_sd(cov, log_factor, s2_f, commit_sd)
            m0, v_b, w_b = fnb.belief(mu_f, s2_f, booked, tau, z_sig)
            sd = fnb.report_sd(commit_sd, s2_f, cov) * math.exp(-E[E_FN] * fs[FS_DFC, t, sl])
            pm = is_[IS_PLANMAT, t, sl]
            s_b = math.sqrt(v_b)
            fs[FS_BSD, t, sl] = s_b
            c_sq, h_sq = _plan_terms(E, fpar, comp, kpi, 0, pm)
            shift_sq = fnb.solve_shift(kappa, c_sq, h_sq, s_b)
            if sl == 0:
                shift = shift_sq
            else:
                c_r, h = _plan_terms(E, fpar, comp, kpi, sl, pm)
                shift = fnb.solve_shift(kappa, c_r, h, s_b)
            r2 = fs[FS_R2, t, sl]
            has = r2 >= 0.0
            s2 = math.log1p(r2) if has else 0.0
            b_opt = fnb.optimism(commit_bias, s2_f, s2, w_b, shift_sq)
            logc = (m0 + (b_opt + shift_sq)) + (shift - shift_sq) + sd * z_rep
            fs[FS_COMMIT, t, sl] = math.exp(logc) if has else 0.0
            lvl, lvar = fnb.forecast_update(
                booked, fs[FS_POST, t, sl], r2 if has else 0.0, fs[FS_LVL, t, sl],
                fs[FS_PP, t, sl],
            )  # fmt: skip
            fs[FS_LVL, t, sl] = lvl
            fs[FS_LVAR, t, sl] = lvar
            fs[FS_POST, t, sl] = 0.0


@jit
def close_step(j, done, L, last, pre_attr, pre_hire, E, pol, fs, is_):  # pragma: no cover
    """Step end: booking, timing games at a quarter's last step, projected attainment, and
    CAM turnover (:meth:`PolicyHooks.step_end`)."""
    fpar, _skill_new, _skill_inc, _kpi, comp, _split, _qkind = pol
    T, n_sl = fs.shape[1], fs.shape[2]
    for t in range(T):
        u_quit = rng.uniform(rng.finish(rng.fold(pre_attr, t), j, 0))
        u_fill = rng.open_uniform(rng.finish(rng.fold(pre_hire, t), j, 0))
        for sl in range(n_sl):
            fs[FS_QSALES, t, sl] = fs[FS_QSALES, t, sl] + fs[FS_STEP, t, sl]
            is_[IS_ENGPREV, t, sl] = is_[IS_ENG, t, sl]
            quota = fs[FS_QUOTA, t, sl]
            pos = quota > 0
            sq_ = quota if pos else 1.0
            if last:
                a_now = (fs[FS_QSALES, t, sl] + fs[FS_ADJ, t, sl]) / sq_ if pos else 1.0
                f = mech.timing_intensity(
                    a_now, fpar[sl, F_VS], comp[sl, is_[IS_PLANMAT, t, sl], 0], fpar[sl, F_THR], fpar[sl, F_ACC],
                    E[E_PULL], E[E_WIN],
                )  # fmt: skip
                fs[FS_PULL, t, sl] = f
                x = (f - fs[FS_PULL, t, 0]) * fs[FS_STEP, t, sl]
                fs[FS_ADJ, t, sl] = fs[FS_ADJ, t, sl] + x * (1.0 - E[E_DISC])
                fs[FS_CARRY, t, sl] = -x
                a = (fs[FS_QSALES, t, sl] + fs[FS_ADJ, t, sl]) / sq_ if pos else 1.0
            else:
                a = (fs[FS_QSALES, t, sl] + fs[FS_ADJ, t, sl]) / (sq_ * (done / L)) if pos else 1.0
            fs[FS_APROJ, t, sl] = a
            if is_[IS_FILLED, t, sl] == 1:
                # the CAM in the seat: a hire quits at the policy's rate, an incumbent at
                # the status quo's
                rate = (
                    fpar[sl, F_ATTR_RATE] if is_[IS_NEWPROF, t, sl] == 1 else fpar[sl, F_ATTR_INC]
                )
                h = mech.attrition_probability(a, rate, E[E_ATT])
                if u_quit < h:
                    is_[IS_FILLED, t, sl] = 0
                    is_[IS_VAC, t, sl] = mech.vacancy_steps(u_fill, fpar[sl, F_TTF_STEPS])
                    fs[FS_QUITS, t, sl] += 1.0
                else:
                    is_[IS_TENURE, t, sl] += 1
            else:
                is_[IS_VAC, t, sl] -= 1
                if is_[IS_VAC, t, sl] <= 0:
                    is_[IS_FILLED, t, sl] = 1
                    is_[IS_TENURE, t, sl] = 0
                    is_[IS_NEWPROF, t, sl] = 1
                    fs[FS_HIRES, t, sl] += 1.0


@jit
def close_quarter(q, L, spq, pol, target, fs, is_, by_territory, out_q, tmp):  # pragma: no cover
    """Pay, programme cost and the outcome variables of quarter ``q`` for every slot;
    shift the ratchet's trailing sales and reset the quarter's accumulators."""
    fpar, _skill_new, _skill_inc, _kpi, comp, split, _qkind = pol
    T, n_sl = fs.shape[1], fs.shape[2]
    frac = L / spq
    for sl in range(n_sl):
        fp = fpar[sl]
        vs = fp[F_VS]
        for t in range(T):
            booked = fs[FS_QSALES, t, sl] + fs[FS_ADJ, t, sl]
            quota = fs[FS_QUOTA, t, sl]
            pos = quota > 0
            a = booked / quota if pos else 1.0
            c = fs[FS_COMMIT, t, sl] / quota if pos else 1.0
            ape = abs(fs[FS_COMMIT, t, sl] - booked) / booked if booked > 0 else np.inf
            pm = is_[IS_PLANMAT, t, sl]
            inner = (1.0 - vs) + vs * (
                comp[sl, pm, 0] * mech.payout_curve(a, fp[F_THR], fp[F_ACC], fp[F_CAP])
                + comp[sl, pm, 2] * mech.forecast_score(ape)
            )
            inner = inner + fp[F_GONIK] * mech.gonik_score(c, a)
            # activity pay: the quarter's results against the plan's targets
            sc0 = split[sl, pm, 0] * min(_ACT_CAP, fs[FS_NGAP, t, sl] / (fp[F_ACT_REC] * frac))
            sc1 = split[sl, pm, 1] * min(_ACT_CAP, fs[FS_NADV, t, sl] / (fp[F_ACT_EN] * frac))
            sc2 = split[sl, pm, 2] * min(_ACT_CAP, fs[FS_NPLAN, t, sl] / (fp[F_ACT_PLAN] * frac))
            score = sc0 + sc1 + sc2
            base = fp[F_TARGET] * frac
            tmp[Q_REVENUE, t] = booked
            tmp[Q_QUOTA, t] = quota
            tmp[Q_MEAN, t] = fs[FS_MEAN, t, sl]
            tmp[Q_VAR, t] = fs[FS_VAR, t, sl]
            tmp[Q_COMMIT, t] = fs[FS_COMMIT, t, sl]
            tmp[Q_ENGAGED, t] = is_[IS_ENG, t, sl]
            tmp[Q_ACTIVE, t] = is_[IS_ACT, t, sl]
            tmp[Q_MATURITY, t] = mech.maturity_code(np.float64(is_[IS_ENG, t, sl]), target[t])
            tmp[Q_PAY, t] = base * (
                (fs[FS_WPAY, t, sl] / L) * inner
                + vs * comp[sl, pm, 1] * ((fs[FS_WPAY, t, sl] / L) * score)
            )
            tmp[Q_GAPS, t] = fs[FS_NGAP, t, sl]
            tmp[Q_ENABLED, t] = fs[FS_NADV, t, sl]
            tmp[Q_PLANS, t] = fs[FS_NPLAN, t, sl]
            cost = fs[FS_HIRES, t, sl] * fp[F_HIRE_COST] + frac * (
                fp[F_CAM_COST] * (fs[FS_FILLED, t, sl] / L) + fp[F_KPI_COST]
            )
            if q == 0:  # retraining the incumbents (0 without it)
                cost = cost + fp[F_RETRAIN_COST]
            tmp[Q_COST, t] = cost
            tmp[Q_QUITS, t] = fs[FS_QUITS, t, sl]
            cmt = fs[FS_COMMIT, t, sl]
            bsd = fs[FS_BSD, t, sl]
            if cmt > 0:
                c_mean = cmt * math.exp(0.5 * (bsd * bsd))
                tmp[Q_CMEAN, t] = c_mean
                tmp[Q_CVAR, t] = c_mean * c_mean * math.expm1(bsd * bsd)
            else:
                tmp[Q_CMEAN, t] = 0.0
                tmp[Q_CVAR, t] = 0.0
            fs[FS_TR0, t, sl] = fs[FS_TR1, t, sl]
            fs[FS_TR1, t, sl] = fs[FS_TR2, t, sl]
            fs[FS_TR2, t, sl] = fs[FS_TR3, t, sl]
            fs[FS_TR3, t, sl] = booked / frac
            fs[FS_QSALES, t, sl] = 0.0
            fs[FS_ADJ, t, sl] = fs[FS_CARRY, t, sl]
            fs[FS_CARRY, t, sl] = 0.0
            fs[FS_WPAY, t, sl] = 0.0
            fs[FS_NPLAN, t, sl] = 0.0
            fs[FS_NGAP, t, sl] = 0.0
            fs[FS_NADV, t, sl] = 0.0
            fs[FS_FILLED, t, sl] = 0.0
            fs[FS_QUITS, t, sl] = 0.0
            fs[FS_HIRES, t, sl] = 0.0
        write_variables(out_q[:, sl], tmp, target, by_territory)
