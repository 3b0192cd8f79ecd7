"""The numba kernel: the world's generative process under many policies at once.

:func:`run_block` runs a block of paths one after the other (threads run blocks side by
side, see :mod:`channelsim.simulate._run`); :func:`run_paths_prange` runs them with numba's
``parallel=True``. Each path runs every policy slot side by side, slot 0 being the status
quo whose effort the others' offsets are taken against. With common random numbers each
random number of a path is hashed once and used by every slot: the loop over slots sits
inside the loop over partners (:func:`~._kernel_steps.partners_step`). The maths and the
order of operations are those of :func:`channelsim.world.generate` with
:class:`channelsim.policy.PolicyHooks` (the numpy reference); discrete outcomes use the same
floating-point operations, so states match exactly.

Only per (slot, quarter[, territory]) outcome variables are written (the partner mode also
writes one slot's per-partner states and sales): memory does not grow with paths x steps x
partners. Array-only: validation, packing and labels live in :mod:`channelsim.simulate`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from channelsim.policy import INCUMBENT_TENURE, VARIABLES
from channelsim.rng import Purpose
from channelsim.simulate import _mechanisms_nb as mech
from channelsim.simulate import _rng_nb as rng
from channelsim.simulate._expected_nb import LMAX, quarter_tables
from channelsim.simulate._kernel_pack import kernel_buffers, v1, v2, v3, v4
from channelsim.simulate._kernel_steps import (
    E_PADV,
    E_PDORM,
    E_PRATE,
    FS_APROJ,
    FS_GAP,
    FS_LASTQ,
    FS_LIFT,
    FS_LVAR,
    FS_LVL,
    FS_NADV,
    FS_NGAP,
    FS_NPLAN,
    FS_POST,
    FS_PPLAN,
    FS_PSLOPE,
    FS_RFAC,
    FS_STEP,
    FS_TR0,
    IS_ACT,
    IS_ENG,
    IS_ENGPREV,
    IS_FILLED,
    IS_PLANMAT,
    IS_TENURE,
    NFS,
    NIS,
    NQ,
    close_quarter,
    close_step,
    make_commits,
    new_row,
    open_quarter,
    partners_step,
    raw_table,
    recruits_step,
    start_step,
)
from channelsim.simulate._layout import (
    L_A_STAGE,
    L_A_TERR,
    L_A_TERR_STAGE,
    L_ACTIVE,
    L_ADVANCE_OK,
    L_CAL_M,
    L_CAL_QUARTER,
    L_CAL_QUARTER_LEN,
    L_CAL_QUARTER_START,
    L_CAL_SEASON,
    L_COMMIT_BIAS,
    L_COMMIT_SD,
    L_COMP,
    L_EFFECTS,
    L_ENGAGED,
    L_ETA_LAST,
    L_FIRST_QUOTA,
    L_FPAR,
    L_H_CAP,
    L_H_STAGE,
    L_H_TERR,
    L_KAPPA,
    L_KPI,
    L_NODES,
    L_PARTNER_STATE,
    L_PARTNER_TERRITORY,
    L_PLAN_OK,
    L_QKIND,
    L_RECRUIT_RATE,
    L_RHO,
    L_SD_KAPPA,
    L_SEASON,
    L_SIGMA_ETA,
    L_SIGMA_STAGE,
    L_SKILL_INC,
    L_SKILL_NEW,
    L_SLOT_BASE,
    L_SLOT_CNT,
    L_SPLIT,
    L_TARGET_PARTNERS,
    L_TR_N,
    L_TR_P,
    L_TR_TO,
    L_TR_TYPE,
    L_TRAILING_SALES,
    L_TRANS,
    L_TREND,
    L_WEIGHTS,
)
from channelsim.simulate._numba_config import jit, pjit
from channelsim.world import LEVEL_SD0, RECRUIT_ENTITY_BASE

__all__ = ["NV", "kernel_buffers", "run_block", "run_paths_prange"]

NV = len(VARIABLES)
P_SHOCK = int(Purpose.SHOCK)
P_COMMIT = int(Purpose.COMMIT)
P_HURDLE = int(Purpose.HURDLE)
P_AMOUNT = int(Purpose.AMOUNT)
P_TRANS = int(Purpose.TRANSITION)
P_RCOUNT = int(Purpose.RECRUIT_COUNT)
P_RKAPPA = int(Purpose.RECRUIT_KAPPA)
P_ATTR = int(Purpose.ATTRITION)
P_HIRE = int(Purpose.HIRE)
P_PLAN = int(Purpose.PLAN)
RBASE = int(RECRUIT_ENTITY_BASE)
TENURE0 = int(INCUMBENT_TENURE)
LVAR0 = float(LEVEL_SD0) * float(LEVEL_SD0)


@jit
def run_block(
    paths,
    draws,
    seed,
    fb,
    ib,
    meta,
    spq,
    R,
    by_territory,
    dynamics,
    pout,
    out,
    ps_sales,
    ps_state,
    ps_kappa,
    ps_eta,
):  # pragma: no cover - numba
    """Run ``paths`` (world draws ``draws``) one after the other; path ``b`` of the block
    writes row ``b`` of the outputs. Releases the GIL, so threads can run blocks.

    ``out`` (block, variable, slot, quarter, territory or 1) gets the outcome variables when
    ``dynamics``; with ``pout >= 0`` the ``ps_*`` arrays get slot ``pout``'s per-partner
    state, sales and capability and the territory shock. Without ``dynamics`` (the status
    quo alone) no effort, quarter or CAM state is computed.
    """
    a_stage, a_terr = v2(fb, meta, L_A_STAGE), v2(fb, meta, L_A_TERR)
    a_terr_stage, sigma_stage = v3(fb, meta, L_A_TERR_STAGE), v2(fb, meta, L_SIGMA_STAGE)
    h_stage, h_terr, h_cap = v2(fb, meta, L_H_STAGE), v2(fb, meta, L_H_TERR), v1(fb, meta, L_H_CAP)
    sd_kappa, kappa0 = v1(fb, meta, L_SD_KAPPA), v2(fb, meta, L_KAPPA)
    season, trend, rho = v2(fb, meta, L_SEASON), v2(fb, meta, L_TREND), v1(fb, meta, L_RHO)
    sigma_eta, trans = v1(fb, meta, L_SIGMA_ETA), v4(fb, meta, L_TRANS)
    rate, eta_last = v2(fb, meta, L_RECRUIT_RATE), v2(fb, meta, L_ETA_LAST)
    commit_bias, commit_sd = v1(fb, meta, L_COMMIT_BIAS), v1(fb, meta, L_COMMIT_SD)
    p_terr, p_state = v1(ib, meta, L_PARTNER_TERRITORY), v1(ib, meta, L_PARTNER_STATE)
    trailing0, target = v2(fb, meta, L_TRAILING_SALES), v1(fb, meta, L_TARGET_PARTNERS)
    first_quota = v1(fb, meta, L_FIRST_QUOTA)
    emask, amask = v1(ib, meta, L_ENGAGED), v1(ib, meta, L_ACTIVE)
    planok, advok = v1(ib, meta, L_PLAN_OK), v1(ib, meta, L_ADVANCE_OK)
    tr_n, tr_to = v3(ib, meta, L_TR_N), v4(ib, meta, L_TR_TO)
    tr_p, tr_type = v4(fb, meta, L_TR_P), v4(ib, meta, L_TR_TYPE)
    nodes, weights = v1(fb, meta, L_NODES), v1(fb, meta, L_WEIGHTS)
    cal_m, cal_season = v1(ib, meta, L_CAL_M), v1(ib, meta, L_CAL_SEASON)
    cal_q, cal_qs = v1(ib, meta, L_CAL_QUARTER), v1(ib, meta, L_CAL_QUARTER_START)
    cal_qlen = v1(ib, meta, L_CAL_QUARTER_LEN)
    skill_new, skill_inc = v2(fb, meta, L_SKILL_NEW), v2(fb, meta, L_SKILL_INC)
    kpi, comp = v3(fb, meta, L_KPI), v3(fb, meta, L_COMP)
    fpar, split = v2(fb, meta, L_FPAR), v3(fb, meta, L_SPLIT)
    qkind, E = v1(ib, meta, L_QKIND), v1(fb, meta, L_EFFECTS)
    slot_base, slot_cnt = v2(ib, meta, L_SLOT_BASE), v2(ib, meta, L_SLOT_CNT)
    pol = (fpar, skill_new, skill_inc, kpi, comp, split, qkind)  # the packed policies
    wq = (
        a_stage, a_terr, a_terr_stage, sigma_stage, h_stage, h_terr, h_cap, sd_kappa, season,
        trend, rho, sigma_eta, trans, rate, nodes, weights,
    )  # the World arrays of QUARTER_WORLD, for quarter_tables  # fmt: skip
    for b in range(paths.shape[0]):
        p = paths[b]
        d = draws[b]

        T = a_terr.shape[1]
        S = a_stage.shape[1]
        K = S + 1
        EX = S
        P = p_terr.shape[0]
        J = cal_m.shape[0]
        n_sl = fpar.shape[0]
        cap_rows = P + J * T * R

        pre_t = rng.prefix(seed, P_TRANS, p)
        pre_h = rng.prefix(seed, P_HURDLE, p)
        pre_a = rng.prefix(seed, P_AMOUNT, p)
        pre_shock = rng.prefix(seed, P_SHOCK, p)
        pre_commit = rng.prefix(seed, P_COMMIT, p)
        pre_rc = rng.prefix(seed, P_RCOUNT, p)
        pre_rk = rng.prefix(seed, P_RKAPPA, p)
        pre_attr = rng.prefix(seed, P_ATTR, p)
        pre_hire = rng.prefix(seed, P_HIRE, p)
        pre_p = rng.prefix(seed, P_PLAN, p)

        # partner rows: the origin's partners, then recruits as they enter in any slot
        row_t = np.empty(cap_rows, dtype=np.int64)
        row_out = np.full(cap_rows, -1, dtype=np.int64)
        row_kap = np.empty(cap_rows)
        row_hk = np.empty((cap_rows, 4), dtype=np.uint64)
        ppos = np.empty((cap_rows, S))
        g1 = np.empty((cap_rows, S))
        g2 = np.empty((cap_rows, S))
        st = np.empty((cap_rows, n_sl), dtype=np.int8)
        bp = np.zeros((cap_rows, n_sl), dtype=np.int8)  # business-plan flags
        live = np.empty(cap_rows, dtype=np.int64)
        rows = (live, row_t, row_kap, row_hk, row_out, ppos, g1, g2, st)
        wrow = (sigma_stage, h_stage, h_terr, h_cap)
        for i in range(P):
            new_row(i, i, p_terr[i], kappa0[d, i], d, wrow, (pre_t, pre_h, pre_a, pre_p), rows)
            row_out[i] = i
            for sl in range(n_sl):
                st[i, sl] = p_state[i]
            live[i] = i
            if pout >= 0:
                ps_kappa[b, i] = kappa0[d, i]
        n_rows = P
        n_live = P

        # per (territory, slot) state
        fs = np.zeros((NFS, T, n_sl))
        is_ = np.zeros((NIS, T, n_sl), dtype=np.int64)
        eta = np.empty(T)
        for t in range(T):
            eta[t] = eta_last[d, t]
            a0 = trailing0[t, 3] / first_quota[t] if first_quota[t] > 0 else 1.0
            for sl in range(n_sl):
                fs[FS_APROJ, t, sl] = a0
                fs[FS_LASTQ, t, sl] = first_quota[t]
                fs[FS_RFAC, t, sl] = 1.0
                fs[FS_LIFT, t, sl] = 1.0
                fs[FS_PSLOPE, t, sl] = np.nan  # forces the first effort computation
                fs[FS_LVL, t, sl] = 1.0
                fs[FS_LVAR, t, sl] = LVAR0
                for k in range(4):
                    fs[FS_TR0 + k, t, sl] = trailing0[t, k]
                is_[IS_FILLED, t, sl] = 1
                is_[IS_TENURE, t, sl] = TENURE0
        for i in range(P):
            s0 = p_state[i]
            if s0 >= 0 and s0 != EX and emask[s0] == 1:
                for sl in range(n_sl):
                    is_[IS_ENGPREV, p_terr[i], sl] += 1
        for t in range(T):
            for sl in range(n_sl):
                is_[IS_PLANMAT, t, sl] = mech.maturity_code(
                    np.float64(is_[IS_ENGPREV, t, sl]), target[t]
                )
        eff = np.zeros((T, n_sl, 5))
        cum = np.zeros((T, K, n_sl, 4))
        facs = np.ones((T, n_sl, 6))
        for sl in range(n_sl):
            raw_table(d, tr_n, tr_p, cum, sl)
        w = np.empty(5)
        prod = np.empty(5)
        e = np.empty(5)
        n_new = np.zeros(n_sl, dtype=np.int64)
        Tpow = np.empty((T, LMAX + 1, K, K))
        W1 = np.zeros((T, S, LMAX, S))
        W2 = np.zeros((T, S, LMAX, S))
        Mrec = np.empty((T, LMAX))
        S2rec = np.empty((T, LMAX))
        mu = np.empty((T, LMAX))
        vq = np.empty(LMAX)
        ex1 = np.empty((T, LMAX))
        ex2 = np.empty((T, LMAX))
        cm1 = np.empty((LMAX, LMAX))
        Macc = np.zeros((T, n_sl, LMAX))
        S2acc = np.zeros((T, n_sl, LMAX))
        Dacc = np.zeros((T, n_sl, LMAX))
        e1m = np.empty((K, LMAX))
        e2m = np.empty((K, LMAX))
        e_done = np.zeros(K, dtype=np.bool_)
        amt = np.empty(S)
        amt_done = np.zeros(S, dtype=np.bool_)
        hit = np.zeros(S, dtype=np.bool_)
        lmb = np.empty((T, S))
        for t in range(T):
            for s in range(S):
                lmb[t, s] = a_stage[d, s] + a_terr[d, t] + a_terr_stage[d, t, s]
        sig = np.empty(S)
        for s in range(S):
            sig[s] = sigma_stage[d, s]
        step_term = np.empty(T)
        cmt = np.empty((T, S))
        cm_r = np.empty(S)
        post = fs[FS_POST]
        tmp = np.empty((NQ, T))
        step_sales = fs[FS_STEP]
        rfac = fs[FS_RFAC]
        lift = fs[FS_LIFT]
        eng_cnt = is_[IS_ENG]
        act_cnt = is_[IS_ACT]
        # the steps' grouped arguments (see partners_step, recruits_step)
        step = (lmb, step_term, sig, cmt, lift, rfac, step_sales, eng_cnt, act_cnt, post)
        qtab = (W1, W2, Macc, S2acc, Dacc)
        trw = (cum, tr_n, tr_to, tr_p, tr_type, facs)
        pplan, nplan, nadv = fs[FS_PPLAN], fs[FS_NPLAN], fs[FS_NADV]
        pa, pdm = E[E_PADV], E[E_PDORM]
        plans_p = (bp, pplan, nplan, nadv, planok, advok, pa, pdm, dynamics)
        plans_r = (
            bp,
            pplan,
            nplan,
            nadv,
            planok,
            advok,
            pa,
            pdm,
            dynamics,
            fs[FS_GAP],
            fs[FS_NGAP],
        )
        rate_step = E[E_PRATE] * (3.0 / spq)
        work = (w, prod, e)
        masks = (emask, amask)
        scratch = (e1m, e2m, e_done, amt, amt_done, hit, cm_r)
        ps = (ps_sales, ps_state, ps_kappa, ps_eta)
        keys = (pre_rc, pre_rk, pre_t, pre_h, pre_a, pre_p)
        slots = (slot_base, slot_cnt)
        tabs = (Tpow, W1, W2, Mrec, S2rec, mu, vq, ex1, ex2, cm1)

        j0 = 0
        for j in range(J):
            q = cal_q[j]
            qs = cal_qs[j] == 1
            if qs:
                j0 = j
            L = cal_qlen[q]
            last = j == J - 1 or cal_q[j + 1] != q
            # 1. effort, offsets and transition tables (status quo first)
            if dynamics:
                start_step(d, qs, E, pol, target, trw, fs, is_, eff, work, rate_step)
            # 2. tables of the quarter's statistical forecast (state and shock of step j - 1)
            do_q = dynamics and qs
            if do_q:
                quarter_tables(d, L, cal_m[j : j + L], cal_season[j : j + L], eta, wq, tabs)
                Macc[:] = 0.0
                S2acc[:] = 0.0
                Dacc[:] = 0.0
            # 3. territory shock of step j
            for t in range(T):
                z = rng.normal(rng.finish(rng.fold(pre_shock, t), j, 0))
                eta[t] = rho[d] * eta[t] + sigma_eta[d] * z
                step_term[t] = season[d, cal_season[j]] + trend[d, t] * cal_m[j] + eta[t]
                if dynamics:
                    for s in range(S):
                        cmt[t, s] = math.exp(lmb[t, s] + step_term[t])
            # 4. partners: moments, transitions, sales
            n_live = partners_step(
                b, j, d, L, do_q, pout, n_live, rows, step, qtab, trw, masks, scratch, ps, plans_p
            )
            # 5. recruits
            if R > 0:
                n_rows, n_live = recruits_step(
                    b, j, d, R, pout, n_rows, n_live, keys, wrow, rate, sd_kappa, slots, rows,
                    step, masks, ps, n_new, plans_r,
                )  # fmt: skip
            if pout >= 0:
                for t in range(T):
                    ps_eta[b, t, j] = eta[t]
            if dynamics:
                # 6. statistical forecast, commit and quota of the quarter starting now
                if qs:
                    open_quarter(q, L, spq, pol, target, qtab, tabs, fs, is_)
                # 7. booking, timing games, CAM turnover; the quarter's close
                close_step(j, j - j0 + 1, L, last, pre_attr, pre_hire, E, pol, fs, is_)
                if last:
                    make_commits(q, pre_commit, E, pol, commit_bias[d], commit_sd[d], fs, is_)
                    close_quarter(
                        q, L, spq, pol, target, fs, is_, by_territory, out[b, :, :, q], tmp
                    )
            step_sales[:] = 0.0
            eng_cnt[:] = 0
            act_cnt[:] = 0

        if pout >= 0:  # exited partners stay exited in later steps
            for i in range(ps_state.shape[1]):
                for j in range(1, J):
                    if ps_state[b, i, j] < 0 and ps_state[b, i, j - 1] == EX:
                        ps_state[b, i, j] = EX


@pjit
def run_paths_prange(
    paths,
    draws,
    seed,
    fb,
    ib,
    meta,
    spq,
    R,
    by_territory,
    dynamics,
    pout,
    out,
    ps_sales,
    ps_state,
    ps_kappa,
    ps_eta,
):  # pragma: no cover - numba
    """:func:`run_block` with numba's ``parallel=True`` over paths (``prange``)."""
    for b in prange(paths.shape[0]):
        lo = np.int64(b)
        hi = lo + 1
        run_block(
            paths[lo:hi],
            draws[lo:hi],
            seed,
            fb,
            ib,
            meta,
            spq,
            R,
            by_territory,
            dynamics,
            pout,
            out[lo:hi],
            ps_sales[lo:hi],
            ps_state[lo:hi],
            ps_kappa[lo:hi],
            ps_eta[lo:hi],
        )
