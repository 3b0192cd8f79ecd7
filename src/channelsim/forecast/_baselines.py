"""Baseline point forecasts the model is scored against: naive, seasonal naive, last-year mean.

Each takes a history ``(series, time)`` at the forecast's unit (steps or quarters, oldest
first; NaN-free: a partner's sales before it joined count as zero) and returns
``(series, horizon)``.

Depends only on numpy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BASELINES", "last_year_mean", "naive", "run_baselines", "seasonal_naive"]


def _hist(history) -> np.ndarray:
    h = np.atleast_2d(np.asarray(history, dtype=np.float64))
    if h.shape[-1] < 1:
        raise ValueError("a baseline needs at least one period of history")
    return h


def naive(history, horizon: int, season: int | None = None) -> np.ndarray:
    """The last observed value, repeated: ``f_{n+h} = y_n``.

    Examples
    --------
    >>> naive([[1.0, 2.0, 3.0]], 2).tolist()
    [[3.0, 3.0]]
    """
    h = _hist(history)
    return np.repeat(h[:, -1:], horizon, axis=1)


def seasonal_naive(history, horizon: int, season: int) -> np.ndarray:
    """The value one season earlier: ``f_{n+h} = y_{n+h-m k}`` with ``k = ceil(h / m)``.

    A history shorter than one season falls back to :func:`naive`.

    Examples
    --------
    >>> seasonal_naive([[1.0, 2.0, 3.0, 4.0, 5.0]], 3, season=4).tolist()
    [[2.0, 3.0, 4.0]]
    >>> seasonal_naive([[1.0, 2.0]], 5, season=2).tolist()
    [[1.0, 2.0, 1.0, 2.0, 1.0]]
    """
    h = _hist(history)
    n = h.shape[1]
    if n < season:
        return naive(h, horizon)
    idx = n - season + (np.arange(horizon) % season)
    return h[:, idx]


def last_year_mean(history, horizon: int, season: int) -> np.ndarray:
    """Mean of the last ``season`` periods (the last year), repeated.

    Examples
    --------
    >>> last_year_mean([[1.0, 2.0, 3.0, 5.0]], 2, season=2).tolist()
    [[4.0, 4.0]]
    """
    h = _hist(history)
    m = min(season, h.shape[1])
    return np.repeat(h[:, -m:].mean(axis=1, keepdims=True), horizon, axis=1)


#: Baselines by name, as scored in backtests.
BASELINES = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "last_year_mean": last_year_mean,
}


def run_baselines(history, horizon: int, season: int) -> dict[str, np.ndarray]:
    """Every baseline of :data:`BASELINES` on one history.

    Examples
    --------
    >>> sorted(run_baselines([[1.0, 2.0, 3.0]], 1, 2))
    ['last_year_mean', 'naive', 'seasonal_naive']
    """
    return {name: fn(history, horizon, season) for name, fn in BASELINES.items()}
