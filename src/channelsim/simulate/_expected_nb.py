"""The closed-form quarter expectation (:func:`channelsim.world.expected_sales`) in numba.

Split for the kernels: :func:`quarter_tables` computes, once per path and quarter, everything
that does not depend on the partners (transition powers, stage amounts, recruits, the shock
moments); :func:`row_constants` the per-partner hurdle and moment factors (once per partner,
kappa never changes); :func:`row_moments` one partner's conditional moments from its state
at the quarter's start (memoised per state inside the kernel, so every policy in the same
state reuses them); :func:`finish` the mean and variance of a territory.
:func:`expected_sales_numba` puts them together with the same signature as the numpy
function; tests hold the two equal to 1e-9 relative.
"""

from __future__ import annotations

import math

import numpy as np

from channelsim.simulate._layout import world_arrays
from channelsim.simulate._numba_config import jit

__all__ = [
    "LMAX",
    "QUARTER_WORLD",
    "expected_sales_numba",
    "finish",
    "quarter_tables",
    "row_constants",
    "row_moments",
]

#: Most steps in a quarter.
LMAX = 3
#: The World arrays :func:`quarter_tables` reads (fields of
#: :data:`~channelsim.simulate._layout.FIELDS`), in its argument order.
QUARTER_WORLD = (
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
    "nodes",
    "weights",
)


@jit
def quarter_tables(d, L, m_q, season_q, eta_prev, wq, tabs):  # pragma: no cover - numba
    """Fill the per-quarter tables of draw ``d`` for the ``L`` steps ``(m_q, season_q)``.

    ``wq`` holds the World's arrays named in :data:`QUARTER_WORLD`, in that order (``rate``
    is ``recruit_rate``; ``nodes``/``weights`` the Gauss-Hermite rule); ``tabs`` the output
    buffers ``(Tpow, W1, W2, Mrec, S2rec, mu, vq, ex1, ex2, cm1)``:
    ``Tpow (T, LMAX+1, K, K)``, ``W1/W2 (T, S, LMAX, S)``, ``Mrec/S2rec (T, LMAX)``,
    ``mu (T, LMAX)``, ``vq (LMAX,)`` and the shock factors :func:`finish` applies to every
    policy's sums: ``ex1/ex2 (T, LMAX)`` (``exp(mu + vq/2)``, ``exp(2 mu + 2 vq)``) and
    ``cm1 (LMAX, LMAX)`` (``expm1`` of the shock's covariance between steps).
    """
    (
        a_stage, a_terr, a_terr_stage, sigma_stage, h_stage, h_terr, h_cap, sd_kappa, season,
        trend, rho, sigma_eta, trans, rate, nodes, weights,
    ) = wq  # fmt: skip
    Tpow, W1, W2, Mrec, S2rec, mu, vq, ex1, ex2, cm1 = tabs
    T = a_terr.shape[1]
    S = a_stage.shape[1]
    K = S + 1
    G = nodes.shape[0]
    eb = np.empty((S, LMAX))
    sig2 = np.empty(S)
    R1 = np.empty(S)
    R2 = np.empty(S)
    for s in range(S):
        sig2[s] = sigma_stage[d, s] ** 2
    for t in range(T):
        for a in range(K):
            for b in range(K):
                Tpow[t, 0, a, b] = 1.0 if a == b else 0.0
        for l in range(1, L + 1):
            for a in range(K):
                for b in range(K):
                    acc = 0.0
                    for c in range(K):
                        acc += Tpow[t, l - 1, a, c] * trans[d, t, c, b]
                    Tpow[t, l, a, b] = acc
        for s in range(S):
            for l in range(L):
                eb[s, l] = math.exp(
                    a_stage[d, s]
                    + a_terr[d, t]
                    + a_terr_stage[d, t, s]
                    + season[d, season_q[l]]
                    + trend[d, t] * m_q[l]
                )
        for s0 in range(S):
            for l in range(L):
                for s in range(S):
                    W1[t, s0, l, s] = Tpow[t, l + 1, s0, s] * eb[s, l]
                    W2[t, s0, l, s] = Tpow[t, l + 1, s0, s] * (eb[s, l] * eb[s, l])
        r = rate[d, t]
        for l in range(L):
            Mrec[t, l] = 0.0
            S2rec[t, l] = 0.0
        if r > 0:
            for s in range(S):
                a1 = 0.0
                a2 = 0.0
                for g in range(G):
                    k = sd_kappa[d] * nodes[g]
                    q = 1.0 / (1.0 + math.exp(-(h_stage[d, s] + h_terr[d, t] + h_cap[d] * k)))
                    a1 += weights[g] * q * math.exp(k)
                    a2 += weights[g] * q * math.exp(2.0 * k)
                R1[s] = a1 * math.exp(0.5 * sig2[s])
                R2[s] = a2 * math.exp(2.0 * sig2[s])
            for l in range(L):
                m1 = 0.0
                m2 = 0.0
                for lp in range(l + 1):
                    for s in range(S):
                        m1 += Tpow[t, l - lp, 0, s] * R1[s] * eb[s, l]
                        m2 += Tpow[t, l - lp, 0, s] * R2[s] * (eb[s, l] * eb[s, l])
                Mrec[t, l] = r * m1
                S2rec[t, l] = r * m2
        for l in range(L):
            mu[t, l] = rho[d] ** (l + 1) * eta_prev[t]
    cum = 0.0
    for l in range(L):
        cum += rho[d] ** (2 * l)
        vq[l] = sigma_eta[d] ** 2 * cum
    for t in range(T):
        for l in range(L):
            ex1[t, l] = math.exp(mu[t, l] + 0.5 * vq[l])
            ex2[t, l] = math.exp(2.0 * mu[t, l] + 2.0 * vq[l])
    for l in range(L):
        for lp in range(L):
            lo = min(l, lp)
            cm1[l, lp] = math.expm1(rho[d] ** abs(l - lp) * vq[lo])


