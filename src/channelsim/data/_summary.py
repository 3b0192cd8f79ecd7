"""Human-readable summaries of a book (what ``channelsim validate`` prints).

Depends on numpy and pandas.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from channelsim.data._book import Book

__all__ = ["SUMMARY_COLUMNS", "summary_table", "summary_text", "top_share"]

SUMMARY_COLUMNS = ("territory", "maturity", "stage", "partners", "sales_last_12m", "share")


def _window(book: Book) -> int:
    return 4 * book.steps_per_quarter


def top_share(sales_by_partner: np.ndarray, fraction: float = 0.2) -> tuple[int, float]:
    """Number of top partners (``ceil(fraction × n)``, at least 1) and their share of sales.

    Examples
    --------
    >>> top_share(np.array([80.0, 5, 5, 5, 5]))
    (1, 0.8)
    """
    n = len(sales_by_partner)
    if n == 0:
        return 0, float("nan")
    k = max(1, math.ceil(fraction * n))
    total = float(np.sum(sales_by_partner))
    if total <= 0:
        return k, float("nan")
    top = np.sort(sales_by_partner)[::-1][:k]
    return k, float(np.sum(top) / total)


def summary_table(book: Book) -> pd.DataFrame:
    """Partners and recent sales by territory, channel maturity and lifecycle stage.

    One row per (territory, state at the last period) among partners present at the last
    period or with a step in the last 12 months (last 4 quarters), plus a ``total`` row.

    Returns
    -------
    pandas.DataFrame
        ``territory``, ``maturity`` (the territory's channel maturity at the last period;
        ``"n/a"`` in a one-stage book), ``stage`` (the partners' state at the last period,
        ``exited`` for those that left within the window), ``partners`` (count),
        ``sales_last_12m`` (sales in the last 12 months or 4 quarters) and ``share`` (of the
        window's total sales).

    Examples
    --------
    >>> from channelsim.data import load_book
    >>> df = pd.DataFrame({"partner": ["a", "b"], "territory": ["T", "U"],
    ...                    "period": ["2024-01", "2024-01"], "sales": [3.0, 1.0]})
    >>> tab = summary_table(load_book(df, territories=pd.DataFrame(
    ...     {"territory": ["T", "U"], "target_partners": [1, 1]})))
    >>> tab["share"].tolist()
    [0.75, 0.25, 1.0]
    """
    states = book.states()
    sales = book.sales_matrix()
    terr = book.territory_matrix()
    w = min(_window(book), states.shape[1])
    exit_code = len(book.stage_names)
    last_state = states[:, -1]
    present_in_window = ((states[:, -w:] >= 0) & (states[:, -w:] != exit_code)).any(axis=1)
    keep = (last_state != exit_code) | present_in_window
    recent = np.nansum(sales[:, -w:], axis=1)
    if book.has_stages:
        cov = book.coverage()
        last = cov[cov["period"] == book.periods[-1]]
        maturity = dict(zip(last["territory"], last["maturity"], strict=True))
    else:
        maturity = {}
    names = book.state_names
    df = pd.DataFrame(
        {
            "territory": np.asarray(book.territory_ids, dtype=object)[terr[keep, -1]],
            "_code": last_state[keep].astype(int),
            "sales_last_12m": recent[keep],
        }
    )
    grouped = (
        df.groupby(["territory", "_code"], sort=True)
        .agg(partners=("sales_last_12m", "size"), sales_last_12m=("sales_last_12m", "sum"))
        .reset_index()
    )
    total = float(grouped["sales_last_12m"].sum())
    grouped["maturity"] = [maturity.get(t, "n/a") for t in grouped["territory"]]
    grouped["stage"] = [names[c] for c in grouped["_code"]]
    grouped["share"] = grouped["sales_last_12m"] / total if total > 0 else 0.0
    out = grouped[list(SUMMARY_COLUMNS)]
    total_row = pd.DataFrame(
        {
            "territory": ["total"],
            "maturity": [""],
            "stage": [""],
            "partners": [int(out["partners"].sum())],
            "sales_last_12m": [total],
            "share": [1.0 if total > 0 else 0.0],
        }
    )
    out = pd.concat([out, total_row], ignore_index=True)
    out["partners"] = out["partners"].astype(np.int64)
    out["sales_last_12m"] = out["sales_last_12m"].astype(np.float64)
    out["share"] = out["share"].astype(np.float64)
    for c in ("territory", "maturity", "stage"):
        out[c] = out[c].astype("str")
    return out


def summary_text(book: Book) -> str:
    """A short header about the book followed by :func:`summary_table` as text.

    Examples
    --------
    >>> from channelsim.data import load_book
    >>> df = pd.DataFrame({"partner": ["a"], "territory": ["T"], "period": ["2024Q1"],
    ...                    "sales": [3.0]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     print(summary_text(load_book(df)).splitlines()[1])
    periods:     2024Q1 to 2024Q1, 1 quarterly step (fiscal year starts in month 1)
    """
    states = book.states()
    sales = book.sales_matrix()
    periods = book.periods
    n_t = len(periods)
    kind = "monthly" if book.freq == "M" else "quarterly"
    exit_code = len(book.stage_names)
    live = int(((states[:, -1] >= 0) & (states[:, -1] != exit_code)).sum())
    n_part = len(book.partner_ids)
    by_partner = np.nansum(sales, axis=1)
    k, share = top_share(by_partner)
    total = float(np.nansum(sales))
    w = min(_window(book), n_t)
    recent = float(np.nansum(sales[:, -w:]))
    window = "last 12 months" if book.freq == "M" else "last 4 quarters"
    stages = (
        "yes (stage column)"
        if book.has_stages
        else "no: one-stage book, every partner counts as active"
    )
    lines = [
        f"book:        {book.source} (data hash {book.data_hash()[:12]})",
        f"periods:     {periods[0]} to {periods[-1]}, {n_t} {kind} step{'s' if n_t != 1 else ''} "
        f"(fiscal year starts in month {book.fiscal_year_start_month})",
        f"partners:    {n_part} ({live} at {periods[-1]}, {n_part - live} exited); "
        f"territories: {len(book.territory_ids)}",
        f"stages:      {stages}",
        f"sales:       {total:,.2f} in total, {recent:,.2f} in the {window}",
        "top 20%:     "
        + (
            f"{k} partner{'s' if k != 1 else ''} made {share:.1%} of sales"
            if not math.isnan(share)
            else "n/a (no sales)"
        ),
    ]
    quarters = book.quarters
    if quarters is not None:
        qcols = [c for c in ("quota", "commit", "manager") if c in quarters.columns]
        lines.append(
            f"quarters:    {len(quarters)} territory-quarters ({', '.join(qcols)}), "
            f"{quarters['quarter'].min()} to {quarters['quarter'].max()}"
        )
    lines.append(f"quota rule:  {book.quota_fit().describe()}")
    if book.warnings:
        lines.append(f"warnings:    {len(book.warnings)}")
    table = summary_table(book)
    text = table.to_string(
        index=False,
        formatters={
            "sales_last_12m": lambda v: f"{v:,.0f}",
            "share": lambda v: f"{v:.1%}",
        },
    )
    return "\n".join([*lines, "", text])
