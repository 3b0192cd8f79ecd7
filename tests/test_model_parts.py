"""The model's parts without MCMC: sufficient statistics, exact reparameterisation, commits,
one-stage books, prior worlds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from channelsim.model._data import allowed_moves, prepare


def test_allowed_moves_follow_the_world():
    from channelsim._vocab import STAGES
    from channelsim.datasets import _move_logits

    frm, to = allowed_moves(STAGES)
    base = _move_logits({s: (0.1, 0.1, 0.1) for s in STAGES}, 3, True)
    off_diag = (base > 0) & ~np.eye(len(STAGES) + 1, dtype=bool)
    off_diag[-1] = False
    assert set(zip(frm.tolist(), to.tolist(), strict=True)) == set(
        zip(*np.nonzero(off_diag), strict=True)
    )
    assert allowed_moves(("active",))[0].tolist() == [0]


def test_prepare_sufficient_statistics(model_book):
    d = prepare(model_book)
    states = model_book.states()
    S = len(model_book.stage_names)
    present = (states >= 0) & (states < S)
    assert d.cell_n.sum() == present.sum()
    sales = model_book.sales_matrix()
    assert d.cell_k.sum() == int((sales[present] > 0).sum()) == d.amt_logy.size
    pairs = present[:, :-1] & (states[:, 1:] >= 0)
    assert d.stay_counts.sum() + d.move_counts.sum() + d.moves_dropped == pairs.sum()
    first = np.argmax(states >= 0, axis=1)
    assert d.recruits.sum() == int((first > 0).sum())
    assert np.all(np.diff(d.amt_s) >= 0)  # sorted by stage
    assert d.commit_t.size > 0 and np.all(d.commit_j >= 1)


def test_skipped_stage_counts_as_advance():
    import pandas as pd

    from channelsim.data import load_book

    panel = pd.DataFrame(
        {
            "partner": ["a"] * 3 + ["b"] * 3,
            "territory": ["T"] * 6,
            "period": ["2024-01", "2024-02", "2024-03"] * 2,
            "stage": ["onboarding", "active", "active", "dormant", "productive", "enabled"],
            "sales": [0.0, 10.0, 12.0, 0.0, 20.0, 5.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_book(
            panel, territories=pd.DataFrame({"territory": ["T"], "target_partners": [3]})
        )
    d = prepare(book)
    moves = dict(
        zip(
            zip(d.move_from.tolist(), d.move_to.tolist(), strict=True),
            d.move_counts[0].tolist(),
            strict=False,
        )
    )
    assert moves[(0, 1)] == 1  # onboarding -> active counts as onboarding -> enabled
    assert moves[(5, 2)] == 1  # dormant -> productive counts as reactivation to active
    assert d.moves_dropped == 1  # productive -> enabled is a demotion
    assert d.stay_counts[0, 2] == 1


@pytest.mark.parametrize("eta_centred", [False, True])
def test_reparameterisation_is_exact(model_book, monkeypatch, eta_centred):
    """World parameters from sampled variables reproduce the sampler's amount means.

    The sampler's mean leaves out what it integrates out: the territory trends' deviations
    from ``trend_mu`` and the shocks' GLS slopes. The centred shock is checked with the
    non-centred prior draws mapped to their paths.
    """
    import pymc as pm
    import pytensor

    import channelsim.model._build as build_mod
    import channelsim.model._posterior as post_mod
    from channelsim.model._build import ar1_slope, build_sales_model
    from channelsim.model._data import centring
    from channelsim.model._posterior import ar1_factor_np, sales_world_draws
    from channelsim.model._priors import Priors

    d = prepare(model_book)
    pri = Priors().for_steps(3)
    model = build_sales_model(d, pri)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(draws=30, model=model, random_seed=1).prior
    names = [v.name for v in model.free_RVs]
    raw = {n: prior[n].values.reshape(30, *prior[n].shape[2:]) for n in names}
    if eta_centred:
        rho = 2.0 * raw["rho_raw"] - 1.0
        L = ar1_factor_np(rho, raw["sigma_eta"], d.N)
        raw["eta_y"] = np.einsum("dtk,dmk->dtm", raw.pop("eta_z"), L)

        def forced(data):
            return {**centring(data), "eta": True}

        monkeypatch.setattr(build_mod, "centring", forced)
        monkeypatch.setattr(post_mod, "centring", forced)
        model = build_sales_model(d, pri)
        names = [v.name for v in model.free_RVs]
        assert "eta_y" in names
    par = sales_world_draws(raw, d, pri, np.random.default_rng(0))
    c = (d.N - 1) / 2.0
    slope = np.stack(
        [
            par["eta"][k] @ ar1_slope(par["rho"][k], par["sigma_eta"][k], d.N)[0].eval()
            for k in range(5)
        ]
    )  # (5, T): the drawn slopes
    world_mu = (
        par["a_stage"][:, d.amt_s]
        + par["a_terr"][:, d.amt_t]
        + par["a_terr_stage"][:, d.amt_t, d.amt_s]
        + par["kappa"][:, d.amt_p]
        + par["eta"][:, d.amt_t, d.amt_j]
        + par["season"][:, d.season[d.amt_j]]
        + par["trend"][:, d.amt_t] * d.amt_j
    )[:5]
    integrated = (par["trend"][:5, d.amt_t] - par["trend_mu"][:5, None]) * d.amt_j + slope[
        :, d.amt_t
    ] * (d.amt_j - c)
    # the sampler's mean of the log amounts, evaluated on the same sampled variables
    mu_var = model["log_amount"].owner.inputs[2]
    rvs = [model[n] for n in names]
    f = pytensor.function(rvs, mu_var, on_unused_input="ignore")
    for k in range(5):
        sampler_mu = f(*[raw[n][k] for n in names])
        np.testing.assert_allclose(world_mu[k] - integrated[k], sampler_mu, rtol=1e-9, atol=1e-9)


def test_commit_stage_recovers_bias_and_noise():
    from channelsim.model._commits import draw_commit_params

    rng = np.random.default_rng(4)
    le = np.log(1e5) + 0.01 * rng.standard_normal((300, 1))
    lc = np.log(1e5) + 0.1 + 0.25 * rng.standard_normal(400)
    b, s = draw_commit_params(
        np.repeat(le, 400, axis=1), lc, {"commit_bias_sd": 0.3, "commit_sd_scale": 0.5}, rng
    )
    assert abs(np.median(b) - 0.1) < 0.05 and abs(np.median(s) - 0.25) < 0.03
    b0, s0 = draw_commit_params(
        np.zeros((1000, 0)), np.zeros(0), {"commit_bias_sd": 0.3, "commit_sd_scale": 0.5}, rng
    )
    assert abs(b0.std() - 0.3) < 0.05 and np.all(s0 >= 0)


def test_commit_stage_integrates_first_stage_uncertainty():
    """An uncertain expectation is not read as CAM noise (the plug-in per draw would give
    sqrt(0.1^2 + 2 * 0.15^2) = 0.24 here)."""
    from channelsim.model._commits import draw_commit_params

    rng = np.random.default_rng(5)
    Q, D = 300, 2000
    truth = rng.normal(11.0, 1.0, Q)
    centre = truth + 0.15 * rng.standard_normal(Q)  # a calibrated first-stage posterior
    le = centre[None, :] + 0.15 * rng.standard_normal((D, Q))
    lc = truth + 0.1 + 0.1 * rng.standard_normal(Q)
    b, s = draw_commit_params(le, lc, {"commit_bias_sd": 0.3, "commit_sd_scale": 0.5}, rng)
    assert abs(np.median(s) - 0.1) < 0.04, np.median(s)
    assert abs(np.median(b) - 0.1) < 0.05, np.median(b)
    assert np.quantile(s, 0.99) < 0.18  # far from the plug-in's 0.24


def test_expected_for_commits_matches_world(model_book, model_truth):
    """With the true parameters, the commit stage's expectation is the world's own."""
    from channelsim.model._commits import expected_for_commits
    from channelsim.world import generate

    d = prepare(model_book)
    w = model_truth
    run = generate(w, len(model_book.periods), seed=7)
    par = {
        k: getattr(w, k)
        for k in (
            "a_stage",
            "a_terr",
            "a_terr_stage",
            "sigma_stage",
            "h_stage",
            "h_terr",
            "h_cap",
            "sd_kappa",
            "season",
            "trend",
            "rho",
            "sigma_eta",
            "trans",
            "recruit_rate",
        )
    }
    # book partners in id order: origin partners keep their ids, recruits are numbered
    order = [list(w.partner_ids).index(p) if p in w.partner_ids else None for p in d.partner_ids]
    assert all(o is not None for o in order[: w.n_partners])
    kappa = np.zeros((1, d.P))
    kappa[0, : w.n_partners] = w.kappa[0]
    slots = np.flatnonzero((run.state[0, w.n_partners :] >= 0).any(1)) + w.n_partners
    kappa[0, w.n_partners :] = run.kappa[0, slots]
    par.update(kappa=kappa, eta=run.eta)
    le = expected_for_commits(par, d)
    q = run.calendar.quarter[d.commit_j]
    np.testing.assert_allclose(le[0], np.log(run.expected[0, d.commit_t, q]), rtol=1e-9)


def test_one_stage_book_builds_and_fits_approximately():
    from channelsim.datasets import make_book
    from channelsim.model import ChannelModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book, _ = make_book(2, 15, 8, seed=4, has_stages=False)
    d = prepare(book)
    assert d.S == 1 and d.M == 1 and d.move_counts.shape == (2, 1)
    m = ChannelModel(progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = m.fit_approx(book, method="advi", draws=50, n=300, random_seed=2)
    assert idata.posterior.sizes["chain"] == 1
    w = m.to_world(draws=10)
    assert w.stage_names == ("active",) and w.trans.shape[-1] == 2
    with pytest.raises(ValueError, match="advi"):
        m.fit_approx(book, method="laplace")


def test_prior_world_and_book():
    from channelsim.model import draw_prior_world, make_prior_book
    from channelsim.model._sbc import chi2_uniformity, sbc_ranks

    w, truth = draw_prior_world(2, 12, seed=3)
    w.validate()
    assert truth["a_stage"].shape == (6,) and abs(truth["season"].sum()) < 1e-12
    book, world, truth = make_prior_book(2, 12, 8, seed=3)
    assert len(book.periods) == 8 and world.n_territories == 2
    import xarray as xr

    post = xr.Dataset({"rho": (("chain", "draw"), np.linspace(-1, 1, 200).reshape(2, 100))})
    r = sbc_ranks(post, {"rho": 0.0}, n_draws=99)
    assert 40 <= r["rho"][0] <= 60
    assert chi2_uniformity(np.arange(100), 99) > 0.5


def test_quarterly_book_builds_with_quarterly_priors():
    from channelsim.datasets import make_book
    from channelsim.model._build import build_lifecycle_model, build_sales_model
    from channelsim.model._priors import Priors

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book, _ = make_book(2, 15, 8, "Q", seed=6)
    d = prepare(book)
    assert d.steps_per_quarter == 1 and d.n_seasons == 4
    assert np.all(d.commit_j >= 1)
    pri = Priors().for_steps(1)
    assert pri["move_logit_mean"] > Priors().for_steps(3)["move_logit_mean"]
    for build in (build_sales_model, build_lifecycle_model):
        model = build(d, pri)
        logp = model.compile_logp()(model.initial_point())
        assert np.isfinite(logp)


def test_ar1_logp_and_gls_slope():
    """The centred shock's AR(1) density is exact, and its GLS level and slope are
    uncorrelated with each other and with the rest of the path."""
    from scipy import stats

    from channelsim.model._build import ar1_level, ar1_logp, ar1_slope
    from channelsim.model._posterior import ar1_slope_np

    n = 7
    rng = np.random.default_rng(3)
    y = rng.standard_normal((2, n)) * 0.3
    m = np.arange(n)
    c = m - (n - 1) / 2
    diffs = []
    for rho, sig in ((0.6, 0.12), (-0.3, 0.5), (0.9, 0.05)):
        cov = sig**2 / (1 - rho**2) * rho ** np.abs(m[:, None] - m[None, :])
        exact = stats.multivariate_normal(np.zeros(n), cov).logpdf(y).sum()
        diffs.append(exact - ar1_logp(y, rho, sig, n).eval())
        w, _ = ar1_level(rho, sig, n)
        w1, v1 = (x.eval() for x in ar1_slope(rho, sig, n))
        np.testing.assert_allclose(w1 @ c, 1.0)  # a pure slope is recovered
        np.testing.assert_allclose(w1 @ np.ones(n), 0.0, atol=1e-12)
        np.testing.assert_allclose(w1 @ cov @ w1, v1, rtol=1e-12)
        np.testing.assert_allclose(w @ cov @ w1, 0.0, atol=1e-12)
        # residual r = (I - 1 w' - c w1') eta is independent of (level, slope)
        proj = np.eye(n) - np.outer(np.ones(n), w) - np.outer(c, w1)
        np.testing.assert_allclose(proj @ cov @ np.c_[w, w1], 0.0, atol=1e-12)
        w1n, v1n = ar1_slope_np(np.array([rho]), np.array([sig]), n)
        np.testing.assert_allclose(w1n[0], w1, rtol=1e-12)
        np.testing.assert_allclose(v1n[0], v1, rtol=1e-12)
    # constant (2 pi) terms only
    np.testing.assert_allclose(diffs, -n * np.log(2 * np.pi), rtol=1e-8)


def test_slope_integral_matches_numerical_integration():
    """The 2-d Gaussian integral over (trend deviation, shock slope) and its conditional."""
    from scipy import stats
    from scipy.integrate import trapezoid

    from channelsim.model._posterior import slope_integral

    rng = np.random.default_rng(8)
    j = np.arange(12.0)
    c = 5.5
    r = 0.3 * rng.standard_normal(12) + 0.02 * j
    w = np.full(12, 1 / 0.4**2)
    m = {f"m{k}": np.array([(w * j**k).sum()]) for k in range(3)}
    r0, r1 = np.array([(w * r).sum()]), np.array([(w * r * j).sum()])
    ve, vb = 0.01**2, 0.015**2
    quad, det, (me, _), _ = slope_integral(m, r0, r1, ve, vb, c)

    # brute force on a fine grid (+-8 prior sds; the integrand is smooth, so the trapezoid
    # rule is accurate far beyond the tolerance)
    e = np.linspace(-0.08, 0.08, 801)[:, None, None]
    bb = np.linspace(-0.12, 0.12, 801)[None, :, None]
    fit = e * j + bb * (j - c)
    lik = np.exp(-0.5 * (w * ((r - fit) ** 2 - r**2)).sum(axis=-1))  # ratio to e = b = 0
    dens = lik * stats.norm(0, 0.01).pdf(e[:, :, 0]) * stats.norm(0, 0.015).pdf(bb[:, :, 0])
    num = trapezoid(trapezoid(dens, bb[0, :, 0], axis=1), e[:, 0, 0])
    mean_e = trapezoid(trapezoid(dens * e[:, :, 0], bb[0, :, 0], axis=1), e[:, 0, 0])
    np.testing.assert_allclose(0.5 * quad - 0.5 * np.log(det), np.log(num), rtol=1e-6)
    np.testing.assert_allclose(me, mean_e / num, rtol=1e-5)
    # zero trend variance: the trend deviation is exactly zero, everything stays finite
    quad0, _, (me0, _), (k110, _, k220) = slope_integral(m, r0, r1, 0.0, vb, c)
    assert me0 == 0.0 and k110 == 0.0 and np.isfinite(quad0) and k220 > 0
