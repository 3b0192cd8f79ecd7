"""The outcome variables of a quarter in numba, from the quarter's records (the numpy
:func:`channelsim.policy.quarter_variables`, same order of sums)."""

from __future__ import annotations

import math

import numpy as np

from channelsim.policy import Z90
from channelsim.simulate._layout import (
    V_ACTIVE_PARTNERS,
    V_ATTAINMENT,
    V_CAM_ATTRITION,
    V_COMMIT_APE,
    V_COMMIT_BIAS,
    V_COMMIT_COVERAGE,
    V_COVERAGE_INDEX,
    V_GAP_RECRUITS,
    V_PARTNERS_ENABLED,
    V_PAY_COST_RATIO,
    V_PLANS_COMPLETED,
    V_PROGRAMME_COST,
    V_REVENUE,
    V_SHARE_AT_QUOTA,
    V_SHARE_MATURE,
    V_STAT_APE,
    V_STAT_BIAS,
    V_STAT_COVERAGE,
)
from channelsim.simulate._numba_config import jit

__all__ = [
    "NQ",
    "Q_ACTIVE",
    "Q_CMEAN",
    "Q_COMMIT",
    "Q_COST",
    "Q_CVAR",
    "Q_ENABLED",
    "Q_ENGAGED",
    "Q_GAPS",
    "Q_MATURITY",
    "Q_MEAN",
    "Q_PAY",
    "Q_PLANS",
    "Q_QUITS",
    "Q_QUOTA",
    "Q_REVENUE",
    "Q_VAR",
    "write_variables",
]

# the quarter's records tmp[i, t] from which write_variables derives the outcome variables
(
    Q_REVENUE, Q_QUOTA, Q_MEAN, Q_VAR, Q_COMMIT, Q_ENGAGED, Q_ACTIVE, Q_MATURITY, Q_PAY, Q_COST,
    Q_QUITS, Q_CMEAN, Q_CVAR, Q_GAPS, Q_ENABLED, Q_PLANS,
) = range(16)  # fmt: skip
NQ = 16
_Z90 = float(Z90)


@jit
def _rel(x, revenue):  # pragma: no cover - numba
    return x / revenue if revenue > 0 else np.nan


@jit
def _inside(r, mn, vr):  # pragma: no cover - numba
    """1 if ``r`` is in the moment-matched log-normal 80% interval of ``(mn, vr)``, 0 if
    not, NaN where ``mn <= 0`` (the numpy ``_inside``)."""
    if mn > 0:
        s2 = math.log1p(vr / (mn * mn))
        mu = math.log(mn) - 0.5 * s2
        s = math.sqrt(s2)
        lo = math.exp(mu - _Z90 * s)
        hi = math.exp(mu + _Z90 * s)
        return 1.0 if (r >= lo and r <= hi) else 0.0
    return np.nan


@jit
def write_variables(out, tmp, target, by_territory):  # pragma: no cover - numba
    """The outcome variables (NV, territory or 1) from the quarter's records ``tmp`` (rows
    ``Q_*``: revenue, quota, mean, var, commit, engaged, active, maturity, pay, cost, quits,
    commit interval mean and variance, gap recruits, partners enabled, plans) into the rows
    ``V_*`` of ``out``; see
    :func:`channelsim.policy.quarter_variables` (same order of sums)."""
    T = tmp.shape[1]
    n_out = T if by_territory else 1
    for o in range(n_out):
        lo_t = o if by_territory else 0
        hi_t = o + 1 if by_territory else T
        r = tmp[Q_REVENUE, lo_t]
        qu = tmp[Q_QUOTA, lo_t]
        mn = tmp[Q_MEAN, lo_t]
        vr = tmp[Q_VAR, lo_t]
        cm = tmp[Q_COMMIT, lo_t]
        ac = tmp[Q_ACTIVE, lo_t]
        py = tmp[Q_PAY, lo_t]
        co = tmp[Q_COST, lo_t]
        qt = tmp[Q_QUITS, lo_t]
        cmn = tmp[Q_CMEAN, lo_t]
        cvr = tmp[Q_CVAR, lo_t]
        ng = tmp[Q_GAPS, lo_t]
        ne = tmp[Q_ENABLED, lo_t]
        npl = tmp[Q_PLANS, lo_t]
        cov = min(1.0, tmp[Q_ENGAGED, lo_t] / target[lo_t])
        atq = 1.0 if tmp[Q_REVENUE, lo_t] >= tmp[Q_QUOTA, lo_t] else 0.0
        mt = 1.0 if tmp[Q_MATURITY, lo_t] == 3 else 0.0
        for t in range(lo_t + 1, hi_t):
            r = r + tmp[Q_REVENUE, t]
            qu = qu + tmp[Q_QUOTA, t]
            mn = mn + tmp[Q_MEAN, t]
            vr = vr + tmp[Q_VAR, t]
            cm = cm + tmp[Q_COMMIT, t]
            ac = ac + tmp[Q_ACTIVE, t]
            py = py + tmp[Q_PAY, t]
            co = co + tmp[Q_COST, t]
            qt = qt + tmp[Q_QUITS, t]
            cmn = cmn + tmp[Q_CMEAN, t]
            cvr = cvr + tmp[Q_CVAR, t]
            ng = ng + tmp[Q_GAPS, t]
            ne = ne + tmp[Q_ENABLED, t]
            npl = npl + tmp[Q_PLANS, t]
            cov = cov + min(1.0, tmp[Q_ENGAGED, t] / target[t])
            atq = atq + (1.0 if tmp[Q_REVENUE, t] >= tmp[Q_QUOTA, t] else 0.0)
            mt = mt + (1.0 if tmp[Q_MATURITY, t] == 3 else 0.0)
        if not by_territory:
            cov = cov / T
            atq = atq / T
            mt = mt / T
        out[V_REVENUE, o] = r
        out[V_ATTAINMENT, o] = r / qu if qu > 0 else np.nan
        out[V_SHARE_AT_QUOTA, o] = atq
        out[V_STAT_APE, o] = abs(_rel(mn - r, r))
        out[V_STAT_BIAS, o] = _rel(mn - r, r)
        out[V_STAT_COVERAGE, o] = _inside(r, mn, vr)
        out[V_COMMIT_APE, o] = abs(_rel(cm - r, r))
        out[V_COMMIT_BIAS, o] = _rel(cm - r, r)
        out[V_COMMIT_COVERAGE, o] = _inside(r, cmn, cvr)
        out[V_COVERAGE_INDEX, o] = cov
        out[V_SHARE_MATURE, o] = mt
        out[V_ACTIVE_PARTNERS, o] = ac
        out[V_PAY_COST_RATIO, o] = _rel(py, r)
        out[V_PROGRAMME_COST, o] = co
        out[V_CAM_ATTRITION, o] = qt
        out[V_GAP_RECRUITS, o] = ng
        out[V_PARTNERS_ENABLED, o] = ne
        out[V_PLANS_COMPLETED, o] = npl
