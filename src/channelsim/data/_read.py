"""Read input tables (CSV, Parquet, DataFrame, SQL query) and bring their column names to canonical form.

Depends on pandas (and pyarrow for Parquet).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pandas as pd

from channelsim._sql import SqlError, SqlQuery, read_query
from channelsim.data._errors import ProblemList

__all__ = [
    "ALL_CANONICAL",
    "PANEL_COLUMNS",
    "PANEL_REQUIRED",
    "QUARTER_COLUMNS",
    "TERRITORY_COLUMNS",
    "apply_columns",
    "missing_column_message",
    "read_table",
    "suggest",
]

PANEL_COLUMNS: tuple[str, ...] = ("partner", "territory", "period", "stage", "sales", "manager")
PANEL_REQUIRED: tuple[str, ...] = ("partner", "territory", "period", "sales")
QUARTER_COLUMNS: tuple[str, ...] = ("territory", "quarter", "quota", "commit", "manager")
TERRITORY_COLUMNS: tuple[str, ...] = ("territory", "target_partners")
ALL_CANONICAL: tuple[str, ...] = tuple(
    dict.fromkeys(PANEL_COLUMNS + QUARTER_COLUMNS + TERRITORY_COLUMNS)
)

#: Usual names of canonical columns in CRM / PRM exports, used for "did you mean" hints.
_ALIASES: dict[str, tuple[str, ...]] = {
    "partner": (
        "account",
        "account_id",
        "accountid",
        "partner_id",
        "partnerid",
        "reseller",
        "reseller_id",
        "customer",
        "account_name",
        "partner_name",
    ),
    "territory": ("region", "area", "territory_id", "territory_name", "geo", "district"),
    "period": ("month", "date", "quarter", "fiscal_period", "period_start", "close_date"),
    "sales": ("revenue", "amount", "bookings", "net_sales", "sales_amount", "arr", "value"),
    "stage": ("tier", "partner_tier", "lifecycle", "lifecycle_stage", "status", "level"),
    "manager": ("cam", "owner", "channel_manager", "partner_manager", "rep"),
    "quarter": ("period", "fiscal_quarter", "qtr", "date"),
    "quota": ("target", "plan", "quota_amount"),
    "commit": ("forecast", "commit_amount", "call"),
    "target_partners": ("target", "partner_target", "target_count", "n_partners"),
}

_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def suggest(name: str, columns: list[str]) -> list[str]:
    """Columns that may be the canonical column ``name`` (close spellings and usual aliases).

    Examples
    --------
    >>> suggest("partner", ["Partnr", "Region", "Revenue"])
    ['Partnr']
    >>> suggest("sales", ["Account_ID", "Revenue"])
    ['Revenue']
    """
    lower = {c.lower(): c for c in columns}
    hits = difflib.get_close_matches(name, list(lower), n=3, cutoff=0.6)
    hits += [a for a in _ALIASES.get(name, ()) if a in lower and a not in hits]
    return [lower[h] for h in hits]


def missing_column_message(name: str, columns: list[str], what: str = "required") -> str:
    """The message for a missing canonical column, with "did you mean" and the ``--map`` hint.

    Examples
    --------
    >>> print(missing_column_message("sales", ["partner", "Revenue"]))
    missing required column 'sales'; did you mean 'Revenue'? Rename it with --map Revenue=sales (column_map={'Revenue': 'sales'}); columns found: partner, Revenue
    """
    hits = suggest(name, columns)
    msg = f"missing {what} column '{name}'"
    src = hits[0] if hits else "SOURCE"
    if hits:
        msg += "; did you mean " + " or ".join(f"'{h}'" for h in hits) + "?"
    msg += f"{' ' if hits else '; '}Rename it with --map {src}={name} (column_map={{'{src}': '{name}'}})"
    shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
    return msg + f"; columns found: {shown or '(none)'}"


def read_table(
    source, default_name: str, problems: ProblemList, name: str | None = None
) -> tuple[pd.DataFrame | None, str]:
    """Read one input table.

    Parameters
    ----------
    source : str, os.PathLike, pandas.DataFrame or channelsim.data.SqlQuery
        A ``.csv`` (optionally compressed) or ``.parquet``/``.pq`` file, a DataFrame, or a
        query against a database (named in messages by its query text). CSV
        cells are read as text (so ids like ``007`` keep their zeros); numbers are parsed
        later, per column. A DataFrame's named index levels become columns.
    default_name : str
        Name of a DataFrame input in messages, e.g. ``"<DataFrame>"``.
    problems : ProblemList
        Where a missing, unreadable or empty input is reported.
    name : str, optional
        Name to use in messages instead of the file name.

    Returns
    -------
    table : pandas.DataFrame or None
        The table with a fresh ``RangeIndex`` (position ``i`` is spreadsheet row ``i + 2``),
        or None if it could not be read or has no rows.
    name : str
        The name used in messages.

    Examples
    --------
    >>> probs = ProblemList()
    >>> df, nm = read_table(pd.DataFrame({"a": [1]}), "<DataFrame>", probs)
    >>> nm, len(df), len(probs)
    ('<DataFrame>', 1, 0)
    """
    if isinstance(source, SqlQuery):
        label = name or source.label
        try:
            df = read_query(source.url, source.query)
        except SqlError as exc:
            problems.add(label, None, None, exc.reason)
            return None, label
        df = df.reset_index(drop=True)
    elif isinstance(source, pd.DataFrame):
        label = name or default_name
        df = source
        named = [n for n in df.index.names if n is not None]
        if named and not any(n in df.columns for n in named):
            df = df.reset_index()
        df = df.reset_index(drop=True)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        label = name or path.name
        lname = path.name.lower()
        if not path.exists():
            problems.add(label, None, None, f"file not found: {path}")
            return None, label
        if path.is_dir():
            problems.add(
                label, None, None, f"is a directory, expected a CSV or Parquet file: {path}"
            )
            return None, label
        try:
            if lname.endswith(_CSV_SUFFIXES):
                df = pd.read_csv(
                    path,
                    dtype=str,
                    keep_default_na=True,
                    encoding="utf-8-sig",
                    skipinitialspace=True,
                )
            elif lname.endswith(_PARQUET_SUFFIXES):
                df = pd.read_parquet(path)
            else:
                problems.add(
                    label,
                    None,
                    None,
                    f"unreadable file type '{path.suffix or path.name}': expected .csv or "
                    ".parquet (save spreadsheets as CSV first)",
                )
                return None, label
        except pd.errors.EmptyDataError:
            problems.add(label, None, None, "the file is empty: no header and no data rows")
            return None, label
        except Exception as exc:  # any parser error is the user's file, reported as such
            problems.add(label, None, None, f"could not read the file: {type(exc).__name__}: {exc}")
            return None, label
        df = df.reset_index(drop=True)
    else:
        label = name or default_name
        problems.add(
            label,
            None,
            None,
            f"expected a file path or a pandas DataFrame, got {type(source).__name__}",
        )
        return None, label
    if len(df) == 0:
        problems.add(label, None, None, "no data rows (the table is empty)")
        return None, label
    return df, label


def apply_columns(
    df: pd.DataFrame,
    column_map: dict[str, str],
    canonical: tuple[str, ...],
    label: str,
    problems: ProblemList,
    used_sources: set[str],
) -> pd.DataFrame:
    """Rename columns to canonical names.

    Names are stripped of surrounding spaces; ``column_map`` sources are matched exactly,
    then case-insensitively; remaining columns whose lower-case name is a canonical column
    take that name. Two columns ending with the same name is a problem.

    Examples
    --------
    >>> df = pd.DataFrame({"Account": [1], " Region ": ["N"]})
    >>> out = apply_columns(df, {"Account": "partner"}, ("partner", "territory"), "x",
    ...                     ProblemList(), set())
    >>> list(out.columns)
    ['partner', 'Region']
    """
    names = [str(c).strip() for c in df.columns]
    cmap_lower = {k.lower(): v for k, v in column_map.items()}
    new: list[str] = []
    for c in names:
        if c in column_map:
            used_sources.add(c)
            new.append(column_map[c])
        elif c.lower() in cmap_lower:
            used_sources.update(k for k in column_map if k.lower() == c.lower())
            new.append(cmap_lower[c.lower()])
        else:
            new.append(c)
    for i, c in enumerate(new):
        low = c.lower()
        if c not in canonical and low in canonical and low not in new:
            new[i] = low
    seen: dict[str, list[str]] = {}
    for orig, c in zip(names, new, strict=True):
        seen.setdefault(c, []).append(orig)
    for c, origs in seen.items():
        if len(origs) > 1:
            problems.add(
                label,
                c,
                None,
                f"{len(origs)} columns end up named '{c}' ({', '.join(repr(o) for o in origs)}); "
                "keep one or rename the others with --map",
            )
    out = df.copy(deep=False)
    out.columns = new
    if any(len(o) > 1 for o in seen.values()):
        out = out.loc[:, ~out.columns.duplicated()]
    return out
