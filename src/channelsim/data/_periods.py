"""Parse period labels of the panel (months or quarters) and of the territory-quarter table.

Depends on numpy and pandas only.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from channelsim.calendar import month_quarter_code

__all__ = [
    "KIND_MONTH",
    "KIND_NONE",
    "KIND_QUARTER",
    "STEP_FREQ",
    "parse_quarters",
    "parse_steps",
    "period_labels",
]

KIND_NONE, KIND_MONTH, KIND_QUARTER = 0, 1, 2
#: pandas frequency of panel steps by kind. Quarters are calendar quarters.
STEP_FREQ = {KIND_MONTH: "M", KIND_QUARTER: "Q-DEC"}

_RE_YQ = re.compile(r"^(\d{4})\s*[-/ ]?\s*[Qq]([1-4])$")
_RE_QY = re.compile(r"^[Qq]([1-4])\s*[-/ ]?\s*(\d{4})$")
_RE_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_RE_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_RE_NAME_Y = re.compile(r"^([A-Za-z]{3,9})\.?[\s\-/]*(\d{4})$")
_RE_Y_NAME = re.compile(r"^(\d{4})[\s\-/]*([A-Za-z]{3,9})\.?$")
_MONTH_NAMES = tuple(
    m.lower()
    for m in (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    )
)  # fmt: skip


def _named_month(s: str) -> tuple[int, int] | None:
    """(year, month) of ``"Jan 2024"``, ``"January-2024"`` or ``"2024-Jan"``, else None."""
    m = _RE_NAME_Y.match(s)
    if m:
        name, year = m.group(1), m.group(2)
    else:
        m = _RE_Y_NAME.match(s)
        if not m:
            return None
        year, name = m.group(1), m.group(2)
    name = name.lower()
    for i, full in enumerate(_MONTH_NAMES):
        if full.startswith(name) or (name == "sept" and i == 8):
            return int(year), i + 1
    return None


def _month_ordinal(year: int, month: int) -> int:
    return (year - 1970) * 12 + (month - 1)


def _parse_step_value(v) -> tuple[int, int, bool]:
    """(kind, ordinal, came_from_a_date) of one value; kind 0 when unparseable."""
    if isinstance(v, pd.Period):
        fs = v.freqstr
        if fs == "M":
            return KIND_MONTH, int(v.ordinal), False
        if fs.startswith("Q"):
            start = v.start_time
            if start.month % 3 != 1:
                return KIND_NONE, 0, False
            return KIND_QUARTER, int(pd.Period(start, freq="Q-DEC").ordinal), False
        if fs.startswith(("D", "B", "W", "h", "H", "min", "s")):
            start = v.start_time
            return KIND_MONTH, _month_ordinal(start.year, start.month), True
        return KIND_NONE, 0, False
    if isinstance(v, _dt.date | np.datetime64):
        ts = pd.Timestamp(v)
        if ts is pd.NaT:
            return KIND_NONE, 0, False
        return KIND_MONTH, _month_ordinal(ts.year, ts.month), True
    if not isinstance(v, str):
        return KIND_NONE, 0, False
    s = v.strip()
    m = _RE_YQ.match(s)
    if m:
        return KIND_QUARTER, (int(m.group(1)) - 1970) * 4 + int(m.group(2)) - 1, False
    m = _RE_QY.match(s)
    if m:
        return KIND_QUARTER, (int(m.group(2)) - 1970) * 4 + int(m.group(1)) - 1, False
    m = _RE_YM.match(s)
    if m:
        month = int(m.group(2))
        if 1 <= month <= 12:
            return KIND_MONTH, _month_ordinal(int(m.group(1)), month), False
        return KIND_NONE, 0, False
    m = _RE_DATE.match(s)
    if m:
        try:
            d = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return KIND_NONE, 0, False
        return KIND_MONTH, _month_ordinal(d.year, d.month), True
    named = _named_month(s)
    if named:
        return KIND_MONTH, _month_ordinal(*named), False
    return KIND_NONE, 0, False


def parse_steps(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse panel periods.

    Accepts ``"2024-01"``, ``"Jan 2024"``, ``"2024Q1"``/``"2024-Q1"``/``"Q1 2024"``, ISO dates
    such as ``"2024-01-31"`` (mapped to their month), pandas Periods (monthly or quarterly)
    and Timestamps / datetime64 (mapped to their month).

    Parameters
    ----------
    values : pandas.Series
        The period column; missing values are unparseable.

    Returns
    -------
    kind : numpy.ndarray of int8
        ``KIND_MONTH``, ``KIND_QUARTER`` or ``KIND_NONE`` (unparseable) per value.
    ordinal : numpy.ndarray of int64
        The pandas ordinal of the month (freq ``"M"``) or calendar quarter (``"Q-DEC"``).
    from_date : numpy.ndarray of bool
        True where the value was a full date rather than a month or quarter label.

    Examples
    --------
    >>> kind, ordinal, _ = parse_steps(pd.Series(["2024-01", "2024-02-29", "x"]))
    >>> kind.tolist(), ordinal[:2].tolist()
    ([1, 1, 0], [648, 649])
    """
    n = len(values)
    kind = np.zeros(n, dtype=np.int8)
    ordinal = np.zeros(n, dtype=np.int64)
    from_date = np.zeros(n, dtype=bool)
    if n == 0:
        return kind, ordinal, from_date
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        obj = values.astype(object)
    else:
        obj = values
    codes, uniques = pd.factorize(obj, use_na_sentinel=True)
    parsed = [_parse_step_value(u) for u in uniques]
    if parsed:
        table = np.array([(k, o, d) for k, o, d in parsed], dtype=np.int64).reshape(-1, 3)
        ok = codes >= 0
        kind[ok] = table[codes[ok], 0]
        ordinal[ok] = table[codes[ok], 1]
        from_date[ok] = table[codes[ok], 2].astype(bool)
    return kind, ordinal, from_date


