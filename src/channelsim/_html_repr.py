"""Building blocks of the rich notebook views (``_repr_html_``): cards, badges, tables, inline SVG.

Everything returns an HTML string with inline styles only (no scripts, no external resources),
so a view renders the same in Jupyter, in an exported notebook and on GitHub. Depends on numpy
and pandas.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["badge", "card", "svg_line", "svg_scatter", "table"]

_FONT = "font-family:-apple-system,Segoe UI,Roboto,Arial,sans-serif;font-size:12px;"
_BLUE, _GREY, _DARK = "#1b6ca8", "#b9c0c7", "#4d4d4d"


def _e(x) -> str:
    return html.escape(str(x))


def badge(ok: bool, text: str) -> str:
    """A green (ok) or red pill with ``text``.

    Examples
    --------
    >>> "converged" in badge(True, "converged")
    True
    """
    bg, fg = ("#e3f3e7", "#1f7a3a") if ok else ("#f8e3e3", "#a33a3a")
    return (
        f"<span class='cs-badge cs-{'ok' if ok else 'bad'}' style='background:{bg};color:{fg};"
        f"padding:1px 8px;border-radius:9px;font-weight:600;'>{_e(text)}</span>"
    )


def table(df: pd.DataFrame, *, max_rows: int = 12, index: bool = False) -> str:
    """A compact HTML table of the first ``max_rows`` rows (values already formatted or not).

    Examples
    --------
    >>> ">1</td>" in table(pd.DataFrame({"a": [1]}))
    True
    """
    shown = df.head(max_rows)
    cell = "padding:2px 8px;border-bottom:1px solid #e6e9ec;text-align:left;"
    cols = ([shown.index.name or ""] if index else []) + [str(c) for c in shown.columns]
    head = "".join(f"<th style='{cell}background:#f5f7f9'>{_e(c)}</th>" for c in cols)
    rows = []
    for idx, row in shown.iterrows():
        vals = ([idx] if index else []) + list(row.values)
        rows.append(
            "<tr>" + "".join(f"<td style='{cell}'>{_e(_fmt(v))}</td>" for v in vals) + "</tr>"
        )
    more = (
        f"<div style='color:#5b6775'>… {len(df) - max_rows:,} more rows</div>"
        if len(df) > max_rows
        else ""
    )
    return (
        f"<table class='cs-table' style='border-collapse:collapse;margin:4px 0;{_FONT}'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"
    )


def _fmt(v) -> str:
    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            return "n/a"
        a = abs(v)
        return f"{v:,.0f}" if a >= 1e3 else f"{v:.3g}"
    return str(v)


def card(title: str, subtitle: str, *parts: str) -> str:
    """A bordered block: a bold title, a grey subtitle line and the given HTML parts.

    Examples
    --------
    >>> card("Book", "3 partners").startswith("<div")
    True
    """
    body = "".join(f"<div style='margin-top:6px'>{p}</div>" for p in parts if p)
    return (
        f"<div class='cs-card' style='border:1px solid #dde2e7;border-radius:4px;padding:8px 12px;"
        f"max-width:860px;{_FONT}'><div style='font-size:14px;font-weight:650'>{_e(title)}</div>"
        f"<div style='color:#5b6775'>{subtitle}</div>{body}</div>"
    )


def _scale(v: np.ndarray, lo: float, hi: float, a: float, b: float) -> np.ndarray:
    span = hi - lo if hi > lo else 1.0
    return a + (v - lo) / span * (b - a)


def svg_line(
    labels: Sequence[str],
    mean: Sequence[float],
    lo: Sequence[float] | None = None,
    hi: Sequence[float] | None = None,
    *,
    title: str = "",
    width: int = 420,
    height: int = 130,
) -> str:
    """A small inline SVG line (with an optional lo-hi band): first and last labels on the axis.

    Examples
    --------
    >>> svg_line(["a", "b"], [1.0, 2.0]).startswith("<svg")
    True
    """
    m = np.asarray(mean, dtype=float)
    band = lo is not None and hi is not None
    lo_a = np.asarray(lo, dtype=float) if band else m
    hi_a = np.asarray(hi, dtype=float) if band else m
    vals = np.concatenate([m, lo_a, hi_a])
    vals = vals[np.isfinite(vals)]
    ymin, ymax = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)
    pad, top, bottom = 8, 16 if title else 6, height - 16
    xs = _scale(np.arange(len(m), dtype=float), 0, max(len(m) - 1, 1), pad, width - pad)

    def ys(v):
        return _scale(np.asarray(v, dtype=float), ymin, ymax, bottom, top)

    parts = [
        f"<svg class='cs-svg' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
    ]
    if title:
        parts.append(f"<text x='{pad}' y='11' font-size='11' fill='#5b6775'>{_e(title)}</text>")
    if band and len(m):
        pts = list(zip(xs, ys(hi_a), strict=True)) + list(
            zip(xs[::-1], ys(lo_a)[::-1], strict=True)
        )
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        parts.append(f"<polygon points='{d}' fill='{_BLUE}' fill-opacity='0.18' stroke='none'/>")
    if len(m):
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys(m), strict=True))
        parts.append(f"<polyline points='{d}' fill='none' stroke='{_BLUE}' stroke-width='1.8'/>")
        for x, anchor, text in ((pad, "start", labels[0]), (width - pad, "end", labels[-1])):
            parts.append(
                f"<text x='{x}' y='{height - 3}' font-size='10' text-anchor='{anchor}' "
                f"fill='#5b6775'>{_e(text)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def svg_scatter(
    x: Sequence[float],
    y: Sequence[float],
    *,
    highlight: Sequence[bool] | None = None,
    star: int | None = None,
    title: str = "",
    width: int = 300,
    height: int = 190,
) -> str:
    """A small inline SVG scatter: grey points, highlighted ones blue, one point as a dark star.

    Examples
    --------
    >>> svg_scatter([0.0, 1.0], [1.0, 0.0], highlight=[True, False]).count("<circle")
    2
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    hl = np.zeros(xa.size, bool) if highlight is None else np.asarray(highlight, bool)
    pad, top = 8, 16 if title else 8
    fx = _scale(xa, float(np.nanmin(xa)), float(np.nanmax(xa)), pad, width - pad) if xa.size else xa
    fy = (
        _scale(ya, float(np.nanmin(ya)), float(np.nanmax(ya)), height - pad, top) if ya.size else ya
    )
    parts = [
        f"<svg class='cs-svg' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
    ]
    if title:
        parts.append(f"<text x='{pad}' y='11' font-size='11' fill='#5b6775'>{_e(title)}</text>")
    for i in np.r_[np.flatnonzero(~hl), np.flatnonzero(hl)]:
        if i == star:
            continue
        color, r = (_BLUE, 3.2) if hl[i] else (_GREY, 2.2)
        parts.append(f"<circle cx='{fx[i]:.1f}' cy='{fy[i]:.1f}' r='{r}' fill='{color}'/>")
    if star is not None and 0 <= star < xa.size:
        parts.append(
            f"<text x='{fx[star]:.1f}' y='{fy[star] + 5:.1f}' font-size='15' text-anchor='middle' "
            f"fill='{_DARK}'>★</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
