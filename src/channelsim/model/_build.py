"""The PyMC models: sales (hurdle x log-normal amount) and lifecycle (transitions, recruits).

The posterior factorises: sales parameters, transition parameters and recruiting rates share
no data and no prior, so they are two independent PyMC models sampled separately (each with
its own step size and mass matrix) and their draws are paired by (chain, draw). Commits are a
second stage (:mod:`channelsim.model._commits`).

Sampling parameterisation of the sales model
--------------------------------------------
The world's terms are ``a_stage[s] + a_terr[t] + a_terr_stage[t, s] + kappa[p]`` (amount)
and ``h_stage[s] + h_terr[t] + h_cap kappa[p]`` (hurdle). Their sums are what the data
identify; the split between a stage level and the mean of the territory effects, or between a
territory effect and the mean capability of its partners, is known only through the priors.
Sampled naively those directions are long, narrow ridges through hundreds of parameters. The
model samples an exactly equivalent parameterisation instead:

* iid normals are split into their mean and a zero-sum part (``x = mean(x) + ZSN``, both
  independent, :class:`pymc.ZeroSumNormal`); the means that the likelihood cannot separate are
  merged (``m_a = mean(a_stage) + mean(A) + mean shock level``, a normal whose variance is the
  sum) and split again after sampling from their exact conditional distribution given the
  merged value (:mod:`channelsim.model._posterior`), so the stored posterior is a draw from
  the posterior of the world's own parameters;
* ``a_terr_stage = territory mean + stage column mean + doubly zero-sum part``; the territory
  mean joins the territory level ``A[t] = a_terr[t] + mean_s a_terr_stage[t, s]``, the column
  mean joins the stage level;
* the territory shock ``eta`` (AR(1), stationary start) enters less its GLS level and its GLS
  slope on centred steps (:func:`ar1_level`, :func:`ar1_slope`); time reversal symmetry
  makes the three parts independent. The level joins the territory level (``B[t] = A[t] +
  level of eta[t]``), the slope is integrated out together with the territory trend (they
  are what the data cannot tell apart: a straight line through a territory's 36 months).
  The path is non-centred (``eta = z @ L.T``, ``L`` the lower-triangular AR(1) factor, no
  scan) when a (territory, step) cell has few sales and centred (the path itself with the
  AR(1) density, :func:`ar1_logp`) when the median cell has 300 or more sales (very dense
  books);
* partner levels ``u[p] = m_a + L[home(p), modal stage(p)] + kappa[p]`` are centred on the
  level of their home territory in their most frequent stage (hierarchical centring: a
  partner has tens of observations), non-centred for partners with fewer than 3 positive
  sales; territory groups are centred or not by how much data they have
  (:func:`channelsim.model._data.centring`);
* per territory, the trend's deviation from ``trend_mu`` and the shock's slope are integrated
  out (a 2-d Gaussian integral, :func:`channelsim.model._posterior.slope_integral`) and drawn
  after sampling from their joint conditional;
* the likelihood uses sufficient statistics: binomial counts per (partner, stage,
  territory) cell for the hurdle and one gather per term for the positive rows.

Imports PyMC; only :mod:`channelsim.model` imports this module.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from channelsim.model._blas import configure_blas
from channelsim.model._data import ModelData, centring
from channelsim.model._posterior import slope_integral, trend_stats

configure_blas()  # before the first graph is compiled (channelsim.model._blas)

__all__ = [
    "SALES_RAW",
    "STATESPACE_RAW",
    "ar1_factor",
    "ar1_level",
    "ar1_logp",
    "ar1_slope",
    "build_lifecycle_model",
    "build_sales_model",
    "statespace_rows",
]

#: Names of the sampled variables of the sales model that are not world parameters (they are
#: transformed into world parameters after sampling and not stored).
SALES_RAW = (
    "m_a",
    "dev_a",
    "B_dev",
    "B_dev_z",
    "dev_ts",
    "dev_ts_z",
    "u",
    "u_z",
    "m_h",
    "dev_h",
    "h_dev",
    "h_dev_z",
    "eta_z",
    "eta_y",
    "trend_mu_z",
    "rho_raw",
)


def _zsn(name: str, sigma, n: int, dims=None, shape=None):
    """A zero-sum normal over the last axis, or zeros when the axis has length 1."""
    if n <= 1:
        return pt.zeros(shape if shape is not None else (n,))
    return pm.ZeroSumNormal(name, sigma=sigma, dims=dims, shape=shape)


def ar1_factor(rho, sigma, n: int):
    """Lower-triangular ``L`` with ``eta = L @ z`` a stationary AR(1) path of length ``n``.

    ``L[m, k] = sigma rho^(m-k)`` for ``1 <= k <= m`` and ``L[m, 0] = sigma rho^m /
    sqrt(1 - rho^2)`` (the stationary start).
    """
    mm = np.arange(n)
    d = mm[:, None] - mm[None, :]
    powers = pt.switch(d >= 0, rho ** np.maximum(d, 0), 0.0)
    col = pt.concatenate([pt.stack([1.0 / pt.sqrt(1.0 - rho**2)]), pt.ones(n - 1)])
    return sigma * powers * col[None, :]


def ar1_level(rho, sigma, n: int):
    """GLS weights ``w`` and variance ``v`` of the level of a stationary AR(1) path.

    For ``eta ~ AR(1)`` of length ``n``, ``s = w @ eta`` (``w = Q 1 / 1'Q1`` with ``Q`` the
    tridiagonal precision) has variance ``v = sigma^2 / ((1 - rho)(2 + (n - 2)(1 - rho)))``
    and ``eta - s`` is independent of ``s``. Works on numpy arrays and PyTensor tensors
    (``rho``, ``sigma`` may carry leading dims; ``w`` gets a trailing ``n`` axis).
    """
    one = 1.0 - rho
    ends = np.zeros(n)
    ends[[0, -1]] = 1.0
    denom = 2.0 + (n - 2) * one
    if getattr(one, "ndim", 0):  # numpy arrays with leading dims
        w = (ends + (1.0 - ends) * one[..., None]) / denom[..., None]
    else:
        w = (ends + (1.0 - ends) * one) / denom
    v = sigma**2 / (one * denom)
    return w, v


def ar1_slope(rho, sigma, n: int):
    """GLS weights ``w1`` and variance ``v1`` of the slope of a stationary AR(1) path.

    With centred steps ``c = m - (n - 1) / 2``, ``b = w1 @ eta`` (``w1 = Q c / c'Qc``, ``Q``
    the tridiagonal precision) is the GLS slope of ``eta`` on ``c``, with variance ``v1 =
    sigma^2 / c'Q~c`` (``Q~ = sigma^2 Q``). ``Q`` is symmetric under reversing time, so ``1'Qc
    = 0``: the slope is independent of the GLS level (:func:`ar1_level`), and ``eta - level -
    b c`` is independent of both. Works on PyTensor scalars.
    """
    c = np.arange(n) - (n - 1) / 2.0
    qc = pt.concatenate(
        [
            pt.stack([c[0] - rho * c[1]]),
            (1.0 + rho**2) * c[1:-1] - rho * (c[:-2] + c[2:]),
            pt.stack([c[-1] - rho * c[-2]]),
        ]
    )  # Q~ c
    cqc = pt.sum(c * qc)
    return qc / cqc, sigma**2 / cqc


def ar1_logp(y, rho, sigma, n: int):
    """Log density of stationary AR(1) paths (rows of ``y``, length ``n``), summed over rows.

    ``0.5 log(1 - rho^2) - n log sigma - y'Q~y / (2 sigma^2)`` per row (``Q~`` the
    tridiagonal precision times ``sigma^2``; the ``2 pi`` constant dropped).
    """
    quad = (1.0 - rho**2) * y[:, 0] ** 2 + pt.sum((y[:, 1:] - rho * y[:, :-1]) ** 2, axis=1)
    rows = y.shape[0]
    return rows * (0.5 * pt.log(1.0 - rho**2) - n * pt.log(sigma)) - 0.5 * pt.sum(quad) / sigma**2


def _group(name: str, sigma, n: int, centred: bool, dims, n_zerosum_axes: int = 1, shape=None):
    """A zero-sum group effect, centred (``ZSN(sigma)``) or non-centred (``sigma ZSN(1)``)."""
    if n <= 1:
        return pt.zeros(shape if shape is not None else (n,))
    if centred:
        return pm.ZeroSumNormal(name, sigma=sigma, dims=dims, n_zerosum_axes=n_zerosum_axes)
    z = pm.ZeroSumNormal(f"{name}_z", sigma=1.0, dims=dims, n_zerosum_axes=n_zerosum_axes)
    return sigma * z


def build_sales_model(data: ModelData, priors: dict, statespace: dict | None = None) -> pm.Model:
    """The sales model: hurdle and log-normal amount, with every term of the world.

    Parameters
    ----------
    data : ModelData
    priors : dict
        :meth:`channelsim.model.Priors.for_steps` of the book's step.
    statespace : dict, optional
        :meth:`channelsim.model.StateSpacePriors.for_steps`: the territory time state is the
        state-space form (:func:`_statespace_time`) instead of trend plus AR(1) shock.

    Returns
    -------
    pymc.Model
        Sampled variables (:data:`SALES_RAW` and the world's own ``sd_*``, ``sigma_*``,
        ``season``, ``h_cap``): ``m_a, dev_a`` (merged level and stage deviations),
        ``B_dev`` (territory levels), ``dev_ts`` (territory x stage), ``u`` / ``u_z``
        (partner levels), ``m_h, dev_h, h_dev`` (hurdle), ``trend_mu_z, sd_trend_x`` (``sd_trend = |sd_trend_x|``),
        ``rho_raw, sigma_eta, eta_z`` (or ``eta_y``, centred); names ending ``_z`` are the
        non-centred forms.
        :func:`channelsim.model._posterior.sales_world_draws` maps them to the world's
        parameters.
    """
    S, T, P, N, Z = data.S, data.T, data.P, data.N, data.n_seasons
    coords = {
        "stage": list(data.stage_names),
        "territory": list(data.territory_ids),
        "partner": list(data.partner_ids),
        "season_index": list(range(Z)),
        "step": list(range(N)),
    }
    home = data.home
    lay = centring(data)
    ss = statespace is not None
    with pm.Model(coords=coords) as model:
        # --- time: season, trend, AR(1) shock ----------------------------------------------
        season = pm.ZeroSumNormal("season", sigma=priors["season_sd"], dims="season_index")
        # per-step trends are tiny numbers: sample the mean on the prior's scale
        trend_mu = priors["trend_mu_sd"] * pm.Normal("trend_mu_z", 0.0, 1.0)
        # sd_trend ~ HN(scale) sampled as |x| with x ~ N(0, scale): the trends are integrated
        # out, so the likelihood depends on x^2 only and the posterior of x is smooth through
        # zero, where the log transform of a half-normal would stretch the posterior's mass
        # near zero into a long tail that NUTS crosses slowly
        sd_trend_x = pm.Normal("sd_trend_x", 0.0, priors["trend_sd_scale"])
        if ss:
            v_s = 0.0  # no shock level: the state's level starts at zero (_statespace_time)
        else:
            b = priors["rho_beta"]
            rho_raw = pm.Beta("rho_raw", b, b)
            rho = 2.0 * rho_raw - 1.0
            sigma_eta = pm.HalfNormal("sigma_eta", priors["sigma_eta_scale"])
            w, v_s = ar1_level(rho, sigma_eta, N)
            w1, v_slope = ar1_slope(rho, sigma_eta, N)
            if lay["eta"]:
                # centred (cells with many sales): the path itself, with the AR(1) density
                eta_full = pm.Flat("eta_y", dims=("territory", "step"))
                pm.Potential("eta_prior", ar1_logp(eta_full, rho, sigma_eta, N))
            else:
                eta_z = pm.Normal("eta_z", 0.0, 1.0, dims=("territory", "step"))
                eta_full = eta_z @ ar1_factor(rho, sigma_eta, N).T  # (T, N)
            # the shock less its GLS level and slope (each independent of the rest): the level
            # joins the territory level, the slope the territory trend (integrated out below)
            c_steps = np.arange(N) - (N - 1) / 2.0
            eta_r = eta_full - (eta_full @ w)[:, None] - (eta_full @ w1)[:, None] * c_steps[None, :]

        # --- amount levels --------------------------------------------------------------
        sd_a = priors["a_stage_sd"]
        sd_a_terr = pm.HalfNormal("sd_a_terr", priors["sd_a_terr_scale"])
        sd_ats = pm.HalfNormal("sd_a_terr_stage", priors["sd_a_terr_stage_scale"])
        tau2 = sd_a_terr**2 + sd_ats**2 / S  # var of A[t] = a_terr[t] + mean_s a_terr_stage
        m_a = pm.Normal("m_a", data.amount_location, pt.sqrt(sd_a**2 / S + (tau2 + v_s) / T))
        dev_a = _zsn("dev_a", pt.sqrt(sd_a**2 + sd_ats**2 / T), S, dims="stage")
        B_dev = _group("B_dev", pt.sqrt(tau2 + v_s), T, lay["B_dev"], "territory")
        if S > 1 and T > 1:
            dev_ts = _group("dev_ts", sd_ats, T * S, lay["dev_ts"], ("territory", "stage"), 2)
        else:
            dev_ts = pt.zeros((T, S))
        # cell level L[t, s] (all but the global m_a); partner levels are centred on the level
        # of their home territory in their modal stage
        L = (dev_a[None, :] + dev_ts + B_dev[:, None]).ravel()  # (T*S,)
        home_cell = home * S + data.modal_stage
        sd_kappa = pm.LogNormal(
            "sd_kappa", mu=np.log(priors["sd_kappa_median"]), sigma=priors["sd_kappa_log_sd"]
        )
        cen = np.flatnonzero(lay["u_centred"])
        nc = np.flatnonzero(~lay["u_centred"])
        centre = m_a + L[home_cell]
        u = pt.zeros(P)
        if cen.size:
            u_c = pm.Normal("u", centre[cen], sd_kappa, shape=cen.size)
            u = pt.set_subtensor(u[cen], u_c)
        if nc.size:
            u_z = pm.Normal("u_z", 0.0, 1.0, shape=nc.size)
            u = pt.set_subtensor(u[nc], centre[nc] + sd_kappa * u_z)
        kappa = u - centre
        sigma_stage = pm.LogNormal(
            "sigma_stage",
            mu=np.log(priors["sigma_stage_median"]),
            sigma=priors["sigma_stage_log_sd"],
            dims="stage",
        )

        # --- hurdle ---------------------------------------------------------------------
        sd_h = pm.HalfNormal("sd_h_terr", priors["sd_h_terr_scale"])
        m_h = pm.Normal("m_h", 0.0, pt.sqrt(priors["h_stage_sd"] ** 2 / S + sd_h**2 / T))
        dev_h = _zsn("dev_h", priors["h_stage_sd"], S, dims="stage")
        h_dev = _group("h_dev", sd_h, T, lay["h_dev"], "territory")
        h_cap = pm.Normal("h_cap", 0.0, priors["h_cap_sd"])

        # --- likelihood -------------------------------------------------------------------
        h_cell = (m_h + dev_h)[None, :] + h_dev[:, None]  # (T, S)
        logit = h_cell.ravel()[data.cell_t * S + data.cell_s] + h_cap * kappa[data.cell_p]
        pm.Binomial("hurdle", n=data.cell_n, logit_p=logit, observed=data.cell_k)

        if ss:
            _statespace_time(data, statespace, season, trend_mu, sd_trend_x, L, u, sigma_stage)
            return model
        steps = np.arange(N, dtype=np.float64)
        # (T, N); territory deviations from trend_mu are integrated out below
        g = season[data.season][None, :] + trend_mu * steps[None, :] + eta_r
        row_cell = data.amt_t * S + data.amt_s
        mu = (
            (L[row_cell] - L[home_cell[data.amt_p]])
            + g.ravel()[data.amt_t * N + data.amt_j]
            + u[data.amt_p]
        )
        sig = sigma_stage[data.amt_s]
        pm.Normal("log_amount", mu, sig, observed=data.amt_logy)
        # per territory, the trend's deviation from trend_mu (regressor j, variance sd_trend^2)
        # and the shock's slope (regressor j - c, variance v_slope) integrated out: a 2-d
        # Gaussian integral, exact (slope_integral)
        resid = (data.amt_logy - mu) / sig**2
        r0 = pt.zeros(T)[data.amt_t].inc(resid) if T > 1 else resid.sum()[None]
        r1 = (
            pt.zeros(T)[data.amt_t].inc(resid * data.amt_j)
            if T > 1
            else (resid * data.amt_j).sum()[None]
        )
        prec = 1.0 / sigma_stage[None, :] ** 2
        m = {k: (v * prec).sum(axis=1) for k, v in trend_stats(data).items()}  # (T,)
        quad, det, _, _ = slope_integral(m, r0, r1, sd_trend_x**2, v_slope, (N - 1) / 2.0)
        pm.Potential(
            "trend_marginal",
            pt.sum(0.5 * quad - 0.5 * pt.log(det)),
        )
    return model


#: Sampled variables of the state-space time state (``*_x`` are signed scales, ``|x|``).
STATESPACE_RAW = ("phi", "sigma_level_x", "sigma_trend_x", "sigma_season_x", "sd_season_terr_x")


def statespace_rows(data: ModelData) -> np.ndarray:
    """Order of the positive rows by (territory, step): the cell sums make one pass."""
    return np.argsort(data.amt_t * data.N + data.amt_j, kind="stable")


def _statespace_time(data: ModelData, ssp: dict, season, trend_mu, sd_trend_x, L, u, sigma_stage):
    """The state-space territory time state, integrated out exactly (docs/model.md section 8).

    Per territory ``x[t, m] = level + delta`` (local level, damped trend, seasonal deviation;
    :func:`channelsim.model._ss_marginal.structural_moments`) on top of the shared ``season``.
    The level is zero at step 0 (the territory's level there is its ``B_dev`` / ``a_terr``),
    the trend starts at ``N(trend_mu, sd_trend)``, the seasonal deviation of the first cycle
    is zero-sum normal with scale ``sd_season_terr``: the partial pooling of a territory's
    seasonality toward the shared pattern. Given every other term, the positive rows'
    residuals reduce to per-(territory, step) sufficient statistics
    (:func:`channelsim.model._statespace.cell_statistics_pt`, rows sorted by (territory,
    step)); the exact log density of the rows is their constant plus the Gaussian marginal of
    the cell means (:func:`channelsim.model._ss_marginal.dense_loglik_op`, equal to the
    Kalman filter :func:`~channelsim.model._statespace.kalman_loglik_pt` to rounding: one
    batched Cholesky with its gradient in closed form instead of a scan over steps, about
    1.3 ms per gradient at 12 territories x 36 months against 22 ms for PyTensor's own graph
    of the same Cholesky; docs/model.md section 8).
    """
    from channelsim.model._ss_marginal import dense_loglik_op, structural_moments
    from channelsim.model._statespace import cell_statistics_pt

    S, T, N, Z = data.S, data.T, data.N, data.n_seasons
    phi = pm.Beta("phi", ssp["phi_alpha"], ssp["phi_beta"])
    scale = {
        "sigma_level": ssp["sigma_level_scale"],
        "sigma_trend": ssp["sigma_trend_scale"],
        "sigma_season": ssp["sigma_season_scale"],
        "sd_season_terr": ssp["sd_season_terr_scale"],
    }
    # each scale ~ HN(s) sampled as |x|, x ~ N(0, s): the marginal depends on x^2 only
    sq = {n: pm.Normal(f"{n}_x", 0.0, v) ** 2 for n, v in scale.items()}
    mu_t, cov = structural_moments(
        phi,
        pt.sqrt(sq["sigma_level"]),
        pt.sqrt(sq["sigma_trend"]),
        pt.sqrt(sq["sigma_season"]),
        Z,
        N,
        trend_mean=trend_mu,
        level0_sd=0.0,
        trend0_sd=pt.abs(sd_trend_x),
        season0_sd=pt.sqrt(sq["sd_season_terr"]),
        xp=pt,
    )
    o = statespace_rows(data)
    p, s, t, j = data.amt_p[o], data.amt_s[o], data.amt_t[o], data.amt_j[o]
    home_cell = data.home * S + data.modal_stage
    mu = (L[t * S + s] - L[home_cell[p]]) + season[data.season[j]] + u[p]
    resid = data.amt_logy[o] - mu
    prec = 1.0 / sigma_stage[s] ** 2
    # names for tests that hold the density against a dense integral of the rows
    resid.name, prec.name, mu_t.name, cov.name = "ss_resid", "ss_prec", "ss_mu", "ss_cov"
    ybar, W, const = cell_statistics_pt(resid, prec, t, j, T, N)
    observed = np.bincount(t * N + j, minlength=T * N).reshape(T, N) > 0
    pm.Potential("log_amount_marginal", const + dense_loglik_op(ybar, W, mu_t, cov, observed))


def build_lifecycle_model(data: ModelData, priors: dict) -> pm.Model:
    """Transitions (multinomial logit, stay as reference) and recruiting (Poisson).

    Transitions: for territory ``t`` and from-state ``i``, the move counts over
    ``{stay} + allowed moves(i)`` are multinomial with log-odds against staying
    ``base[move] + sd_trans * z[t, move]`` (territory offsets non-centred, one spread for
    every move). Recruits: the territory's total entrants over ``N - 1`` steps are Poisson
    with mean ``(N - 1) * target_partners[t] * exp(mu_recruit + sd_recruit * z[t])``.

    Parameters
    ----------
    data : ModelData
    priors : dict

    Returns
    -------
    pymc.Model
        Sampled variables ``move_base, sd_trans, trans_z, mu_recruit, sd_recruit,
        recruit_z``.
    """
    S, K, T = data.S, data.K, data.T
    move_names = [
        f"{data.state_names[a]}->{data.state_names[b]}"
        for a, b in zip(data.move_from, data.move_to, strict=True)
    ]
    coords = {"territory": list(data.territory_ids), "move": move_names}
    mask = np.zeros((S, K), dtype=bool)
    mask[np.arange(S), np.arange(S)] = True
    mask[data.move_from, data.move_to] = True
    counts = np.zeros((T, S, K))
    counts[:, np.arange(S), np.arange(S)] = data.stay_counts
    counts[:, data.move_from, data.move_to] = data.move_counts
    with pm.Model(coords=coords) as model:
        base = pm.Normal(
            "move_base", priors["move_logit_mean"], priors["move_logit_sd"], dims="move"
        )
        sd_trans = pm.HalfNormal("sd_trans", priors["sd_trans_scale"])
        z = pm.Normal("trans_z", 0.0, 1.0, dims=("territory", "move"))
        offset = sd_trans * z
        logits = pt.zeros((T, S, K))
        logits = pt.set_subtensor(logits[:, data.move_from, data.move_to], base[None, :] + offset)
        lse = pt.log(pt.sum(pt.exp(logits) * mask[None], axis=-1, keepdims=True))
        pm.Potential("transitions", pt.sum(counts * (logits - lse)))

        mu_r = pm.Normal("mu_recruit", priors["recruit_log_mean"], priors["recruit_log_sd"])
        sd_r = pm.HalfNormal("sd_recruit", priors["sd_recruit_scale"])
        rz = pm.Normal("recruit_z", 0.0, 1.0, dims="territory")
        rate = data.target_partners * pt.exp(mu_r + sd_r * rz)
        pm.Poisson("recruits", mu=data.recruit_exposure * rate, observed=data.recruits)
    return model
