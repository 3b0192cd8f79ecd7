"""Suggested territory quotas for a fiscal year, set so that P(reaching quota) = a target.

For each territory the forecast's draws of its fiscal-year sales ``S_1 .. S_D`` (recruits
included by default: a quota covers every partner the territory will have) give the quota

.. math::

    Q = S_{(k)}, \\qquad k = \\lceil p D \\rceil

the ``k``-th largest draw: the largest quota that at least a share ``p`` of the draws reach,
so the share of draws reaching it is ``k / D``, within ``1/D`` above ``p`` (exactly ``p`` when
``p D`` is whole). Each quota implies a distribution of attainment ``S_d / Q`` over the draws,
summarised per territory (mean, quantiles, bands). The quota is phased over the fiscal
quarters in proportion to the forecast mean of each quarter. The ``total`` row adds the
territory quotas up; its probability of being reached is reported, not targeted (it is
higher than ``p`` when ``p > 0.5``: territory shortfalls partly cancel).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from channelsim.calendar import FiscalCalendar
from channelsim.forecast._forecast import Forecast, ForecastError, _world_of, forecast

__all__ = [
    "ATTAINMENT_BANDS",
    "QuotaPlan",
    "fiscal_year_steps",
    "quota_from_draws",
    "suggest_quotas",
]

#: Attainment bands reported per territory: share of draws with attainment in each.
ATTAINMENT_BANDS: tuple[tuple[str, float, float], ...] = (
    ("att_lt_80", 0.0, 0.8),
    ("att_80_100", 0.8, 1.0),
    ("att_100_120", 1.0, 1.2),
    ("att_ge_120", 1.2, np.inf),
)


@dataclass
class QuotaPlan:
    """Result of :func:`suggest_quotas`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per territory and a ``total`` row: ``territory``, ``fiscal_year``,
        ``probability`` (target), ``quota``, ``quota_q1`` .. ``quota_q4``, ``forecast_mean``,
        ``forecast_q10/q50/q90``, ``p_reach`` (share of draws reaching the quota),
        ``attainment_mean``, ``attainment_q10/q50/q90`` and the bands of
        :data:`ATTAINMENT_BANDS`.
    attainment : xarray.DataArray
        ``(draw, territory)`` attainment ``S / Q`` of every draw (``total`` last).
    annual : xarray.DataArray
        ``(draw, territory)`` fiscal-year sales draws (``total`` last).
    meta : dict
        Provenance and settings.
    """

    table: pd.DataFrame
    attainment: xr.DataArray
    annual: xr.DataArray
    meta: dict = field(default_factory=dict)


def _fy_of(periods: pd.PeriodIndex, fy_start: int) -> np.ndarray:
    return FiscalCalendar(fy_start).fiscal_years(periods)


def fiscal_year_steps(world, year: int) -> tuple[int, int]:
    """``(first, n)``: steps from the origin to the fiscal year's first step, and its steps.

    Fiscal years are named by the calendar year they end in (FY2025 starting April 2024
    when the fiscal year starts in April), as :class:`~channelsim.world.StepCalendar` names
    them.

    Raises
    ------
    ForecastError
        If the fiscal year has started before the forecast origin.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> fiscal_year_steps(draw_world(2, 4, seed=0), 2025)
    (12, 12)
    """
    spy = 4 * world.steps_per_quarter
    cal = world.calendar(1)
    fy0 = int(_fy_of(cal.periods, world.fiscal_year_start_month)[0])
    if int(year) != year:
        raise ForecastError(f"year must be a whole number, got {year!r}")
    year = int(year)
    # steps until the first step of fiscal year fy0 + 1, then whole years
    probe = world.calendar(spy + 1)
    fys = _fy_of(probe.periods, world.fiscal_year_start_month)
    next_start = int(np.flatnonzero(fys > fy0)[0])
    at_start = next_start == spy  # the origin is the first step of a fiscal year
    earliest = fy0 if at_start else fy0 + 1
    if year < earliest:
        raise ForecastError(
            f"fiscal year {year} starts before the forecast origin {world.origin_period}; "
            f"quotas are suggested for a fiscal year that has not begun (the earliest is "
            f"{earliest})"
        )
    if at_start and year == fy0:
        return 0, spy
    if year - fy0 > 10:
        raise ForecastError(f"fiscal year {year} is more than 10 years past the origin")
    return next_start + (year - fy0 - 1) * spy, spy


def quota_from_draws(annual: np.ndarray, probability: float) -> np.ndarray:
    """Quotas reached by a share ``probability`` of the draws (axis 0): the ``k``-th largest
    draw, ``k = ceil(probability x D)``.

    Examples
    --------
    >>> quota_from_draws(np.array([[1.0], [2.0], [3.0], [4.0], [5.0]]), 0.6).tolist()
    [3.0]
    """
    if not 0.0 < probability < 1.0:
        raise ForecastError(f"probability must be strictly between 0 and 1, got {probability}")
    x = np.asarray(annual, dtype=np.float64)
    D = x.shape[0]
    k = int(np.ceil(probability * D - 1e-9))
    k = min(max(k, 1), D)
    return -np.partition(-x, k - 1, axis=0)[k - 1]


def suggest_quotas(
    source,
    year: int,
    probability: float = 0.6,
    *,
    seed: int = 0,
    draws: int | None = None,
    recruits: bool = True,
    model_hash: str | None = None,
    fc: Forecast | None = None,
    progress: bool = False,
) -> QuotaPlan:
    """Suggest territory quotas for fiscal year ``year`` with P(reaching quota) = ``probability``.

    Parameters
    ----------
    source : World or fitted model
        As for :func:`~channelsim.forecast.forecast`.
    year : int
        Fiscal year (named by the calendar year it ends in); it must not have begun at the
        forecast origin.
    probability : float
        Target probability, under the forecast, that a territory reaches its quota
        (e.g. 0.6).
    seed : int
    draws : int, optional
        Posterior draws (paths); more draws give a finer attainment distribution.
    recruits : bool
        Count sales of partners recruited before and during the year (default True).
    model_hash : str, optional
        For the provenance.
    fc : Forecast, optional
        A forecast that already covers the year (from the origin, by step) to reuse.
    progress : bool
        Show a progress bar while simulating.

    Returns
    -------
    QuotaPlan

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> plan = suggest_quotas(draw_world(3, 30, seed=1), 2024, 0.6, draws=200, seed=3)
    >>> t = plan.table.set_index("territory")
    >>> bool(abs(t.loc["T01", "p_reach"] - 0.6) <= 1 / 200)
    True
    """
    if not 0.0 < float(probability) < 1.0:
        raise ForecastError(f"probability must be strictly between 0 and 1, got {probability}")
    if fc is None:
        world, meta = _world_of(source, draws)
        first, n = fiscal_year_steps(world, year)
        fc = forecast(
            world,
            first + n,
            unit="step",
            seed=seed,
            recruits=recruits,
            model_hash=model_hash or meta.get("model_hash"),
            progress=progress,
        )
    else:
        sel = np.flatnonzero(
            _fy_of(fc.periods, int(fc.meta.get("fiscal_year_start_month", 1))) == year
        )
        if sel.size == 0:
            raise ForecastError(f"the forecast does not cover fiscal year {year}")
        first, n = int(sel[0]), int(sel.size)
    ids, terr = fc.level_draws("territory", "step")
    year_steps = terr[:, :, first : first + n]
    annual = year_steps.sum(axis=2)  # (D, T)
    quotas = quota_from_draws(annual, probability)
    spq = n // 4
    qsales = year_steps.reshape(annual.shape[0], len(ids), 4, spq).sum(axis=3)  # (D, T, 4)
    total_annual = annual.sum(axis=1)
    all_annual = np.column_stack([annual, total_annual])
    all_quota = np.r_[quotas, quotas.sum()]
    all_q = np.concatenate([qsales, qsales.sum(axis=1, keepdims=True)], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        att = np.where(all_quota > 0, all_annual / np.where(all_quota > 0, all_quota, 1), np.nan)
    mean_q = all_q.mean(axis=0)  # (T+1, 4)
    phase = mean_q / np.maximum(mean_q.sum(axis=1, keepdims=True), 1e-300)
    fq = np.quantile(all_annual, [0.1, 0.5, 0.9], axis=0)
    aq = np.nanquantile(att, [0.1, 0.5, 0.9], axis=0)
    names = [*ids, "total"]
    table = pd.DataFrame(
        {
            "territory": names,
            "fiscal_year": int(year),
            "probability": float(probability),
            "quota": all_quota,
        }
    )
    for k in range(4):
        table[f"quota_q{k + 1}"] = all_quota * phase[:, k]
    table["forecast_mean"] = all_annual.mean(axis=0)
    for k, q in enumerate(("q10", "q50", "q90")):
        table[f"forecast_{q}"] = fq[k]
    table["p_reach"] = (all_annual >= all_quota[None, :]).mean(axis=0)
    table["attainment_mean"] = np.nanmean(att, axis=0)
    for k, q in enumerate(("q10", "q50", "q90")):
        table[f"attainment_{q}"] = aq[k]
    for name, lo, hi in ATTAINMENT_BANDS:
        table[name] = ((att >= lo) & (att < hi)).mean(axis=0)
    coords = {"draw": np.arange(att.shape[0]), "territory": np.array(names, dtype=object)}
    meta = {
        **fc.meta,
        "fiscal_year": int(year),
        "probability": float(probability),
        "recruits": bool(fc.new_sales is not None),
    }
    return QuotaPlan(
        table=table,
        attainment=xr.DataArray(att, dims=("draw", "territory"), coords=coords, name="attainment"),
        annual=xr.DataArray(all_annual, dims=("draw", "territory"), coords=coords, name="sales"),
        meta=meta,
    )
