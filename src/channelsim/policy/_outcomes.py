"""The outcome variables of a simulation, from per territory-quarter records (numpy).

:mod:`channelsim.simulate`'s kernels compute the same in numba, inside the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["OUTCOMES", "VARIABLES", "Z90", "Outcome", "quarter_variables"]

#: ``scipy.special.ndtri(0.9)`` (a test checks it): the 80% interval of the statistical
#: forecast is ``exp(mu -/+ Z90 s)``. A literal keeps scipy out of the import.
Z90 = 1.2815515655446004


@dataclass(frozen=True)
class Outcome:
    """One outcome variable of a simulation: the registry entry every table derives from.

    Attributes
    ----------
    name : str
        Variable name in the Simulation Dataset (DESIGN.md section 7).
    description, units : str
        What a territory-quarter value means, and its units.
    reduce : {"sum", "mean", "last"}
        How quarters fold into one number per path: flows summed, rates averaged, stocks
        taken at the last quarter (the simulate summary and the scenario objectives).
    sense : {"max", "min"}
        Whether larger or smaller values are better (after ``transform``).
    label : str
        Plain-language name for tables and charts.
    transform : {None, "abs", "coverage_gap"}
        Applied before ``sense``: ``abs`` for biases, distance from the nominal interval
        coverage for coverages.
    percent : bool
        Ratios shown as percentages; differences in percentage points.
    territory_reduce : {"sum", "mean"}
        How a ``territory`` dimension is collapsed.
    accuracy : bool
        A forecast-accuracy variable, also reported per window (transition, steady state).
    """

    name: str
    description: str
    units: str
    reduce: Literal["sum", "mean", "last"]
    sense: Literal["max", "min"]
    label: str
    transform: Literal["abs", "coverage_gap"] | None = None
    percent: bool = False
    territory_reduce: Literal["sum", "mean"] = "mean"
    accuracy: bool = False


_COMMIT_INTERVAL = (
    "1 if revenue lies in the CAM's 80% interval around its commit "
    "(log commit -/+ Z90 x belief sd), else 0"
)
_COVERAGE = "channel coverage min(1, engaged / target) at quarter end (total: territory mean)"

#: The outcome registry, in the order of the kernel's output axis. The simulate summary
#: (:data:`channelsim.simulate.AGGREGATION`, ``ACCURACY_VARIABLES``), the scenario objectives
#: (:data:`channelsim.scenario.OBJECTIVES`) and the report's tables are derived from it.
OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome(
            "revenue",
            "booked revenue of the quarter (partner sales plus timing games)",
            "currency",
            "sum",
            "max",
            "revenue over the horizon",
            territory_reduce="sum",
        ),
        # attainment of the whole book: the Dataset's total rows are sum(revenue) / sum(quota)
        Outcome(
            "attainment",
            "revenue / quota (total: summed over territories)",
            "ratio",
            "mean",
            "max",
            "average quota attainment",
            percent=True,
        ),
        Outcome(
            "share_at_quota",
            "share of territories with revenue >= quota",
            "share",
            "mean",
            "max",
            "share of territories at quota",
            percent=True,
        ),
        Outcome(
            "stat_ape",
            "|statistical forecast - revenue| / revenue",
            "ratio",
            "mean",
            "min",
            "statistical forecast error (APE)",
            percent=True,
            accuracy=True,
        ),
        Outcome(
            "stat_bias",
            "(statistical forecast - revenue) / revenue",
            "ratio",
            "mean",
            "min",
            "statistical forecast bias (absolute)",
            "abs",
            True,
            accuracy=True,
        ),
        Outcome(
            "stat_coverage",
            "1 if revenue lies in the forecast's 80% interval, else 0",
            "share",
            "mean",
            "min",
            "forecast interval coverage gap",
            "coverage_gap",
            True,
            accuracy=True,
        ),
        Outcome(
            "commit_ape",
            "|commit - revenue| / revenue",
            "ratio",
            "mean",
            "min",
            "commit forecast error (APE)",
            percent=True,
            accuracy=True,
        ),
        Outcome(
            "commit_bias",
            "(commit - revenue) / revenue",
            "ratio",
            "mean",
            "min",
            "commit bias (absolute)",
            "abs",
            True,
            accuracy=True,
        ),
        Outcome(
            "commit_coverage",
            _COMMIT_INTERVAL,
            "share",
            "mean",
            "min",
            "commit interval coverage gap",
            "coverage_gap",
            True,
            accuracy=True,
        ),
        Outcome(
            "coverage_index",
            _COVERAGE,
            "share",
            "last",
            "max",
            "partner coverage at the end",
            percent=True,
        ),
        Outcome(
            "share_mature",
            "share of territories at 'mature' channel maturity at quarter end",
            "share",
            "last",
            "max",
            "share of mature territories at the end",
            percent=True,
        ),
        Outcome(
            "active_partners",
            "partners present and not dormant at quarter end",
            "count",
            "last",
            "max",
            "active partners at the end",
            territory_reduce="sum",
        ),
        Outcome(
            "pay_cost_ratio",
            "CAM pay / revenue",
            "ratio",
            "mean",
            "min",
            "pay cost as a share of revenue",
            percent=True,
        ),
        Outcome(
            "programme_cost",
            "hiring, onboarding and KPI programme cost",
            "currency",
            "sum",
            "min",
            "programme cost over the horizon",
            territory_reduce="sum",
        ),
        Outcome(
            "cam_attrition",
            "CAMs who quit during the quarter",
            "count",
            "sum",
            "min",
            "CAMs who quit over the horizon",
            territory_reduce="sum",
        ),
        Outcome(
            "gap_recruits",
            "partners recruited into gaps of the territory plan (coverage below 1)",
            "count",
            "sum",
            "max",
            "partners recruited into plan gaps over the horizon",
            territory_reduce="sum",
        ),
        Outcome(
            "partners_enabled",
            "partners advanced from onboarding (to enabled or beyond)",
            "count",
            "sum",
            "max",
            "partners advanced from onboarding over the horizon",
            territory_reduce="sum",
        ),
        Outcome(
            "plans_completed",
            "partner business plans completed",
            "count",
            "sum",
            "max",
            "partner business plans completed over the horizon",
            territory_reduce="sum",
        ),
    )
}
#: Outcome variables: name -> (description, units), in the order of the kernel's output axis
#: (derived from :data:`OUTCOMES`).
VARIABLES: dict[str, tuple[str, str]] = {n: (o.description, o.units) for n, o in OUTCOMES.items()}


def _rel(x, revenue):
    ok = revenue > 0
    return np.where(ok, x / np.where(ok, revenue, 1.0), np.nan)


def _inside(R, mean, var):
    """1 where ``R`` lies in the moment-matched log-normal 80% interval of ``(mean, var)``,
    0 outside, NaN where ``mean <= 0``."""
    pos = mean > 0
    safe = np.where(pos, mean, 1.0)
    s2 = np.log1p(np.where(pos, var, 0.0) / (safe * safe))
    mu = np.log(safe) - 0.5 * s2
    s = np.sqrt(s2)
    lo, hi = np.exp(mu - Z90 * s), np.exp(mu + Z90 * s)
    return np.where(pos, ((R >= lo) & (R <= hi)).astype(np.float64), np.nan)


def quarter_variables(rec: dict, target: np.ndarray, by_territory: bool) -> np.ndarray:
    """The :data:`VARIABLES` from records (path, territory, quarter).

    ``rec`` holds ``revenue, quota, mean, var, commit, belief_sd, engaged, active, maturity,
    pay, cost, quits, gap_recruits, enabled, plans``. Returns (variable, path, quarter, territory) when ``by_territory``,
    else (variable, path, quarter, 1) with territory totals: sums of revenue, quota, forecast
    mean and variance (territories are independent given the state), commits, partners, pay
    and costs; means over territories of the shares and coverage.

    The commit's 80% interval is the CAM's own: a log-normal with median the commit and log
    sd the belief's (``belief_sd``), i.e. ``log commit -/+ Z90 belief_sd``. For totals its
    mean ``c exp(s^2 / 2)`` and variance ``mean^2 (exp(s^2) - 1)`` are summed over
    territories (the CAMs' beliefs taken as independent) and the interval moment-matched
    from them, as the statistical forecast's is; per territory the round trip gives the
    CAM's interval back.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 2, 1))
    >>> rec = dict(revenue=one, quota=one, mean=one, var=one * 0.01, commit=one * 1.1,
    ...            belief_sd=one * 0.1, engaged=one, active=one, maturity=one * 3, pay=one * 0.1, cost=one, quits=0 * one,
    ...            gap_recruits=one, enabled=one, plans=one)
    >>> v = quarter_variables(rec, np.array([2.0, 1.0]), by_territory=False)
    >>> float(v[list(VARIABLES).index("coverage_index"), 0, 0, 0])
    0.75
    """
    tr = lambda a: np.moveaxis(np.asarray(a, dtype=np.float64), 1, 2)  # noqa: E731 -> (p,q,t)
    R, quota, mean, var, commit = (
        tr(rec[k]) for k in ("revenue", "quota", "mean", "var", "commit")
    )
    eng, act, mat, pay, cost, quits = (
        tr(rec[k]) for k in ("engaged", "active", "maturity", "pay", "cost", "quits")
    )
    gaps, enabled, plans = (tr(rec[k]) for k in ("gap_recruits", "enabled", "plans"))
    bsd = tr(rec["belief_sd"])
    c_pos = commit > 0
    c_mean = np.where(c_pos, commit * np.exp(0.5 * (bsd * bsd)), 0.0)
    c_var = np.where(c_pos, c_mean * c_mean * np.expm1(bsd * bsd), 0.0)
    cov = np.minimum(1.0, eng / target)
    at_quota = (R >= quota).astype(np.float64)
    mature = (mat == 3).astype(np.float64)
    if not by_territory:
        T = R.shape[-1]

        def tot(a):
            s = a[..., 0].copy()
            for t in range(1, T):
                s = s + a[..., t]
            return s[..., None]

        R, quota, mean, var, commit = tot(R), tot(quota), tot(mean), tot(var), tot(commit)
        c_mean, c_var = tot(c_mean), tot(c_var)
        act, pay, cost, quits = tot(act), tot(pay), tot(cost), tot(quits)
        gaps, enabled, plans = tot(gaps), tot(enabled), tot(plans)
        cov, at_quota, mature = tot(cov) / T, tot(at_quota) / T, tot(mature) / T
    att = np.where(quota > 0, R / np.where(quota > 0, quota, 1.0), np.nan)
    inside = _inside(R, mean, var)
    c_inside = _inside(R, c_mean, c_var)
    out = [
        R,
        att,
        at_quota,
        np.abs(_rel(mean - R, R)),
        _rel(mean - R, R),
        inside,
        np.abs(_rel(commit - R, R)),
        _rel(commit - R, R),
        c_inside,
        cov,
        mature,
        act,
        _rel(pay, R),
        cost,
        quits,
        gaps,
        enabled,
        plans,
    ]
    return np.stack(out)
