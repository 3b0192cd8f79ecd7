"""State-space territory dynamics inside ChannelModel (``territory_dynamics="statespace"``).

The model's amount likelihood against a brute-force dense Gaussian integral of the rows on a
tiny book, the dense marginal against the Kalman filter and its gradient against finite
differences, the world's forward paths against their exact moments, and (ci tier) one small
fit (two chains of 40 draws): posterior, world, forecast, save / load, and the simulator's
refusal.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from channelsim.model._ss_marginal import (
    dense_loglik,
    dense_loglik_grad,
    structural_moments,
)
from channelsim.model._statespace import kalman_loglik_np, structural_model
from channelsim.world import TerritoryStateSpace

SS_FIT = {
    "draws": 40,
    "tune": 80,
    "chains": 2,
    "target_accept": 0.9,
    "progressbar": False,
    "territory_dynamics": "statespace",
}


# --------------------------------------------------------------------------- maths
@pytest.mark.parametrize("n_season,n_steps", [(4, 10), (12, 20), (0, 8)])
def test_dense_marginal_equals_kalman_filter(n_season, n_steps):
    rng = np.random.default_rng(n_season)
    y = rng.normal(size=(3, n_steps))
    W = rng.uniform(0.0, 30.0, size=(3, n_steps))
    W[rng.random(W.shape) < 0.3] = 0.0
    for phi, sl, sb, sd, l0 in [(0.9, 0.05, 0.01, 0.02, 0.0), (1.0, 0.2, 0.0, 0.1, 1.5)]:
        kw = dict(trend_mean=0.01, level0_mean=0.2, level0_sd=l0, trend0_sd=0.03, season0_sd=0.1)
        kal = kalman_loglik_np(y, W, structural_model(phi, sl, sb, sd, n_season, **kw))
        mu, cov = structural_moments(phi, sl, sb, sd, n_season, n_steps, **kw)
        np.testing.assert_allclose(dense_loglik(y, W, mu, cov), kal, atol=1e-9)


def test_dense_marginal_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    T, N = 3, 9
    y = rng.normal(size=(T, N))
    W = rng.uniform(1.0, 20.0, size=(T, N))
    W[0, 2:5] = 0.0
    obs = W > 0
    mu, cov = structural_moments(0.8, 0.1, 0.02, 0.05, 4, N, trend0_sd=0.05, season0_sd=0.2)
    ll, g_y, g_W, g_mu, g_cov = dense_loglik_grad(y, W, mu, cov, obs)
    assert np.isclose(ll, dense_loglik(y, W, mu, cov).sum(), rtol=1e-12)
    h = 1e-6

    def f(**kw):
        args = {"ybar": y, "W": W, "mu": mu, "cov": cov, **kw}
        return dense_loglik(args["ybar"], args["W"], args["mu"], args["cov"], observed=obs).sum()

    for name, base, grad in (("ybar", y, g_y), ("W", W, g_W), ("mu", mu, g_mu)):
        for idx in [(1, 3), (2, 8), (0, 1)] if base.ndim == 2 else [(0,), (4,), (8,)]:
            e = np.zeros_like(base)
            e[idx] = h
            fd = (f(**{name: base + e}) - f(**{name: base - e})) / (2 * h)
            assert np.isclose(grad[idx], fd, rtol=1e-5, atol=1e-7), (name, idx)
    e = np.zeros_like(cov)
    e[2, 5] = e[5, 2] = h  # a symmetric perturbation moves two entries
    fd = (f(cov=cov + e) - f(cov=cov - e)) / (2 * h)
    assert np.isclose(g_cov[2, 5] + g_cov[5, 2], fd, rtol=1e-5, atol=1e-7)
    assert np.all(g_W[~obs] == 0.0)


def _graph_var(potential, name):
    from pytensor.graph.traversal import ancestors

    for v in ancestors([potential]):
        if v.name == name:
            return v
    raise AssertionError(f"{name} not in the graph")


def test_model_amount_density_equals_dense_row_integral(model_book):
    """The fitted model's amount term == brute-force dense integral of the rows, to 1e-8.

    At four parameter points (the initial point and three random moves in the unconstrained
    space), the Potential (cell constant plus state-space marginal) equals the log density
    of all positive rows with the territory states integrated out as one dense Gaussian per
    territory (every row's covariance, ``H Sigma H' + diag(1/prec)``). So the difference is
    constant (zero) in the parameters.
    """
    from channelsim.model import ModelConfig
    from channelsim.model._build import build_sales_model
    from channelsim.model._data import prepare

    cfg = ModelConfig(territory_dynamics="statespace")
    data = prepare(model_book)
    priors = cfg.priors.for_steps(data.steps_per_quarter)
    model = build_sales_model(data, priors, cfg.statespace_priors.for_steps(data.steps_per_quarter))
    pot = next(p for p in model.potentials if p.name == "log_amount_marginal")
    outs = [pot, *(_graph_var(pot, n) for n in ("ss_resid", "ss_prec", "ss_mu", "ss_cov"))]
    fn = model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")
    ip = model.initial_point()
    rng = np.random.default_rng(0)
    from channelsim.model._build import statespace_rows

    o = statespace_rows(data)
    t, j = data.amt_t[o], data.amt_j[o]
    diffs = []
    for k in range(4):
        point = {
            n: v + (0.3 * rng.standard_normal(np.shape(v)) if k else 0.0) for n, v in ip.items()
        }
        value, resid, prec, mu, cov = fn(point)
        dense = 0.0
        for tt in range(data.T):
            rows = t == tt
            H = np.zeros((rows.sum(), data.N))
            H[np.arange(rows.sum()), j[rows]] = 1.0
            C = H @ cov @ H.T + np.diag(1.0 / prec[rows])
            dense += multivariate_normal(H @ mu, C).logpdf(resid[rows])
        diffs.append(float(value) - dense)
    np.testing.assert_allclose(diffs, 0.0, atol=1e-8)


def test_world_paths_match_their_moments():
    """Monte Carlo mean / variance of 4,000 forward paths vs the exact Gaussian moments.

    Tolerance: means within 5 standard errors, variances within 5 standard errors of a
    sample variance (``v sqrt(2 / n)``).
    """
    D, T, k = 4000, 2, 5
    rng = np.random.default_rng(9)
    state = np.tile(rng.normal(0, 0.1, size=(1, T, k)), (D, 1, 1))
    dyn = TerritoryStateSpace(
        np.full(D, 0.8), np.full(D, 0.05), np.full(D, 0.01), np.full(D, 0.03),
        np.full(D, 0.005), state, 4,
    )  # fmt: skip
    x = dyn.paths(6, seed=3, paths=np.arange(D), draw=np.arange(D))
    mean, var = dyn.moments(state, np.arange(D), 6)
    z = (x.mean(0) - mean[0]) / np.sqrt(var[0] / D)
    assert np.abs(z).max() < 5.0
    zv = (x.var(0) - var[0]) / (var[0] * np.sqrt(2.0 / D))
    assert np.abs(zv).max() < 5.0
    # the same seed gives the same paths whatever other paths run beside them
    x2 = dyn.paths(6, seed=3, paths=np.arange(5, 9), draw=np.arange(5, 9))
    np.testing.assert_array_equal(x2, x[5:9])


def test_forecast_of_a_statespace_world_scales_the_zero_state_run():
    """A deterministic state (scales zero): forecast sales = the same world without time
    dynamics times ``exp(level + delta)`` of the hand-propagated state, per territory-step."""
    from dataclasses import replace

    from channelsim.datasets import draw_world
    from channelsim.forecast import simulate_paths

    base = draw_world(3, 20, seed=4)
    base = base.without_ar1_time()
    D, T = base.n_draws, base.n_territories
    state = np.zeros((D, T, 13))
    state[:, :, 0] = [0.1, -0.2, 0.3]  # level
    state[:, :, 1] = 0.02  # trend
    state[:, :, 2:] = np.linspace(-0.1, 0.1, 11)  # seasonal deviations
    dyn = TerritoryStateSpace(
        np.full(D, 0.5), np.zeros(D), np.zeros(D), np.zeros(D), np.full(D, 0.01), state, 12
    )
    world = replace(base, time_dynamics=dyn)
    a = simulate_paths(world, 5, seed=2, draws=3)
    b = simulate_paths(base, 5, seed=2, draws=3)
    level, trend, dev = 0.0 + state[0, :, 0], state[0, :, 1], list(state[0, 0, 2:])
    x = np.empty((T, 5))
    for jj in range(5):
        level = level + trend
        trend = 0.5 * trend + 0.5 * 0.01
        dev = [-sum(dev), *dev[:-1]]
        x[:, jj] = level + dev[0]
    expect = b.sales * np.exp(x[world.partner_territory])[None]
    np.testing.assert_allclose(a.sales, expect, rtol=1e-12)
    assert a.backend.endswith("statespace")


def test_generate_and_expected_sales_refuse_a_statespace_world():
    """The numpy spec runs the AR(1) time state only: a state-space world is refused with a
    message naming the field and the way out, never run silently without its state."""
    from dataclasses import replace

    from channelsim.datasets import draw_world
    from channelsim.world import WorldError, expected_sales, generate, initial_state

    base = draw_world(2, 10, seed=4)
    base = base.without_ar1_time()
    D, T = base.n_draws, base.n_territories
    dyn = TerritoryStateSpace(
        np.full(D, 0.5), np.zeros(D), np.zeros(D), np.zeros(D), np.zeros(D),
        np.zeros((D, T, 13)), 12,
    )  # fmt: skip
    world = replace(base, time_dynamics=dyn)
    with pytest.raises(WorldError, match=r"world\.generate .*time_dynamics"):
        generate(world, 3, seed=1)
    cal = world.calendar(3)
    with pytest.raises(WorldError, match=r"world\.expected_sales .*time_dynamics"):
        expected_sales(world, initial_state(base), (cal.m, cal.season))
    assert generate(base, 3, seed=1).sales.shape[2] == 3  # the same world without it runs


def test_ar1_config_hash_is_unchanged_by_the_new_settings():
    from channelsim.model import ModelConfig
    from channelsim.provenance import json_hash

    cfg = ModelConfig(draws=10)
    d = cfg.model_dump(mode="json")
    old = {
        k: v
        for k, v in d.items()
        if k not in ("progressbar", "cores", "territory_dynamics", "statespace_priors")
    }
    assert cfg.config_hash() == json_hash(old)
    ss = ModelConfig(draws=10, territory_dynamics="statespace")
    assert ss.config_hash() != cfg.config_hash()
    assert ModelConfig.from_json(ss.to_json()) == ss


# --------------------------------------------------------------------------- one fit
# The tests of a fitted state-space model are in the ci tier: their fit compiles a second
# model graph (about a minute on two idle cores), which the default suite cannot afford.
@pytest.fixture(scope="module")
def ss_model(model_book, tmp_path_factory, worker_id):
    """The one state-space fit of the run: the first xdist worker to ask fits it and saves
    it under the run's shared temporary folder (holding a file lock); the others load it."""
    from filelock import FileLock

    from channelsim.model import ChannelModel, DiagnosticsWarning
    from tests._fixtures_model import run_folder

    folder = run_folder(tmp_path_factory, worker_id)
    path = folder / "ss_fit" / "ss.nc"
    with FileLock(str(folder / "ss_fit.lock")):
        if path.is_file():
            return ChannelModel.load(path, config=ChannelModel(**SS_FIT).config)
        model = ChannelModel(**SS_FIT)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DiagnosticsWarning)
            model.fit(model_book, random_seed=5)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
    return model


