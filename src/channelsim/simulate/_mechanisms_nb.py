"""Scalar numba twins of :mod:`channelsim.policy._mechanisms` (same operation order)."""

from __future__ import annotations

import math

import numpy as np

from channelsim._vocab import MATURITY_THRESHOLDS
from channelsim.policy import BASE_OTHER_SHARE, BASE_TIME_SHARE, FORECAST_APE_ZERO
from channelsim.simulate._numba_config import jit

__all__ = [
    "attrition_probability",
    "effort",
    "forecast_score",
    "gonik_score",
    "maturity_code",
    "pay_weights",
    "payout_curve",
    "payout_slope",
    "ramp",
    "timing_intensity",
    "vacancy_steps",
]

_TH0, _TH1, _TH2 = MATURITY_THRESHOLDS
_B0, _B1, _B2, _B3, _B4 = (float(x) for x in BASE_TIME_SHARE)
_BO = float(BASE_OTHER_SHARE)
_APE0 = float(FORECAST_APE_ZERO)
_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@jit(inline="always")
def maturity_code(engaged, target):  # pragma: no cover - numba
    cov = min(1.0, engaged / target)
    code = 0
    if cov >= _TH0:
        code += 1
    if cov >= _TH1:
        code += 1
    if cov >= _TH2:
        code += 1
    return code


@jit(inline="always")
def payout_curve(a, threshold, accelerator, cap):  # pragma: no cover - numba
    if a < threshold:
        return 0.0
    if a < 1.0:
        return a
    return 1.0 + accelerator * (min(a, cap) - 1.0)


@jit(inline="always")
def payout_slope(a, threshold, accelerator, cap, sd):  # pragma: no cover - numba
    """See the numpy :func:`channelsim.policy.payout_slope` (same order of operations)."""
    if a >= cap:
        return 0.0
    if a >= 1.0:
        return accelerator
    if a >= threshold:
        return 1.0
    z = (a - threshold) / sd
    dens = math.exp(-0.5 * (z * z)) * _INV_SQRT2PI
    return 0.5 * (1.0 + math.erf(z / _SQRT2)) + threshold * dens / sd


@jit(inline="always")
def pay_weights(kpi_row, comp_row, split_row, vs, gonik, slope, keep, gap, w):  # pragma: no cover
    """Fill ``w`` (5,) with the pay weights; see the numpy :func:`pay_weights`."""
    for k in range(5):
        w[k] = (1.0 - vs) * kpi_row[k]
    act = vs * comp_row[1]
    w[0] = w[0] + act * split_row[0] * gap
    w[1] = w[1] + act * split_row[1]
    w[2] = w[2] + act * split_row[2]
    w[3] = w[3] + vs * comp_row[0] * slope * keep
    w[4] = w[4] + (vs * comp_row[2] + gonik)


@jit(inline="always")
def effort(w, prod, capacity, theta, e):  # pragma: no cover - numba
    """Fill ``e`` (5,) with effort; see the numpy :func:`effort`."""
    x0 = _B0 * math.exp(theta * w[0] * prod[0])
    x1 = _B1 * math.exp(theta * w[1] * prod[1])
    x2 = _B2 * math.exp(theta * w[2] * prod[2])
    x3 = _B3 * math.exp(theta * w[3] * prod[3])
    x4 = _B4 * math.exp(theta * w[4] * prod[4])
    tot = _BO + x0 + x1 + x2 + x3 + x4
    e[0] = capacity * prod[0] * (x0 / tot)
    e[1] = capacity * prod[1] * (x1 / tot)
    e[2] = capacity * prod[2] * (x2 / tot)
    e[3] = capacity * prod[3] * (x3 / tot)
    e[4] = capacity * prod[4] * (x4 / tot)


@jit(inline="always")
def ramp(tenure, ramp_steps, ramp_start):  # pragma: no cover - numba
    if ramp_steps <= 0:
        return 1.0
    return min(1.0, ramp_start + (1.0 - ramp_start) * np.float64(tenure) / ramp_steps)


@jit(inline="always")
def attrition_probability(a, rate, beta):  # pragma: no cover - numba
    return 1.0 - math.exp(-(rate * math.exp(beta * max(0.0, 1.0 - a))))


@jit(inline="always")
def vacancy_steps(u, ttf_steps):  # pragma: no cover - numba
    return max(1, np.int64(math.ceil(-ttf_steps * math.log(u))))


@jit(inline="always")
def timing_intensity(a, vs, rev_w, threshold, accelerator, pull, window):  # pragma: no cover
    near = ((a >= threshold - window) and (a < threshold)) or (
        (accelerator > 1.0) and (a >= 1.0 - window) and (a < 1.0)
    )
    return pull * vs * rev_w * (1.0 if near else 0.0)


@jit(inline="always")
def gonik_score(c, a):  # pragma: no cover - numba
    if a >= c:
        return max(0.0, c + 0.5 * (a - c))
    return max(0.0, c - 1.5 * (c - a))


@jit(inline="always")
def forecast_score(ape):  # pragma: no cover - numba
    return max(0.0, 1.0 - ape / _APE0)
