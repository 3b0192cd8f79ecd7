"""Dense (partner, period) arrays of a canonical panel: states, sales, territories, coverage.

Depends on numpy, pandas and :mod:`channelsim._vocab`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelsim._vocab import (
    ENGAGED_STAGES,
    MATURITY_LEVELS,
    MATURITY_THRESHOLDS,
    maturity_code,
    state_names,
)

__all__ = [
    "PanelArrays",
    "engaged_counts",
    "maturity_labels",
    "panel_arrays",
]


@dataclass(frozen=True)
class PanelArrays:
    """Labels and dense arrays of a canonical panel (see :func:`panel_arrays`)."""

    partner_ids: tuple[str, ...]
    territory_ids: tuple[str, ...]
    periods: pd.PeriodIndex
    states: np.ndarray
    sales: np.ndarray
    territory: np.ndarray


def panel_arrays(panel: pd.DataFrame, stage_names: tuple[str, ...]) -> PanelArrays:
    """Build the dense arrays of a canonical panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        Canonical panel (``partner``, ``territory``, ``period``, optional ``stage``, ``sales``).
    stage_names : tuple of str
        :data:`channelsim._vocab.STAGES` or :data:`channelsim._vocab.ONE_STAGE`.

    Returns
    -------
    PanelArrays
        ``states`` int8 (state code, -1 before joining, ``len(stage_names)`` once exited,
        explicitly or by having no rows after some step before the panel ends); ``sales``
        float64 (NaN before joining and once exited); ``territory`` int32 (index into
        ``territory_ids``, carried forward after exit, -1 before joining).

    Examples
    --------
    >>> panel = pd.DataFrame({
    ...     "partner": ["a", "a", "b"], "territory": ["T", "T", "T"],
    ...     "period": pd.PeriodIndex(["2024-01", "2024-02", "2024-01"], freq="M"),
    ...     "sales": [1.0, 2.0, 3.0]})
    >>> panel_arrays(panel, ("active",)).states.tolist()
    [[0, 0], [0, 1]]
    """
    pi, partner_uniq = pd.factorize(panel["partner"], sort=True)
    tc, territory_uniq = pd.factorize(panel["territory"], sort=True)
    partner_ids = tuple(str(x) for x in partner_uniq)
    territory_ids = tuple(str(x) for x in territory_uniq)
    pi = pi.astype(np.int64)
    tc = tc.astype(np.int32)
    per = pd.PeriodIndex(panel["period"])
    ords = per.asi8
    first, last = int(ords.min()), int(ords.max())
    periods = pd.PeriodIndex.from_ordinals(np.arange(first, last + 1), freq=per.freq)
    n_p, n_t = len(partner_ids), len(periods)
    ti = ords - first
    names = state_names(stage_names)
    exit_code = len(stage_names)
    if "stage" in panel.columns and len(stage_names) > 1:
        codes = pd.Index(names).get_indexer(panel["stage"]).astype(np.int64)
    else:
        codes = np.zeros(len(panel), dtype=np.int64)
    states = np.full((n_p, n_t), -1, dtype=np.int8)
    states[pi, ti] = codes
    sales = np.full((n_p, n_t), np.nan, dtype=np.float64)
    sales[pi, ti] = panel["sales"].to_numpy(dtype=np.float64)
    territory = np.full((n_p, n_t), -1, dtype=np.int32)
    territory[pi, ti] = tc
    last_t = np.full(n_p, -1, dtype=np.int64)
    np.maximum.at(last_t, pi, ti)
    after = np.arange(n_t)[None, :] > last_t[:, None]
    states[after] = exit_code
    last_terr = territory[np.arange(n_p), last_t]
    territory = np.where(after, last_terr[:, None], territory).astype(np.int32)
    sales[states == exit_code] = np.nan
    for arr in (states, sales, territory):
        arr.setflags(write=False)
    return PanelArrays(partner_ids, territory_ids, periods, states, sales, territory)


def engaged_counts(
    arrays: PanelArrays, stage_names: tuple[str, ...], count_all_present: bool
) -> np.ndarray:
    """Partners per (territory, period) in active/productive/strategic (or all present).

    Parameters
    ----------
    arrays : PanelArrays
        From :func:`panel_arrays`.
    stage_names : tuple of str
        The book's stage names.
    count_all_present : bool
        Count every present, not-exited partner (one-stage books).

    Returns
    -------
    numpy.ndarray of int64, shape (n_territories, n_periods)

    Examples
    --------
    >>> panel = pd.DataFrame({
    ...     "partner": ["a", "b"], "territory": ["T", "T"],
    ...     "period": pd.PeriodIndex(["2024-01", "2024-01"], freq="M"),
    ...     "stage": ["active", "onboarding"], "sales": [1.0, 0.0]})
    >>> from channelsim._vocab import STAGES
    >>> engaged_counts(panel_arrays(panel, STAGES), STAGES, False).tolist()
    [[1]]
    """
    states = arrays.states
    if count_all_present:
        mask = (states >= 0) & (states < len(stage_names))
    else:
        codes = [stage_names.index(s) for s in ENGAGED_STAGES if s in stage_names]
        mask = np.isin(states, codes)
    n_terr, n_t = len(arrays.territory_ids), states.shape[1]
    out = np.zeros((n_terr, n_t), dtype=np.int64)
    t_idx = np.broadcast_to(np.arange(n_t), states.shape)
    np.add.at(out, (arrays.territory[mask], t_idx[mask]), 1)
    return out


def maturity_labels(coverage: np.ndarray) -> np.ndarray:
    """Channel maturity level of each coverage value (object array of level names).

    Examples
    --------
    >>> maturity_labels(np.array([0.1, 0.6, 0.9])).tolist()
    ['nascent', 'developing', 'mature']
    """
    codes = np.array(
        [maturity_code(float(c), MATURITY_THRESHOLDS) for c in np.ravel(coverage)], dtype=int
    )
    return np.asarray(MATURITY_LEVELS, dtype=object)[codes].reshape(np.shape(coverage))
