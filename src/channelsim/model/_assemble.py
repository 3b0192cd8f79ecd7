"""Assemble the fitted components into one labelled posterior (InferenceData).

The sales and lifecycle components are sampled with the same chains and draws and paired by
(chain, draw) (their posteriors are independent, so any pairing is a joint draw); the commit
stage is computed per paired draw. Only world parameters and population hyper-parameters are
stored, never per-row quantities.

Depends on numpy, xarray, arviz and the model's numpy modules (never PyMC).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from channelsim.model._commits import draw_commit_params, expected_for_commits
from channelsim.model._data import ModelData
from channelsim.model._posterior import HYPER_NAMES, lifecycle_world_draws, sales_world_draws

__all__ = [
    "POPULATION_VARS",
    "POSTERIOR_DIMS",
    "STATESPACE_DIMS",
    "assemble_posterior",
    "flat_draws",
    "population_vars",
    "posterior_dims",
]

#: Dims (after chain, draw) of every stored posterior variable.
POSTERIOR_DIMS: dict[str, tuple[str, ...]] = {
    "a_stage": ("stage",),
    "a_terr": ("territory",),
    "a_terr_stage": ("territory", "stage"),
    "sigma_stage": ("stage",),
    "h_stage": ("stage",),
    "h_terr": ("territory",),
    "h_cap": (),
    "sd_kappa": (),
    "kappa": ("partner",),
    "season": ("season_index",),
    "trend": ("territory",),
    "rho": (),
    "sigma_eta": (),
    "eta": ("territory", "period"),
    "trans": ("territory", "from_state", "to_state"),
    "move_logit": ("territory", "move"),
    "recruit_rate": ("territory",),
    "commit_bias": (),
    "commit_sd": (),
    "sd_a_terr": (),
    "sd_a_terr_stage": (),
    "sd_h_terr": (),
    "trend_mu": (),
    "sd_trend": (),
    "move_base": ("move",),
    "sd_trans": (),
    "mu_recruit": (),
    "sd_recruit": (),
}

#: What a state-space fit stores instead of ``trend``, ``rho`` and ``sigma_eta``: the
#: dynamics' scales and the smoothed state during the book's last step; ``eta`` holds the
#: smoothed time state ``level + delta`` (docs/model.md section 8).
STATESPACE_DIMS: dict[str, tuple[str, ...]] = {
    "phi": (),
    "sigma_level": (),
    "sigma_trend": (),
    "sigma_season": (),
    "sd_season_terr": (),
    "ss_state": ("territory", "ss_component"),
}


def posterior_dims(statespace: bool) -> dict[str, tuple[str, ...]]:
    """Stored variables and their dims, for an AR(1) or a state-space fit."""
    if not statespace:
        return POSTERIOR_DIMS
    out = {k: v for k, v in POSTERIOR_DIMS.items() if k not in ("trend", "rho", "sigma_eta")}
    out.update(STATESPACE_DIMS)
    return out


#: Population-level parameters (what recovery and calibration compare with the truth).
POPULATION_VARS: tuple[str, ...] = (
    "a_stage",
    "sigma_stage",
    "h_stage",
    "h_cap",
    "sd_kappa",
    "season",
    "rho",
    "sigma_eta",
    *HYPER_NAMES,
    "commit_bias",
    "commit_sd",
)


def flat_draws(draws: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], tuple[int, int]]:
    """Merge the chain and draw axes of every array; returns the arrays and (chains, draws)."""
    first = next(iter(draws.values()))
    C, Dr = first.shape[:2]
    return {k: v.reshape(C * Dr, *v.shape[2:]) for k, v in draws.items()}, (C, Dr)


def coords_for(data: ModelData) -> dict[str, list]:
    """Coordinates of the posterior's dims."""
    moves = [
        f"{data.state_names[a]}->{data.state_names[b]}"
        for a, b in zip(data.move_from, data.move_to, strict=True)
    ]
    return {
        "stage": list(data.stage_names),
        "territory": list(data.territory_ids),
        "partner": list(data.partner_ids),
        "season_index": list(range(data.n_seasons)),
        "period": [str(p) for p in data.periods],
        "from_state": list(data.state_names),
        "to_state": list(data.state_names),
        "move": moves,
    }


def assemble_posterior(
    sales_raw: dict[str, np.ndarray],
    life_raw: dict[str, np.ndarray],
    data: ModelData,
    priors: dict,
    rng: np.random.Generator,
) -> xr.Dataset:
    """World parameters (chain, draw, ...) from the two components' sampled variables."""
    s_flat, (C, Dr) = flat_draws(sales_raw)
    l_flat, shape_l = flat_draws(life_raw)
    if shape_l != (C, Dr):
        raise ValueError(f"components have different (chain, draw) shapes: {(C, Dr)}, {shape_l}")
    par = sales_world_draws(s_flat, data, priors, rng)
    life = lifecycle_world_draws(l_flat, data)
    par.update(life)
    par["move_logit"] = life["move_base"][:, None, :] + life.pop("trans_offset")
    statespace = "phi" in par
    le = expected_for_commits(par, data)
    par["commit_bias"], par["commit_sd"] = draw_commit_params(le, data.commit_log, priors, rng)
    coords = coords_for(data)
    if statespace:
        k = par["ss_state"].shape[-1]
        coords["ss_component"] = ["level", "trend", *(f"season_dev_lag{i}" for i in range(k - 2))]
    variables = {}
    for name, dims in posterior_dims(statespace).items():
        arr = np.asarray(par[name], dtype=np.float64)
        variables[name] = (("chain", "draw", *dims), arr.reshape(C, Dr, *arr.shape[1:]))
    return xr.Dataset(
        variables,
        coords={"chain": np.arange(C), "draw": np.arange(Dr), **coords},
    )


def population_vars(posterior) -> tuple[str, ...]:
    """:data:`POPULATION_VARS` present in ``posterior``, plus the state-space scales."""
    names = [v for v in POPULATION_VARS if v in posterior]
    names += [v for v in STATESPACE_DIMS if v in posterior and not STATESPACE_DIMS[v]]
    return tuple(names)
