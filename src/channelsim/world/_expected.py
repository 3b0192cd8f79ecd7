"""Closed-form (moment-matched) expectation of a territory's sales over one quarter."""

from __future__ import annotations

import numpy as np

__all__ = ["HERMITE_NODES", "HERMITE_WEIGHTS", "expected_sales", "logistic", "lognormal_quantiles"]

# Gauss-Hermite rule for expectations over a recruit's capability kappa ~ Normal(0, sd):
# E[f(kappa)] = sum_g w_g f(sqrt(2) * sd * x_g) / sqrt(pi). 24 nodes integrate the smooth
# integrands here to ~1e-12 relative for sd_kappa <= 2.5.
_x, _w = np.polynomial.hermite.hermgauss(24)
HERMITE_NODES: np.ndarray = np.sqrt(2.0) * _x
HERMITE_WEIGHTS: np.ndarray = _w / np.sqrt(np.pi)
del _x, _w


def logistic(x):
    """``1 / (1 + exp(-x))``, the same formula in numpy and numba."""
    return 1.0 / (1.0 + np.exp(-x))


def expected_sales(world, state, quarter_steps, *, variance: bool = True):
    """Expected territory sales over one quarter, from the state at the quarter's start.

    Closed form under the generative process: the expected stage mix after transitions
    (powers of ``trans``), hurdle and log-normal moments per partner, recruits entering during
    the quarter (Poisson rate, capability integrated by Gauss-Hermite), and the AR(1)
    territory shock ``eta``. The statistical forecast, CAM commits and forecast-based quotas
    all use this one function; :mod:`channelsim.simulate` computes the same maths in numba.

    For step ``l`` of the quarter (``l = 0..L-1``), stage ``s``, territory ``t``:

    .. math::

        b_{s,l} = a^{stage}_s + a^{terr}_t + a^{ts}_{t,s} + season_{l} + trend_t\\, m_l

        E[\\text{sales}_l] = e^{\\mu_l + v_l/2} \\Big( \\sum_i \\sum_s (T^{l+1})_{s_i, s}\\,
            q_s(\\kappa_i) e^{\\kappa_i + \\sigma_s^2/2 + b_{s,l}}
            + r_t \\sum_{l' \\le l} \\sum_s (T^{l-l'})_{0,s}\\, E_\\kappa[q_s e^{\\kappa}]
            e^{\\sigma_s^2/2 + b_{s,l}} \\Big)

    with ``q_s(k) = logistic(h_stage[s] + h_terr[t] + h_cap k)``,
    ``mu_l = rho^(l+1) eta_last`` and ``v_l = sigma_eta^2 sum_{i<=l} rho^(2i)``.

    The variance adds (i) the partners' conditional variances (each step's second moment
    minus its squared mean, averaged over ``eta``; within-partner covariance across steps is
    ignored) and a compound-Poisson term for recruits, and (ii) the shared shock:
    ``sum_{l,l'} M_l M_l' exp(mu_l + mu_l' + (v_l + v_l')/2) (exp(C_{l,l'}) - 1)`` with
    ``C_{l,l'} = rho^|l-l'| v_min(l,l')``. It is an approximation used for moment-matched
    (log-normal) intervals, documented as such.

    Parameters
    ----------
    world : World
    state : dict
        ``state`` (path, n) int state codes during the step before the quarter (-1 = not
        present), ``kappa`` (path, n), ``territory`` (n,) int, ``eta`` (path, T) shock of the
        step before, ``draw`` (path,) int index into the world's draws.
    quarter_steps : tuple of arrays
        ``(m, season)``: the trend counter and season index of each step of the quarter that
        lies in the run (length ``L``, 1 to ``steps_per_quarter``).
    variance : bool
        Also return the variance.

    Returns
    -------
    mean : (path, T) ndarray
    var : (path, T) ndarray, only if ``variance``.

    Examples
    --------
    >>> from channelsim.datasets import example_world
    >>> from channelsim.world import expected_sales, initial_state
    >>> w = example_world()
    >>> cal = w.calendar(3)
    >>> mean, var = expected_sales(w, initial_state(w, n_paths=1), (cal.m, cal.season))
    >>> mean.shape == (1, w.n_territories)
    True
    """
    if getattr(world, "time_dynamics", None) is not None:
        world.refuse_time_dynamics("world.expected_sales")
    m, season = (np.asarray(a) for a in quarter_steps)
    L = len(m)
    st = np.asarray(state["state"])
    kap = np.asarray(state["kappa"], dtype=np.float64)
    terr = np.asarray(state["territory"])
    eta0 = np.asarray(state["eta"], dtype=np.float64)
    draw = np.asarray(state["draw"])
    n_paths = st.shape[0]
    T, S, K = world.n_territories, world.n_stages, world.n_states

    # Per-path parameters.
    trans = world.trans[draw]  # (path, T, K, K)
    sig2 = world.sigma_stage[draw] ** 2  # (path, S)
    rho = world.rho[draw][:, None]
    s_eta2 = world.sigma_eta[draw][:, None] ** 2
    # base[p, t, s, l]
    base = (
        world.a_stage[draw][:, None, :, None]
        + world.a_terr[draw][:, :, None, None]
        + world.a_terr_stage[draw][:, :, :, None]
        + world.season[draw][:, season][:, None, None, :]
        + world.trend[draw][:, :, None, None] * m[None, None, None, :]
    )
    eb = np.exp(base)  # (path, T, S, L)

    # Transition powers: P[l] = trans^(l+1) for the existing partners; Q[l] = trans^l.
    powers = [np.broadcast_to(np.eye(K), trans.shape).copy()]
    for _ in range(L):
        powers.append(powers[-1] @ trans)
    Tpow = np.stack(powers, axis=2)  # (path, T, L+1, K, K)

    # Existing partners: g1[p,i,s] = q_s(k) exp(k + sig2/2), g2 = q_s exp(2k + 2 sig2).
    alive = (st >= 0) & (st < S)
    hterr = world.h_terr[draw][:, terr]  # (path, n)
    logit = (
        world.h_stage[draw][:, None, :]
        + hterr[:, :, None]
        + world.h_cap[draw][:, None, None] * kap[:, :, None]
    )
    q = logistic(logit)  # (path, n, S)
    g1 = q * np.exp(kap[:, :, None] + 0.5 * sig2[:, None, :])
    g2 = q * np.exp(2.0 * kap[:, :, None] + 2.0 * sig2[:, None, :])
    s0 = np.where(alive, st, 0)
    # Stage distribution of each partner at each step: (path, n, L, S)
    pi = Tpow[
        np.arange(n_paths)[:, None, None],
        terr[None, :, None],
        np.arange(1, L + 1)[None, None, :],
        s0[:, :, None],
        :S,
    ]  # (path, n, L, S)
    pi = pi * alive[:, :, None, None]
    ebp = np.moveaxis(eb[np.arange(n_paths)[:, None], terr[None, :]], -1, -2)  # (path, n, L, S)
    e1 = (pi * g1[:, :, None, :] * ebp).sum(-1)  # (path, n, L) conditional mean / exp(eta)
    e2 = (pi * g2[:, :, None, :] * ebp**2).sum(-1)  # second moment / exp(2 eta)
    M = np.zeros((n_paths, T, L))
    S2 = np.zeros((n_paths, T, L))
    D = np.zeros((n_paths, T, L))
    for t in range(T):
        sel = terr == t
        if sel.any():
            M[:, t] = e1[:, sel].sum(1)
            S2[:, t] = e2[:, sel].sum(1)
            D[:, t] = (e1[:, sel] ** 2).sum(1)

    # Recruits: R1[p,s] = E_k[q_s(k) exp(k)] exp(sig2/2); R2 likewise second moment.
    rate = world.recruit_rate[draw]  # (path, T)
    if np.any(rate > 0):
        k = world.sd_kappa[draw][:, None] * HERMITE_NODES[None, :]  # (path, G)
        lg = (
            world.h_stage[draw][:, None, None, :]
            + world.h_terr[draw][:, :, None, None]
            + world.h_cap[draw][:, None, None, None] * k[:, None, :, None]
        )  # (path, T, G, S)
        qk = logistic(lg)
        w = HERMITE_WEIGHTS[None, None, :, None]
        R1 = (w * qk * np.exp(k)[:, None, :, None]).sum(2) * np.exp(0.5 * sig2)[:, None, :]
        R2 = (w * qk * np.exp(2 * k)[:, None, :, None]).sum(2) * np.exp(2 * sig2)[:, None, :]
        for l in range(L):
            for lp in range(l + 1):
                mix0 = Tpow[:, :, l - lp, 0, :S]  # (path, T, S)
                M[:, :, l] += rate * (mix0 * R1 * eb[..., l]).sum(-1)
                S2[:, :, l] += rate * (mix0 * R2 * eb[..., l] ** 2).sum(-1)

    # Shock moments.
    ls = np.arange(L)
    mu = rho ** (ls + 1)[None, :] * np.ones((n_paths, 1))  # (path, L)
    mu = mu[:, None, :] * eta0[:, :, None]  # (path, T, L)
    cum = np.cumsum(rho ** (2 * ls)[None, :] * np.ones((n_paths, 1)), axis=1)
    v = (s_eta2 * cum)[:, None, :]  # (path, 1, L)
    E_l = M * np.exp(mu + 0.5 * v)
    mean = E_l.sum(-1)
    if not variance:
        return mean
    var = ((S2 - D) * np.exp(2.0 * mu + 2.0 * v)).sum(-1)
    vv = v[:, 0, :]  # (path, L)
    for l in range(L):
        for lp in range(L):
            lo = min(l, lp)
            C = rho[:, 0] ** abs(l - lp) * vv[:, lo]
            var += E_l[:, :, l] * E_l[:, :, lp] * np.expm1(C)[:, None]
    return mean, np.maximum(var, 0.0)


def lognormal_quantiles(mean, var, probs):
    """Quantiles of the log-normal with the given mean and variance (moment matching).

    Returns an array with a trailing axis over ``probs``; zero where ``mean <= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> q = lognormal_quantiles(np.array([100.0]), np.array([400.0]), [0.5])
    >>> round(float(q[0, 0]), 3)
    98.058
    """
    from scipy.special import ndtri

    mean = np.asarray(mean, dtype=np.float64)
    var = np.asarray(var, dtype=np.float64)
    z = ndtri(np.asarray(probs, dtype=np.float64))
    pos = mean > 0
    safe = np.where(pos, mean, 1.0)
    s2 = np.log1p(np.where(pos, var, 0.0) / safe**2)
    mu = np.log(safe) - 0.5 * s2
    out = np.exp(mu[..., None] + np.sqrt(s2)[..., None] * z)
    return np.where(pos[..., None], out, 0.0)
