"""After sampling a state-space fit: draw the territory states, per posterior draw (numpy).

The sampler integrates the states out (:func:`channelsim.model._build._statespace_time`);
for each posterior draw, :func:`smooth_states` forms the draw's per-(territory, step)
sufficient statistics of the positive rows (residuals after every other term, precisions
``1 / sigma_stage^2``) and draws the whole state path from its exact conditional with the
simulation smoother (:func:`channelsim.model._statespace.simulation_smoother`), so each
stored draw is a joint posterior draw of parameters and states.

Depends on numpy and scipy (sparse cell sums).
"""

from __future__ import annotations

import numpy as np

from channelsim.model._data import ModelData
from channelsim.model._statespace import simulation_smoother, structural_model

__all__ = ["SS_SCALARS", "smooth_states", "statespace_model", "statespace_scales"]

#: Scalar parameters of the state-space dynamics stored in the posterior.
SS_SCALARS = ("phi", "sigma_level", "sigma_trend", "sigma_season", "sd_season_terr")


def statespace_scales(raw: dict) -> dict:
    """World-scale parameters from the sampled ones (``|x|`` for each signed scale)."""
    out = {"phi": raw["phi"]}
    for name in SS_SCALARS[1:]:
        out[name] = np.abs(raw[f"{name}_x"])
    return out


def statespace_model(par: dict, n_season: int, sl=slice(None)):
    """The :class:`~channelsim.model._statespace.StateSpace` of draws ``sl`` of ``par``,
    batched ``(draw, 1)`` against territories; the level starts at zero."""

    def col(name):
        return np.asarray(par[name][sl], dtype=np.float64)[:, None]

    return structural_model(
        col("phi"),
        col("sigma_level"),
        col("sigma_trend"),
        col("sigma_season"),
        n_season,
        trend_mean=col("trend_mu"),
        level0_mean=0.0,
        level0_sd=0.0,
        trend0_sd=col("sd_trend"),
        season0_sd=col("sd_season_terr"),
    )


def _cell_matrix(data: ModelData):
    from scipy import sparse

    cell = data.amt_t * data.N + data.amt_j
    rows = np.arange(cell.size)
    return sparse.csr_matrix((np.ones(cell.size), (rows, cell)), shape=(cell.size, data.T * data.N))


def smooth_states(
    par: dict, data: ModelData, rng: np.random.Generator, keep_steps=None, max_bytes=2e8
) -> dict:
    """Draw every posterior draw's territory states given its parameters and the rows.

    Parameters
    ----------
    par : dict
        World parameters of the draws (``a_stage, a_terr, a_terr_stage, kappa, season,
        sigma_stage``) and the state-space ones (:data:`SS_SCALARS`, ``trend_mu``,
        ``sd_trend``), draws on axis 0.
    data : ModelData
    rng : numpy.random.Generator
    keep_steps : array of int, optional
        Steps whose full state is also returned (default: the steps before each commit
        quarter, ``data.commit_j - 1``).
    max_bytes : float
        Memory bound of the smoother's filtered covariances per chunk of draws.

    Returns
    -------
    dict
        ``eta`` (D, T, N): the time state ``level + delta`` (without the shared season);
        ``ss_state`` (D, T, k): the state during the book's last step; ``ss_alpha`` (D, T,
        len(keep), k) and ``ss_alpha_steps``: the states at ``keep_steps``.
    """
    T, N, Z = data.T, data.N, data.n_seasons
    D = par["phi"].shape[0]
    if keep_steps is None:
        keep_steps = np.unique(data.commit_j - 1) if data.commit_j.size else np.zeros(0, int)
    keep_steps = np.asarray(keep_steps, dtype=np.int64)
    M = _cell_matrix(data)
    s, t, p, j = data.amt_s, data.amt_t, data.amt_p, data.amt_j
    k = structural_model(0.9, 0.0, 0.0, 0.0, Z).Z.shape[0]
    chunk = max(1, int(max_bytes // (T * N * k * k * 8 * 2)))
    eta = np.empty((D, T, N))
    last = np.empty((D, T, k))
    kept = np.empty((D, T, keep_steps.size, k))
    for lo in range(0, D, chunk):
        sl = slice(lo, min(D, lo + chunk))
        mean = (
            par["a_stage"][sl][:, s]
            + par["a_terr"][sl][:, t]
            + par["a_terr_stage"][sl][:, t, s]
            + par["kappa"][sl][:, p]
            + par["season"][sl][:, data.season[j]]
        )
        prec = 1.0 / par["sigma_stage"][sl][:, s] ** 2
        W = np.asarray((M.T @ prec.T).T).reshape(-1, T, N)
        s1 = np.asarray((M.T @ (prec * (data.amt_logy[None, :] - mean)).T).T).reshape(-1, T, N)
        ybar = np.where(W > 0, s1 / np.where(W > 0, W, 1.0), 0.0)
        ss = statespace_model(par, Z, sl)
        draws = simulation_smoother(ybar, W, ss, rng)  # (d, T, N, k)
        eta[sl] = draws @ ss.Z
        last[sl] = draws[:, :, -1, :]
        kept[sl] = draws[:, :, keep_steps, :]
    return {"eta": eta, "ss_state": last, "ss_alpha": kept, "ss_alpha_steps": keep_steps}
