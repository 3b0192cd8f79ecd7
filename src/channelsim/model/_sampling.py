"""Running one PyMC model with the configured NUTS implementation, or an approximation.

Returns the sampled variables as ``(chain, draw, ...)`` arrays, the sampler statistics the
diagnostics need, and the compile / sampling times measured separately.

Imports PyMC; only :mod:`channelsim.model` imports this module.
"""

from __future__ import annotations

import importlib.util
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import xarray as xr

__all__ = ["SampleResult", "SamplerUnavailableError", "approximate", "available_samplers", "sample"]


class SamplerUnavailableError(ImportError):
    """The configured sampler is not installed."""

    is_bad_input = True


_PACKAGES = {"pymc": "pymc", "nutpie": "nutpie", "numpyro": "numpyro"}


def available_samplers() -> list[str]:
    """The samplers whose package is installed (``pymc`` always).

    Examples
    --------
    >>> "pymc" in available_samplers()
    True
    """
    return [s for s, pkg in _PACKAGES.items() if importlib.util.find_spec(pkg) is not None]


@dataclass
class SampleResult:
    """Draws of one component model (see :func:`sample`)."""

    draws: dict[str, np.ndarray]
    stats: xr.Dataset
    compile_s: float
    sampling_s: float
    info: dict = field(default_factory=dict)

    def thinned(self, k: int) -> SampleResult:
        """Every ``k``-th draw (the statistics likewise)."""
        if k == 1:
            return self
        draws = {n: v[:, ::k] for n, v in self.draws.items()}
        stats = self.stats.isel(draw=slice(None, None, k))
        stats = stats.assign_coords(draw=np.arange(stats.sizes["draw"]))
        if "diverging" in self.stats:  # keep every divergence, not only the kept draws'
            div = self.stats["diverging"].values
            n = stats.sizes["draw"]
            stats["diverging"] = (("chain", "draw"), div[:, : n * k].reshape(-1, n, k).any(-1))
        return SampleResult(draws, stats, self.compile_s, self.sampling_s, self.info)


def _cores(cores: int | None, chains: int) -> int:
    return max(1, min(chains, cores or os.cpu_count() or 1))


def _stats(ds: xr.Dataset) -> xr.Dataset:
    keep = {}
    for src, dst in (
        ("diverging", "diverging"),
        ("tree_depth", "tree_depth"),
        ("depth", "tree_depth"),
        ("step_size", "step_size"),
        ("energy", "energy"),
        ("n_steps", "n_steps"),
    ):
        if src in ds and dst not in keep:
            keep[dst] = ds[src].astype(np.float64 if dst != "diverging" else bool)
    return xr.Dataset(keep).drop_vars(
        [c for c in ds.coords if c not in ("chain", "draw")], errors="ignore"
    )


def sample(
    model: pm.Model,
    *,
    sampler: str,
    draws: int,
    tune: int,
    chains: int,
    cores: int | None,
    seed: int,
    target_accept: float,
    progressbar: bool,
) -> SampleResult:
    """NUTS on ``model`` with ``sampler``; the sampled (free) variables only.

    Raises
    ------
    SamplerUnavailableError
        If the sampler's package is not installed.
    """
    if sampler not in available_samplers():
        raise SamplerUnavailableError(
            f"sampler {sampler!r} is not installed (pip install {_PACKAGES.get(sampler, sampler)}"
            f"); installed: {', '.join(available_samplers())}"
        )
    names = [v.name for v in model.free_RVs]
    n_cores = _cores(cores, chains)
    t0 = time.perf_counter()
    if sampler == "nutpie":
        import nutpie

        compiled = nutpie.compile_pymc_model(model)
        t1 = time.perf_counter()
        idata = nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=n_cores,
            seed=int(seed % (2**32)),
            progress_bar=progressbar,
            target_accept=target_accept,
            low_rank_modified_mass_matrix=True,
            save_warmup=False,
        )
        sampling = time.perf_counter() - t1
        compile_s = t1 - t0
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*BLAS.*")
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=n_cores,
                random_seed=int(seed % (2**32)),
                progressbar=progressbar,
                target_accept=target_accept,
                nuts_sampler=sampler,
                model=model,
                compute_convergence_checks=False,
                var_names=names,
            )
        wall = time.perf_counter() - t0
        sampling = float(idata.posterior.attrs.get("sampling_time", wall))
        compile_s = max(0.0, wall - sampling)
    post = idata.posterior
    out = {n: np.asarray(post[n].values, dtype=np.float64) for n in names}
    return SampleResult(out, _stats(idata.sample_stats), compile_s, sampling)


def approximate(
    model: pm.Model,
    *,
    method: str,
    draws: int,
    n: int,
    seed: int,
    progressbar: bool,
) -> SampleResult:
    """ADVI (mean-field) or Pathfinder; draws as one chain."""
    names = [v.name for v in model.free_RVs]
    t0 = time.perf_counter()
    if method == "advi":
        approx = pm.fit(
            n=n, method="advi", model=model, random_seed=int(seed), progressbar=progressbar
        )
        idata = approx.sample(draws, random_seed=int(seed) + 1)
    elif method == "pathfinder":
        if importlib.util.find_spec("pymc_extras") is None:
            raise SamplerUnavailableError(
                "method='pathfinder' needs pymc-extras (pip install pymc-extras); "
                "method='advi' works without it"
            )
        import pymc_extras as pmx

        with model:
            idata = pmx.fit(
                method="pathfinder",
                num_draws=draws,
                random_seed=int(seed),
                progressbar=progressbar,
            )
    else:
        raise ValueError(f"method must be 'advi' or 'pathfinder', got {method!r}")
    wall = time.perf_counter() - t0
    post = idata.posterior
    out = {n_: np.asarray(post[n_].values, dtype=np.float64) for n_ in names}
    C, Dd = next(iter(out.values())).shape[:2]
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((C, Dd), dtype=bool))})
    return SampleResult(out, stats, 0.0, wall, {"approximation": method})
