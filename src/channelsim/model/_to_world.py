"""Fill the World schema from posterior draws and the state at the end of the book.

Unseen groups (semantics, also in docs/model.md):

* an **unseen territory** (``extra_territories``) gets, per posterior draw, its own effects
  drawn from the fitted population: ``a_terr ~ N(0, sd_a_terr)``, ``a_terr_stage[s] ~
  N(0, sd_a_terr_stage)``, ``h_terr ~ N(0, sd_h_terr)``, ``trend ~ N(trend_mu, sd_trend)``,
  move log-odds ``move_base + N(0, sd_trans)``, ``recruit_rate = target_partners x
  exp(mu_recruit + N(0, sd_recruit))`` and a shock ``eta_last`` from the stationary AR(1)
  distribution ``N(0, sigma_eta / sqrt(1 - rho^2))``. Its trailing sales are the expected
  sales of its first quarter (as :func:`channelsim.datasets.draw_world` does);
* an **unseen partner** (``extra_partners``) gets ``kappa ~ N(0, sd_kappa)`` per draw, like
  a recruit, in the state and territory given (default: the first stage).

The status quo's **quota rule** is the ratchet fitted to the book's territory-quarter table
(:meth:`channelsim.data.Book.quota_fit`, least squares); a book without quotas gets the
default ratchet, with a :class:`~channelsim.data.BookWarning`.

Depends on numpy, pandas, :mod:`channelsim.data` and :mod:`channelsim.world` (never PyMC).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr

from channelsim.calendar import FiscalCalendar
from channelsim.data import BookWarning
from channelsim.model._data import ModelData
from channelsim.model._posterior import HYPER_NAMES, transition_matrix
from channelsim.world import (
    QuotaRule,
    TerritoryStateSpace,
    World,
    draw_indices,
    expected_sales,
    initial_state,
)

__all__ = ["build_world", "select_draws", "status_quo_quota_rule"]

_WORLD_FIELDS = (
    "a_stage",
    "a_terr",
    "a_terr_stage",
    "sigma_stage",
    "h_stage",
    "h_terr",
    "h_cap",
    "sd_kappa",
    "kappa",
    "season",
    "trend",
    "rho",
    "sigma_eta",
    "trans",
    "recruit_rate",
    "commit_bias",
    "commit_sd",
)


def select_draws(posterior: xr.Dataset, draws) -> np.ndarray:
    """Flat ``chain x draw`` indices of the posterior draws :func:`channelsim.world.draw_indices`
    selects (all for None, ``n`` evenly spaced, or the given indices)."""
    return draw_indices(posterior.sizes["chain"] * posterior.sizes["draw"], draws)


def _trailing_sales(data: ModelData) -> np.ndarray:
    """Territory sales of the last four complete fiscal quarters, oldest first."""
    T, N = data.T, data.N
    sales = np.nan_to_num(data.sales)
    terr = np.where(data.territory >= 0, data.territory, 0)
    per_step = np.zeros((T, N))
    np.add.at(per_step, (terr.ravel(), np.tile(np.arange(N), data.P)), sales.ravel())
    return FiscalCalendar(data.fiscal_year_start_month).trailing_sales(data.periods, per_step)


def _last_quota(book, data: ModelData) -> np.ndarray | None:
    q = book.quarters
    if q is None or "quota" not in q.columns or q["quota"].isna().all():
        return None
    q = q[q["quota"].notna()].sort_values("quarter")
    last = q.groupby("territory")["quota"].last()
    if not set(data.territory_ids) <= set(last.index.astype(str)):
        return None
    return np.array([float(last[t]) for t in data.territory_ids])


def status_quo_quota_rule(book) -> QuotaRule:
    """The book's quota rule: the ratchet fitted to its territory-quarter table
    (:meth:`channelsim.data.Book.quota_fit`); without quotas, the default ratchet, with a
    warning."""
    fit = book.quota_fit()
    if not fit.fitted:
        warnings.warn(
            f"status quo quota rule: {fit.note}; using the default ratchet "
            f"(growth {fit.growth:g}, up {fit.up:g}, down {fit.down:g})",
            BookWarning,
            stacklevel=3,
        )
        return QuotaRule()
    return QuotaRule(growth=fit.growth, up=fit.up, down=fit.down)


def build_world(
    posterior: xr.Dataset,
    data: ModelData,
    book,
    idx: np.ndarray,
    rng: np.random.Generator,
    *,
    extra_territories=None,
    extra_partners=None,
    include_exited: bool = False,
    quota_rule: QuotaRule | None = None,
) -> World:
    """The World at the end of ``book`` for the posterior draws ``idx``."""
    D = idx.size
    total = posterior.sizes["chain"] * posterior.sizes["draw"]

    def get(name):
        v = posterior[name].values
        return v.reshape(total, *v.shape[2:])[idx]

    statespace = "phi" in posterior
    zero_time = ("trend", "rho", "sigma_eta") if statespace else ()
    par = {k: get(k) for k in (*_WORLD_FIELDS, *HYPER_NAMES) if k not in zero_time}
    if statespace:
        # the state carries level, trend and shocks: the AR(1) fields are zero
        par["trend"] = np.zeros((D, data.T))
        par["rho"] = np.zeros(D)
        par["sigma_eta"] = np.zeros(D)
        eta_last = np.zeros((D, data.T))
        dyn = TerritoryStateSpace(
            get("phi"),
            get("sigma_level"),
            get("sigma_trend"),
            get("sigma_season"),
            par["trend_mu"],
            get("ss_state"),
            data.n_seasons,
        )
        sd_season_terr = get("sd_season_terr")
    else:
        eta_last = get("eta")[:, :, -1]
        dyn = None
    S = data.S
    last = data.states[:, -1].astype(np.int64)
    keep = np.arange(data.P) if include_exited else np.flatnonzero((last >= 0) & (last < S))
    partner_ids = [data.partner_ids[i] for i in keep]
    partner_territory = data.territory[keep, -1].astype(np.int64)
    partner_state = last[keep]
    kappa = par["kappa"][:, keep]
    territory_ids = list(data.territory_ids)
    target = data.target_partners.astype(np.float64).copy()
    trailing = _trailing_sales(data)
    last_quota = _last_quota(book, data)

    # Unseen territories: population draws.
    new_t = _normalise_territories(extra_territories, territory_ids)
    if new_t:
        n = len(new_t)
        z = lambda *shape: rng.standard_normal((D, *shape))  # noqa: E731
        par["a_terr"] = np.concatenate([par["a_terr"], par["sd_a_terr"][:, None] * z(n)], 1)
        par["a_terr_stage"] = np.concatenate(
            [par["a_terr_stage"], par["sd_a_terr_stage"][:, None, None] * z(n, S)], 1
        )
        par["h_terr"] = np.concatenate([par["h_terr"], par["sd_h_terr"][:, None] * z(n)], 1)
        if statespace:
            par["trend"] = np.zeros((D, data.T + n))
            dyn = dyn.with_territories(_new_states(dyn, sd_season_terr, par, n, z))
        else:
            par["trend"] = np.concatenate(
                [par["trend"], par["trend_mu"][:, None] + par["sd_trend"][:, None] * z(n)], 1
            )
        M = par["move_base"].shape[1]
        lm = par["move_base"][:, None, :] + par["sd_trans"][:, None, None] * z(n, M)
        par["trans"] = np.concatenate(
            [par["trans"], transition_matrix(lm, data.move_from, data.move_to, S)], 1
        )
        tgt = np.array([float(v) for v in new_t.values()])
        par["recruit_rate"] = np.concatenate(
            [
                par["recruit_rate"],
                tgt[None, :]
                * np.exp(par["mu_recruit"][:, None] + par["sd_recruit"][:, None] * z(n)),
            ],
            1,
        )
        stat_sd = par["sigma_eta"] / np.sqrt(1.0 - par["rho"] ** 2)
        eta_last = np.concatenate([eta_last, stat_sd[:, None] * z(n)], 1)  # zero: state-space
        territory_ids += list(new_t)
        target = np.r_[target, tgt]
        trailing = np.concatenate([trailing, np.zeros((n, 4))], 0)
        if last_quota is not None:
            last_quota = np.r_[last_quota, np.zeros(n)]

    # Unseen partners: kappa from the population.
    new_p = _normalise_partners(extra_partners, territory_ids, data, set(partner_ids))
    if len(new_p):
        partner_ids += list(new_p["partner"])
        partner_territory = np.r_[partner_territory, new_p["t"].to_numpy()]
        partner_state = np.r_[partner_state, new_p["s"].to_numpy()]
        kappa = np.concatenate(
            [kappa, par["sd_kappa"][:, None] * rng.standard_normal((D, len(new_p)))], 1
        )

    world = World(
        **{k: par[k] for k in _WORLD_FIELDS if k != "kappa"},
        kappa=kappa,
        partner_territory=partner_territory,
        partner_state=partner_state,
        eta_last=eta_last,
        trailing_sales=trailing,
        target_partners=np.maximum(target, 1.0),
        partner_ids=partner_ids,
        territory_ids=territory_ids,
        stage_names=data.stage_names,
        origin_period=data.periods[-1] + 1,
        steps_per_quarter=data.steps_per_quarter,
        fiscal_year_start_month=data.fiscal_year_start_month,
        origin_step=data.N,
        quota_rule=quota_rule or status_quo_quota_rule(book),
        last_quota=last_quota,
        time_dynamics=dyn,
    )
    if new_t:
        # trailing sales of a new territory: the expected sales of its first quarter (in a
        # state-space world without its time state, which starts at level zero)
        cal = world.calendar(world.steps_per_quarter)
        base = replace(world, time_dynamics=None)  # the level-zero time state, explicitly
        mean = expected_sales(
            base, initial_state(base, n_paths=D), (cal.m, cal.season), variance=False
        ).mean(0)
        cols = np.arange(data.T, len(territory_ids))
        world.trailing_sales[cols] = mean[cols, None]
        if world.last_quota is not None:
            world.last_quota[cols] = (1 + world.quota_rule.growth) * mean[cols]
    return world


def _new_states(dyn: TerritoryStateSpace, sd_season_terr, par: dict, n: int, z) -> np.ndarray:
    """Origin states of unseen territories in a state-space world, from the population.

    Level 0 (the territory's level is its ``a_terr``), trend ``N(trend_mu, sd_trend)``,
    seasonal deviations a zero-sum normal cycle of scale ``sd_season_terr`` (as a fitted
    territory's first step).
    """
    D, k = dyn.state.shape[0], dyn.k
    out = np.zeros((D, n, k))
    out[:, :, 1] = par["trend_mu"][:, None] + par["sd_trend"][:, None] * z(n)
    if k > 2:
        cycle = z(n, k - 1)
        cycle = cycle - cycle.mean(axis=-1, keepdims=True)
        out[:, :, 2:] = sd_season_terr[:, None, None] * cycle[:, :, : k - 2]
    return out


def _normalise_territories(extra, known: list[str]) -> dict[str, float]:
    if extra is None:
        return {}
    if isinstance(extra, dict):
        out = {str(k): float(v) for k, v in extra.items()}
    else:
        out = {str(k): 10.0 for k in extra}
    bad = [k for k in out if k in known]
    if bad:
        raise ValueError(f"extra_territories already in the book: {', '.join(bad)}")
    if any(v <= 0 for v in out.values()):
        raise ValueError("extra_territories: target_partners must be > 0")
    return out


def _normalise_partners(extra, territory_ids: list[str], data: ModelData, known: set[str]):
    cols = ["partner", "t", "s"]
    if extra is None:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(extra).copy() if not isinstance(extra, pd.DataFrame) else extra.copy()
    if "partner" not in df or "territory" not in df:
        raise ValueError("extra_partners needs columns 'partner' and 'territory' (and 'stage')")
    if "stage" not in df:
        df["stage"] = data.stage_names[0]
    problems = []
    tmap = {t: i for i, t in enumerate(territory_ids)}
    smap = {s: i for i, s in enumerate(data.stage_names)}
    for _, row in df.iterrows():
        if str(row["partner"]) in known:
            problems.append(f"partner {row['partner']!r} is already in the book")
        if str(row["territory"]) not in tmap:
            problems.append(
                f"partner {row['partner']!r}: unknown territory {row['territory']!r}"
                " (add it with extra_territories)"
            )
        if str(row["stage"]) not in smap:
            problems.append(f"partner {row['partner']!r}: unknown stage {row['stage']!r}")
    if problems:
        raise ValueError("extra_partners: " + "; ".join(problems))
    return pd.DataFrame(
        {
            "partner": df["partner"].astype(str).to_numpy(),
            "t": df["territory"].astype(str).map(tmap).to_numpy(dtype=np.int64),
            "s": df["stage"].astype(str).map(smap).to_numpy(dtype=np.int64),
        }
    )
