"""Common random numbers, shown with numbers: the standard error of a policy difference with
shared draws against independent draws."""

from __future__ import annotations

import numpy as np

from channelsim.policy import EffectSizes, Policy
from channelsim.simulate._api import simulate
from channelsim.simulate._dataset import AGGREGATION

__all__ = ["crn_standard_errors"]


def _per_path(ds, variable: str, policy: int) -> np.ndarray:
    da = ds[variable].sel(policy=policy)
    how = AGGREGATION.get(variable, "mean")
    if how == "sum":
        da = da.sum("quarter")
    elif how == "last":
        da = da.isel(quarter=-1)
    else:
        da = da.mean("quarter")
    return np.asarray(da.values, dtype=np.float64)


def crn_standard_errors(
    world,
    policy: Policy | str,
    *,
    variables=("revenue", "commit_ape", "coverage_index"),
    n_paths: int = 200,
    n_steps: int = 12,
    seed: int = 0,
    effects: EffectSizes | None = None,
) -> dict:
    """Standard error of ``policy - status quo`` with shared vs independent random numbers.

    *Shared*: both policies on the same paths of one run (common random numbers, the way
    :func:`simulate` always runs). *Independent*: the status quo from a run with ``seed``
    and the policy from a run with ``seed + 1``, as if each policy had its own seed. Each
    variable is folded over quarters per path as in :func:`summarize`.

    Returns
    -------
    dict
        Per variable: ``diff`` (shared estimate), ``se_shared``, ``se_independent``,
        ``diff_independent`` and ``ratio`` (independent / shared standard error; the
        variance reduction is its square).

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> res = crn_standard_errors(draw_world(3, 30, seed=1), "territory_pay", n_paths=16,
    ...                           n_steps=6, variables=("revenue",))
    >>> res["revenue"]["se_shared"] < res["revenue"]["se_independent"]
    True
    """
    pol = Policy.preset(policy) if isinstance(policy, str) else policy
    kw = {"n_paths": n_paths, "n_steps": n_steps, "effects": effects, "progress": False}
    a = simulate(world, [pol], seed=seed, **kw)
    b = simulate(world, [pol], seed=seed + 1, **kw)
    n = n_paths
    out = {}
    for v in variables:
        sq_a, pol_a = _per_path(a, v, 0), _per_path(a, v, 1)
        pol_b = _per_path(b, v, 1)
        d = pol_a - sq_a
        se_shared = float(np.nanstd(d, ddof=1) / np.sqrt(n))
        se_ind = float(np.sqrt(np.nanvar(sq_a, ddof=1) / n + np.nanvar(pol_b, ddof=1) / n))
        out[v] = {
            "diff": float(np.nanmean(d)),
            "se_shared": se_shared,
            "diff_independent": float(np.nanmean(pol_b) - np.nanmean(sq_a)),
            "se_independent": se_ind,
            "ratio": se_ind / se_shared if se_shared > 0 else float("inf"),
        }
    return out