@pytest.mark.ci
def test_statespace_fit_posterior(ss_model, model_book):
    post = ss_model.idata.posterior
    T, N = len(model_book.territory_ids), len(model_book.periods)
    for name in ("phi", "sigma_level", "sigma_trend", "sigma_season", "sd_season_terr"):
        assert post[name].dims == ("chain", "draw") and np.all(post[name].values >= 0)
    assert np.all((post["phi"].values > 0) & (post["phi"].values < 1))
    assert post["eta"].shape[2:] == (T, N)
    assert post["ss_state"].shape[2:] == (T, 13)
    assert "rho" not in post and "trend" not in post
    # the smoothed time state is observed: level + delta of the stored last state
    np.testing.assert_allclose(
        post["eta"].values[..., -1],
        post["ss_state"].values[..., 0] + post["ss_state"].values[..., 2],
        atol=1e-12,
    )
    assert np.all(np.isfinite(post["commit_sd"].values))
    assert "phi" in ss_model.summary().index


@pytest.mark.ci
def test_statespace_world_forecast_and_refusal(ss_model):
    from channelsim.forecast import forecast
    from channelsim.simulate import SimulationError, simulate

    world = ss_model.to_world(draws=10, extra_territories={"NEW": 5.0})
    assert world.time_dynamics is not None and world.time_dynamics.state.shape[:2] == (10, 4)
    assert np.all(world.trend == 0) and np.all(world.eta_last == 0)
    fc = forecast(ss_model, 4, seed=3, draws=10)
    again = forecast(ss_model, 4, seed=3, draws=10)
    np.testing.assert_array_equal(fc.partner_sales, again.partner_sales)
    assert np.isfinite(fc.to_frame()["mean"]).all() and fc.partner_sales.max() > 0
    with pytest.raises(SimulationError, match="state-space territory dynamics"):
        simulate(world, ["gonik"], n_paths=2, n_steps=3)