def _parse_quarter_value(v, qfreq: str) -> int | None:
    if isinstance(v, pd.Period):
        if v.freqstr.startswith("Q"):
            q = pd.Period(v.start_time, freq=qfreq)
            return int(q.ordinal) if q.start_time == v.start_time else None
        return int(pd.Period(v.start_time, freq=qfreq).ordinal)
    if isinstance(v, _dt.date | np.datetime64):
        ts = pd.Timestamp(v)
        return None if ts is pd.NaT else int(pd.Period(ts, freq=qfreq).ordinal)
    if not isinstance(v, str):
        return None
    s = v.strip()
    m = _RE_YQ.match(s) or _RE_QY.match(s)
    if m:
        if m.re is _RE_YQ:
            year, q = int(m.group(1)), int(m.group(2))
        else:
            year, q = int(m.group(2)), int(m.group(1))
        return int(pd.Period(year=year, quarter=q, freq=qfreq).ordinal)
    m = _RE_YM.match(s) or _RE_DATE.match(s)
    if m:
        try:
            day = int(m.group(3)) if m.re is _RE_DATE else 1
            d = _dt.date(int(m.group(1)), int(m.group(2)), day)
        except ValueError:
            return None
        return month_quarter_code(d.year, d.month, qfreq)
    named = _named_month(s)
    if named:
        return month_quarter_code(named[0], named[1], qfreq)
    return None


def parse_quarters(values: pd.Series, qfreq: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse the ``quarter`` column of a territory-quarter table.

    Accepts ``"2024Q1"``, ``"2024-Q1"``, ``"Q1 2024"``, a month ``"2024-02"`` or a date inside
    the quarter, a pandas Period or a Timestamp.

    Parameters
    ----------
    values : pandas.Series
        The quarter column.
    qfreq : str
        The quarter frequency, from :func:`channelsim.calendar.quarter_freq`.

    Returns
    -------
    ok : numpy.ndarray of bool
        False where the value could not be parsed.
    ordinal : numpy.ndarray of int64
        pandas ordinals of the quarters at ``qfreq``.

    Examples
    --------
    >>> ok, o = parse_quarters(pd.Series(["2024Q1", "2024-02-15", "soon"]), "Q-DEC")
    >>> ok.tolist(), bool(o[0] == o[1])
    ([True, True, False], True)
    """
    n = len(values)
    ok = np.zeros(n, dtype=bool)
    ordinal = np.zeros(n, dtype=np.int64)
    if n == 0:
        return ok, ordinal
    obj = values
    if isinstance(values.dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        obj = values.astype(object)
    codes, uniques = pd.factorize(obj, use_na_sentinel=True)
    parsed = [_parse_quarter_value(u, qfreq) for u in uniques]
    good = np.array([p is not None for p in parsed], dtype=bool)
    ords = np.array([p if p is not None else 0 for p in parsed], dtype=np.int64)
    has = codes >= 0
    ok[has] = good[codes[has]]
    ordinal[has] = ords[codes[has]]
    return ok, ordinal


def period_labels(index: pd.PeriodIndex | pd.Series) -> list[str]:
    """Text labels of periods: ``"2024-01"`` for months, ``"2024Q1"`` for quarters.

    Examples
    --------
    >>> period_labels(pd.period_range("2024Q1", periods=2, freq="Q"))
    ['2024Q1', '2024Q2']
    """
    return [str(p) for p in index]
