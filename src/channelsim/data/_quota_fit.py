"""The status quo's quota rule, fitted to a book's territory-quarter table by least squares.

The world's ratchet (``channelsim.world.QuotaRule``, docs/world.md) sets a quarter's quota
from the last one and the trailing four quarters' sales ``S``:

.. math::

    \\text{quota}_q = \\text{quota}_{q-1} + w\\,((1 + g)\\,\\bar S_q - \\text{quota}_{q-1}),
    \\qquad w = \\text{up if } (1 + g)\\,\\bar S_q > \\text{quota}_{q-1} \\text{ else down}

:func:`fit_quota_rule` estimates ``(g, up, down)`` from every territory-quarter whose quota,
previous quota and four previous quarters' sales are all in the book: for a given growth
``g`` the regime of each quarter is known and ``up`` / ``down`` are the least-squares slopes
through the origin of the quota change on the gap (clipped to [0, 1]); ``g`` minimises the
residual sum of squares over a grid refined by golden-section search.

Depends only on numpy and pandas (the data layer); :mod:`channelsim.model` turns the fit
into the World's ``QuotaRule``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from channelsim.calendar import FiscalCalendar

if TYPE_CHECKING:
    from channelsim.data._book import Book

__all__ = ["DEFAULT_RATCHET", "QuotaFit", "fit_quota_rule", "territory_quarter_sales"]

#: The default ratchet ``(growth, up, down)`` (``channelsim.world.QuotaRule()``'s values),
#: used where a book has no quotas.
DEFAULT_RATCHET = (0.08, 1.0, 0.25)
#: Growth grid searched before the golden-section refinement.
_GROWTH_GRID = np.linspace(-0.45, 1.0, 581)


@dataclass(frozen=True)
class QuotaFit:
    """A fitted (or default) ratchet quota rule.

    Attributes
    ----------
    growth, up, down : float
        The rule's parameters (``channelsim.world.QuotaRule`` fields).
    n : int
        Territory-quarters the fit used (0: the default ratchet, nothing fitted).
    n_up, n_down : int
        Of those, quarters in the upward / downward regime at the fitted growth.
    rmse : float
        Root mean squared residual of the quota, in currency (NaN without a fit).
    r2 : float
        Share of the variance of the quota changes the rule explains (NaN without a fit).
    source : {"fitted", "default"}
    note : str
        Why the default was used, or ``""``.
    """

    growth: float
    up: float
    down: float
    n: int = 0
    n_up: int = 0
    n_down: int = 0
    rmse: float = float("nan")
    r2: float = float("nan")
    source: str = "default"
    note: str = ""

    @property
    def fitted(self) -> bool:
        """Whether the rule was fitted to the book."""
        return self.source == "fitted"

    def describe(self) -> str:
        """One line for summaries.

        Examples
        --------
        >>> QuotaFit(*DEFAULT_RATCHET, note="no quotas").describe()
        'default ratchet (growth 8.0%, up 1.00, down 0.25): no quotas'
        """
        rule = f"growth {self.growth:.1%}, up {self.up:.2f}, down {self.down:.2f}"
        if not self.fitted:
            return f"default ratchet ({rule}): {self.note}"
        return (
            f"ratchet fitted to {self.n} territory-quarters ({self.n_up} up, {self.n_down} "
            f"down): {rule}; RMSE {self.rmse:,.2f}, R^2 {self.r2:.3f}"
        )


def territory_quarter_sales(book: Book) -> pd.DataFrame:
    """Sales per territory and complete fiscal quarter, as a (territory x quarter) table.

    Columns are the quarters' integer codes (consecutive quarters differ by 1); a quarter
    the panel covers only partly is left out.
    """
    sales = np.nan_to_num(book.sales_matrix())
    terr = book.territory_matrix()
    T = len(book.territory_ids)
    n = sales.shape[1]
    per_step = np.zeros((T, n))
    ok = terr >= 0
    cols = np.broadcast_to(np.arange(n), sales.shape)
    np.add.at(per_step, (terr[ok], cols[ok]), sales[ok])
    codes = FiscalCalendar(book.fiscal_year_start_month).quarter_codes(book.periods)
    frame = pd.DataFrame(per_step, index=list(book.territory_ids), columns=codes)
    by_q = frame.T.groupby(level=0).sum().T
    steps = pd.Series(codes).value_counts()
    full = [c for c in by_q.columns if steps[c] == book.steps_per_quarter]
    return by_q[full]


def _solve(gap_base, trail, y, g):
    x = (1.0 + g) * trail - gap_base
    upm = x > 0
    out = []
    sse = 0.0
    for m in (upm, ~upm):
        den = float(np.sum(x[m] * x[m]))
        w = float(np.clip(np.sum(x[m] * y[m]) / den, 0.0, 1.0)) if den > 0 else math.nan
        out.append(w)
        if den > 0:
            r = y[m] - w * x[m]
            sse += float(np.sum(r * r))
    return sse, out[0], out[1], int(upm.sum()), int((~upm).sum())


def fit_quota_rule(book: Book) -> QuotaFit:
    """Fit the ratchet's growth and up/down weights to the book's quotas.

    Parameters
    ----------
    book : Book

    Returns
    -------
    QuotaFit
        ``source="default"`` (the default ratchet, with a ``note``) only when the book has
        no quotas or no quarter with a previous quota and four previous quarters of sales;
        a regime with no quarter in it keeps its default weight.

    Examples
    --------
    >>> from channelsim.datasets import load_example
    >>> fit = fit_quota_rule(load_example())
    >>> round(fit.growth, 3), round(fit.up, 3), round(fit.down, 3)
    (0.08, 1.0, 0.25)
    """
    q = book.quarters
    if q is None or "quota" not in q.columns or q["quota"].isna().all():
        return QuotaFit(*DEFAULT_RATCHET, note="no quotas in the territory-quarter table")
    sales = territory_quarter_sales(book)
    codes = pd.PeriodIndex(q["quarter"], freq=book.quarter_freq).asi8
    values = q["quota"].to_numpy(float)
    quota = {
        (t, int(c)): float(v)
        for t, c, v in zip(q["territory"].astype(str), codes, values, strict=True)
        if not math.isnan(v)
    }
    by_t = {t: dict(zip(sales.columns, row, strict=True)) for t, row in sales.iterrows()}
    prev_q, trail, y_q = [], [], []
    for (t, c), v in quota.items():
        last = quota.get((t, c - 1))
        row = by_t.get(t, {})
        window = [row.get(c - k) for k in range(1, 5)]
        if last is None or any(w is None for w in window):
            continue
        prev_q.append(last)
        trail.append(float(np.mean(window)))
        y_q.append(v)
    if not prev_q:
        return QuotaFit(
            *DEFAULT_RATCHET,
            note="no quarter with a previous quota and four previous quarters of sales",
        )
    base, tr, yq = np.array(prev_q), np.array(trail), np.array(y_q)
    y = yq - base
    sse = np.array([_solve(base, tr, y, g)[0] for g in _GROWTH_GRID])
    i = int(np.argmin(sse))
    lo = _GROWTH_GRID[max(0, i - 1)]
    hi = _GROWTH_GRID[min(len(_GROWTH_GRID) - 1, i + 1)]
    phi = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo + (1 - phi) * (hi - lo), lo + phi * (hi - lo)
    fa, fb = _solve(base, tr, y, a)[0], _solve(base, tr, y, b)[0]
    for _ in range(80):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = lo + (1 - phi) * (hi - lo)
            fa = _solve(base, tr, y, a)[0]
        else:
            lo, a, fa = a, b, fb
            b = lo + phi * (hi - lo)
            fb = _solve(base, tr, y, b)[0]
    g = min((_GROWTH_GRID[i], sse[i]), (a, fa), (b, fb), key=lambda p: p[1])[0]
    s, up, down, n_up, n_down = _solve(base, tr, y, float(g))
    up = DEFAULT_RATCHET[1] if math.isnan(up) else up
    down = DEFAULT_RATCHET[2] if math.isnan(down) else down
    tot = float(np.sum((y - y.mean()) ** 2))
    return QuotaFit(
        growth=float(g),
        up=up,
        down=down,
        n=len(y),
        n_up=n_up,
        n_down=n_down,
        rmse=math.sqrt(s / len(y)),
        r2=1.0 - s / tot if tot > 0 else float("nan"),
        source="fitted",
    )
