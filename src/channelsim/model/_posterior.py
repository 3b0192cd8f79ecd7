"""From sampled variables to the world's parameters, draw by draw (numpy only).

The sales model samples a reparameterisation (:mod:`channelsim.model._build`): merged means,
zero-sum parts, the shock less its GLS level, territory trends integrated out. Each draw is
mapped back to the world's parameters by drawing the pieces the likelihood cannot separate
from their exact conditional distribution given what it can (Gaussian conditioning of a sum
of independent normals on their total). The result is a draw from the joint posterior of the
world's own parameters.

Depends only on numpy.
"""

from __future__ import annotations

import numpy as np

from channelsim.model._data import ModelData, centring

__all__ = [
    "HYPER_NAMES",
    "amount_log_mean",
    "lifecycle_world_draws",
    "sales_world_draws",
    "slope_integral",
    "transition_matrix",
    "trend_stats",
]

#: Population (hyper-)parameters stored beside the world's parameters; with them unseen
#: territories and partners get draws from the population.
HYPER_NAMES = (
    "sd_a_terr",
    "sd_a_terr_stage",
    "sd_h_terr",
    "trend_mu",
    "sd_trend",
    "move_base",
    "sd_trans",
    "mu_recruit",
    "sd_recruit",
)


def _zsn_noise(rng: np.random.Generator, shape: tuple[int, ...], axes=(-1,)) -> np.ndarray:
    """Standard normal noise with zero sum over ``axes`` (the ZSN(1) distribution)."""
    z = rng.standard_normal(shape)
    for ax in axes:
        z = z - z.mean(axis=ax, keepdims=True)
    return z


def _split_sum(rng, total, variances) -> list[np.ndarray]:
    """Draw independent zero-mean normals with ``variances`` given their sum ``total``.

    ``total`` (D,), each variance (D,) or scalar; returns the components (D,) each.
    """
    v = [np.broadcast_to(np.asarray(x, dtype=np.float64), total.shape) for x in variances]
    V = np.sum(v, axis=0)
    x = [np.sqrt(vi) * rng.standard_normal(total.shape) for vi in v]
    gap = total - np.sum(x, axis=0)
    return [xi + vi / V * gap for xi, vi in zip(x, v, strict=True)]


def _split_zsn(rng, total, var_a, var_b, axes=(-1,)):
    """Split a zero-sum total ``a + b`` (independent ZSN with variances) into ``a``, ``b``."""
    va = np.asarray(var_a, dtype=np.float64)
    vb = np.asarray(var_b, dtype=np.float64)
    extra = (None,) * (total.ndim - va.ndim)
    va, vb = va[(..., *extra)], vb[(..., *extra)]
    f = va / (va + vb)
    a = f * total + np.sqrt(va * (1.0 - f)) * _zsn_noise(rng, total.shape, axes)
    return a, total - a


