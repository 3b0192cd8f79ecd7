"""The Simulation Dataset (DESIGN.md section 7), its provenance, and the per-policy summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from channelsim.policy import LEVERS, OUTCOMES, VARIABLES
from channelsim.provenance import SHORT, VERSION_KEY, json_hash, package_version, world_hash

__all__ = [
    "ACCURACY_VARIABLES",
    "AGGREGATION",
    "WINDOWS",
    "build_dataset",
    "summarize",
    "window_variables",
    "world_hash",
]

#: Forecast-accuracy variables also given per window (``<name>_window``, dim ``window``);
#: from :data:`channelsim.policy.OUTCOMES`.
ACCURACY_VARIABLES = tuple(n for n, o in OUTCOMES.items() if o.accuracy)
#: Windows of quarters: the transition (first four), steady state (last four), the horizon.
#: With fewer than eight quarters the first two overlap.
WINDOWS = ("transition", "steady", "horizon")

#: How :func:`summarize` folds quarters into one number per path: flows are summed over the
#: horizon, stocks taken at its last quarter, rates averaged over quarters
#: (:attr:`channelsim.policy.Outcome.reduce`).
AGGREGATION: dict[str, str] = {n: o.reduce for n, o in OUTCOMES.items()}


def _config_hash(plan, by_territory: bool, whash: str) -> str:
    cfg = {
        "world": whash,
        "status_quo": plan.status_quo.to_dict(),
        "effects": plan.effects.to_dict(),
        "seed": plan.seed,
        "n_paths": plan.n_paths,
        "n_steps": plan.n_steps,
        "by_territory": bool(by_territory),
    }
    return json_hash(cfg, SHORT)


def build_dataset(plan, out: np.ndarray, *, by_territory: bool, engine: str) -> xr.Dataset:
    """Label the kernel output (path, variable, slot, quarter, territory or 1)."""
    w = plan.world
    idx = plan.policy_slot
    if len(idx) and np.array_equal(idx, np.arange(idx[0], idx[0] + len(idx))):
        data = out[:, :, idx[0] : idx[0] + len(idx)]
    else:
        data = out[:, :, idx]
    n_pol = len(plan.policies)
    dims = (
        ("policy", "path", "quarter", "territory")
        if by_territory
        else ("policy", "path", "quarter")
    )
    variables = {}
    for v, (name, (desc, units)) in enumerate(VARIABLES.items()):
        arr = np.moveaxis(data[:, v], 1, 0)  # (policy, path, quarter, T or 1)
        if not by_territory:
            arr = arr[..., 0]
        variables[name] = xr.Variable(dims, arr, attrs={"description": desc, "units": units})
    coords = {
        "policy": np.arange(plan.offset, plan.offset + n_pol, dtype=np.int64),
        "path": np.arange(plan.n_paths, dtype=np.int64),
        "quarter": np.arange(plan.calendar.n_quarters, dtype=np.int64),
    }
    if by_territory:
        coords["territory"] = np.array(w.territory_ids, dtype=object)
    for lever in LEVERS:
        coords[lever] = ("policy", np.array([lab[lever] for lab in plan.labels], dtype=object))
    for name, values in plan.parameters.items():  # sampled lever parameters
        coords[name] = ("policy", np.asarray(values, dtype=np.float64))
    whash = world_hash(w)
    variables.update(window_variables(xr.Dataset(variables, coords=coords)))
    coords["window"] = np.array(WINDOWS, dtype=object)
    attrs = {
        "title": "channelsim policy simulation",
        "seed": int(plan.seed),
        "n_paths": int(plan.n_paths),
        "n_steps": int(plan.n_steps),
        "steps_per_quarter": int(w.steps_per_quarter),
        "origin_period": str(w.origin_period),
        "quarter_labels": json.dumps(plan.calendar.quarter_labels),
        "path_draws": f"path p uses world draw p % {w.n_draws}",
        "by_territory": int(bool(by_territory)),
        "engine": engine,
        "world_hash": whash,
        "config_hash": _config_hash(plan, by_territory, whash),
        "status_quo": json.dumps(plan.status_quo.to_dict(), default=str),
        "effects": json.dumps(plan.effects.to_dict()),
        VERSION_KEY: package_version(),
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _window_slice(window: str, n_quarters: int) -> slice:
    if window == "transition":
        return slice(0, min(4, n_quarters))
    if window == "steady":
        return slice(max(0, n_quarters - 4), n_quarters)
    return slice(0, n_quarters)


def window_variables(ds: xr.Dataset) -> dict[str, xr.Variable]:
    """``<name>_window`` for each of :data:`ACCURACY_VARIABLES`: the NaN-aware mean over the
    quarters of each of :data:`WINDOWS`, dims ``(policy, path, window[, territory])``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> q = np.arange(12.0)[None, None, :] * np.ones((1, 2, 1))
    >>> ds = xr.Dataset({n: (("policy", "path", "quarter"), q) for n in ACCURACY_VARIABLES})
    >>> window_variables(ds)["stat_ape_window"].values[0, 0].tolist()
    [1.5, 9.5, 5.5]
    """
    n_q = ds.sizes["quarter"]
    out = {}
    for name in ACCURACY_VARIABLES:
        if name not in ds:
            continue
        da = ds[name]
        with _quiet():
            parts = [
                da.isel(quarter=_window_slice(w, n_q)).mean("quarter", skipna=True) for w in WINDOWS
            ]
        stacked = xr.concat(parts, dim="window").transpose("policy", "path", "window", ...)
        desc = da.attrs.get("description", name)
        out[f"{name}_window"] = xr.Variable(
            stacked.dims,
            stacked.values,
            attrs={
                "description": f"{desc}; mean over the quarters of each window "
                "(transition: first four, steady: last four, horizon: all)",
                "units": da.attrs.get("units", ""),
            },
        )
    return out


def summarize(ds: xr.Dataset, quantiles=(0.1, 0.5, 0.9)) -> pd.DataFrame:
    """Mean and quantiles (default P10/P50/P90) over paths of every variable, per policy.

    Each variable is first folded over quarters per path (:data:`AGGREGATION`: revenue,
    programme cost and CAM attrition summed over the horizon; coverage, share mature and
    active partners at the last quarter; the rest averaged), then summarised over paths
    (NaN-aware). With a ``territory`` dimension the rows are (policy, territory).

    Returns
    -------
    pandas.DataFrame
        Index ``policy`` (and ``territory``); the lever labels, then columns
        ``<variable>_mean`` and ``<variable>_p10`` etc.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> from channelsim.simulate import simulate
    >>> ds = simulate(draw_world(3, 30, seed=1), ["territory_pay"], n_paths=4, n_steps=6,
    ...               seed=1, progress=False)
    >>> df = summarize(ds)
    >>> list(df.index), "revenue_p90" in df.columns
    ([0, 1], True)
    """
    cols: dict[str, np.ndarray] = {}
    index_dims = ["policy", "territory"] if "territory" in ds.dims else ["policy"]
    for name in VARIABLES:
        if name not in ds:
            continue
        da = ds[name]
        how = AGGREGATION.get(name, "mean")
        if how == "sum":
            folded = da.sum("quarter", skipna=False)
        elif how == "last":
            folded = da.isel(quarter=-1)
        else:
            folded = da.mean("quarter", skipna=True)
        folded = folded.transpose(*index_dims, "path")
        vals = folded.values.reshape(-1, folded.sizes["path"])
        with np.errstate(all="ignore"), _quiet():
            cols[f"{name}_mean"] = np.nanmean(vals, axis=1)
            for q in quantiles:
                tag = f"p{round(q * 100, 6):g}".replace(".", "_")
                cols[f"{name}_{tag}"] = np.nanquantile(vals, q, axis=1)
    n_q = ds.sizes["quarter"]
    for name in ACCURACY_VARIABLES:
        if name not in ds:
            continue
        for w in WINDOWS[:2]:
            folded = ds[name].isel(quarter=_window_slice(w, n_q))
            with np.errstate(all="ignore"), _quiet():
                folded = folded.mean("quarter", skipna=True)
            folded = folded.transpose(*index_dims, "path")
            vals = folded.values.reshape(-1, folded.sizes["path"])
            with np.errstate(all="ignore"), _quiet():
                cols[f"{name}_{w}_mean"] = np.nanmean(vals, axis=1)
                for q in quantiles:
                    tag = f"p{round(q * 100, 6):g}".replace(".", "_")
                    cols[f"{name}_{w}_{tag}"] = np.nanquantile(vals, q, axis=1)
    if len(index_dims) == 2:
        index = pd.MultiIndex.from_product(
            [ds["policy"].values, ds["territory"].values], names=index_dims
        )
    else:
        index = pd.Index(ds["policy"].values, name="policy")
    df = pd.DataFrame(cols, index=index)
    levers = pd.DataFrame(
        {lv: ds[lv].values for lv in LEVERS if lv in ds.coords},
        index=pd.Index(ds["policy"].values, name="policy"),
    )
    if len(index_dims) == 2:
        levers = levers.reindex(index.get_level_values("policy"))
        levers.index = index
    return pd.concat([levers, df], axis=1)


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)
