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

__all__ = [
    "SampleResult",
    "SamplerUnavailableError",
    "approximate",
    "available_samplers",
    "sample",
    "warm_state",
]

#: Weight (in draws) of the previous posterior's variances in the warm-started mass matrix
#: (PyMC's own default initialisation uses 10 for unit variances). Assumption: large enough
#: to survive the first adaptation window, small enough to be overwritten if the posterior
#: moved; measured only through ``benchmarks/bench_accuracy.py`` (cold vs warm refits).
WARM_WEIGHT = 50


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
    warm: dict | None = None,
) -> SampleResult:
    """NUTS on ``model`` with ``sampler``; the sampled (free) variables only.

    ``warm`` (from :func:`warm_state` of an earlier fit of the same model on a shorter book)
    starts PyMC's NUTS from the earlier posterior: each chain's initial point is the earlier
    posterior mean plus a small jitter (half a posterior sd), and the diagonal mass matrix
    starts from the earlier posterior variances (weight :data:`WARM_WEIGHT`), in the
    unconstrained space. Variables whose shape grew (more partners, more steps) take the
    earlier values on their common leading block and the model's defaults elsewhere. Other
    samplers ignore it. The result's ``info["warm"]`` holds this fit's own warm state.

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
        extra = {}
        if warm:
            extra = _warm_kwargs(model, warm, chains, seed, target_accept)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*BLAS.*")
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=n_cores,
                random_seed=int(seed % (2**32)),
                progressbar=progressbar,
                **({} if warm else {"target_accept": target_accept}),
                nuts_sampler=sampler,
                model=model,
                compute_convergence_checks=False,
                var_names=names,
                **extra,
            )
        wall = time.perf_counter() - t0
        sampling = float(idata.posterior.attrs.get("sampling_time", wall))
        compile_s = max(0.0, wall - sampling)
    post = idata.posterior
    out = {n: np.asarray(post[n].values, dtype=np.float64) for n in names}
    info = {"warm": warm_state(model, out), "warm_started": bool(warm) and sampler == "pymc"}
    return SampleResult(out, _stats(idata.sample_stats), compile_s, sampling, info)


def warm_state(model: pm.Model, draws: dict[str, np.ndarray]) -> dict:
    """Posterior mean and variance of each value variable in the unconstrained space.

    ``draws`` are ``(chain, draw, ...)`` arrays of the free variables (constrained, as
    :func:`sample` returns them); each is mapped through its transform (log, log-odds,
    zero-sum) and summarised over chains and draws. A variable whose transform cannot be
    evaluated on the draws is left out (it starts from the model's default).

    Examples
    --------
    >>> import pymc as pm
    >>> with pm.Model() as m:
    ...     s = pm.HalfNormal("s", 1.0)
    >>> st = warm_state(m, {"s": np.full((1, 4), np.e)})
    >>> st["s_log__"][0].tolist(), st["s_log__"][1].tolist()
    (1.0, 0.0)
    """
    out = {}
    for rv in model.free_RVs:
        if rv.name not in draws:
            continue
        value = model.rvs_to_values[rv]
        x = np.asarray(draws[rv.name], dtype=np.float64)
        tr = model.rvs_to_transforms.get(rv)
        if tr is not None:
            try:
                x = np.asarray(tr.forward(pm.math.constant(x), *rv.owner.inputs).eval())
            except Exception:  # a transform needing other variables' values: no warm start
                continue
        x = x.reshape((-1, *x.shape[2:]))
        out[value.name] = (x.mean(axis=0), x.var(axis=0))
    return out


def _overlay(default: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """``default`` with its common leading block replaced by ``earlier``'s."""
    out = np.array(default, dtype=np.float64, copy=True)
    if out.ndim != earlier.ndim:
        return out
    block = tuple(slice(0, min(a, b)) for a, b in zip(out.shape, earlier.shape, strict=True))
    out[block] = earlier[block]
    return out


def _warm_kwargs(model, warm: dict, chains: int, seed: int, target_accept: float) -> dict:
    from pymc.blocking import DictToArrayBijection
    from pymc.step_methods.hmc.quadpotential import QuadPotentialDiagAdapt

    ip = model.initial_point()
    means, variances = {}, {}
    for name, v in ip.items():
        v = np.asarray(v, dtype=np.float64)
        if name in warm:
            m, var = (np.asarray(a, dtype=np.float64) for a in warm[name])
            means[name] = _overlay(v, m)
            variances[name] = np.maximum(_overlay(np.ones_like(v), var), 1e-8)
        else:
            means[name], variances[name] = v, np.ones_like(v)
    rng = np.random.default_rng([int(seed % (2**32)), 7])
    initvals = [
        {  # constants, so that PyMC can map transformed values back symbolically
            n: pm.math.constant(
                means[n] + 0.5 * np.sqrt(variances[n]) * rng.standard_normal(means[n].shape)
            )
            for n in means
        }
        for _ in range(chains)
    ]
    mean_vec = DictToArrayBijection.map(means).data
    var_vec = DictToArrayBijection.map(variances).data
    with model:
        step = pm.NUTS(
            potential=QuadPotentialDiagAdapt(len(mean_vec), mean_vec, var_vec, WARM_WEIGHT),
            target_accept=target_accept,
        )
    return {"initvals": initvals, "step": step}


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
