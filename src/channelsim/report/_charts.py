"""The report's charts, drawn with matplotlib (Agg) from a :class:`~channelsim.scenario.Comparison`.

Each function returns a ``matplotlib.figure.Figure`` (so notebooks show it inline) and never
calls ``pyplot.show``; :func:`figure_png` turns a figure into PNG bytes and closes it. The
backend is left alone (notebooks keep ``inline``); the command line selects Agg.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from channelsim.scenario import OBJECTIVES, Comparison, lever_label

__all__ = [
    "CHARTS",
    "differences_chart",
    "distribution_chart",
    "figure_png",
    "frontier_chart",
    "maturity_chart",
    "tornado_chart",
]

SQ_COLOR = "#4d4d4d"
PALETTE = ["#1b6ca8", "#e07b39", "#3a9d5d", "#b83b5e", "#7c5cbf", "#c2a633", "#2aa1a6"]
GREY = "#b9c0c7"


def _label(p: int) -> str:
    return "status quo" if p == 0 else f"policy {p}"


def _colors(comp: Comparison) -> dict[int, str]:
    out = {0: SQ_COLOR}
    for i, p in enumerate(comp.highlight[1:]):
        out[p] = PALETTE[i % len(PALETTE)]
    return out


def _scale(name: str) -> tuple[float, str]:
    obj = OBJECTIVES[name]
    return (100.0, " (%)") if obj.percent else (1.0, "")


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, color="#e6e9ec", linewidth=0.8)
    ax.set_axisbelow(True)


def frontier_chart(comp: Comparison) -> Figure:
    """Forecast error against attainment for every policy, the Pareto frontier highlighted.

    The axes are the two frontier objectives (by default commit APE on x, lower is better, and
    attainment on y, higher is better); each dot is a policy's mean over paths.

    Examples
    --------
    >>> from channelsim.report import frontier_chart
    >>> callable(frontier_chart)
    True
    """
    xname, yname = comp.frontier
    sx, ux = _scale(xname)
    sy, uy = _scale(yname)
    t = comp.table
    x, y = t[xname].values * sx, t[yname].values * sy
    fig, ax = plt.subplots(figsize=(8.5, 5.6), dpi=110)
    ax.scatter(x, y, s=10 if len(t) > 200 else 22, color=GREY, alpha=0.7, lw=0, label="policies")
    front = t[t["on_frontier"]].sort_values(xname)
    ax.plot(
        front[xname] * sx,
        front[yname] * sy,
        "-o",
        color=PALETTE[0],
        ms=5,
        lw=1.6,
        label="frontier (no policy does better on both)",
    )
    colors = _colors(comp)
    offsets = [(7, 6), (7, -12), (-12, 8), (-12, -14)]
    for i, p in enumerate(comp.highlight):
        ax.scatter(
            t.loc[p, xname] * sx,
            t.loc[p, yname] * sy,
            s=110 if p == 0 else 60,
            marker="*" if p == 0 else "D",
            color=colors[p],
            zorder=5,
            edgecolor="white",
            lw=0.8,
        )
        ax.annotate(
            _label(p),
            (t.loc[p, xname] * sx, t.loc[p, yname] * sy),
            xytext=offsets[i % len(offsets)],
            textcoords="offset points",
            ha="left" if offsets[i % len(offsets)][0] > 0 else "right",
            fontsize=8.5,
            color=colors[p],
        )
    ax.set_xlabel(f"{OBJECTIVES[xname].label}{ux}  ({_better(xname)})")
    ax.set_ylabel(f"{OBJECTIVES[yname].label}{uy}  ({_better(yname)})")
    ax.set_title("Forecast accuracy vs quota attainment, every policy", loc="left", fontsize=12)
    _style(ax)
    ax.legend(frameon=False, fontsize=8.5, loc="best")
    fig.tight_layout()
    return fig


def _better(name: str) -> str:
    return "higher is better" if OBJECTIVES[name].sense == "max" else "lower is better"


def distribution_chart(comp: Comparison, names: tuple[str, str] | None = None) -> Figure:
    """Distributions over simulated paths of attainment and forecast error, by policy.

    One box per highlighted policy (the status quo and the top policies): the box spans the
    middle half of the paths, the whiskers 5% to 95%.

    Examples
    --------
    >>> from channelsim.report import distribution_chart
    >>> callable(distribution_chart)
    True
    """
    names = names or (comp.frontier[1], comp.frontier[0])
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.55 * len(comp.highlight) + 2.0), dpi=110)
    colors = _colors(comp)
    pols = list(reversed(comp.highlight))
    for ax, name in zip(axes, names, strict=True):
        s, unit = _scale(name)
        data = [comp.values[name].sel(policy=p).values * s for p in pols]
        bp = ax.boxplot(
            data,
            orientation="horizontal",
            whis=(5, 95),
            showfliers=False,
            patch_artist=True,
            widths=0.6,
            medianprops={"color": "white", "lw": 1.6},
        )
        for patch, p in zip(bp["boxes"], pols, strict=True):
            patch.set_facecolor(colors[p])
            patch.set_edgecolor(colors[p])
        ax.set_yticks(range(1, len(pols) + 1), [_label(p) for p in pols], fontsize=9)
        ax.axvline(np.median(data[-1]), color=SQ_COLOR, ls=":", lw=1)
        ax.set_xlabel(f"{OBJECTIVES[name].label}{unit}")
        ax.set_title(f"{OBJECTIVES[name].label} ({_better(name)})", loc="left", fontsize=11)
        _style(ax)
    fig.tight_layout()
    return fig


def maturity_chart(comp: Comparison, names=("share_mature", "coverage_index")) -> Figure:
    """Channel maturity over the horizon: mean over paths by quarter, with a 10-90% band.

    Examples
    --------
    >>> from channelsim.report import maturity_chart
    >>> callable(maturity_chart)
    True
    """
    names = [n for n in names if n in comp.by_quarter.data_vars]
    fig, axes = plt.subplots(1, max(len(names), 1), figsize=(10, 4.2), dpi=110, squeeze=False)
    colors = _colors(comp)
    for ax, name in zip(axes[0], names, strict=False):
        s, unit = _scale(name)
        q = comp.by_quarter["quarter"].values
        for p in comp.highlight:
            ax.plot(
                q + 1,
                comp.by_quarter[name].sel(policy=p).values * s,
                color=colors[p],
                lw=2.4 if p == 0 else 1.6,
                ls="--" if p == 0 else "-",
                label=_label(p),
            )
        for p in comp.highlight[:2]:
            band = comp.by_quarter_bands[name].sel(policy=p) * s
            ax.fill_between(
                q + 1, band.sel(quantile=0.1), band.sel(quantile=0.9), color=colors[p], alpha=0.12
            )
        ax.set_xlabel("quarter of the horizon")
        ax.set_ylabel(f"{OBJECTIVES[name].label}{unit}".replace(" at the end", ""))
        title = OBJECTIVES[name].label.replace(" at the end", "")
        ax.set_title(title[0].upper() + title[1:], loc="left", fontsize=11)
        ax.xaxis.get_major_locator().set_params(integer=True)
        _style(ax)
    axes[0][0].legend(frameon=False, fontsize=8.5)
    fig.tight_layout()
    return fig


def tornado_chart(comp: Comparison, name: str | None = None, *, max_levers: int = 12) -> Figure:
    """Lever sensitivity: the spread of each lever's main effect on one objective.

    Each bar runs from the average difference from the status quo at the lever's worst setting
    to that at its best, over all policies run; levers sorted by spread, widest on top.

    Examples
    --------
    >>> from channelsim.report import tornado_chart
    >>> callable(tornado_chart)
    True
    """
    name = name or comp.primary
    s, unit = _scale(name)
    sens = comp.sensitivity[name].head(max_levers)
    fig, ax = plt.subplots(figsize=(9, 0.55 * max(len(sens), 1) + 1.6), dpi=110)
    if sens.empty:
        ax.text(0.5, 0.5, "no lever varies in this scenario", ha="center", va="center")
        ax.set_axis_off()
        return fig
    sens = sens.iloc[::-1]
    y = np.arange(len(sens))
    sign = OBJECTIVES[name].sign
    worst = np.where(sign > 0, sens["low"], sens["high"]) * s
    best = np.where(sign > 0, sens["high"], sens["low"]) * s
    wl = np.where(sign > 0, sens["low_level"], sens["high_level"])
    bl = np.where(sign > 0, sens["high_level"], sens["low_level"])
    left = np.minimum(worst, best)
    ax.barh(y, np.abs(best - worst), left=left, color=PALETTE[0], alpha=0.85, height=0.55)
    for i in range(len(sens)):
        lo_is_worst = worst[i] <= best[i]
        ax.annotate(
            str(wl[i]).replace("_", " "),
            (min(worst[i], best[i]) if lo_is_worst else max(worst[i], best[i]), y[i]),
            xytext=(-4 if lo_is_worst else 4, 0),
            textcoords="offset points",
            ha="right" if lo_is_worst else "left",
            va="center",
            fontsize=8,
            color="#8a2a2a",
        )
        ax.annotate(
            str(bl[i]).replace("_", " "),
            (max(worst[i], best[i]) if lo_is_worst else min(worst[i], best[i]), y[i]),
            xytext=(4 if lo_is_worst else -4, 0),
            textcoords="offset points",
            ha="left" if lo_is_worst else "right",
            va="center",
            fontsize=8,
            color="#1f5f2f",
        )
    ax.set_yticks(
        y, [f"{lever_label(str(i))}  (S={v:.2f})" for i, v in sens["first_order"].items()]
    )
    ax.axvline(0, color=SQ_COLOR, lw=1, ls=":")
    ax.set_xlabel(f"difference from the status quo in {OBJECTIVES[name].label}{unit}")
    ax.set_title(
        f"Which levers move {OBJECTIVES[name].label} most (S = share of variance)",
        loc="left",
        fontsize=11,
    )
    lo, hi = ax.get_xlim()
    pad = 0.25 * (hi - lo)
    ax.set_xlim(lo - pad, hi + pad)
    _style(ax)
    fig.tight_layout()
    return fig


def differences_chart(comp: Comparison, names: list[str] | None = None) -> Figure:
    """Paired differences from the status quo, with intervals, for the top policies.

    Examples
    --------
    >>> from channelsim.report import differences_chart
    >>> callable(differences_chart)
    True
    """
    names = names or comp.objectives[:4]
    pols = comp.highlight[1:]
    colors = _colors(comp)
    fig, axes = plt.subplots(
        1,
        len(names),
        figsize=(2.6 * len(names) + 1.6, 0.5 * len(pols) + 1.8),
        dpi=110,
        squeeze=False,
    )
    for j, (ax, name) in enumerate(zip(axes[0], names, strict=True)):
        s, unit = _scale(name)
        d = comp.differences.xs(name, level="objective")
        for i, p in enumerate(reversed(pols)):
            row = d.loc[p]
            ax.errorbar(
                row["diff"] * s,
                i,
                xerr=[[(row["diff"] - row["lo"]) * s], [(row["hi"] - row["diff"]) * s]],
                fmt="o",
                color=colors[p],
                capsize=3,
            )
        ax.axvline(0, color=SQ_COLOR, lw=1, ls=":")
        ax.set_yticks(range(len(pols)), [_label(p) for p in reversed(pols)] if j == 0 else [])
        ax.set_title(f"{OBJECTIVES[name].label}{unit}", fontsize=9.5, loc="left")
        _style(ax)
    fig.suptitle(
        f"Difference from the status quo ({comp.level:.0%} interval)",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


#: The report's charts in order: file stem -> (function, caption).
CHARTS = {
    "frontier": (
        frontier_chart,
        "Each grey dot is one policy; the blue line joins the policies no other policy beats on "
        "both forecast accuracy and attainment. The star is today's policy.",
    ),
    "differences": (
        differences_chart,
        "How much each top policy changes each objective against the status quo on the same "
        "simulated futures, with the interval for the average change.",
    ),
    "distributions": (
        distribution_chart,
        "Spread over simulated futures: boxes hold the middle half of the paths, whiskers 5% to 95%.",
    ),
    "maturity": (
        maturity_chart,
        "Channel maturity quarter by quarter (mean over paths; bands: 10% to 90% of paths for "
        "the status quo and the best policy).",
    ),
    "tornado": (
        tornado_chart,
        "Each bar spans the average effect of a lever from its worst to its best setting, over "
        "all policies run. S is the share of the variation between policies explained by that "
        "lever alone.",
    ),
}


def figure_png(fig: Figure) -> bytes:
    """PNG bytes of a figure (the figure is closed afterwards).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> figure_png(plt.figure(figsize=(1, 1)))[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