@jit
def row_constants(d, t, kap, sigma_stage, h_stage, h_terr, h_cap, ppos, g1, g2):  # pragma: no cover
    """Hurdle probability and moment factors of a partner with capability ``kap`` by stage."""
    for s in range(h_stage.shape[1]):
        q = 1.0 / (1.0 + math.exp(-(h_stage[d, s] + h_terr[d, t] + h_cap[d] * kap)))
        ppos[s] = q
        sig2 = sigma_stage[d, s] ** 2
        g1[s] = q * math.exp(kap + 0.5 * sig2)
        g2[s] = q * math.exp(2.0 * kap + 2.0 * sig2)


@jit
def row_moments(W1, W2, t, s0, L, g1, g2, e1, e2):  # pragma: no cover - numba
    """One partner's conditional first and second moments per step (``e1``, ``e2``)."""
    S = g1.shape[0]
    for l in range(L):
        a = 0.0
        b = 0.0
        for s in range(S):
            a += W1[t, s0, l, s] * g1[s]
            b += W2[t, s0, l, s] * g2[s]
        e1[l] = a
        e2[l] = b


@jit
def finish(t, k, L, M, S2, D, Mrec, S2rec, ex1, ex2, cm1, E):  # pragma: no cover - numba
    """Mean and variance of territory ``t`` from its partners' summed moments per step
    ``M/S2/D[t, k, :]`` (``k`` the policy slot), the recruits' and the shock factors of
    :func:`quarter_tables`; ``E`` is scratch of ``LMAX``."""
    mean = 0.0
    var = 0.0
    for l in range(L):
        E[l] = (M[t, k, l] + Mrec[t, l]) * ex1[t, l]
        mean += E[l]
        var += (S2[t, k, l] + S2rec[t, l] - D[t, k, l]) * ex2[t, l]
    for l in range(L):
        for lp in range(L):
            var += E[l] * E[lp] * cm1[l, lp]
    return mean, max(var, 0.0)


