"""The calendar: steps, fiscal quarters, fiscal years and trailing quarters, in one place.

Every conversion from a panel step (a month or a quarter, a pandas Period) to its fiscal
quarter or fiscal year happens on :class:`FiscalCalendar`, and the per-run arrays the kernels
read (season, quarter index, quarter starts) on :class:`StepCalendar`, which it builds.

Conventions (DESIGN.md section 2): a fiscal year starts in ``fiscal_year_start_month``
(default 1) and is named by the calendar year it ends in (FY2025 starts in April 2024 when
the fiscal year starts in April). pandas labels: fiscal quarters that coincide with calendar
quarters (start month 1, 4, 7 or 10) use calendar quarter labels (``"Q-DEC"``); other start
months use pandas' fiscal quarters ending in the month before the start month.

Depends on numpy and pandas only (base layer: every package may import it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FiscalCalendar", "StepCalendar", "month_quarter_code", "quarter_freq", "season_index"]

_MONTH_ABBR = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def quarter_freq(fiscal_year_start_month: int) -> str:
    """pandas frequency of fiscal quarters for a fiscal year starting in the given month.

    Same as ``FiscalCalendar(fiscal_year_start_month).quarter_freq``.

    Examples
    --------
    >>> quarter_freq(1), quarter_freq(7), quarter_freq(2)
    ('Q-DEC', 'Q-DEC', 'Q-JAN')
    """
    return FiscalCalendar(fiscal_year_start_month).quarter_freq


def season_index(periods, steps_per_quarter: int) -> np.ndarray:
    """Season of each step: calendar month - 1 (monthly) or calendar quarter - 1 (quarterly).

    Examples
    --------
    >>> season_index(pd.period_range("2024-11", periods=3, freq="M"), 3).tolist()
    [10, 11, 0]
    """
    periods = pd.PeriodIndex(periods)
    if steps_per_quarter == 3:
        return np.asarray(periods.month, dtype=np.int64) - 1
    return np.asarray(periods.quarter, dtype=np.int64) - 1


def month_quarter_code(year: int, month: int, qfreq: str) -> int:
    """Integer code of the quarter of frequency ``qfreq`` (e.g. from :func:`quarter_freq`)
    that holds a month; the codes of :meth:`FiscalCalendar.quarter_codes`.

    Examples
    --------
    >>> month_quarter_code(2024, 2, "Q-DEC") == month_quarter_code(2024, 3, "Q-DEC")
    True
    """
    return int(pd.Period(year=int(year), month=int(month), freq="M").asfreq(qfreq).ordinal)


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal quarters and years of panel steps for a fiscal year starting in a given month.

    Parameters
    ----------
    fiscal_year_start_month : int
        First month of the fiscal year, 1-12.

    Examples
    --------
    >>> cal = FiscalCalendar(4)
    >>> months = pd.period_range("2024-02", periods=4, freq="M")
    >>> cal.fiscal_years(months).tolist(), [str(q) for q in cal.quarters(months)]
    ([2024, 2024, 2025, 2025], ['2024Q1', '2024Q1', '2024Q2', '2024Q2'])
    """

    fiscal_year_start_month: int = 1

    @property
    def quarter_freq(self) -> str:
        """pandas frequency of the fiscal quarters (``"Q-DEC"`` for start months 1, 4, 7, 10).

        Examples
        --------
        >>> FiscalCalendar(2).quarter_freq
        'Q-JAN'
        """
        m = int(self.fiscal_year_start_month)
        if m in (1, 4, 7, 10):
            return "Q-DEC"
        return f"Q-{_MONTH_ABBR[(m - 2) % 12]}"

    def quarters(self, periods) -> pd.PeriodIndex:
        """The fiscal quarter (a pandas quarterly Period) of each step.

        Examples
        --------
        >>> q = FiscalCalendar(2).quarters(pd.period_range("2024-01", periods=2, freq="M"))
        >>> [str(p) for p in q]
        ['2024Q4', '2025Q1']
        """
        return pd.PeriodIndex(periods).asfreq(self.quarter_freq)

    def quarter_codes(self, periods) -> np.ndarray:
        """Integer code of each step's fiscal quarter; consecutive quarters differ by 1.

        Examples
        --------
        >>> FiscalCalendar().quarter_codes(pd.period_range("2024-03", periods=3, freq="M"))
        array([216, 217, 217])
        """
        return np.asarray(self.quarters(periods).asi8, dtype=np.int64)

    def fiscal_years(self, periods) -> np.ndarray:
        """Fiscal year of each step, named by the calendar year it ends in.

        Examples
        --------
        >>> FiscalCalendar(7).fiscal_years(pd.period_range("2024Q2", periods=2, freq="Q"))
        array([2024, 2025])
        """
        periods = pd.PeriodIndex(periods)
        fy = int(self.fiscal_year_start_month)
        months = (
            np.asarray(periods.month)
            if periods.freqstr == "M"
            else (np.asarray(periods.quarter) - 1) * 3 + 1
        )
        return np.asarray(periods.year) + ((months >= fy) & (fy > 1)).astype(int)

    def steps(self, origin, n_steps: int, steps_per_quarter: int, origin_step: int = 0):
        """The :class:`StepCalendar` of ``n_steps`` steps from ``origin``.

        Examples
        --------
        >>> c = FiscalCalendar(2).steps(pd.Period("2024-01", "M"), 4, 3)
        >>> c.quarter.tolist(), c.quarter_labels
        ([0, 1, 1, 1], ['FY2024Q4', 'FY2025Q1'])
        """
        return StepCalendar.build(
            origin, n_steps, steps_per_quarter, self.fiscal_year_start_month, origin_step
        )

    def trailing_sales(self, periods, per_step: np.ndarray, n: int = 4) -> np.ndarray:
        """Sales of the last ``n`` complete fiscal quarters, oldest first (the quota rules'
        trailing quarters).

        Parameters
        ----------
        periods : pandas.PeriodIndex
            The consecutive steps (months or quarters) the columns of ``per_step`` cover.
        per_step : (..., step) array
            Sales per step (territories on the leading axes).
        n : int
            Quarters returned.

        Returns
        -------
        (..., n) array
            One fallback for short histories: with fewer than ``n`` complete quarters the
            oldest complete quarter is repeated in front; with none, every quarter is the
            mean step's sales times the steps per quarter.

        Examples
        --------
        >>> months = pd.period_range("2024-02", periods=8, freq="M")
        >>> FiscalCalendar().trailing_sales(months, np.arange(8.0)[None], n=3).tolist()
        [[9.0, 9.0, 18.0]]
        """
        periods = pd.PeriodIndex(periods)
        per_step = np.asarray(per_step, dtype=np.float64)
        spq = 1 if periods.freqstr.startswith("Q") else 3
        codes = self.quarter_codes(periods)
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else []
        bounds = np.r_[starts, len(codes)].astype(int)
        full = [
            per_step[..., lo:hi].sum(-1) for lo, hi in itertools.pairwise(bounds) if hi - lo == spq
        ]
        if not full:
            rate = per_step.mean(-1, keepdims=True) * spq
            return np.repeat(rate, n, axis=-1)
        q = np.stack(full, axis=-1)
        if q.shape[-1] < n:
            pad = np.repeat(q[..., :1], n - q.shape[-1], axis=-1)
            q = np.concatenate([pad, q], axis=-1)
        return q[..., -n:]