@pytest.mark.ci
def test_statespace_save_load_round_trip(ss_model, tmp_path):
    from channelsim.forecast import forecast
    from channelsim.model import ChannelModel

    path = ss_model.save(tmp_path / "ss.nc")
    back = ChannelModel.load(path, config=ss_model.config)
    assert back.config.territory_dynamics == "statespace"
    a = forecast(ss_model, 3, seed=1, draws=6).partner_sales
    b = forecast(back, 3, seed=1, draws=6).partner_sales
    np.testing.assert_allclose(a, b, rtol=1e-12)
    ppc = back.ppc(draws=20)
    assert np.isfinite(ppc["mean"]).all()


@pytest.mark.ci
def test_statespace_newer_actuals_carry_the_state(ss_model):
    from channelsim.forecast import forecast, world_from_newer_actuals
    from tests._fixtures_forecast import newer_actuals

    newer = newer_actuals(ss_model, 2, seed=4)
    w = world_from_newer_actuals(ss_model, newer, draws=4, seed=1)
    before = ss_model.to_world(4, include_exited=True)
    assert w.time_dynamics is not None
    assert w.origin_step == before.origin_step + 2
    # carried two steps by its own law: the trend follows phi, the state moved
    assert not np.allclose(w.time_dynamics.state, before.time_dynamics.state)
    assert np.isfinite(forecast(w, 2, seed=3).to_frame()["mean"]).all()


