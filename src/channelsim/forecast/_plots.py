"""Plots for forecasts and their calibration (matplotlib, no pyplot state).

* :func:`fan_chart`: the total and each territory, history and actuals as a line, the
  forecast as nested central bands (50/80/95%) and its median;
* :func:`calibration_plot`: nominal vs observed coverage of central intervals per level, and
  the histogram of PITs (flat when calibrated).

Functions return a :class:`matplotlib.figure.Figure` built without pyplot, so they work in
batch jobs and notebooks alike (``fig.savefig(path)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelsim.calendar import FiscalCalendar
from channelsim.forecast._metrics import pit_coverage

__all__ = ["calibration_plot", "fan_chart"]

_BANDS = ((0.025, 0.975), (0.1, 0.9), (0.25, 0.75))
_NOMINAL = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])


def _actual_series(book, level: str, ids, unit: str):
    """Per-id actual sales by period label from a book (territory/total levels)."""
    sales = np.nan_to_num(book.sales_matrix(), nan=0.0)
    terr = book.territory_matrix()
    labels = [str(p) for p in book.periods]
    out = {}
    for i, tid in enumerate(book.territory_ids):
        out[tid] = np.where(terr == i, sales, 0.0).sum(axis=0)
    out["total"] = sales.sum(axis=0)
    frame = pd.DataFrame(out, index=pd.Index(labels))
    if unit == "quarter":
        if book.freq == "M":
            q = [
                str(p) for p in FiscalCalendar(book.fiscal_year_start_month).quarters(book.periods)
            ]
            counts = pd.Series(q).value_counts()
            frame = frame.groupby(q, sort=False).sum()
            frame = frame[counts.reindex(frame.index).to_numpy() == 3]  # whole quarters only
    return frame


def fan_chart(
    fc,
    book=None,
    *,
    ids=None,
    unit: str | None = None,
    history: int = 12,
    ncols: int = 3,
    figsize_per: tuple[float, float] = (4.0, 2.6),
):
    """Fan charts of the total and each territory, with actuals.

    Parameters
    ----------
    fc : Forecast
    book : channelsim.data.Book, optional
        Actuals: its last ``history`` periods before the origin are drawn, and any periods
        it has inside the forecast horizon (a backtest) as points.
    ids : list of str, optional
        Territories to draw (default all); the total is always first.
    unit : {"step", "quarter"}, optional
        Defaults to the forecast's unit.
    history : int
        Periods of history to show.
    ncols : int
        Panels per row.
    figsize_per : (float, float)
        Size of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> from channelsim.forecast import forecast
    >>> fig = fan_chart(forecast(draw_world(2, 10, seed=0), 4, seed=1, draws=50))
    >>> len(fig.axes)
    3
    """
    from matplotlib.figure import Figure

    unit = unit or fc.unit
    labels = fc.period_labels(unit)
    tids, terr = fc.level_draws("territory", unit)
    _, tot = fc.level_draws("total", unit)
    ids = list(tids) if ids is None else list(ids)
    panels = [("total", tot[:, 0])] + [(t, terr[:, tids.index(t)]) for t in ids]
    n = len(panels)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = Figure(figsize=(figsize_per[0] * ncols, figsize_per[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    actual = None if book is None else _actual_series(book, "territory", ids, unit)
    for ax, (name, x) in zip(axes, panels, strict=False):
        hist_labels: list[str] = []
        if actual is not None and name in actual.columns:
            before = [p for p in actual.index if p < labels[0]][-history:]
            hist_labels = before
        xs_hist = np.arange(-len(hist_labels), 0)
        xs = np.arange(len(labels))
        for k, (lo, hi) in enumerate(_BANDS):
            qlo, qhi = np.quantile(x, [lo, hi], axis=0)
            ax.fill_between(
                xs,
                qlo,
                qhi,
                color="C0",
                alpha=0.18 + 0.12 * k,
                linewidth=0,
                label=f"{round((hi - lo) * 100)}% interval",
            )
        ax.plot(xs, np.median(x, axis=0), color="C0", lw=1.5, label="median")
        if hist_labels:
            ax.plot(
                xs_hist, actual.loc[hist_labels, name].to_numpy(), color="k", lw=1.2, label="actual"
            )
            inside = [p for p in labels if p in actual.index]
            if inside:
                ax.plot(
                    [labels.index(p) for p in inside],
                    actual.loc[inside, name].to_numpy(),
                    "o",
                    color="k",
                    ms=3,
                )
        ax.set_title(name, fontsize=9)
        all_labels = [*hist_labels, *labels]
        pos = np.r_[xs_hist, xs]
        step = max(1, len(all_labels) // 6)
        ax.set_xticks(pos[::step], all_labels[::step], fontsize=7, rotation=30)
        ax.tick_params(axis="y", labelsize=7)
        ax.axvline(-0.5, color="grey", lw=0.6, ls=":")
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=6, loc="upper left")
    fig.suptitle(
        f"Forecast from {fc.meta.get('origin', labels[0])} ({fc.n_draws} draws)", fontsize=10
    )
    return fig


def calibration_plot(pits, *, bins: int = 10, figsize: tuple[float, float] = (9.0, 3.6)):
    """Calibration: nominal vs observed coverage of central intervals, and PIT histograms.

    Parameters
    ----------
    pits : dict, pandas.DataFrame or array
        PITs per level: a dict ``{level: array}``, a backtest's records (columns ``level``,
        ``pit``) or one array.
    bins : int
        Histogram bins.
    figsize : (float, float)

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = calibration_plot({"territory": np.random.default_rng(0).random(500)})
    >>> len(fig.axes)
    2
    """
    from matplotlib.figure import Figure

    if isinstance(pits, pd.DataFrame):
        pits = {str(k): g["pit"].to_numpy(float) for k, g in pits.groupby("level", sort=False)}
    elif not isinstance(pits, dict):
        pits = {"all": np.asarray(pits, dtype=float)}
    fig = Figure(figsize=figsize, layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    edges = np.linspace(0, 1, bins + 1)
    for k, (level, p) in enumerate(pits.items()):
        p = np.asarray(p, dtype=float)
        p = p[np.isfinite(p)]
        obs = pit_coverage(p, _NOMINAL)
        ax1.plot(_NOMINAL, obs, "o-", ms=3, color=f"C{k}", label=f"{level} (n={p.size})")
        dens, _ = np.histogram(p, bins=edges, density=True)
        ax2.step(edges, np.r_[dens, dens[-1]], where="post", color=f"C{k}", label=level)
    ax1.set_xlabel("nominal coverage of central interval")
    ax1.set_ylabel("observed coverage")
    ax1.set_xlim(0, 1)
    ax1.set_ylim(0, 1)
    ax1.legend(fontsize=7)
    ax2.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax2.set_xlabel("PIT")
    ax2.set_ylabel("density")
    ax2.set_xlim(0, 1)
    ax1.set_title("interval coverage", fontsize=9)
    ax2.set_title("PIT histogram (flat = calibrated)", fontsize=9)
    return fig
