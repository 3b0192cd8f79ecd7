"""Objectives: how each variable of the Simulation Dataset is read as "better" or "worse".

Every variable of DESIGN.md section 7 can be an objective. Each is reduced over the horizon's
quarters per path (mean, sum or the last quarter), optionally transformed (absolute bias,
distance of interval coverage from its nominal level) and then maximised or minimised. The
reduction happens per path so that paired differences against the status quo keep the common
random numbers.

Depends on numpy and xarray only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import xarray as xr

from channelsim.policy import OUTCOMES
from channelsim.simulate import ACCURACY_VARIABLES

__all__ = [
    "OBJECTIVES",
    "Objective",
    "objective_values",
]


@dataclass(frozen=True)
class Objective:
    """How one Simulation Dataset variable becomes a per-path objective value.

    Attributes
    ----------
    variable : str
        Name of the variable in the Simulation Dataset.
    reduce : {"mean", "sum", "last"}
        Reduction over quarters per path.
    sense : {"max", "min"}
        Whether larger or smaller values are better (after ``transform``).
    transform : {None, "abs", "coverage_gap"}
        ``abs``: absolute value (bias: closer to zero is better); ``coverage_gap``: absolute
        distance from the nominal interval coverage (Dataset attribute ``stat_interval``, 0.8 if
        absent).
    label : str
        Plain-language name for tables and charts.
    percent : bool
        Values are ratios shown as percentages; differences in percentage points.
    territory_reduce : {"sum", "mean"}
        How a ``territory`` dimension, when present, is collapsed first.
    window : {None, "transition", "steady"}
        Quarters read: all (None), the first four (``transition``) or the last four
        (``steady``, steady state); see :data:`channelsim.simulate.WINDOWS`.

    Examples
    --------
    >>> OBJECTIVES["attainment"].sense
    'max'
    """

    variable: str
    reduce: Literal["mean", "sum", "last"]
    sense: Literal["max", "min"]
    label: str
    transform: Literal["abs", "coverage_gap"] | None = None
    percent: bool = False
    territory_reduce: Literal["sum", "mean"] = "mean"
    window: Literal["transition", "steady"] | None = None

    @property
    def name(self) -> str:
        """Key in :data:`OBJECTIVES`: the variable, suffixed ``_<window>`` for a window."""
        return self.variable if self.window is None else f"{self.variable}_{self.window}"

    @property
    def sign(self) -> float:
        """+1 when larger is better, -1 when smaller is better."""
        return 1.0 if self.sense == "max" else -1.0

    def format(self, value: float, *, diff: bool = False) -> str:
        """Format a value (or a difference) for people.

        Examples
        --------
        >>> OBJECTIVES["attainment"].format(0.034, diff=True)
        '+3.4 pp'
        >>> OBJECTIVES["revenue"].format(1234567.0)
        '1.23M'
        """
        if not np.isfinite(value):
            return "n/a"
        if self.percent:
            return f"{100 * value:+.1f} pp" if diff else f"{100 * value:.1f}%"
        sign = "+" if diff and value >= 0 else ""
        a = abs(value)
        if a >= 1e9:
            txt = f"{value / 1e9:.2f}B"
        elif a >= 1e6:
            txt = f"{value / 1e6:.2f}M"
        elif a >= 1e4:
            txt = f"{value / 1e3:.1f}k"
        else:
            txt = f"{value:.3g}"
        return sign + txt


#: One objective per outcome of the registry (:data:`channelsim.policy.OUTCOMES`).
_BASE: list[Objective] = [
    Objective(
        o.name,
        o.reduce,
        o.sense,
        o.label,
        o.transform,
        o.percent,
        o.territory_reduce,
    )
    for o in OUTCOMES.values()
]
#: The forecast-accuracy variables (the Simulation Dataset's own list).
_WINDOWED = ACCURACY_VARIABLES
_WINDOW_LABEL = {"transition": "first four quarters", "steady": "last four quarters"}
#: The objectives: one per Simulation Dataset variable, and the forecast-accuracy variables
#: over the transition and at steady state (``stat_ape_steady``, ``commit_ape_transition``...).
OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in _BASE
    + [
        replace(o, window=w, label=f"{o.label}, {_WINDOW_LABEL[w]}")
        for w in ("transition", "steady")
        for o in _BASE
        if o.variable in _WINDOWED
    ]
}


def objective_values(ds: xr.Dataset, names) -> xr.Dataset:
    """Per-path objective values: one variable per objective, dims ``(policy, path)``.

    Parameters
    ----------
    ds : xarray.Dataset
        A Simulation Dataset (dims ``policy``, ``path``, ``quarter`` and optionally
        ``territory``).
    names : iterable of str
        Objective names (keys of :data:`OBJECTIVES`).

    Returns
    -------
    xarray.Dataset
        Values before orientation (a larger value is better only where ``sense == "max"``);
        the ``policy`` coordinates (levers) are kept.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"attainment": (("policy", "path", "quarter"), np.ones((2, 3, 4)))},
    ...                 coords={"policy": [0, 1]})
    >>> objective_values(ds, ["attainment"]).attainment.shape
    (2, 3)
    """
    nominal = float(ds.attrs.get("stat_interval", 0.8))
    out = {}
    for name in names:
        obj = OBJECTIVES[name]
        da = ds[obj.variable]
        if "territory" in da.dims:
            da = getattr(da, obj.territory_reduce)("territory")
        if obj.window == "transition":
            da = da.isel(quarter=slice(0, 4))
        elif obj.window == "steady":
            da = da.isel(quarter=slice(-4, None))
        if obj.reduce == "last":
            da = da.isel(quarter=-1, drop=True)
        else:
            da = getattr(da, obj.reduce)("quarter")
        if obj.transform == "abs":
            da = abs(da)
        elif obj.transform == "coverage_gap":
            da = abs(da - nominal)
        out[name] = da.transpose("policy", "path")
    return xr.Dataset(out)
