"""State-space territory dynamics: the Kalman filter against brute-force Gaussian integrals.

Exactness checks on a tiny book (3 territories, 12-24 steps, cells without sales), the
PyTensor filter against the numpy one, gradients against finite differences, the simulation
smoother's draws against the exact conditional, and a recovery check of the scales by MAP.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from channelsim.model._statespace import (
    StateSpace,
    cell_statistics,
    cell_statistics_pt,
    kalman_loglik_np,
    kalman_loglik_pt,
    simulate_states,
    simulation_smoother,
    structural_model,
)

N_TERR = 3


def _tiny_rows(n_steps: int, seed: int):
    """Rows with 0-3 sales per cell (a quarter of cells empty, one territory-step run empty)."""
    rng = np.random.default_rng(seed)
    counts = rng.choice([0, 1, 2, 3], size=(N_TERR, n_steps), p=[0.25, 0.25, 0.25, 0.25])
    counts[1, 4:7] = 0  # a gap of three steps without sales
    terr, step = np.nonzero(counts)
    reps = counts[terr, step]
    terr, step = np.repeat(terr, reps), np.repeat(step, reps)
    resid = rng.normal(0.2, 0.5, size=terr.size) + 0.03 * step
    prec = 1.0 / rng.choice([0.5, 0.7, 1.1], size=terr.size) ** 2  # sigma_stage by stage
    return resid, prec, terr, step


def _dense_prior(ss: StateSpace, n_steps: int, t: int):
    """Mean and covariance of all states of territory ``t`` (stacked by step), built directly."""
    k = ss.Z.shape[0]

    def pick(a, core):
        a = np.asarray(a, float)
        return a[t] if a.ndim > core else a

    T, c, RQR, a0, P0 = (
        pick(ss.T, 2),
        pick(ss.c, 1),
        pick(ss.RQR, 2),
        pick(ss.a0, 1),
        pick(ss.P0, 2),
    )
    means, var = [a0], [P0]
    for _ in range(n_steps - 1):
        means.append(T @ means[-1] + c)
        var.append(T @ var[-1] @ T.T + RQR)
    cov = np.zeros((n_steps * k, n_steps * k))
    for j in range(n_steps):
        block = var[j]
        for i in range(j, n_steps):
            cov[i * k : (i + 1) * k, j * k : (j + 1) * k] = block
            cov[j * k : (j + 1) * k, i * k : (i + 1) * k] = block.T
            block = T @ block
    return np.concatenate(means), cov


def _dense_row_logpdf(ss, resid, prec, terr, step, n_steps):
    """Exact log density of all rows with the states integrated out, by one dense Gaussian."""
    k = ss.Z.shape[0]
    total = 0.0
    for t in range(N_TERR):
        mu, cov = _dense_prior(ss, n_steps, t)
        rows = terr == t
        H = np.zeros((rows.sum(), n_steps * k))
        for r, m in enumerate(step[rows]):
            H[r, m * k : (m + 1) * k] = ss.Z
        C = H @ cov @ H.T + np.diag(1.0 / prec[rows])
        total += multivariate_normal(H @ mu, C).logpdf(resid[rows])
    return total


PARAMS = [  # (phi, sigma_level, sigma_trend, sigma_season, trend_mean)
    (0.9, 0.05, 0.01, 0.02, 0.01),
    (1.0, 0.2, 0.03, 0.0, 0.0),
    (0.5, 0.01, 0.05, 0.1, -0.02),
]


@pytest.mark.parametrize("n_season,n_steps", [(4, 12), (12, 24)])
def test_filter_equals_dense_integral(n_season, n_steps):
    """Filter + sufficiency constant == dense row integral to 1e-8, for every parameter set."""
    resid, prec, terr, step = _tiny_rows(n_steps, seed=n_season)
    ybar, W, const = cell_statistics(resid, prec, terr, step, N_TERR, n_steps)
    assert (W == 0).sum() >= 4  # the book has cells without sales
    diffs = []
    for phi, sl, sb, sd, tm in PARAMS:
        ss = structural_model(
            phi, sl, sb, sd, n_season, trend_mean=tm, level0_mean=0.1, level0_sd=2.0
        )
        filt = const + kalman_loglik_np(ybar, W, ss).sum()
        dense = _dense_row_logpdf(ss, resid, prec, terr, step, n_steps)
        diffs.append(filt - dense)
    np.testing.assert_allclose(diffs, 0.0, atol=1e-8)


def test_reduced_density_offset_is_constant_in_parameters():
    """Against the dense density of the cell means, the filter differs by a parameter-free constant."""
    n_steps = 12
    resid, prec, terr, step = _tiny_rows(n_steps, seed=3)
    ybar, W, _ = cell_statistics(resid, prec, terr, step, N_TERR, n_steps)
    offsets = []
    for phi, sl, sb, sd, tm in PARAMS:
        ss = structural_model(phi, sl, sb, sd, 4, trend_mean=tm)
        k = ss.Z.shape[0]
        dense = 0.0
        for t in range(N_TERR):
            mu, cov = _dense_prior(ss, n_steps, t)
            obs = np.nonzero(W[t] > 0)[0]
            H = np.zeros((obs.size, n_steps * k))
            for r, m in enumerate(obs):
                H[r, m * k : (m + 1) * k] = ss.Z
            C = H @ cov @ H.T + np.diag(1.0 / W[t, obs])
            dense += multivariate_normal(H @ mu, C).logpdf(ybar[t, obs])
        offsets.append(kalman_loglik_np(ybar, W, ss).sum() - dense)
    np.testing.assert_allclose(np.ptp(offsets), 0.0, atol=1e-8)
    pos = W > 0
    np.testing.assert_allclose(offsets[0], -0.5 * np.sum(np.log(W[pos] / (2 * np.pi))), atol=1e-8)


def test_zero_precision_steps_carry_nothing():
    ss = structural_model(0.9, 0.05, 0.01, 0.02, 4)
    rng = np.random.default_rng(5)
    y = rng.normal(size=(N_TERR, 10))
    W = rng.uniform(5, 50, size=(N_TERR, 10))
    W[0] = 0.0  # a territory without any sale
    W[1, 2:5] = 0.0
    ll = kalman_loglik_np(y, W, ss)
    assert ll[0] == 0.0
    y2 = y.copy()
    y2[W == 0] = 1e6  # values where W = 0 must not matter
    np.testing.assert_array_equal(kalman_loglik_np(y2, W, ss), ll)
    # dropping the empty steps 2-4 changes the result (the state still moves across them)
    assert not np.isclose(ll[1], kalman_loglik_np(y[1:2, [0, 1, 5]], W[1:2, [0, 1, 5]], ss)[0])


def test_bad_input_names_every_problem():
    ss = structural_model(0.9, 0.05, 0.01, 0.02, 4)
    with pytest.raises(ValueError, match=r"negative precisions") as err:
        kalman_loglik_np(np.zeros((2, 5)), -np.ones((2, 5)), ss)
    with pytest.raises(ValueError, match=r"not finite in 1 cells"):
        kalman_loglik_np(np.array([[np.nan, 0.0]]), np.ones((1, 2)), ss)
    with pytest.raises(ValueError, match=r"last \(step\) dims differ"):
        kalman_loglik_np(np.zeros((2, 5)), np.ones((2, 4)), ss)
    with pytest.raises(ValueError, match=r"phi must be in \(0, 1\]; sigma_trend") as err:
        structural_model(1.2, 0.05, -0.01, 0.02, 4)
    with pytest.raises(ValueError, match=r"prec must be .*; step outside 0..2") as err:
        cell_statistics([1.0, 2.0], [1.0, 0.0], [0, 0], [0, 3], 1, 3)
    assert "cell_statistics" in str(err.value)


def _pt_model(n_terr, n_season):
    import pytensor.tensor as pt

    theta = pt.dvector("theta")  # phi, log sigma_level, log sigma_trend, log sigma_season, b_bar
    sl = pt.exp(theta[1]) * (1.0 + 0.1 * np.arange(n_terr))  # per-territory scale
    ss = structural_model(
        theta[0], sl, pt.exp(theta[2]), pt.exp(theta[3]), n_season, trend_mean=theta[4]
    )
    return theta, ss


def test_pytensor_filter_equals_numpy_and_gradient_matches_fd():
    import pytensor
    import pytensor.tensor as pt

    n_steps = 12
    resid, prec, terr, step = _tiny_rows(n_steps, seed=7)
    theta, ss_pt = _pt_model(N_TERR, 4)
    r_shift = pt.dscalar("r_shift")  # a row-level parameter, like a stage effect
    ybar, W, const = cell_statistics_pt(resid - r_shift, prec, terr, step, N_TERR, n_steps)
    logp = const + kalman_loglik_pt(ybar, W, ss_pt).sum()
    f = pytensor.function([theta, r_shift], logp)
    g = pytensor.function([theta, r_shift], pt.grad(logp, [theta, r_shift]))

    th0 = np.array([0.85, np.log(0.05), np.log(0.01), np.log(0.03), 0.01])
    ss_np = structural_model(
        th0[0],
        np.exp(th0[1]) * (1.0 + 0.1 * np.arange(N_TERR)),
        np.exp(th0[2]),
        np.exp(th0[3]),
        4,
        trend_mean=th0[4],
    )
    yb, Wn, cn = cell_statistics(resid - 0.1, prec, terr, step, N_TERR, n_steps)
    np.testing.assert_allclose(f(th0, 0.1), cn + kalman_loglik_np(yb, Wn, ss_np).sum(), rtol=1e-12)

    grad_th, grad_r = g(th0, 0.1)
    h = 1e-6
    fd = np.array([(f(th0 + h * e, 0.1) - f(th0 - h * e, 0.1)) / (2 * h) for e in np.eye(5)])
    np.testing.assert_allclose(grad_th, fd, rtol=1e-5, atol=1e-6)
    fd_r = (f(th0, 0.1 + h) - f(th0, 0.1 - h)) / (2 * h)
    np.testing.assert_allclose(grad_r, fd_r, rtol=1e-5, atol=1e-6)


def test_smoother_draws_match_exact_conditional():
    """Monte Carlo mean and covariance of 4,000 smoother paths vs the dense conditional.

    Tolerance: every mean within 5 Monte Carlo standard errors, every covariance entry
    within 5.5 standard errors of a sample covariance, ``sqrt((S_ii S_jj + S_ij^2) / N)``.
    """
    n_steps, n_draws = 12, 4000
    resid, prec, terr, step = _tiny_rows(n_steps, seed=11)
    ybar, W, _ = cell_statistics(resid, prec, terr, step, N_TERR, n_steps)
    ss = structural_model(0.8, 0.08, 0.02, 0.05, 4, trend_mean=0.01, level0_sd=1.5)
    draws = simulation_smoother(
        np.broadcast_to(ybar, (n_draws, *ybar.shape)),
        np.broadcast_to(W, (n_draws, *W.shape)),
        ss,
        np.random.default_rng(2024),
        chunk=1000,
    )
    k = ss.Z.shape[0]
    assert draws.shape == (n_draws, N_TERR, n_steps, k)
    for t in range(N_TERR):
        mu, cov = _dense_prior(ss, n_steps, t)
        rows = terr == t  # condition on the rows themselves: also checks sufficiency
        H = np.zeros((rows.sum(), n_steps * k))
        for r, m in enumerate(step[rows]):
            H[r, m * k : (m + 1) * k] = ss.Z
        C = H @ cov @ H.T + np.diag(1.0 / prec[rows])
        gain = np.linalg.solve(C, H @ cov).T
        cmean = mu + gain @ (resid[rows] - H @ mu)
        ccov = cov - gain @ H @ cov
        x = draws[:, t].reshape(n_draws, -1)
        sd = np.sqrt(np.diag(ccov))
        z_mean = (x.mean(0) - cmean) / (sd / np.sqrt(n_draws))
        assert np.abs(z_mean).max() < 5.0
        se_cov = np.sqrt((np.outer(sd**2, sd**2) + ccov**2) / n_draws)
        z_cov = (np.cov(x.T) - ccov) / se_cov
        assert np.abs(z_cov).max() < 5.5


def test_smoother_batches_over_draws_with_their_own_parameters():
    """A (draw,) batch of parameters: each draw's path follows its own model."""
    rng = np.random.default_rng(3)
    n_steps = 8
    y = rng.normal(size=(N_TERR, n_steps))
    W = np.full((N_TERR, n_steps), 1e8)  # nearly exact observations
    sl = np.array([0.01, 0.5])[:, None]  # (draw, territory) via broadcasting
    ss = structural_model(1.0, sl, 0.01, 0.0, 0, level0_sd=5.0)
    out = simulation_smoother(np.broadcast_to(y, (2, *y.shape)), W, ss, rng)
    assert out.shape == (2, N_TERR, n_steps, 2)
    np.testing.assert_allclose(out @ ss.Z, np.broadcast_to(y, (2, *y.shape)), atol=1e-3)


