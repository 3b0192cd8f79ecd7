"""Second stage: CAM commit bias and noise, given the first stage's posterior draws.

``log commit[t, q] = log expected_sales + commit_bias + commit_sd * z`` (DESIGN.md section
3), where ``expected_sales`` is the world's closed form from the state during the step before
the quarter. The expectation depends on every sales, transition and recruiting parameter, so
a joint fit would need the closed form differentiated inside the sampler; instead the commit
parameters are fitted in a second stage (a "cut" posterior, modular Bayes): for each
first-stage draw, ``expected_sales`` is computed with that draw's parameters and the draw's
``(commit_bias, commit_sd)`` is drawn exactly from their conditional posterior given the
residuals ``log commit - log expected``.

Why a cut rather than a joint fit: commits are a few dozen territory-quarters of a CAM's
judgement. In a joint model they would feed back into the sales parameters, so a CAM's
optimism or sandbagging could bend the estimates of partner sales; the cut keeps sales
estimated from sales. Commits carry little information about sales parameters anyway (one
number per territory-quarter against thousands of partner-steps), so the cut posterior of the
sales parameters is practically the joint one.

The conditional posterior has a closed form: with ``n`` residuals of mean ``rbar`` and sum
of squares ``SS`` around it, and priors ``bias ~ N(0, sb)``, ``sd ~ HN(ss)``,
``p(sd | r) ∝ HN(sd) sd^-(n-1) exp(-SS / 2 sd^2) N(rbar | 0, sb^2 + sd^2 / n)`` (the bias
integrated out) is drawn on a fine grid by inverse CDF, then ``bias | sd, r`` is normal.

Depends on numpy and :mod:`channelsim.world` (never PyMC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelsim.model._data import ModelData, season_index
from channelsim.world import World, expected_sales

__all__ = ["draw_commit_params", "expected_for_commits", "world_for_expectation"]


def world_for_expectation(par: dict, data: ModelData) -> World:
    """A :class:`World` over the book's partners holding the draws in ``par``.

    State and calendar fields are placeholders: callers pass the state explicitly to
    :func:`~channelsim.world.expected_sales`.
    """
    D = par["rho"].shape[0]
    T = data.T
    return World(
        a_stage=par["a_stage"],
        a_terr=par["a_terr"],
        a_terr_stage=par["a_terr_stage"],
        sigma_stage=par["sigma_stage"],
        h_stage=par["h_stage"],
        h_terr=par["h_terr"],
        h_cap=par["h_cap"],
        sd_kappa=par["sd_kappa"],
        kappa=par["kappa"],
        season=par["season"],
        trend=par["trend"],
        rho=par["rho"],
        sigma_eta=par["sigma_eta"],
        trans=par["trans"],
        recruit_rate=par["recruit_rate"],
        commit_bias=par.get("commit_bias", np.zeros(D)),
        commit_sd=par.get("commit_sd", np.ones(D)),
        partner_territory=np.zeros(data.P, dtype=np.int64),
        partner_state=np.zeros(data.P, dtype=np.int64),
        eta_last=par["eta"][:, :, -1],
        trailing_sales=np.ones((T, 4)),
        target_partners=np.maximum(data.target_partners, 1.0),
        partner_ids=data.partner_ids,
        territory_ids=data.territory_ids,
        stage_names=data.stage_names,
        origin_period=data.periods[-1] + 1,
        steps_per_quarter=data.steps_per_quarter,
        fiscal_year_start_month=data.fiscal_year_start_month,
    )


def expected_for_commits(par: dict, data: ModelData, max_bytes: float = 2e8) -> np.ndarray:
    """``log expected_sales`` (D, Q) for each commit row of ``data``, per draw.

    The state is the book's state during the step before the quarter, with each draw's
    capabilities and shock; chunks of draws bound the memory.
    """
    D = par["rho"].shape[0]
    Q = data.commit_t.size
    out = np.empty((D, Q))
    if Q == 0:
        return out
    world = world_for_expectation(par, data)
    spq = data.steps_per_quarter
    S = data.S
    for j in np.unique(data.commit_j):
        rows = np.flatnonzero(data.commit_j == j)
        st = data.states[:, j - 1].astype(np.int64)
        alive = np.flatnonzero((st >= 0) & (st < S))
        terr = data.territory[alive, j - 1]
        periods = pd.period_range(data.periods[j], periods=spq, freq=data.periods.freq)
        steps = (np.arange(j, j + spq), season_index(periods, spq))
        chunk = max(1, int(max_bytes // max(1, alive.size * spq * (S + 1) * 8 * 4)))
        for lo in range(0, D, chunk):
            d = np.arange(lo, min(D, lo + chunk))
            state = {
                "state": np.broadcast_to(st[alive], (d.size, alive.size)),
                "kappa": par["kappa"][d][:, alive],
                "territory": terr,
                "eta": par["eta"][d, :, j - 1],
                "draw": d,
            }
            mean = expected_sales(world, state, steps, variance=False)  # (d, T)
            out[lo : lo + d.size, rows] = np.log(np.maximum(mean[:, data.commit_t[rows]], 1e-300))
    return out


def draw_commit_params(
    log_expected: np.ndarray,
    log_commit: np.ndarray,
    priors: dict,
    rng: np.random.Generator,
    n_grid: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``(commit_bias, commit_sd)`` for each first-stage draw.

    Parameters
    ----------
    log_expected : (D, Q)
        ``log expected_sales`` per draw and commit row.
    log_commit : (Q,)
    priors : dict
        Uses ``commit_bias_sd`` and ``commit_sd_scale``.
    rng : numpy.random.Generator

    Returns
    -------
    bias, sd : (D,) arrays
        Prior draws when there is no commit.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> le = np.zeros((500, 200))
    >>> lc = 0.1 + 0.2 * rng.standard_normal(200)
    >>> b, s = draw_commit_params(le, lc, {"commit_bias_sd": 0.3, "commit_sd_scale": 0.5}, rng)
    >>> bool(abs(b.mean() - 0.1) < 0.05), bool(abs(s.mean() - 0.2) < 0.03)
    (True, True)
    """
    sb = float(priors["commit_bias_sd"])
    ss = float(priors["commit_sd_scale"])
    D, Q = log_expected.shape
    if Q == 0:
        return sb * rng.standard_normal(D), np.abs(ss * rng.standard_normal(D))
    r = log_commit[None, :] - log_expected
    n = Q
    rbar = r.mean(axis=1)
    SS = ((r - rbar[:, None]) ** 2).sum(axis=1)
    upper = np.maximum(6.0 * ss, 6.0 * np.sqrt((SS / n + rbar**2).max()))
    grid = np.linspace(upper / n_grid, upper, n_grid)  # (G,)
    g2 = grid**2
    var_rbar = sb**2 + g2[None, :] / n
    logp = (
        -0.5 * g2[None, :] / ss**2
        - (n - 1) * np.log(grid)[None, :]
        - SS[:, None] / (2.0 * g2[None, :])
        - 0.5 * np.log(var_rbar)
        - 0.5 * rbar[:, None] ** 2 / var_rbar
    )
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.uniform(size=D)
    k = np.array([np.searchsorted(cdf[i], u[i]) for i in range(D)])
    k = np.minimum(k, n_grid - 1)
    step = grid[1] - grid[0]
    sd = grid[k] - step * rng.uniform(size=D)  # uniform within the grid cell
    sd = np.maximum(sd, step * 1e-3)
    prec = n / sd**2 + 1.0 / sb**2
    mean = (n * rbar / sd**2) / prec
    bias = mean + rng.standard_normal(D) / np.sqrt(prec)
    return bias, sd