@dataclass(frozen=True)
class StepCalendar:
    """Calendar facts for the steps of a run, as arrays an array-only kernel can take.

    Attributes
    ----------
    periods : pandas.PeriodIndex
        The period of each step.
    m : (step,) int
        Steps since the trend's zero (``origin_step + j``).
    season : (step,) int
        Season index: calendar month - 1 (monthly) or calendar quarter - 1 (quarterly).
    quarter : (step,) int
        Index of the fiscal quarter a step belongs to, 0 for the origin's quarter.
    quarter_start : (step,) bool
        True on the first step of each quarter within the run (and on step 0).
    quarter_len : (quarter,) int
        Steps of each quarter that fall inside the run.
    quarter_labels : list of str
        Fiscal quarter labels, e.g. ``FY2024Q1``.
    """

    periods: pd.PeriodIndex
    m: np.ndarray
    season: np.ndarray
    quarter: np.ndarray
    quarter_start: np.ndarray
    quarter_len: np.ndarray
    quarter_labels: list[str]
    steps_per_quarter: int

    @property
    def n_steps(self) -> int:
        return len(self.m)

    @property
    def n_quarters(self) -> int:
        return len(self.quarter_len)

    @classmethod
    def build(cls, origin, n_steps, steps_per_quarter, fy_start, origin_step=0) -> StepCalendar:
        """``n_steps`` steps from ``origin`` (prefer :meth:`FiscalCalendar.steps`)."""
        periods = pd.period_range(origin, periods=n_steps, freq=origin.freq)
        if steps_per_quarter == 3:
            months = np.asarray(periods.month)
            season = months - 1
            offset = (months - fy_start) % 12
            fq = offset // 3
        else:
            q = np.asarray(periods.quarter)
            season = q - 1
            first_q = (fy_start - 1) // 3
            fq = (q - 1 - first_q) % 4
            offset = fq * 3
        fy = np.asarray(periods.year) + (
            (
                np.asarray(
                    periods.month if steps_per_quarter == 3 else (periods.quarter - 1) * 3 + 1
                )
                >= fy_start
            )
            & (fy_start > 1)
        ).astype(int)
        qkey = fy * 4 + fq
        new_q = np.r_[True, qkey[1:] != qkey[:-1]] if n_steps else np.zeros(0, bool)
        quarter = np.cumsum(new_q) - 1
        quarter_len = np.bincount(quarter, minlength=int(quarter.max(initial=-1)) + 1)
        labels = [f"FY{fy[j]}Q{fq[j] + 1}" for j in np.flatnonzero(new_q)]
        del offset
        return cls(
            periods=periods,
            m=origin_step + np.arange(n_steps, dtype=np.int64),
            season=season.astype(np.int64),
            quarter=quarter.astype(np.int64),
            quarter_start=new_q,
            quarter_len=quarter_len.astype(np.int64),
            quarter_labels=labels,
            steps_per_quarter=steps_per_quarter,
        )