@jit
def _expected_paths(
    wq, state, kappa, territory, eta, draw, m_q, season_q, mean, var
):  # pragma: no cover - numba
    """:func:`expected_sales_numba` for every path; ``wq`` as in :func:`quarter_tables`."""
    (
        a_stage, a_terr, _a_terr_stage, sigma_stage, h_stage, h_terr, h_cap, _sd_kappa, _season,
        _trend, _rho, _sigma_eta, _trans, _rate, _nodes, _weights,
    ) = wq  # fmt: skip
    T = a_terr.shape[1]
    S = a_stage.shape[1]
    K = S + 1
    L = m_q.shape[0]
    n = state.shape[1]
    for p in range(state.shape[0]):
        d = draw[p]
        Tpow = np.empty((T, LMAX + 1, K, K))
        W1 = np.empty((T, S, LMAX, S))
        W2 = np.empty((T, S, LMAX, S))
        Mrec = np.empty((T, LMAX))
        S2rec = np.empty((T, LMAX))
        mu = np.empty((T, LMAX))
        vq = np.empty(LMAX)
        ex1 = np.empty((T, LMAX))
        ex2 = np.empty((T, LMAX))
        cm1 = np.empty((LMAX, LMAX))
        tabs = (Tpow, W1, W2, Mrec, S2rec, mu, vq, ex1, ex2, cm1)
        quarter_tables(d, L, m_q, season_q, eta[p], wq, tabs)
        M = np.zeros((T, 1, LMAX))
        S2 = np.zeros((T, 1, LMAX))
        D = np.zeros((T, 1, LMAX))
        Ebuf = np.empty(LMAX)
        ppos = np.empty(S)
        g1 = np.empty(S)
        g2 = np.empty(S)
        e1 = np.empty(LMAX)
        e2 = np.empty(LMAX)
        for i in range(n):
            s0 = state[p, i]
            if s0 < 0 or s0 >= S:
                continue
            t = territory[i]
            row_constants(d, t, kappa[p, i], sigma_stage, h_stage, h_terr, h_cap, ppos, g1, g2)
            row_moments(W1, W2, t, s0, L, g1, g2, e1, e2)
            for l in range(L):
                M[t, 0, l] += e1[l]
                S2[t, 0, l] += e2[l]
                D[t, 0, l] += e1[l] * e1[l]
        for t in range(T):
            mean[p, t], var[p, t] = finish(t, 0, L, M, S2, D, Mrec, S2rec, ex1, ex2, cm1, Ebuf)


def expected_sales_numba(world, state: dict, quarter_steps) -> tuple[np.ndarray, np.ndarray]:
    """:func:`channelsim.world.expected_sales` computed by the numba kernels' code.

    Same arguments; returns ``(mean, var)``, each (path, territory).

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> from channelsim.world import initial_state
    >>> w = draw_world(3, 30, seed=1)
    >>> cal = w.calendar(3)
    >>> mean, var = expected_sales_numba(w, initial_state(w, 2), (cal.m, cal.season))
    >>> mean.shape
    (2, 3)
    """
    W = world_arrays(world)
    st = np.ascontiguousarray(state["state"], dtype=np.int64)
    kap = np.ascontiguousarray(state["kappa"], dtype=np.float64)
    terr = np.ascontiguousarray(state["territory"], dtype=np.int64)
    eta = np.ascontiguousarray(state["eta"], dtype=np.float64)
    draw = np.ascontiguousarray(state["draw"], dtype=np.int64)
    m, season = (np.ascontiguousarray(a, dtype=np.int64) for a in quarter_steps)
    n_paths = st.shape[0]
    mean = np.zeros((n_paths, world.n_territories))
    var = np.zeros((n_paths, world.n_territories))
    wq = tuple(W[name] for name in QUARTER_WORLD)
    _expected_paths(wq, st, kap, terr, eta, draw, m, season, mean, var)
    return mean, var
