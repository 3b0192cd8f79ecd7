"""The company's learning forecaster and the CAM's commit belief (numpy; the specification).

Per territory the company forecasts a quarter from :func:`expected_sales` (the world's closed
form) times a level multiplier that it re-estimates from the quarters it has booked: a
local-level Kalman filter on the ratio of booked to expected sales. The CAM's commit is a decision: a
normal belief about the quarter's log sales (the company's forecast combined with a private
signal), then the report that maximises expected pay under the plan (see
:mod:`channelsim.policy` for the plan's terms; without a policy the status quo's report is
the calibrated one). ``docs/simulator.md`` ("Statistical forecast", "Commits") states the
equations; :mod:`channelsim.simulate` computes the same in numba.

Constants here are the simulated company's forecasting practice. No company's history
identifies them; they are assumptions, chosen as stated in each comment.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "LEVEL_DRIFT",
    "LEVEL_SD0",
    "SHIFT_BOUND",
    "SHIFT_MAX_ITER",
    "SHIFT_TOL",
    "SIGNAL_MATURITY",
    "SIGNAL_SD",
    "belief",
    "commit_log",
    "forecast_prior",
    "forecast_update",
    "norm_cdf",
    "optimism",
    "report_sd",
    "signal_sd",
    "solve_shift",
]

#: Prior sd of the company's level multiplier at the origin. Assumption: 0.1 (a forecaster
#: fitted on the history starts about right, within +-10%).
LEVEL_SD0 = 0.1
#: Sd of the quarterly random-walk drift the forecaster allows its level multiplier. Assumption:
#: 0.15, set so that with the example world's territory noise (log sd about 0.23) the gain is
#: about 0.45 and a +10% step in every territory's level is learnt to within 2% in four quarters
#: (tested); a lower drift learns more slowly but adds less noise under the status quo.
LEVEL_DRIFT = 0.15
#: Sd of the CAM's private signal on the quarter's log sales at coverage 0.5. Assumption:
#: 0.30 (pipeline reviews at 90 days see the quarter to about +-30%; with it, the status quo's
#: signal explains less of the log-commit variance than the example world's ``commit_sd``).
SIGNAL_SD = 0.30
#: Signal log-sd falls by this per unit of channel coverage: partners with business plans and
#: reviews give pipeline visibility. Assumption: 0.5 (coverage 1 vs 0: sd x exp(-0.5)).
SIGNAL_MATURITY = 0.5
_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf = np.vectorize(math.erf, otypes=[np.float64])
_exp = np.vectorize(math.exp, otypes=[np.float64])
#: Most Newton steps of :func:`solve_shift` (it stops earlier; 4-7 on the tested grid).
SHIFT_MAX_ITER = 40
#: :func:`solve_shift` stops once a Newton step moves the shift by at most this (log scale).
#: Convergence is quadratic near the root, so the result is then within about 1e-15 of it.
SHIFT_TOL = 1e-13
#: Largest report shift from the belief mean, either way (log scale: a commit at most
#: ``e^3``, about 20 times, off the CAM's belief). Assumption: no field study reports larger
#: shading; it only binds at extreme effect sizes (a lying aversion near zero), where without
#: it the shift and the calibrated optimism overflow to infinite commits.
SHIFT_BOUND = 3.0


def norm_cdf(x):
    """Standard normal CDF ``0.5 (1 + erf(x / sqrt 2))`` (``math.erf``, as the kernels)."""
    return 0.5 * (1.0 + _erf(np.asarray(x, dtype=np.float64) / _SQRT2))


def forecast_prior(mean, var, level, level_var):
    r"""The company's forecast of a quarter from the model's expectation and its level.

    The forecaster holds a per-territory level multiplier ``lam`` (1 at the origin) on the
    model's expectation ``(m, v)`` of :func:`expected_sales`, a local level that drifts by
    :data:`LEVEL_DRIFT` a quarter:

    .. math::

        P^- = P + d^2,\quad \hat m = \lambda m,\quad
        \hat v = (\lambda^2 + P^-) v + m^2 P^-

    (the variance of ``lam_true x sales`` with ``lam_true ~ (lam, P^-)``), so the 80%
    interval, moment-matched from ``(m_hat, v_hat)`` as the outputs do, widens by the
    level's own estimation error. Returns ``(m_hat, v_hat, mu_f, s2_f, P_minus, r2)`` with
    ``s2_f = log(1 + v_hat / m_hat^2)``, ``mu_f = log m_hat - s2_f / 2`` (the forecast as a
    normal on log sales) and ``r2 = v / m^2``; zero where ``mean <= 0``.

    Examples
    --------
    >>> m, v, mu, s2, pp, r2 = forecast_prior(100.0, 400.0, 1.0, 0.0)
    >>> round(float(m), 6), round(float(pp), 4), round(float(v), 2)
    (100.0, 0.0225, 634.0)
    """
    mean = np.asarray(mean, dtype=np.float64)
    pp = level_var + LEVEL_DRIFT * LEVEL_DRIFT
    m_hat = level * mean
    v_hat = (level * level + pp) * var + mean * mean * pp
    pos = m_hat > 0
    safe = np.where(pos, m_hat, 1.0)
    s2_f = np.log1p(np.where(pos, v_hat, 0.0) / (safe * safe))
    mu_f = np.log(safe) - 0.5 * s2_f
    safe_m = np.where(mean > 0, mean, 1.0)
    r2 = np.where(mean > 0, var / (safe_m * safe_m), 0.0)
    return np.where(pos, m_hat, 0.0), np.where(pos, v_hat, 0.0), mu_f, s2_f, pp, r2


def forecast_update(booked, realised_mean, r2, level, p_minus):
    r"""Kalman update of the level on the quarter's booked sales ``y``.

    .. math::

        K = P^- / (P^- + r^2),\quad \lambda \leftarrow \lambda + K (y / \tilde m - \lambda),
        \quad P \leftarrow (1 - K) P^-

    with ``r^2 = v / m^2`` the model's relative variance of the quarter (conservative: it
    includes the state and shock noise that ``m_tilde`` removes) and ``m_tilde``
    (``realised_mean``) the model's expectation of the quarter's sales given what happened
    in it: each present partner's conditional mean at its realised stage and shock, with
    the world's parameters (no policy offsets). Dividing by it, not by the quarter-start
    expectation, keeps the level from learning surprises in partner states, recruits and
    the shock that the next quarter's expectation already conditions on (counting them twice
    biased the company total by +0.01 on the example world). On the ratio scale the update is
    unbiased for the mean under the status quo (``E[y / m_tilde] = 1``); a log-scale offset
    is not (by about half its variance). A quarter with nothing expected leaves the level
    and takes ``P = P^-``. Returns ``(level, level_var)``.
    """
    booked = np.asarray(booked, dtype=np.float64)
    ok = (np.asarray(realised_mean) > 0) & (r2 > 0)
    gain = np.where(ok, p_minus / (p_minus + np.where(ok, r2, 1.0)), 0.0)
    ratio = booked / np.where(ok, realised_mean, 1.0)
    new = np.where(ok, level + gain * (ratio - level), level)
    return new, np.where(ok, (1.0 - gain) * p_minus, p_minus)


def signal_sd(coverage, log_factor, s2_f, commit_sd):
    """Sd of the CAM's private signal on the quarter's log sales.

    ``tau = max(SIGNAL_SD exp(-SIGNAL_MATURITY (coverage - 0.5)), tau_min) exp(-log_factor)``
    with the policy's ``log_factor`` (zero for the status quo) and ``tau_min = sqrt(max(0,
    s_f^4 / commit_sd^2 - s_f^2))``: the floor keeps the status quo's signal from explaining
    more of the log-commit variance (``w s_f^2``, :func:`belief`) than the world's
    ``commit_sd^2`` (territories with few partners have wide forecasts).
    """
    raw = SIGNAL_SD * np.exp(-SIGNAL_MATURITY * (np.asarray(coverage) - 0.5))
    floor2 = np.maximum(0.0, s2_f * s2_f / (commit_sd * commit_sd) - s2_f)
    return np.maximum(raw, np.sqrt(floor2)) * np.exp(-log_factor)


def belief(mu_f, s2_f, booked, tau, z_signal):
    """The CAM's belief (before optimism) on the quarter's log sales.

    The company's forecast ``N(mu_f, s2_f)`` and a private signal ``x = log y + tau z``:

    .. math::

        w = s_f^2 / (s_f^2 + \\tau^2),\\quad m = \\mu_f + w (x - \\mu_f),\\quad
        v = w \\tau^2

    Without sales (``y <= 0``) the signal carries nothing (``w = 0``). Returns ``(m, v, w)``.
    """
    booked = np.asarray(booked, dtype=np.float64)
    ok = (booked > 0) & (s2_f > 0)
    w = np.where(ok, s2_f / (s2_f + tau * tau), 0.0)
    x = np.log(np.where(ok, booked, 1.0)) + tau * z_signal
    m = mu_f + w * (np.where(ok, x, mu_f) - mu_f)
    v = np.where(ok, w * tau * tau, s2_f)
    return m, v, w


def report_sd(commit_sd, s2_f, coverage):
    """Report noise sd: what the status quo's signal leaves of the world's log-commit variance.

    ``sd^2 = commit_sd^2 - w_0 s_f^2`` with ``w_0`` the status quo's signal weight
    (:func:`signal_sd` with no offset), written as ``max(0, commit_sd^2 (s_f^2 + tau_raw^2) -
    s_f^4) / (s_f^2 + tau_0^2)`` (``tau_raw`` before the floor) so that it is exactly zero
    where the floor binds instead of the square root of a rounding error.
    """
    raw = SIGNAL_SD * np.exp(-SIGNAL_MATURITY * (np.asarray(coverage) - 0.5))
    tau0 = signal_sd(coverage, 0.0, s2_f, commit_sd)
    c2 = commit_sd * commit_sd
    num = np.maximum(0.0, c2 * (s2_f + raw * raw) - s2_f * s2_f)
    return np.sqrt(num / (s2_f + tau0 * tau0))


def solve_shift(kappa, c_r, h, s):
    """The report's log shift from the belief mean that maximises expected pay.

    First-order condition (decreasing in ``delta``, so one root):

    .. math::

        f(\\delta) = -\\kappa\\delta - c_r + H (1/2 - \\Phi(\\delta / s)) = 0

    ``kappa`` the lying aversion, ``c_r`` the ratchet's marginal cost of a higher commit,
    ``H`` the median pull of the Gonik schedule and the forecast-accuracy pay, ``s`` the
    belief sd. ``H = 0``: ``delta = -c_r / kappa`` (closed form). Otherwise Newton's method
    from ``delta = 0``: ``f`` is concave for ``delta < 0`` and convex for ``delta > 0`` and
    the root lies between 0 and ``-c_r / kappa``, so the iterates approach it monotonically
    from 0 without overshooting. Safeguard: a bracket ``[lo, hi]`` (initially ``[min(0,
    -c_r/kappa), max(0, -c_r/kappa)]``) is narrowed by the sign of ``f`` at each iterate, and
    a Newton step that would leave it is replaced by the bracket's midpoint. Stops when a
    step moves ``delta`` by at most :data:`SHIFT_TOL` (at most :data:`SHIFT_MAX_ITER` steps).
    The numba kernel runs the same iteration per element, so both stop at the same step.
    The result is clipped to ``[-SHIFT_BOUND, SHIFT_BOUND]`` (:data:`SHIFT_BOUND`).

    Examples
    --------
    >>> round(float(solve_shift(0.05, 0.0025, 0.0, 0.1)), 12)
    -0.05
    >>> abs(float(solve_shift(0.05, 0.0025, 0.1, 0.1))) < 0.01
    True
    """
    c_r, h, s = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (c_r, h, s)))
    a = -c_r / kappa
    lo = np.minimum(0.0, a)
    hi = np.maximum(0.0, a)
    safe_s = np.where(s > 0, s, 1.0)
    d = np.zeros_like(a)
    active = h > 0
    for _ in range(SHIFT_MAX_ITER):
        if not active.any():
            break
        x = d / safe_s
        f = (-kappa * d - c_r) + h * (0.5 - norm_cdf(x))
        g = -kappa - (h / safe_s) * (_INV_SQRT2PI * _exp(-0.5 * (x * x)))
        up = f > 0.0
        lo = np.where(active & up, d, lo)
        hi = np.where(active & ~up, d, hi)
        new = d - f / g
        new = np.where((new >= lo) & (new <= hi), new, 0.5 * (lo + hi))
        done = np.abs(new - d) <= SHIFT_TOL
        d = np.where(active, new, d)
        active = active & ~done
    return np.clip(np.where(h > 0, d, a), -SHIFT_BOUND, SHIFT_BOUND)


def optimism(commit_bias, s2_f, s2, w, shift_sq):
    """The CAM's belief optimism ``b = commit_bias + ((1 - w) s_f^2 + w s^2) / 2 - delta_sq``.

    Set so that the status quo's report (``delta = delta_sq``) lies, in expectation under the
    model, ``commit_bias`` above the company's forecast mean on the log scale (so the world's
    fitted ``commit_bias`` is reproduced): the belief mean averages ``(1 - w) mu_f + w
    E[log y]`` with ``mu_f = log m_hat - s_f^2 / 2`` and ``E[log y] = log m_hat - s^2 / 2``
    (``s^2 = log(1 + v / m^2)``, the model's own log variance of the quarter).
    """
    return commit_bias + 0.5 * ((1.0 - w) * s2_f + w * s2) - shift_sq


def commit_log(m0, b, shift, shift_sq, sd, z):
    """Log commit ``(m0 + b + delta_sq) + (delta - delta_sq) + sd z``: the belief mean
    ``m0 + b`` (:func:`belief`, :func:`optimism`), the plan's report shift ``delta`` and
    report noise (written so that the status quo's ``delta = delta_sq`` cancels exactly)."""
    return (m0 + (b + shift_sq)) + (shift - shift_sq) + sd * z