def ar1_factor_np(rho: np.ndarray, sigma: np.ndarray, n: int) -> np.ndarray:
    """numpy twin of :func:`channelsim.model._build.ar1_factor` for (D,) parameters."""
    mm = np.arange(n)
    d = mm[:, None] - mm[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        powers = np.where(d >= 0, rho[:, None, None] ** np.maximum(d, 0)[None], 0.0)
    col = np.ones((rho.size, n))
    col[:, 0] = 1.0 / np.sqrt(1.0 - rho**2)
    return sigma[:, None, None] * powers * col[:, None, :]


def ar1_level_np(rho: np.ndarray, sigma: np.ndarray, n: int):
    """numpy twin of :func:`channelsim.model._build.ar1_level` for (D,) parameters."""
    one = 1.0 - rho
    ends = np.zeros(n)
    ends[[0, -1]] = 1.0
    denom = 2.0 + (n - 2) * one
    w = (ends[None, :] + (1.0 - ends)[None, :] * one[:, None]) / denom[:, None]
    return w, sigma**2 / (one * denom)


def ar1_slope_np(rho: np.ndarray, sigma: np.ndarray, n: int):
    """numpy twin of :func:`channelsim.model._build.ar1_slope` for (D,) parameters."""
    c = np.arange(n) - (n - 1) / 2.0
    r = rho[:, None]
    qc = np.empty((rho.size, n))
    qc[:, 0] = c[0] - rho * c[1]
    qc[:, 1:-1] = (1.0 + r**2) * c[1:-1] - r * (c[:-2] + c[2:])
    qc[:, -1] = c[-1] - rho * c[-2]
    cqc = qc @ c
    return qc / cqc[:, None], sigma**2 / cqc


def sales_world_draws(
    raw: dict[str, np.ndarray], data: ModelData, priors: dict, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """World parameters from the sales model's sampled variables.

    Parameters
    ----------
    raw : dict
        Sampled variables with the draws flattened on axis 0 (D draws).
    data : ModelData
    priors : dict
        :meth:`Priors.for_steps` of the book.
    rng : numpy.random.Generator
        For the conditional draws.

    Returns
    -------
    dict
        ``a_stage (D, S), a_terr (D, T), a_terr_stage (D, T, S), sigma_stage, h_stage,
        h_terr, h_cap, sd_kappa, kappa (D, P), season, trend, rho, sigma_eta, eta (D, T, N)``
        and the hyper-parameters ``sd_a_terr, sd_a_terr_stage, sd_h_terr, trend_mu,
        sd_trend``.
    """
    S, T, N = data.S, data.T, data.N
    D = raw["m_a"].shape[0]
    lay = centring(data)
    ss = "phi" in raw  # state-space territory dynamics (no AR(1) shock)
    sd_at, sd_ts = raw["sd_a_terr"], raw["sd_a_terr_stage"]
    sd_a = priors["a_stage_sd"]
    tau2 = sd_at**2 + sd_ts**2 / S
    if ss:
        v_s = np.zeros(D)
    else:
        rho = 2.0 * raw["rho_raw"] - 1.0
        sig_eta = raw["sigma_eta"]
        w, v_s = ar1_level_np(rho, sig_eta, N)
    zeros = lambda *shape: np.zeros((D, *shape))  # noqa: E731

    # Stage levels, territory levels, shock levels.
    x_mean, abar, sbar = _split_sum(
        rng, raw["m_a"] - data.amount_location, [sd_a**2 / S, tau2 / T, v_s / T]
    )
    dev_a_total = raw["dev_a"] if S > 1 else zeros(S)
    dev_a, colmean = _split_zsn(rng, dev_a_total, np.full(D, sd_a**2), sd_ts**2 / T)
    a_stage = data.amount_location + x_mean[:, None] + dev_a
    B_dev = _group_draws(raw, "B_dev", np.sqrt(tau2 + v_s), lay["B_dev"], (T,), T > 1)
    A_dev, s_dev = _split_zsn(rng, B_dev, tau2, v_s)
    A = abar[:, None] + A_dev
    g = (sd_at**2 / tau2)[:, None]
    a_terr = g * A + np.sqrt(sd_at**2 * (sd_ts**2 / S) / tau2)[:, None] * rng.standard_normal(
        (D, T)
    )
    mb = A - a_terr
    dev_ts = _group_draws(raw, "dev_ts", sd_ts, lay["dev_ts"], (T, S), S > 1 and T > 1)
    a_terr_stage = mb[:, :, None] + colmean[:, None, :] + dev_ts
    if not ss:
        s_level = sbar[:, None] + s_dev
        if lay["eta"]:
            eta_full = raw["eta_y"]
        else:
            L = ar1_factor_np(rho, sig_eta, N)  # (D, N, N)
            eta_full = np.einsum("dtk,dmk->dtm", raw["eta_z"], L)
        w1, _ = ar1_slope_np(rho, sig_eta, N)
        c_steps = np.arange(N) - (N - 1) / 2.0
        eta_r = (
            eta_full
            - np.einsum("dtm,dm->dt", eta_full, w)[:, :, None]
            - np.einsum("dtm,dm->dt", eta_full, w1)[:, :, None] * c_steps
        )
        # the shock's slope is added by _draw_trend, which draws it with the trend
        eta = s_level[:, :, None] + eta_r
    L = dev_a_total[:, None, :] + dev_ts + B_dev[:, :, None]  # (D, T, S) sampled cell levels
    centre = raw["m_a"][:, None] + L[:, data.home, data.modal_stage]
    u = np.empty((D, data.P))
    cen = lay["u_centred"]
    if cen.any():
        u[:, cen] = raw["u"]
    if (~cen).any():
        u[:, ~cen] = centre[:, ~cen] + raw["sd_kappa"][:, None] * raw["u_z"]
    kappa = u - centre

    # Hurdle.
    sd_h = raw["sd_h_terr"]
    xh, hbar = _split_sum(rng, raw["m_h"], [np.full(D, priors["h_stage_sd"] ** 2 / S), sd_h**2 / T])
    h_stage = xh[:, None] + (raw["dev_h"] if S > 1 else zeros(S))
    h_terr = hbar[:, None] + _group_draws(raw, "h_dev", sd_h, lay["h_dev"], (T,), T > 1)

    out = {
        "a_stage": a_stage,
        "a_terr": a_terr,
        "a_terr_stage": a_terr_stage,
        "sigma_stage": raw["sigma_stage"],
        "h_stage": h_stage,
        "h_terr": h_terr,
        "h_cap": raw["h_cap"],
        "sd_kappa": raw["sd_kappa"],
        "kappa": kappa,
        "season": raw["season"],
        "sd_a_terr": sd_at,
        "sd_a_terr_stage": sd_ts,
        "sd_h_terr": sd_h,
        "sd_trend": np.abs(raw["sd_trend_x"]),
    }
    out["trend_mu"] = priors["trend_mu_sd"] * raw["trend_mu_z"]
    if ss:
        from channelsim.model._ss_posterior import smooth_states, statespace_scales

        out.update(statespace_scales(raw))
        out.update(smooth_states(out, data, rng))
        return out
    out.update({"rho": rho, "sigma_eta": sig_eta, "eta": eta})
    out["trend"] = _draw_trend(out, data, rng)
    return out


def _group_draws(raw, name, sigma, centred: bool, shape, present: bool) -> np.ndarray:
    """A group effect's draws from its centred or non-centred sampled variable."""
    D = next(iter(raw.values())).shape[0]
    if not present:
        return np.zeros((D, *shape))
    if centred:
        return raw[name]
    sig = np.asarray(sigma, dtype=np.float64).reshape(D, *([1] * len(shape)))
    return sig * raw[f"{name}_z"]


def trend_stats(data: ModelData) -> dict[str, np.ndarray]:
    """Sums of ``j^k`` (``k = 0, 1, 2``, ``j`` the step index) over the positive rows, per
    territory and stage: ``m0``, ``m1``, ``m2`` (T, S)."""
    out = {}
    j = data.amt_j.astype(np.float64)
    for k in range(3):
        m = np.zeros((data.T, data.S))
        np.add.at(m, (data.amt_t, data.amt_s), j**k)
        out[f"m{k}"] = m
    return out


def amount_log_mean(par: dict, data: ModelData, sl, p, j, s, t, trend_term) -> np.ndarray:
    """The world's mean of log amounts (DESIGN.md section 3) of rows ``(p, j, s, t)``
    (partner, step, stage, territory) for the draws ``sl`` of ``par``; ``trend_term`` is the
    trend's contribution, broadcastable to (draws, rows)."""
    return (
        par["a_stage"][sl][:, s]
        + par["a_terr"][sl][:, t]
        + par["a_terr_stage"][sl][:, t, s]
        + par["kappa"][sl][:, p]
        + par["season"][sl][:, data.season[j]]
        + trend_term
        + par["eta"][sl][:, t, j]
    )


def slope_integral(m: dict, r0, r1, v_trend, v_slope, c: float):
    """Integrate out, per territory, a trend deviation ``e`` and a shock slope ``b``.

    The rows of territory ``t`` carry ``e j + b (j - c)`` with ``e ~ N(0, v_trend)``, ``b ~
    N(0, v_slope)`` independent. With weighted sums over the rows (weights ``1 / sigma^2``)
    ``m["m0"], m["m1"], m["m2"]`` of ``1, j, j^2`` and ``r0, r1`` of ``r, r j`` (``r`` the
    residual without them), ``H = X'WX`` and ``g = X'Wr`` for ``X = [j, j - c]``, and with
    ``C = diag(v_trend, v_slope)``:

    * log marginal: ``quad / 2 - log(det) / 2`` with ``quad = g' K g``, ``det = det(I + C H)``
      and ``K = (C^-1 + H)^-1``;
    * conditional: ``(e, b) | rest ~ N(K g, K)``.

    ``K`` is written as ``adj / det(I + CH)`` so that it stays finite when a variance is zero.
    Plain arithmetic: works on numpy arrays and PyTensor tensors alike (elementwise over
    territories).

    Returns
    -------
    quad, det, (mean_e, mean_b), (k11, k12, k22)
    """
    h11 = m["m2"]
    h12 = m["m2"] - c * m["m1"]
    h22 = m["m2"] - 2.0 * c * m["m1"] + c * c * m["m0"]
    g1 = r1
    g2 = r1 - c * r0
    det = (1.0 + v_trend * h11) * (1.0 + v_slope * h22) - v_trend * v_slope * h12**2
    k11 = v_trend * (1.0 + v_slope * h22) / det
    k12 = -v_trend * v_slope * h12 / det
    k22 = v_slope * (1.0 + v_trend * h11) / det
    mean_e = k11 * g1 + k12 * g2
    mean_b = k12 * g1 + k22 * g2
    quad = g1 * mean_e + g2 * mean_b
    return quad, det, (mean_e, mean_b), (k11, k12, k22)


def _draw_trend(par: dict, data: ModelData, rng, chunk: int = 200) -> np.ndarray:
    """Territory trends and shock slopes from their Gaussian conditional given the rest.

    The sampler integrates out, per territory, the trend's deviation ``e_t = trend_t -
    trend_mu ~ N(0, sd_trend)`` and the GLS slope ``b_t`` of the shock (variance ``v1``,
    :func:`ar1_slope_np`); :func:`channelsim.model._build.slope_integral` gives their joint
    normal conditional. Returns the trends and adds ``b_t (j - c)`` to ``par["eta"]`` in place.
    """
    D = par["rho"].shape[0]
    T, N = data.T, data.N
    c = (N - 1) / 2.0
    s, t, p, j = data.amt_s, data.amt_t, data.amt_p, data.amt_j
    mj = j.astype(np.float64)
    _, v1 = ar1_slope_np(par["rho"], par["sigma_eta"], N)
    stats = trend_stats(data)
    out = np.empty((D, T))
    slope = np.empty((D, T))
    for lo in range(0, D, chunk):
        sl = slice(lo, min(D, lo + chunk))
        mu = amount_log_mean(par, data, sl, p, j, s, t, par["trend_mu"][sl][:, None] * mj)
        wgt = 1.0 / par["sigma_stage"][sl][:, s] ** 2
        r = (data.amt_logy[None, :] - mu) * wgt
        n = mu.shape[0]
        prec = 1.0 / par["sigma_stage"][sl][:, None, :] ** 2  # (n, 1, S)
        m = {k: (v[None] * prec).sum(axis=2) for k, v in stats.items()}  # (n, T)
        r0 = np.zeros((n, T))
        r1 = np.zeros((n, T))
        for tt in range(T):
            sel = t == tt
            r0[:, tt] = r[:, sel].sum(1)
            r1[:, tt] = r[:, sel] @ mj[sel]
        v_e = par["sd_trend"][sl][:, None] ** 2
        _, _, (me, mb), (k11, k12, k22) = slope_integral(m, r0, r1, v_e, v1[sl][:, None], c)
        z1 = rng.standard_normal(me.shape)
        z2 = rng.standard_normal(me.shape)
        l11 = np.sqrt(np.maximum(k11, 0.0))
        l21 = np.where(l11 > 0, k12 / np.where(l11 > 0, l11, 1.0), 0.0)
        l22 = np.sqrt(np.maximum(k22 - l21**2, 0.0))
        out[sl] = par["trend_mu"][sl][:, None] + me + l11 * z1
        slope[sl] = mb + l21 * z1 + l22 * z2
    par["eta"] = par["eta"] + slope[:, :, None] * (np.arange(N) - c)
    return out


def transition_matrix(
    logits_moves: np.ndarray, move_from: np.ndarray, move_to: np.ndarray, S: int
) -> np.ndarray:
    """Transition probabilities ``(..., K, K)`` from move log-odds against staying.

    ``logits_moves`` (..., M) are the log-odds of the allowed moves; stay has log-odds 0,
    moves not allowed probability 0, and ``exited`` is absorbing.
    """
    K = S + 1
    lead = logits_moves.shape[:-1]
    logits = np.full((*lead, K, K), -np.inf)
    idx = np.arange(S)
    logits[..., idx, idx] = 0.0
    logits[..., move_from, move_to] = logits_moves
    logits[..., S, :] = -np.inf
    logits[..., S, S] = 0.0
    mx = logits.max(axis=-1, keepdims=True)
    e = np.exp(logits - mx)
    return e / e.sum(axis=-1, keepdims=True)


def lifecycle_world_draws(raw: dict[str, np.ndarray], data: ModelData) -> dict[str, np.ndarray]:
    """``trans (D, T, K, K)``, ``recruit_rate (D, T)`` and the lifecycle hyper-parameters."""
    offset = raw["sd_trans"][:, None, None] * raw["trans_z"]
    lm = raw["move_base"][:, None, :] + offset
    trans = transition_matrix(lm, data.move_from, data.move_to, data.S)
    rate = data.target_partners[None, :] * np.exp(
        raw["mu_recruit"][:, None] + raw["sd_recruit"][:, None] * raw["recruit_z"]
    )
    return {
        "trans": trans,
        "recruit_rate": rate,
        "move_base": raw["move_base"],
        "sd_trans": raw["sd_trans"],
        "mu_recruit": raw["mu_recruit"],
        "sd_recruit": raw["sd_recruit"],
        "trans_offset": offset,
    }
