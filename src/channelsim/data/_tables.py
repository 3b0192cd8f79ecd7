"""Validate the optional territory-quarter and territory tables.

Depends on numpy, pandas and the other private modules of :mod:`channelsim.data`.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from channelsim.data._columns import examples, numeric_column, text_column
from channelsim.data._errors import ProblemList
from channelsim.data._panel import list_items
from channelsim.data._periods import parse_quarters
from channelsim.data._read import QUARTER_COLUMNS, TERRITORY_COLUMNS, missing_column_message

__all__ = ["build_quarters", "build_territories"]


def _territories(
    df: pd.DataFrame,
    label: str,
    known: set[str] | None,
    rows: np.ndarray,
    problems: ProblemList,
) -> tuple[pd.Series, np.ndarray]:
    """Territory ids of a side table; missing ones and ones not in the panel are problems."""
    terr = text_column(df["territory"])
    miss = terr.isna().to_numpy()
    if miss.any():
        problems.add(label, "territory", rows[miss], "missing territory")
    bad = miss.copy()
    if known is not None:
        unknown = ~miss & ~terr.isin(known).to_numpy()
        if unknown.any():
            vals = list(dict.fromkeys(terr[unknown]))
            hints = []
            for v in vals[:5]:
                close = difflib.get_close_matches(v, sorted(known), n=1, cutoff=0.6)
                hints.append(f"'{v}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
            more = len(vals) - 5
            problems.add(
                label,
                "territory",
                rows[unknown],
                f"territor{'ies' if len(vals) > 1 else 'y'} not in the panel: "
                f"{', '.join(hints)}{f' and {more} more' if more > 0 else ''}; panel "
                f"territories: {list_items(sorted(known), 10)}",
            )
            bad |= unknown
    return terr, bad


def _duplicated(tab: pd.DataFrame, keys: list[str], bad: np.ndarray) -> np.ndarray:
    """Rows (among the good ones) whose keys repeat."""
    good = np.flatnonzero(~bad)
    dup = np.zeros(len(tab), dtype=bool)
    dup[good[tab.iloc[good].duplicated(keys, keep=False).to_numpy()]] = True
    return dup


def _ignored_note(df: pd.DataFrame, canonical: tuple[str, ...], label: str) -> list[str]:
    ignored = [str(c) for c in df.columns if c not in canonical]
    if not ignored:
        return []
    return [f"{label}: ignored column{'s' if len(ignored) > 1 else ''} {list_items(ignored, 10)}"]


def build_quarters(
    df: pd.DataFrame,
    label: str,
    known: set[str] | None,
    qfreq: str,
    problems: ProblemList,
) -> tuple[pd.DataFrame | None, list[str]]:
    """Validate a territory-quarter table with canonical column names.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``territory``, ``quarter`` and at least one of ``quota``, ``commit``,
        ``manager``; position ``i`` is spreadsheet row ``i + 2``.
    label : str
        File name used in messages.
    known : set of str or None
        The panel's territories (None when the panel could not be read: not checked).
    qfreq : str
        pandas quarter frequency (:func:`channelsim.calendar.quarter_freq`).
    problems : ProblemList
        Collects the problems.

    Returns
    -------
    table : pandas.DataFrame or None
        Sorted by territory and quarter; ``quarter`` a Period column at ``qfreq``, ``quota``
        and ``commit`` float64 (NaN where empty), ``manager`` text. None if there were
        problems.
    notes : list of str
        Warnings (ignored columns).

    Examples
    --------
    >>> df = pd.DataFrame({"territory": ["T"], "quarter": ["2024-Q1"], "quota": ["100"]})
    >>> tab, _ = build_quarters(df, "q.csv", {"T"}, "Q-DEC", ProblemList())
    >>> str(tab["quarter"].iloc[0]), float(tab["quota"].iloc[0])
    ('2024Q1', 100.0)
    """
    n0 = len(problems)
    n = len(df)
    rows = np.arange(n) + 2
    columns = [str(c) for c in df.columns]
    for c in ("territory", "quarter"):
        if c not in df.columns:
            problems.add(label, c, None, missing_column_message(c, columns))
    values = [c for c in ("quota", "commit", "manager") if c in df.columns]
    if not values:
        problems.add(
            label,
            None,
            None,
            "a territory-quarter table needs at least one of the columns quota, commit, "
            f"manager; columns found: {', '.join(columns)} (rename with --map SOURCE=quota)",
        )
    if "territory" not in df.columns or "quarter" not in df.columns:
        return None, []
    terr, bad = _territories(df, label, known, rows, problems)
    ok, ordinal = parse_quarters(df["quarter"], qfreq)
    raw = df["quarter"]
    miss = raw.isna().to_numpy()
    if miss.any():
        problems.add(label, "quarter", rows[miss], "missing quarter")
    unparsed = ~ok & ~miss
    if unparsed.any():
        problems.add(
            label,
            "quarter",
            rows[unparsed],
            f"cannot read the quarter {examples(raw[unparsed])}; expected 2024Q1, 2024-Q1 or a "
            "date inside the quarter like 2024-02-15",
        )
    bad |= ~ok
    out: dict[str, object] = {"territory": terr, "quarter": ordinal}
    for c in ("quota", "commit"):
        if c not in df.columns:
            continue
        vals, _miss, nonnum = numeric_column(df[c])
        if nonnum.any():
            problems.add(
                label, c, rows[nonnum], f"{c} must be a number, got {examples(df[c][nonnum])}"
            )
        neg = vals < 0
        if neg.any():
            problems.add(label, c, rows[neg], f"negative {c}; {c} must be 0 or more")
        bad |= nonnum | neg
        out[c] = vals
    if "manager" in df.columns:
        out["manager"] = text_column(df["manager"])
    tab = pd.DataFrame(out)
    dup = _duplicated(tab, ["territory", "quarter"], bad)
    if dup.any():
        first = tab.loc[dup].iloc[0]
        q = pd.Period(ordinal=int(first["quarter"]), freq=qfreq)
        problems.add(
            label,
            None,
            rows[dup],
            f"territory-quarter appears more than once (first: '{first['territory']}' in {q}); "
            "keep one row per territory and quarter",
        )
    if len(problems) > n0:
        return None, []
    tab["quarter"] = pd.PeriodIndex.from_ordinals(tab["quarter"].to_numpy(), freq=qfreq)
    tab["territory"] = tab["territory"].astype("str")
    if "manager" in tab.columns:
        tab["manager"] = tab["manager"].astype("str")
    for c in ("quota", "commit"):
        if c in tab.columns:
            tab[c] = tab[c].astype(np.float64)
    tab = tab.sort_values(["territory", "quarter"], kind="stable").reset_index(drop=True)
    return tab, _ignored_note(df, QUARTER_COLUMNS, label)


def build_territories(
    df: pd.DataFrame,
    label: str,
    known: set[str] | None,
    problems: ProblemList,
) -> tuple[pd.DataFrame | None, list[str]]:
    """Validate a territory table (``territory``, ``target_partners``).

    Parameters
    ----------
    df : pandas.DataFrame
        The table with canonical column names; position ``i`` is spreadsheet row ``i + 2``.
    label : str
        File name used in messages.
    known : set of str or None
        The panel's territories (None: not checked).
    problems : ProblemList
        Collects the problems.

    Returns
    -------
    table : pandas.DataFrame or None
        ``territory`` (text) and ``target_partners`` (int64), sorted by territory; None if
        there were problems.
    notes : list of str
        Warnings (ignored columns).

    Examples
    --------
    >>> df = pd.DataFrame({"territory": ["T"], "target_partners": ["4"]})
    >>> tab, _ = build_territories(df, "t.csv", {"T"}, ProblemList())
    >>> int(tab["target_partners"].iloc[0])
    4
    """
    n0 = len(problems)
    n = len(df)
    rows = np.arange(n) + 2
    columns = [str(c) for c in df.columns]
    for c in TERRITORY_COLUMNS:
        if c not in df.columns:
            problems.add(label, c, None, missing_column_message(c, columns))
    if any(c not in df.columns for c in TERRITORY_COLUMNS):
        return None, []
    terr, bad = _territories(df, label, known, rows, problems)
    vals, miss, nonnum = numeric_column(df["target_partners"])
    with np.errstate(invalid="ignore"):
        wrong = ~miss & ~nonnum & ((vals <= 0) | (vals != np.round(vals)))
    if miss.any():
        problems.add(
            label,
            "target_partners",
            rows[miss],
            "missing target_partners; leave the territory out of the table to use the default "
            "(1.25 × the most partners it ever had in active, productive or strategic)",
        )
    if nonnum.any() or wrong.any():
        problems.add(
            label,
            "target_partners",
            rows[nonnum | wrong],
            "target_partners must be a whole number of partners, 1 or more; got "
            f"{examples(df['target_partners'][nonnum | wrong])}",
        )
    bad |= miss | nonnum | wrong
    tab = pd.DataFrame({"territory": terr, "target_partners": vals})
    dup = _duplicated(tab, ["territory"], bad)
    if dup.any():
        problems.add(
            label,
            "territory",
            rows[dup],
            f"territory listed more than once: {examples(tab.loc[dup, 'territory'])}",
        )
    if len(problems) > n0:
        return None, []
    tab["territory"] = tab["territory"].astype("str")
    tab["target_partners"] = tab["target_partners"].astype(np.int64)
    tab = tab.sort_values("territory", kind="stable").reset_index(drop=True)
    return tab, _ignored_note(df, TERRITORY_COLUMNS, label)