# --------------------------------------------------------------------------- recovery


def _simulated_book(seed=0):
    """Partner-free sufficient statistics drawn from the state-space process itself."""
    truth = dict(phi=0.95, sigma_level=0.04, sigma_trend=0.01, sigma_season=0.02)
    n_terr, n_steps, n_season = 12, 60, 4
    rng = np.random.default_rng(seed)
    shared = np.array([0.1, -0.05, -0.15, 0.1])
    ss = structural_model(
        truth["phi"],
        truth["sigma_level"],
        truth["sigma_trend"],
        truth["sigma_season"],
        n_season,
        trend_mean=0.005,
        level0_sd=0.5,
        season0_sd=0.05,
    )
    states = simulate_states(ss, n_steps, rng, (n_terr,))
    x = states @ ss.Z + shared[np.arange(n_steps) % n_season]
    n_rows = rng.poisson(50, size=(n_terr, n_steps)) * (rng.random((n_terr, n_steps)) > 0.1)
    W = n_rows / 0.7**2
    ybar = np.where(W > 0, x + rng.standard_normal(x.shape) / np.sqrt(np.where(W > 0, W, 1)), 0)
    # the data see shared + the territories' mean deviation in each season slot
    slot = np.arange(n_steps) % n_season
    mean_dev = np.array([states[:, slot == j, 2].mean() for j in range(n_season)])
    return truth, shared + mean_dev - mean_dev.mean(), ybar, W, n_season


