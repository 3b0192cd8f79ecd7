"""Diagnostics that speak up: convergence checks, posterior predictive checks and LOO.

* :func:`diagnose` computes R-hat (rank-normalised, split), bulk and tail ESS (ArviZ) for
  every stored parameter, counts divergences, and :class:`DiagnosticsWarning` names the
  worst parameters when a threshold is missed;
* :func:`posterior_predictive` replicates every observed partner-step's sales from
  posterior draws, conditional on the observed lifecycle states, and compares the zero share
  and the totals by stage and by territory with the data;
* :func:`pointwise_loglik` / :func:`loo` give PSIS-LOO over partners (leave one partner's
  whole history out) or over partner-steps.

Depends on numpy, pandas, xarray and arviz (never PyMC).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from channelsim.model._data import ModelData
from channelsim.model._posterior import amount_log_mean
from channelsim.world import draw_indices

__all__ = [
    "Diagnostics",
    "DiagnosticsWarning",
    "diagnose",
    "loo",
    "pointwise_loglik",
    "posterior_predictive",
]

# Structurally constant variables (exact zeros / ones) are left out of convergence checks;
# ``move_logit`` carries the same information as ``trans``.
_SKIP = ("trans",)


def _az():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    return az


class DiagnosticsWarning(UserWarning):
    """The sampler did not converge well enough: R-hat, ESS or divergences (names the worst)."""


@dataclass
class Diagnostics:
    """Convergence summary of a fit.

    Attributes
    ----------
    max_rhat, min_ess_bulk, min_ess_tail : float
    divergences : int
    table : pandas.DataFrame
        Per scalar parameter: ``r_hat``, ``ess_bulk``, ``ess_tail``, sorted worst first.
    ok : bool
        All thresholds met.
    messages : list of str
    """

    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    table: pd.DataFrame
    ok: bool
    messages: list[str]

    def __str__(self) -> str:
        head = (
            f"max R-hat {self.max_rhat:.3f}, min bulk ESS {self.min_ess_bulk:.0f}, "
            f"min tail ESS {self.min_ess_tail:.0f}, divergences {self.divergences}"
        )
        return head + ("" if self.ok else "\n" + "\n".join(f"  - {m}" for m in self.messages))


def _flatten(ds: xr.Dataset) -> pd.Series:
    rows = {}
    for name, da in ds.data_vars.items():
        if da.ndim == 0:
            rows[name] = float(da)
            continue
        flat = da.stack(_i=da.dims) if da.ndim > 1 else da
        labels = [
            f"{name}[{', '.join(str(x) for x in (v if isinstance(v, tuple) else (v,)))}]"
            for v in flat.indexes[flat.dims[0]]
        ]
        rows.update(zip(labels, np.asarray(flat.values, dtype=np.float64), strict=True))
    return pd.Series(rows, dtype=np.float64)


def diagnose(
    posterior: xr.Dataset,
    sample_stats: xr.Dataset | None,
    *,
    rhat_max: float = 1.01,
    ess_min: float = 400.0,
    max_divergences: int = 0,
    var_names=None,
) -> Diagnostics:
    """R-hat, bulk and tail ESS and divergences of a posterior.

    Parameters
    ----------
    posterior : xarray.Dataset
        ``(chain, draw, ...)`` variables.
    sample_stats : xarray.Dataset or None
        With a boolean ``diverging``.
    rhat_max, ess_min : float
        Thresholds.
    max_divergences : int
        Divergences tolerated.
    var_names : list of str, optional
        Variables to check (default all but the structurally constant ``trans``).

    Returns
    -------
    Diagnostics
    """
    az = _az()
    names = list(var_names or [v for v in posterior.data_vars if v not in _SKIP])
    ds = posterior[names]
    C = ds.sizes.get("chain", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rhat = _flatten(az.rhat(ds)) if C > 1 else None
        bulk = _flatten(az.ess(ds, method="bulk"))
        tail = _flatten(az.ess(ds, method="tail"))
    table = pd.DataFrame(
        {"r_hat": rhat if rhat is not None else np.nan, "ess_bulk": bulk, "ess_tail": tail}
    )
    # constant draws (e.g. a fixed zero) give NaN; they are not convergence failures
    table = table[np.isfinite(table["ess_bulk"])]
    div = 0
    if sample_stats is not None and "diverging" in sample_stats:
        div = int(np.asarray(sample_stats["diverging"].values).sum())
    max_rhat = float(np.nanmax(table["r_hat"])) if rhat is not None else float("nan")
    min_bulk = float(table["ess_bulk"].min())
    min_tail = float(table["ess_tail"].min())
    messages = []

    def worst(col: str, ascending: bool) -> str:
        w = table.sort_values(col, ascending=ascending).head(5)
        return ", ".join(f"{i} ({v:.3g})" for i, v in w[col].items())

    if rhat is not None and max_rhat > rhat_max:
        messages.append(f"R-hat above {rhat_max}: {worst('r_hat', False)}")
    if min_bulk < ess_min:
        messages.append(f"bulk ESS below {ess_min:.0f}: {worst('ess_bulk', True)}")
    if min_tail < ess_min:
        messages.append(f"tail ESS below {ess_min:.0f}: {worst('ess_tail', True)}")
    if div > max_divergences:
        messages.append(f"{div} divergent transition(s): raise target_accept or check the priors")
    if C == 1:
        messages.append("one chain: R-hat cannot be computed; run several chains")
    order = table.sort_values("ess_bulk")
    return Diagnostics(
        max_rhat=max_rhat,
        min_ess_bulk=min_bulk,
        min_ess_tail=min_tail,
        divergences=div,
        table=order,
        ok=not messages,
        messages=messages,
    )


def warn_if_bad(diag: Diagnostics, stacklevel: int = 3) -> None:
    """Issue a :class:`DiagnosticsWarning` naming the worst parameters, if any."""
    if not diag.ok:
        warnings.warn(
            "the fit did not pass its convergence checks ("
            + str(diag).split("\n")[0]
            + "):\n"
            + "\n".join(f"  - {m}" for m in diag.messages),
            DiagnosticsWarning,
            stacklevel=stacklevel,
        )


def _select(posterior: xr.Dataset, n: int | None) -> dict:
    """Parameters of ``n`` posterior draws (all for None), chosen by
    :func:`channelsim.world.draw_indices` (evenly spaced)."""
    C, Dr = posterior.sizes["chain"], posterior.sizes["draw"]
    total = C * Dr
    idx = draw_indices(total, None if n is None or n >= total else n)
    names = (
        "a_stage",
        "a_terr",
        "a_terr_stage",
        "sigma_stage",
        "h_stage",
        "h_terr",
        "h_cap",
        "kappa",
        "season",
        "trend",
        "eta",
    )
    out = {}
    for k in names:
        if k == "trend" and k not in posterior:  # state-space fit: eta holds the trend
            out[k] = np.zeros((idx.size, posterior.sizes["territory"]))
            continue
        v = posterior[k].values
        out[k] = v.reshape(total, *v.shape[2:])[idx]
    return out


def _row_params(par: dict, data: ModelData, sl, p, j, s, t):
    """Hurdle probability, log-mean and sigma of rows for the draws in ``sl``."""
    logit = (
        par["h_stage"][sl][:, s]
        + par["h_terr"][sl][:, t]
        + par["h_cap"][sl][:, None] * (par["kappa"][sl][:, p])
    )
    mu = amount_log_mean(par, data, sl, p, j, s, t, par["trend"][sl][:, t] * j)
    return 1.0 / (1.0 + np.exp(-logit)), logit, mu, par["sigma_stage"][sl][:, s]


def posterior_predictive(
    posterior: xr.Dataset, data: ModelData, *, draws: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Observed vs replicated zero share and totals by stage and by territory.

    Each replicate redraws every observed partner-step's sales (hurdle x log-normal) from one
    posterior draw, keeping the observed lifecycle states and territories.

    Returns
    -------
    pandas.DataFrame
        One row per check: ``check`` (``zero_share`` or ``total``), ``by`` (``all``,
        ``stage`` or ``territory``), ``group``, ``observed``, ``mean``, ``q05``, ``q95``
        and ``p_value`` (share of replicates at or above the observed value; values near 0
        or 1 flag misfit).
    """
    rng = np.random.default_rng(seed)
    par = _select(posterior, draws)
    p, j, s, t, y = data.present_rows()
    D = par["h_cap"].shape[0]
    S, T = data.S, data.T
    rep_zero = np.zeros((D, 1 + S))
    rep_stage = np.zeros((D, S))
    rep_terr = np.zeros((D, T))
    n_stage = np.bincount(s, minlength=S)
    chunk = max(1, int(2e7 // max(1, p.size)))
    for lo in range(0, D, chunk):
        sl = slice(lo, min(D, lo + chunk))
        prob, _, mu, sig = _row_params(par, data, sl, p, j, s, t)
        pos = rng.uniform(size=prob.shape) < prob
        amt = np.where(pos, np.exp(mu + sig * rng.standard_normal(prob.shape)), 0.0)
        for d in range(prob.shape[0]):
            rep_zero[lo + d, 0] = 1.0 - pos[d].mean()
            rep_zero[lo + d, 1:] = 1.0 - np.bincount(s, weights=pos[d], minlength=S) / np.maximum(
                n_stage, 1
            )
            rep_stage[lo + d] = np.bincount(s, weights=amt[d], minlength=S)
            rep_terr[lo + d] = np.bincount(t, weights=amt[d], minlength=T)
    obs_pos = y > 0
    obs_zero = np.r_[
        1.0 - obs_pos.mean(),
        1.0 - np.bincount(s, weights=obs_pos, minlength=S) / np.maximum(n_stage, 1),
    ]
    obs_stage = np.bincount(s, weights=y, minlength=S)
    obs_terr = np.bincount(t, weights=y, minlength=T)
    rows = []

    def add(check, by, groups, obs, rep):
        for k, g in enumerate(groups):
            r = rep[:, k]
            rows.append(
                {
                    "check": check,
                    "by": by,
                    "group": g,
                    "observed": float(obs[k]),
                    "mean": float(r.mean()),
                    "q05": float(np.quantile(r, 0.05)),
                    "q95": float(np.quantile(r, 0.95)),
                    "p_value": float((r >= obs[k]).mean()),
                }
            )

    add("zero_share", "all", ["all"], obs_zero[:1], rep_zero[:, :1])
    add("zero_share", "stage", data.stage_names, obs_zero[1:], rep_zero[:, 1:])
    add("total", "all", ["all"], [obs_stage.sum()], rep_stage.sum(1, keepdims=True))
    add("total", "stage", data.stage_names, obs_stage, rep_stage)
    add("total", "territory", data.territory_ids, obs_terr, rep_terr)
    return pd.DataFrame(rows)


def pointwise_loglik(posterior: xr.Dataset, data: ModelData, by: str = "partner") -> xr.DataArray:
    """Log-likelihood of the sales per draw and partner (or partner-step).

    Each partner-step contributes ``log(1 - q)`` for a zero and ``log q + log
    LogNormal(y | mu, sigma)`` for a sale; ``by="partner"`` sums a partner's steps.

    Returns
    -------
    xarray.DataArray
        ``(chain, draw, partner)`` or ``(chain, draw, obs)``.
    """
    if by not in ("partner", "row"):
        raise ValueError(f"by must be 'partner' or 'row', got {by!r}")
    C, Dr = posterior.sizes["chain"], posterior.sizes["draw"]
    par = _select(posterior, None)
    p, j, s, t, y = data.present_rows()
    D = C * Dr
    n_out = data.P if by == "partner" else p.size
    out = np.zeros((D, n_out))
    pos = y > 0
    logy = np.log(np.where(pos, y, 1.0))
    chunk = max(1, int(2e7 // max(1, p.size)))
    for lo in range(0, D, chunk):
        sl = slice(lo, min(D, lo + chunk))
        _, logit, mu, sig = _row_params(par, data, sl, p, j, s, t)
        log_q = -np.logaddexp(0.0, -logit)
        log_1q = -np.logaddexp(0.0, logit)
        amount = -logy - np.log(sig) - 0.5 * math.log(2 * math.pi) - 0.5 * ((logy - mu) / sig) ** 2
        ll = np.where(pos, log_q + amount, log_1q)
        if by == "partner":
            for d in range(ll.shape[0]):
                out[lo + d] = np.bincount(p, weights=ll[d], minlength=data.P)
        else:
            out[lo : lo + ll.shape[0]] = ll
    dim = "partner" if by == "partner" else "obs"
    coords = {dim: list(data.partner_ids)} if by == "partner" else {}
    return xr.DataArray(
        out.reshape(C, Dr, n_out), dims=("chain", "draw", dim), coords=coords, name="sales"
    )


def loo(posterior: xr.Dataset, data: ModelData, by: str = "partner"):
    """PSIS-LOO (ArviZ) of the sales likelihood, leaving out partners or partner-steps."""
    az = _az()
    ll = pointwise_loglik(posterior, data, by=by)
    idata = az.InferenceData(
        posterior=posterior[["h_cap"]], log_likelihood=xr.Dataset({"sales": ll})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return az.loo(idata, var_name="sales", pointwise=True)
