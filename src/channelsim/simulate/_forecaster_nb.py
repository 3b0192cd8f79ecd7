"""Scalar numba twins of :mod:`channelsim.world._forecaster` (same operation order).

The company's learning forecaster (level multiplier, local-level Kalman filter) and the CAM's
commit decision, for one territory and policy slot; tests hold them equal to the numpy
specification to 1e-9 relative.
"""

from __future__ import annotations

import math

from channelsim.simulate._numba_config import jit
from channelsim.world import (
    LEVEL_DRIFT,
    SHIFT_BOUND,
    SHIFT_MAX_ITER,
    SHIFT_TOL,
    SIGNAL_MATURITY,
    SIGNAL_SD,
)

__all__ = [
    "belief",
    "forecast_prior",
    "forecast_update",
    "norm_cdf",
    "optimism",
    "report_sd",
    "signal_sd",
    "solve_shift",
]

_D2 = float(LEVEL_DRIFT) * float(LEVEL_DRIFT)
_SIG = float(SIGNAL_SD)
_SMAT = float(SIGNAL_MATURITY)
_NIT = int(SHIFT_MAX_ITER)
_TOL = float(SHIFT_TOL)
_BOUND = float(SHIFT_BOUND)
_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@jit(inline="always")
def norm_cdf(x):  # pragma: no cover - numba
    return 0.5 * (1.0 + math.erf(x / _SQRT2))


@jit(inline="always")
def forecast_prior(mean, var, level, level_var):  # pragma: no cover - numba
    """``(m_hat, v_hat, mu_f, s2_f, P_minus, r2)``; see the numpy ``forecast_prior``."""
    pp = level_var + _D2
    m_hat = level * mean
    v_hat = (level * level + pp) * var + mean * mean * pp
    if m_hat > 0:
        s2_f = math.log1p(v_hat / (m_hat * m_hat))
        mu_f = math.log(m_hat) - 0.5 * s2_f
    else:
        s2_f = 0.0
        mu_f = 0.0 - 0.5 * s2_f
        m_hat = 0.0
        v_hat = 0.0
    r2 = var / (mean * mean) if mean > 0 else 0.0
    return m_hat, v_hat, mu_f, s2_f, pp, r2


@jit(inline="always")
def forecast_update(booked, realised_mean, r2, level, p_minus):  # pragma: no cover - numba
    """``(level, level_var)`` after the quarter; see the numpy ``forecast_update``."""
    if realised_mean > 0 and r2 > 0:
        gain = p_minus / (p_minus + r2)
        ratio = booked / realised_mean
        return level + gain * (ratio - level), (1.0 - gain) * p_minus
    return level, p_minus


@jit(inline="always")
def signal_sd(coverage, log_factor, s2_f, commit_sd):  # pragma: no cover - numba
    raw = _SIG * math.exp(-_SMAT * (coverage - 0.5))
    floor2 = max(0.0, s2_f * s2_f / (commit_sd * commit_sd) - s2_f)
    return max(raw, math.sqrt(floor2)) * math.exp(-log_factor)


@jit(inline="always")
def belief(mu_f, s2_f, booked, tau, z):  # pragma: no cover - numba
    """``(m, v, w)``; see the numpy ``belief``."""
    if booked > 0 and s2_f > 0:
        w = s2_f / (s2_f + tau * tau)
        x = math.log(booked) + tau * z
        return mu_f + w * (x - mu_f), w * tau * tau, w
    return mu_f, s2_f, 0.0


@jit(inline="always")
def report_sd(commit_sd, s2_f, coverage):  # pragma: no cover - numba
    raw = _SIG * math.exp(-_SMAT * (coverage - 0.5))
    tau0 = signal_sd(coverage, 0.0, s2_f, commit_sd)
    c2 = commit_sd * commit_sd
    num = max(0.0, c2 * (s2_f + raw * raw) - s2_f * s2_f)
    return math.sqrt(num / (s2_f + tau0 * tau0))


@jit(inline="always")
def optimism(commit_bias, s2_f, s2, w, shift_sq):  # pragma: no cover - numba
    return commit_bias + 0.5 * ((1.0 - w) * s2_f + w * s2) - shift_sq


@jit(inline="always")
def solve_shift(kappa, c_r, h, s):  # pragma: no cover - numba
    """The plan's optimal report shift; see the numpy ``solve_shift`` (same Newton steps)."""
    a = -c_r / kappa
    if not h > 0:
        return min(max(a, -_BOUND), _BOUND)
    lo = min(0.0, a)
    hi = max(0.0, a)
    safe_s = s if s > 0 else 1.0
    d = 0.0
    for _ in range(_NIT):
        x = d / safe_s
        f = (-kappa * d - c_r) + h * (0.5 - norm_cdf(x))
        g = -kappa - (h / safe_s) * (_INV_SQRT2PI * math.exp(-0.5 * (x * x)))
        if f > 0.0:
            lo = d
        else:
            hi = d
        new = d - f / g
        if not (new >= lo and new <= hi):
            new = 0.5 * (lo + hi)
        done = abs(new - d) <= _TOL
        d = new
        if done:
            break
    return min(max(d, -_BOUND), _BOUND)