def test_world_time_dynamics_validation_lists_every_problem():
    from dataclasses import replace

    from channelsim.datasets import draw_world
    from channelsim.world import WorldError

    w = draw_world(2, 6, seed=1)
    D = w.n_draws
    bad = TerritoryStateSpace(
        np.full(D, 1.5), np.full(D, -0.1), np.zeros(D), np.zeros(D), np.zeros(D),
        np.zeros((D, 2, 5)), 4,
    )  # fmt: skip
    with pytest.raises(WorldError) as err:
        replace(w, time_dynamics=bad)
    msg = str(err.value)
    assert "n_season is 4, the world has 12" in msg
    assert "time_dynamics.state: expected shape" in msg
    assert "must have zero trend, rho, sigma_eta, eta_last" in msg
    ok = TerritoryStateSpace.zeros(D, 2, 12)
    zeroed = replace(
        w,
        trend=0 * w.trend,
        rho=0 * w.rho,
        sigma_eta=0 * w.sigma_eta,
        eta_last=0 * w.eta_last,
        time_dynamics=ok,
    )
    assert zeroed.select_draws([0, 0]).time_dynamics.state.shape == (2, 2, 13)


def test_prior_book_with_statespace_dynamics():
    from channelsim.model import make_prior_book

    book, world, truth = make_prior_book(2, 10, 14, seed=3, territory_dynamics="statespace")
    assert len(book.periods) == 14
    for name in ("phi", "sigma_level", "sigma_trend", "sigma_season", "sd_season_terr"):
        assert np.isfinite(truth[name]) and truth[name] >= 0
    assert "rho" not in truth and np.all(world.rho == 0)
    assert book.quarters is None or "commit" not in book.quarters.columns
    with pytest.raises(ValueError, match="territory_dynamics"):
        make_prior_book(2, 10, 14, seed=3, territory_dynamics="ar2")