@pytest.mark.slow
def test_map_recovers_state_scales():
    """MAP (``pm.find_MAP``) of the marginal posterior, states integrated out by the filter.

    12 territories x 60 quarters, about 50 sales a cell, 10% of cells empty, territory
    seasonal deviations of scale 0.05. Tolerance: each disturbance scale within a factor 2 of
    the truth (one book's MAP scatters: seed 0 gives 0.040 / 0.0101 / 0.018 for level / trend
    / seasonal against 0.04 / 0.01 / 0.02, seed 1 gives 0.024 / 0.011 / 0.019), ``phi`` within 0.1, the shared seasonal pattern within 0.03 of what the
    data identify (the true pattern plus the territories' mean deviation). With a strongly
    damped trend (``phi = 0.85``) and 20 sales a cell the trend scale is not identified
    (its MAP fell to the boundary), so this book uses ``phi = 0.95``.

    """
    import pymc as pm

    truth, identified, ybar, W, n_season = _simulated_book()
    n_steps = ybar.shape[1]
    with pm.Model():
        phi = pm.Beta("phi", 8, 2)
        scales = {n: pm.HalfNormal(n, 0.1) for n in ("sigma_level", "sigma_trend", "sigma_season")}
        season = pm.ZeroSumNormal("season", 0.2, shape=n_season)
        trend_mean = pm.Normal("trend_mean", 0, 0.02)
        ss = structural_model(
            phi,
            scales["sigma_level"],
            scales["sigma_trend"],
            scales["sigma_season"],
            n_season,
            trend_mean=trend_mean,
            level0_sd=0.5,
            season0_sd=0.05,
        )
        y_adj = ybar - season[np.arange(n_steps) % n_season]
        pm.Potential("territory_states", kalman_loglik_pt(y_adj, W, ss).sum())
        est = pm.find_MAP(progressbar=False, seed=1)
    print({n: float(np.asarray(est[n]).round(4)) for n in (*truth, "trend_mean")})
    for name in ("sigma_level", "sigma_trend", "sigma_season"):
        assert abs(np.log(est[name] / truth[name])) < np.log(2.0), (name, est[name])
    assert abs(est["phi"] - truth["phi"]) < 0.1
    np.testing.assert_allclose(est["season"], identified, atol=0.03)
