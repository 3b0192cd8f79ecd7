"""Accuracy and calibration metrics for point forecasts and forecast draws.

Point metrics take ``actual`` ``y`` and point forecast ``f`` arrays of the same shape;
distributional metrics take draws with the draw axis first. Conventions (see
``docs/forecast.md`` for the formulas):

* **WAPE** ``sum|f - y| / sum|y|`` and **signed bias** ``(sum f - sum y) / sum y`` (positive
  means over-forecast);
* **APE-type** metrics (**MAPE**, **share within ±5% / ±10%**) only over ``y > 0``, and only
  reported at territory level and above, where actuals are rarely zero;
* **MASE** ``mean_h |f - y| / s`` and **RMSSE** ``sqrt(mean_h (f - y)^2 / s2)`` with the
  in-sample seasonal-naive scales ``s = mean|y_t - y_{t-m}|``, ``s2 = mean (y_t - y_{t-m})^2``;
  in backtests the scales are taken over each series' own history *since its entry* (its first
  non-zero value), so the zeros before a partner existed do not shrink them; a series with
  fewer than ``m + 1`` periods since entry has no scale and is reported apart (counted, and
  scored in its own ``short_history`` row), and a series whose scale is zero is counted and
  left out, never divided by. MASE is summarised three ways: the **mean** and **median** of
  the per-series ratios and the **pooled** ratio ``sum_i MAE_i / sum_i s_i`` (robust to a few
  series with tiny scales);
* **CRPS** of the empirical distribution of the draws
  ``mean_i |x_i - y| - 1/(2 D^2) sum_{i,j} |x_i - x_j|``;
* **pinball loss** ``max(tau (y - q), (tau - 1)(y - q))``;
* **interval coverage** ``mean(lo <= y <= hi)``;
* **randomised PIT** from the rank of ``y`` among the ``D`` draws, ties (the point mass at zero
  of a partner's sales) broken uniformly: ``(#{x < y} + V (#{x = y} + 1)) / (D + 1)`` with
  ``V ~ U(0, 1)``; exactly uniform when ``y`` and the draws are exchangeable.

Depends on numpy, pandas and scipy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "APE_LEVELS",
    "POINT_OF_COLUMN",
    "crps_sample",
    "history_since_entry",
    "interval_coverage",
    "mape",
    "mase",
    "mase_summary",
    "pinball_loss",
    "pit_coverage",
    "pit_uniformity",
    "randomized_pit",
    "rmsse",
    "seasonal_naive_scale",
    "share_within",
    "signed_bias",
    "summarize",
    "wape",
]

#: Levels where APE-type metrics are reported (actuals are rarely zero there).
APE_LEVELS: tuple[str, ...] = ("territory", "maturity", "total", "stage")


def _pair(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    y, f = np.broadcast_arrays(y, f)
    ok = np.isfinite(y) & np.isfinite(f)
    return y[ok], f[ok]


def wape(actual, forecast) -> float:
    """Weighted absolute percentage error ``sum|f - y| / sum|y|`` (NaN if ``sum|y| = 0``).

    Examples
    --------
    >>> wape([100, 50, 0], [110, 40, 5])
    0.16666666666666666
    """
    y, f = _pair(actual, forecast)
    den = np.abs(y).sum()
    return float(np.abs(f - y).sum() / den) if den > 0 else float("nan")


def signed_bias(actual, forecast) -> float:
    """Signed bias ``(sum f - sum y) / sum y``; positive means the forecast was too high.

    Examples
    --------
    >>> signed_bias([100, 50], [110, 40])
    0.0
    >>> signed_bias([100, 100], [120, 110])
    0.15
    """
    y, f = _pair(actual, forecast)
    den = y.sum()
    return float((f.sum() - den) / den) if den != 0 else float("nan")


def mape(actual, forecast) -> float:
    """Mean absolute percentage error over positive actuals only.

    Examples
    --------
    >>> round(mape([100, 50, 0], [110, 40, 5]), 12)
    0.15
    """
    y, f = _pair(actual, forecast)
    pos = y > 0
    return float(np.mean(np.abs(f[pos] - y[pos]) / y[pos])) if pos.any() else float("nan")


def share_within(actual, forecast, tolerance: float) -> float:
    """Share of positive actuals forecast within ``±tolerance`` (relative).

    Examples
    --------
    >>> share_within([100, 100, 50, 0], [104, 111, 52, 3], 0.05)
    0.6666666666666666
    """
    y, f = _pair(actual, forecast)
    pos = y > 0
    if not pos.any():
        return float("nan")
    return float(np.mean(np.abs(f[pos] - y[pos]) <= tolerance * y[pos] * (1 + 1e-12)))


def history_since_entry(history) -> np.ndarray:
    """Periods of each series from its entry (first finite, non-zero value) to the end.

    Parameters
    ----------
    history : array (..., time)
        NaN (not yet present) and zero before entry are treated alike.

    Examples
    --------
    >>> history_since_entry([[np.nan, 0, 3, 0, 1], [0, 0, 0, 0, 0]]).tolist()
    [3, 0]
    """
    h = np.atleast_2d(np.asarray(history, dtype=np.float64))
    nz = np.isfinite(h) & (h != 0)
    first = np.where(nz.any(-1), nz.argmax(-1), h.shape[-1])
    return (h.shape[-1] - first).astype(np.int64)


def seasonal_naive_scale(
    history, season: int, power: int = 1, *, since_entry: bool = False
) -> np.ndarray:
    """In-sample scale of the seasonal-naive forecast, per series (last axis = time).

    ``mean_t |y_t - y_{t-m}|**power`` over the steps with both values finite. A series too
    short for lag ``m`` (fewer than ``m + 1`` values) uses lag 1; one with fewer than two
    values gets NaN.

    With ``since_entry=True`` each series is scaled from its own history since its entry
    (:func:`history_since_entry`; NaN after entry counts as zero) and a series with fewer
    than ``m + 1`` periods since entry gets NaN (too little history for a seasonal scale:
    report it apart rather than scale it by a lag-1 difference of a partner still ramping).

    Parameters
    ----------
    history : array (..., time)
    season : int
        Seasonal period ``m`` (12 for months, 4 for quarters).
    power : {1, 2}
        1 for MASE, 2 for RMSSE.
    since_entry : bool
        Scale from each series' entry on (see above).

    Examples
    --------
    >>> seasonal_naive_scale([[1, 2, 3, 5, 5]], 2).round(6).tolist()  # (2 + 3 + 2) / 3
    [2.333333]
    >>> seasonal_naive_scale([[1, 2, 3, 5, 5]], 2, power=2).round(6).tolist()  # (4 + 9 + 4) / 3
    [5.666667]
    >>> seasonal_naive_scale([[0, 0, 0, 1, 2, 4]], 2).tolist()  # zeros before entry count
    [1.5]
    >>> seasonal_naive_scale([[0, 0, 0, 1, 2, 4]], 2, since_entry=True).tolist()  # |4 - 1| / 1
    [3.0]
    """
    h = np.atleast_2d(np.asarray(history, dtype=np.float64))
    if since_entry:
        n_since = history_since_entry(h)
        n = h.shape[-1]
        idx = np.arange(n)
        after = idx[None, :] >= (n - n_since)[..., None]
        h = np.where(after, np.nan_to_num(h, nan=0.0), np.nan)
        m = season
        if n <= m:
            return np.full(h.shape[:-1], np.nan)
    else:
        n = h.shape[-1]
        m = season if n > season else 1
        if n < 2:
            return np.full(h.shape[:-1], np.nan)
    d = np.abs(h[..., m:] - h[..., :-m]) ** power
    with np.errstate(invalid="ignore", divide="ignore"):
        cnt = np.isfinite(d).sum(-1)
        out = np.where(cnt > 0, np.nansum(d, axis=-1) / np.maximum(cnt, 1), np.nan)
    return out


def mase(actual, forecast, scale) -> np.ndarray:
    """Mean absolute scaled error per series: ``mean_h |f - y| / scale``.

    ``actual`` and ``forecast`` are ``(series, h)``; ``scale`` is ``(series,)`` from
    :func:`seasonal_naive_scale`. Series with a zero (or undefined) scale get NaN: report how
    many, never divide by zero.

    Examples
    --------
    >>> mase([[10, 12], [5, 5]], [[11, 10], [5, 6]], [2.0, 0.0]).tolist()
    [0.75, nan]
    """
    y = np.atleast_2d(np.asarray(actual, dtype=np.float64))
    f = np.atleast_2d(np.asarray(forecast, dtype=np.float64))
    s = np.asarray(scale, dtype=np.float64)
    mae = np.nanmean(np.abs(f - y), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, mae / np.where(s > 0, s, 1.0), np.nan)


def rmsse(actual, forecast, scale2) -> np.ndarray:
    """Root mean squared scaled error per series: ``sqrt(mean_h (f - y)^2 / scale2)``.

    ``scale2`` is :func:`seasonal_naive_scale` with ``power=2``; zero scale gives NaN.

    Examples
    --------
    >>> rmsse([[10, 12]], [[11, 10]], [2.5]).tolist()
    [1.0]
    """
    y = np.atleast_2d(np.asarray(actual, dtype=np.float64))
    f = np.atleast_2d(np.asarray(forecast, dtype=np.float64))
    s2 = np.asarray(scale2, dtype=np.float64)
    mse = np.nanmean((f - y) ** 2, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s2 > 0, np.sqrt(mse / np.where(s2 > 0, s2, 1.0)), np.nan)


def mase_summary(mae, scale) -> dict[str, float]:
    """Mean, median and pooled MASE over series with a positive scale.

    ``mae`` and ``scale`` are per series (``mean_h |f - y|`` and the in-sample scale). The
    pooled MASE ``sum_i mae_i / sum_i scale_i`` weights each series by its scale, so a few
    series with tiny scales cannot dominate it the way they dominate the mean of ratios.

    Returns
    -------
    dict
        ``mean``, ``median``, ``pooled`` (NaN when no series has a positive scale) and ``n``
        (series used).

    Examples
    --------
    >>> out = mase_summary([1.0, 2.0, 9.0, 4.0], [1.0, 4.0, 3.0, 0.0])
    >>> [round(out[k], 6) for k in ("mean", "median", "pooled")], out["n"]
    ([1.5, 1.0, 1.5], 3)
    """
    a = np.asarray(mae, dtype=np.float64).ravel()
    s = np.asarray(scale, dtype=np.float64).ravel()
    ok = np.isfinite(a) & np.isfinite(s) & (s > 0)
    if not ok.any():
        return {"mean": np.nan, "median": np.nan, "pooled": np.nan, "n": 0}
    r = a[ok] / s[ok]
    return {
        "mean": float(r.mean()),
        "median": float(np.median(r)),
        "pooled": float(a[ok].sum() / s[ok].sum()),
        "n": int(ok.sum()),
    }


def crps_sample(actual, draws) -> np.ndarray:
    """CRPS of the empirical distribution of ``draws`` (axis 0) at each ``actual``.

    .. math::

        \\mathrm{CRPS} = \\frac{1}{D}\\sum_i |x_i - y|
            - \\frac{1}{2D^2}\\sum_{i,j} |x_i - x_j|

    computed in ``O(D log D)`` from the sorted draws,
    ``sum_{i,j}|x_i - x_j| = 2 sum_k (2k - D - 1) x_(k)``.

    Examples
    --------
    >>> round(float(crps_sample(1.0, [0.0, 2.0])), 6)
    0.5
    >>> float(crps_sample(3.0, [3.0]))
    0.0
    """
    x = np.asarray(draws, dtype=np.float64)
    y = np.asarray(actual, dtype=np.float64)
    D = x.shape[0]
    xs = np.sort(x, axis=0)
    term1 = np.abs(xs - y[None, ...]).mean(axis=0)
    w = (2.0 * np.arange(1, D + 1) - D - 1).reshape((D,) + (1,) * (x.ndim - 1))
    spread = 2.0 * (w * xs).sum(axis=0) / D**2
    return term1 - 0.5 * spread


def pinball_loss(actual, quantile_forecast, tau: float) -> np.ndarray:
    """Pinball (quantile) loss ``max(tau (y - q), (tau - 1)(y - q))``, elementwise.

    Examples
    --------
    >>> pinball_loss([10.0, 10.0], [8.0, 12.0], 0.9).round(12).tolist()
    [1.8, 0.2]
    """
    y = np.asarray(actual, dtype=np.float64)
    q = np.asarray(quantile_forecast, dtype=np.float64)
    d = y - q
    return np.maximum(tau * d, (tau - 1.0) * d)


def interval_coverage(actual, lower, upper) -> float:
    """Share of actuals inside ``[lower, upper]`` (finite entries only).

    Examples
    --------
    >>> interval_coverage([1, 5, 9], [0, 0, 0], [4, 6, 8])
    0.6666666666666666
    """
    y = np.asarray(actual, dtype=np.float64)
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return float("nan")
    return float(np.mean((y[ok] >= lo[ok]) & (y[ok] <= hi[ok])))


def randomized_pit(actual, draws, seed: int | list[int] = 0) -> np.ndarray:
    """Randomised probability integral transform of each actual among its draws.

    .. math::

        \\mathrm{PIT} = \\frac{\\#\\{x_i < y\\} + V\\,(\\#\\{x_i = y\\} + 1)}{D + 1},
        \\quad V \\sim U(0, 1)

    The rank of ``y`` among ``y`` and the ``D`` draws, with ties (a partner's point mass at
    zero) broken at random, spread over its cell: exactly ``U(0, 1)`` when the actual is
    exchangeable with the draws, for any ``D``, continuous or not.

    Parameters
    ----------
    actual : array (...)
    draws : array (draw, ...)
    seed : int or list of int
        Seeds the uniforms ``V`` (:func:`numpy.random.default_rng`).

    Examples
    --------
    >>> p = randomized_pit([5.0], [[1.0], [2.0], [9.0]], seed=0)  # rank 2 of 4: [0.5, 0.75)
    >>> bool(0.5 <= p[0] < 0.75)
    True
    >>> p = randomized_pit(np.zeros(1000), np.zeros((3, 1000)), seed=1)
    >>> bool(p.min() >= 0 and p.max() <= 1 and abs(p.mean() - 0.5) < 0.05)
    True
    """
    x = np.asarray(draws, dtype=np.float64)
    y = np.asarray(actual, dtype=np.float64)
    D = x.shape[0]
    below = (x < y[None, ...]).sum(axis=0)
    ties = (x == y[None, ...]).sum(axis=0)
    v = np.random.default_rng(seed).random(y.shape)
    return (below + v * (ties + 1)) / (D + 1)


def pit_coverage(pit, nominal) -> np.ndarray:
    """Observed coverage of central intervals of each ``nominal`` level, from PITs.

    A central interval of level ``c`` covers when ``(1 - c)/2 <= PIT <= (1 + c)/2``.

    Examples
    --------
    >>> pit_coverage([0.05, 0.5, 0.85, 0.97], [0.8]).tolist()
    [0.5]
    """
    p = np.asarray(pit, dtype=np.float64).ravel()
    p = p[np.isfinite(p)]
    c = np.atleast_1d(np.asarray(nominal, dtype=np.float64))
    if p.size == 0:
        return np.full(c.shape, np.nan)
    lo, hi = (1 - c) / 2, (1 + c) / 2
    return ((p[None, :] >= lo[:, None]) & (p[None, :] <= hi[:, None])).mean(axis=1)


def pit_uniformity(pit) -> tuple[float, float]:
    """Kolmogorov-Smirnov test of PITs against ``U(0, 1)``: ``(statistic, p-value)``.

    Examples
    --------
    >>> stat, p = pit_uniformity(np.linspace(0.001, 0.999, 200))
    >>> p > 0.99
    True
    """
    from scipy import stats

    p = np.asarray(pit, dtype=np.float64).ravel()
    p = p[np.isfinite(p)]
    if p.size < 2:
        return float("nan"), float("nan")
    res = stats.kstest(p, "uniform")
    return float(res.statistic), float(res.pvalue)


# ---------------------------------------------------------------------- summary table
#: Columns of :func:`summarize`.
_SUMMARY_COLUMNS = (
    "level",
    "stage",
    "method",
    "n_series",
    "n_obs",
    "wape",
    "bias",
    "mape",
    "within_5",
    "within_10",
    "mase",
    "mase_median",
    "mase_pooled",
    "rmsse",
    "zero_scale_series",
    "short_history_series",
    "crps",
    "pinball",
    "coverage_50",
    "coverage_80",
    "coverage_95",
    "pit_coverage_80",
    "pit_coverage_95",
    "pit_ks_p",
    "point_abs",
    "point_sq",
)

#: Which point forecast each summary column is scored with: ``"abs"`` columns use the
#: row's ``point_abs`` (the median under ``point="auto"``), ``"sq"`` columns its ``point_sq``
#: (the mean); quotas always use the mean.
POINT_OF_COLUMN: dict[str, str] = {
    "wape": "abs",
    "mape": "abs",
    "within_5": "abs",
    "within_10": "abs",
    "mase": "abs",
    "mase_median": "abs",
    "mase_pooled": "abs",
    "bias": "sq",
    "rmsse": "sq",
}


def _qcols(records: pd.DataFrame) -> list[tuple[str, float]]:
    out = []
    for c in records.columns:
        if c.startswith("q") and c[1:].replace("_", "").isdigit():
            out.append((c, float(c[1:].replace("_", ".")) / 100.0))
    return sorted(out, key=lambda t: t[1])


def _score_group(
    g: pd.DataFrame, level: str, point_abs: str, point_sq: str, is_model: bool
) -> dict:
    y = g["actual"].to_numpy(float)
    f = g[point_abs].to_numpy(float)  # absolute-error metrics
    fm = g[point_sq].to_numpy(float)  # bias and squared-error metrics
    ape_ok = level in APE_LEVELS
    keys = ["window", "id"] if "window" in g.columns else ["id"]
    e = f - y
    per = (
        pd.DataFrame({"k": pd.MultiIndex.from_frame(g[keys]), "ae": np.abs(e), "se": (fm - y) ** 2})
        .assign(scale=g["scale"].to_numpy(float), scale2=g["scale2"].to_numpy(float))
        .groupby("k", sort=False)
        .agg(
            ae=("ae", "mean"),
            se=("se", "mean"),
            scale=("scale", "first"),
            scale2=("scale2", "first"),
        )
    )
    sc = per["scale"].to_numpy()
    sc2 = per["scale2"].to_numpy()
    ok2 = sc2 > 0
    ms = mase_summary(per["ae"].to_numpy(), sc)
    row = {
        "n_series": len(per),
        "n_obs": len(g),
        "wape": wape(y, f),
        "bias": signed_bias(y, fm),
        "mape": mape(y, f) if ape_ok else np.nan,
        "within_5": share_within(y, f, 0.05) if ape_ok else np.nan,
        "within_10": share_within(y, f, 0.10) if ape_ok else np.nan,
        "mase": ms["mean"],
        "mase_median": ms["median"],
        "mase_pooled": ms["pooled"],
        "rmsse": float(np.mean(np.sqrt(per["se"].to_numpy()[ok2] / sc2[ok2])))
        if ok2.any()
        else np.nan,
        "zero_scale_series": int((sc == 0).sum()),
        "short_history_series": int((~np.isfinite(sc)).sum()),
    }
    if is_model:
        qc = _qcols(g)
        qd = dict((round(t, 6), c) for c, t in qc)
        row["crps"] = float(g["crps"].mean()) if "crps" in g else np.nan
        row["pinball"] = (
            float(np.mean([pinball_loss(y, g[c].to_numpy(float), t).mean() for c, t in qc]))
            if qc
            else np.nan
        )
        for nominal, (lo, hi) in {50: (0.25, 0.75), 80: (0.1, 0.9), 95: (0.025, 0.975)}.items():
            if lo in qd and hi in qd:
                row[f"coverage_{nominal}"] = interval_coverage(
                    y, g[qd[lo]].to_numpy(float), g[qd[hi]].to_numpy(float)
                )
        if "pit" in g:
            pit = g["pit"].to_numpy(float)
            row["pit_coverage_80"], row["pit_coverage_95"] = pit_coverage(pit, [0.8, 0.95])
            row["pit_ks_p"] = pit_uniformity(pit)[1]
    else:
        row["crps"] = float(np.mean(np.abs(e)))  # a point forecast as a degenerate distribution
    return row


def _model_points(g: pd.DataFrame, point: str) -> tuple[str, str]:
    if point not in ("auto", "mean", "median"):
        raise ValueError(f"point must be 'auto', 'mean' or 'median', got {point!r}")
    median = "q50" if "q50" in g.columns else "mean"
    if point == "mean":
        return "mean", "mean"
    if point == "median":
        return median, median
    return median, "mean"


def _method_view(g: pd.DataFrame, method: str) -> tuple[pd.DataFrame, bool] | None:
    """The records as one method's forecast: ``(frame, distributional)`` or None if absent.

    ``"model"`` uses ``mean``, ``q..``, ``crps``, ``pit``; another method with a
    ``<method>_mean`` column is distributional too (its ``<method>_q..``, ``_crps``, ``_pit``
    columns, e.g. the oracle); otherwise ``<method>`` is a point-forecast column.
    """
    if method == "model":
        return g, True
    pre = f"{method}_"
    if pre + "mean" in g.columns:
        dist = [c for c in g.columns if c.startswith(pre)]
        names = [c[len(pre) :] for c in dist]
        own = ["mean", "crps", "pit", *[c for c, _ in _qcols(g)]]
        base = g.drop(columns=[c for c in own if c in g.columns])
        return pd.concat([base, g[dist].set_axis(names, axis=1)], axis=1), True
    if method in g.columns:
        return g, False
    return None


def summarize(
    records: pd.DataFrame,
    methods=("model", "naive", "seasonal_naive", "last_year_mean"),
    *,
    by_stage: bool = True,
    point: str = "auto",
) -> pd.DataFrame:
    """Score a table of forecast records per level, lifecycle stage and method.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per (window, level, id, period) with ``actual``, ``scale`` and ``scale2``
        (in-sample seasonal-naive scales of the series), the model's ``mean``, quantile
        columns (``q10`` ...), ``crps`` and ``pit``, a ``stage`` column (lifecycle stage at
        the origin for partner rows) and one point-forecast column per baseline method.
    methods : sequence of str
        ``"model"`` scores the model's forecast with every metric; a name with a
        ``<name>_mean`` column (``"oracle"``: the true world's forecast on synthetic books;
        peers with quantiles) is scored the same way from its ``<name>_q..``, ``<name>_crps``
        and ``<name>_pit`` columns; other names are point-forecast columns scored with the
        point metrics (their ``crps`` is the absolute error, a point forecast's CRPS).
    by_stage : bool
        Also score partner rows per lifecycle stage (``stage`` column); all rows get
        ``stage="all"``. Partner series with too little history for a seasonal scale (NaN
        ``scale``) are also scored apart as ``stage="short_history"`` (their MASE/RMSSE are
        NaN; WAPE, CRPS and coverage are not).
    point : {"auto", "mean", "median"}
        The model's point forecast. ``"auto"`` (default) scores each metric with its optimal
        point forecast: the median (``q50``) for the absolute-error metrics (WAPE, MAPE,
        within ±5/10%, MASE) and the mean for signed bias and RMSSE. With a point mass at
        zero (partners) the two differ a lot. ``"mean"``/``"median"`` use one for all.

    Returns
    -------
    pandas.DataFrame
        Columns ``level, stage, method, n_series, n_obs, wape, bias, mape, within_5,
        within_10, mase`` (mean of per-series ratios), ``mase_median, mase_pooled, rmsse,
        zero_scale_series, short_history_series, crps, pinball, coverage_50, coverage_80,
        coverage_95, pit_coverage_80, pit_coverage_95, pit_ks_p, point_abs, point_sq``.
        ``point_abs`` names the point the absolute-error columns used and ``point_sq`` the
        one bias and RMSSE used (:data:`POINT_OF_COLUMN`; ``"point"`` for a baseline).
        APE-type columns are NaN at partner level.

    Examples
    --------
    >>> rec = pd.DataFrame({"level": "territory", "id": ["a", "a"], "stage": "all",
    ...                     "actual": [10.0, 12.0], "mean": [11.0, 10.0],
    ...                     "naive": [9.0, 9.0], "scale": 2.0, "scale2": 4.0})
    >>> out = summarize(rec, ["model", "naive"])
    >>> out[["method", "wape", "mase"]].values.tolist()
    [['model', 0.13636363636363635, 0.75], ['naive', 0.18181818181818182, 1.0]]
    """
    rows = []
    level_order = ["total", "maturity", "stage", "territory", "partner"]
    levels = [lv for lv in level_order if lv in set(records["level"])]
    levels += sorted(set(records["level"]) - set(levels))
    for level in levels:
        lrec = records[records["level"] == level]
        groups = [("all", lrec)]
        if by_stage and level == "partner" and "stage" in lrec:
            groups += [(str(s), g) for s, g in lrec.groupby("stage", sort=False)]
        if level == "partner" and "scale" in lrec:
            short = ~np.isfinite(lrec["scale"].to_numpy(float))
            if short.any():
                groups.append(("short_history", lrec[short]))
        for stage, g in groups:
            for method in methods:
                view = _method_view(g, method)
                if view is None:
                    continue
                gm, distributional = view
                if distributional:
                    pa, ps = _model_points(gm, point)
                else:
                    pa = ps = method
                if pa not in gm.columns or ps not in gm.columns:
                    continue
                row = {"level": level, "stage": stage, "method": method}
                row.update(_score_group(gm, level, pa, ps, distributional))
                row["point_abs"] = "point" if not distributional else pa
                row["point_sq"] = "point" if not distributional else ps
                rows.append(row)
    out = pd.DataFrame(rows)
    for c in _SUMMARY_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    return out[list(_SUMMARY_COLUMNS)]
