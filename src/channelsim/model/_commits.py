"""Second stage: CAM commit bias and noise, given the first stage's posterior draws.

``log commit[t, q] = log expected_sales + commit_bias + commit_sd * z`` (DESIGN.md section
3), where ``expected_sales`` is the world's closed form from the state during the step before
the quarter. The expectation depends on every sales, transition and recruiting parameter, so
a joint fit would need the closed form differentiated inside the sampler; instead the commit
parameters are fitted in a second stage: ``expected_sales`` is computed with each first-stage
draw's parameters, and ``(commit_bias, commit_sd)`` is drawn from

``p(bias, sd | sales, commits) ∝ p(bias, sd) ∫ p(commits | E, bias, sd) p(E | sales) dE``,

the first stage's uncertainty about the expectations ``E`` integrated out under a normal
approximation of ``log E`` (mean and covariance over the draws). That is the exact marginal
posterior of the commit parameters in the joint model (up to the normal approximation); only
the other direction is cut: the sales parameters keep their posterior given the sales
alone. Plugging each draw's expectation in as if exact (a plain "cut" per draw) reads the
first stage's uncertainty as CAM noise and biases ``commit_sd`` upwards; simulation-based
calibration showed it on small books.

Why commits do not feed back into the sales parameters: commits are a few dozen
territory-quarters of a CAM's judgement. In a joint model a CAM's optimism or sandbagging
could bend the estimates of partner sales; the cut keeps sales estimated from sales. Commits
carry little information about sales parameters anyway (one number per territory-quarter
against thousands of partner-steps).

The integral has a closed form in the eigenbasis of the covariance ``V`` of ``log E``:
``r = log commit - mean(log E) ~ N(bias 1, V + sd^2 I)``; with ``bias ~ N(0, sb)`` integrated
out analytically, ``p(sd | r)`` (prior ``HN(ss)``) is drawn on a fine grid by inverse CDF,
then ``bias | sd, r`` is normal.

Depends on numpy and :mod:`channelsim.world` (never PyMC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelsim.calendar import season_index
from channelsim.model._data import ModelData
from channelsim.world import TerritoryStateSpace, World, expected_sales

__all__ = ["draw_commit_params", "expected_for_commits", "world_for_expectation"]


def world_for_expectation(par: dict, data: ModelData) -> World:
    """A :class:`World` over the book's partners holding the draws in ``par``.

    State and calendar fields are placeholders: callers pass the state explicitly to
    :func:`~channelsim.world.expected_sales`.
    """
    D = par["a_stage"].shape[0]
    T = data.T
    zero = np.zeros(D)
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
        trend=par.get("trend", np.zeros((D, T))),
        rho=par.get("rho", zero),
        sigma_eta=par.get("sigma_eta", zero),
        trans=par["trans"],
        recruit_rate=par["recruit_rate"],
        commit_bias=par.get("commit_bias", np.zeros(D)),
        commit_sd=par.get("commit_sd", np.ones(D)),
        partner_territory=np.zeros(data.P, dtype=np.int64),
        partner_state=np.zeros(data.P, dtype=np.int64),
        eta_last=par["eta"][:, :, -1] if "rho" in par else np.zeros((D, T)),
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
    D = par["a_stage"].shape[0]
    Q = data.commit_t.size
    out = np.empty((D, Q))
    if Q == 0:
        return out
    if "phi" in par:
        return _expected_statespace(par, data, out, max_bytes)
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
            state = _draw_state(
                st[alive], par["kappa"][d][:, alive], terr, par["eta"][d, :, j - 1], d
            )
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
    """Draw ``(commit_bias, commit_sd)`` from their posterior, the first stage integrated out.

    The first stage's draws of ``log expected_sales`` are summarised by their mean ``m`` and
    covariance ``V`` over the commit rows (a normal approximation to their posterior). Then
    ``r = log commit - m ~ N(bias 1, V + sd^2 I)``, and with ``bias ~ N(0, sb)`` integrated
    out analytically (in the eigenbasis of ``V``), ``sd`` is drawn on a fine grid by inverse
    CDF, each draw's bias from its normal conditional. The draws do not depend on which
    first-stage draw they are stored with.

    Parameters
    ----------
    log_expected : (D, Q)
        ``log expected_sales`` per first-stage draw and commit row.
    log_commit : (Q,)
    priors : dict
        Uses ``commit_bias_sd`` and ``commit_sd_scale``.
    rng : numpy.random.Generator
    n_grid : int
        Grid points for ``commit_sd``.

    Returns
    -------
    bias, sd : (D,) arrays
        Prior draws when there is no commit.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> le = 0.05 * rng.standard_normal((500, 1)) + np.zeros((500, 200))
    >>> lc = 0.1 + 0.2 * rng.standard_normal(200)
    >>> b, s = draw_commit_params(le, lc, {"commit_bias_sd": 0.3, "commit_sd_scale": 0.5}, rng)
    >>> bool(abs(b.mean() - 0.1) < 0.06), bool(abs(s.mean() - 0.2) < 0.03)
    (True, True)
    """
    sb = float(priors["commit_bias_sd"])
    ss = float(priors["commit_sd_scale"])
    D, Q = log_expected.shape
    if Q == 0:
        return sb * rng.standard_normal(D), np.abs(ss * rng.standard_normal(D))
    m = log_expected.mean(axis=0)
    V = np.cov(log_expected, rowvar=False).reshape(Q, Q) if D > 1 else np.zeros((Q, Q))
    lam, U = np.linalg.eigh(V)
    lam = np.maximum(lam, 0.0)
    rt = U.T @ (log_commit - m)
    ot = U.sum(axis=0)  # U' 1

    def terms(g2: np.ndarray):
        dvar = lam[None, :] + g2[:, None]  # (G, Q) eigenvalues of V + sd^2 I
        prec = (ot**2 / dvar).sum(axis=1) + 1.0 / sb**2
        lin = (ot * rt / dvar).sum(axis=1)
        return dvar, prec, lin

    upper = max(6.0 * ss, 6.0 * float(np.sqrt(np.mean(rt**2))))
    grid = np.linspace(upper / n_grid, upper, n_grid)
    g2 = grid**2
    dvar, prec, lin = terms(g2)
    logp = (
        -0.5 * g2 / ss**2
        - 0.5 * np.log(dvar).sum(axis=1)
        - 0.5 * (rt**2 / dvar).sum(axis=1)
        + 0.5 * lin**2 / prec
        - 0.5 * np.log(prec)
    )
    p = np.exp(logp - logp.max())
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    k = np.minimum(np.searchsorted(cdf, rng.uniform(size=D)), n_grid - 1)
    step = grid[1] - grid[0]
    sd = np.maximum(grid[k] - step * rng.uniform(size=D), step * 1e-3)  # uniform within a cell
    _, prec_d, lin_d = terms(sd**2)
    bias = lin_d / prec_d + rng.standard_normal(D) / np.sqrt(prec_d)
    return bias, sd


def _draw_state(states, kappa, territory, eta, draws) -> dict:
    """The :func:`~channelsim.world.expected_sales` state of the partners alive at a quarter's
    start, for the posterior draws ``draws`` (their states shared by every draw)."""
    return {
        "state": np.broadcast_to(states, (draws.size, states.size)),
        "kappa": kappa,
        "territory": territory,
        "eta": eta,
        "draw": draws,
    }


def _expected_statespace(par: dict, data: ModelData, out: np.ndarray, max_bytes: float):
    """``log expected_sales`` of each commit row for a state-space fit (exact in the state).

    The time state enters only the amounts, shared by a territory's partners: a quarter's
    expectation is ``sum_l M_l E[exp(x_l)]``, with ``M_l`` the expectation of step ``l`` with
    the time state at zero (differences of :func:`~channelsim.world.expected_sales` over the
    first ``l + 1`` steps of the quarter) and ``E[exp(x_l)] = exp(m_l + v_l / 2)`` the
    log-normal moment of the state's Gaussian prediction from the draw's smoothed state
    during the step before the quarter (:meth:`~channelsim.world.TerritoryStateSpace.moments`).
    """
    D = out.shape[0]
    world = world_for_expectation(par, data)
    dyn = TerritoryStateSpace(
        par["phi"],
        par["sigma_level"],
        par["sigma_trend"],
        par["sigma_season"],
        par["trend_mu"],
        par["ss_state"],
        data.n_seasons,
    )
    spq = data.steps_per_quarter
    S = data.S
    steps_kept = list(np.asarray(par["ss_alpha_steps"]))
    for j in np.unique(data.commit_j):
        rows = np.flatnonzero(data.commit_j == j)
        st = data.states[:, j - 1].astype(np.int64)
        alive = np.flatnonzero((st >= 0) & (st < S))
        terr = data.territory[alive, j - 1]
        periods = pd.period_range(data.periods[j], periods=spq, freq=data.periods.freq)
        m_all, s_all = np.arange(j, j + spq), season_index(periods, spq)
        chunk = max(1, int(max_bytes // max(1, alive.size * spq * (S + 1) * 8 * 4)))
        alpha = par["ss_alpha"][:, :, steps_kept.index(j - 1), :]
        for lo in range(0, D, chunk):
            d = np.arange(lo, min(D, lo + chunk))
            state = _draw_state(
                st[alive], par["kappa"][d][:, alive], terr, np.zeros((d.size, data.T)), d
            )
            cum = [
                expected_sales(world, state, (m_all[: l + 1], s_all[: l + 1]), variance=False)
                for l in range(spq)
            ]
            M = np.diff(np.stack([np.zeros_like(cum[0]), *cum], axis=-1), axis=-1)  # (d, T, L)
            mean, var = dyn.moments(alpha[d], d, spq)
            e = (M * np.exp(mean + 0.5 * var)).sum(-1)
            out[lo : lo + d.size, rows] = np.log(np.maximum(e[:, data.commit_t[rows]], 1e-300))
    return out
