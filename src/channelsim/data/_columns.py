"""Column-level parsing helpers shared by the panel and the side tables.

Depends on numpy and pandas only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["examples", "numeric_column", "text_column"]


def text_column(s: pd.Series) -> pd.Series:
    """Ids and names as text: spaces stripped, empty cells missing, ``3.0`` read as ``"3"``.

    Examples
    --------
    >>> text_column(pd.Series([" A ", "", None])).tolist()
    ['A', nan, nan]
    >>> text_column(pd.Series([7.0, 8.0])).tolist()
    ['7', '8']
    """
    if pd.api.types.is_bool_dtype(s.dtype):
        out = s.astype(object).where(s.notna()).astype("str")
    elif pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(vals)
        whole = finite & (vals == np.round(vals))
        obj = np.empty(len(vals), dtype=object)
        obj[:] = np.nan
        obj[whole] = [str(int(v)) for v in vals[whole]]
        other = finite & ~whole
        obj[other] = [repr(float(v)) for v in vals[other]]
        out = pd.Series(obj, index=s.index).astype("str")
    elif pd.api.types.is_numeric_dtype(s.dtype):
        out = s.astype("str")
    else:
        out = s.astype("str")
    out = out.str.strip()
    return out.where(out.str.len() > 0)


def numeric_column(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse numbers.

    Returns
    -------
    values : numpy.ndarray of float64
        NaN where missing or not a number.
    missing : numpy.ndarray of bool
        True where the cell is empty.
    bad : numpy.ndarray of bool
        True where the cell holds something that is not a finite number.

    Examples
    --------
    >>> v, miss, bad = numeric_column(pd.Series(["1.5", "", "abc", "inf"]))
    >>> v[0], miss.tolist(), bad.tolist()
    (np.float64(1.5), [False, True, False, False], [False, False, True, True])
    """
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(float)
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(vals)
        bad = np.isinf(vals)
    else:
        txt = s.astype("str").str.strip()
        missing = (txt.isna() | (txt.str.len() == 0)).to_numpy(dtype=bool)
        vals = pd.to_numeric(txt.where(~missing), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        bad = ~missing & ~np.isfinite(vals)
    vals = np.where(bad, np.nan, vals)
    return vals.astype(np.float64), missing, bad


def examples(values, limit: int = 3) -> str:
    """Quote a few distinct values for a message.

    Examples
    --------
    >>> examples(["a", "b", "a", "c", "d"])
    "'a', 'b', 'c' and 1 more"
    """
    uniq = list(dict.fromkeys(str(v) for v in values))
    shown = ", ".join(repr(v) for v in uniq[:limit])
    more = len(uniq) - limit
    return shown + (f" and {more} more" if more > 0 else "")
