"""The model class: configure, fit, diagnose, save / load, and fill the World schema.

Depends on PyMC (through :mod:`channelsim.model._build` and ``_sampling``, imported when a fit
starts), ArviZ, xarray and the model's numpy modules.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from channelsim._html_repr import badge, card, table
from channelsim.data import Book
from channelsim.model._assemble import assemble_posterior, population_vars
from channelsim.model._blas import blas_status
from channelsim.model._config import ModelConfig, ModelConfigError
from channelsim.model._data import ModelData, prepare
from channelsim.model._diagnostics import (
    Diagnostics,
    diagnose,
    loo,
    posterior_predictive,
    warn_if_bad,
)
from channelsim.model._io import ModelFileError, read_model_file, write_model_file
from channelsim.model._to_world import build_world, select_draws
from channelsim.provenance import VERSION_KEY, compatible_versions, package_version
from channelsim.rng import normalize_seed

__all__ = ["ChannelModel", "NotFittedError"]


class NotFittedError(RuntimeError):
    """A method that needs a fitted model was called before :meth:`ChannelModel.fit`."""


def _az():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    return az


class ChannelModel:
    """Bayesian hierarchical model of partner and territory sales by lifecycle stage.

    Estimates every term of the world's generative process (DESIGN.md section 3) from a
    validated book: the sales hurdle and log-normal amount (stage, territory and territory x
    stage effects, partner capability, stage-dependent scale, seasonality, territory trends,
    the territory AR(1) shock, or with ``territory_dynamics="statespace"`` a state-space
    time state per territory integrated out exactly), lifecycle transitions, recruiting
    rates, and CAM commit bias and noise. See ``docs/model.md`` for the model, its priors
    and its sampler.

    The posterior factorises into three independent parts, fitted as separate PyMC models
    (:mod:`channelsim.model._build`): sales, lifecycle (transitions and recruits), and
    commits, which depend on the closed-form ``expected_sales`` of the other two and are a
    second stage with each draw's plug-in values (:mod:`channelsim.model._commits`).

    Parameters
    ----------
    config : ModelConfig or dict, optional
    **kwargs
        Overrides of config fields (``draws=500, sampler="nutpie"``...).

    Attributes
    ----------
    config : ModelConfig
    idata : arviz.InferenceData or None
        ``posterior`` (world parameters with ``chain, draw`` dims) and ``sample_stats``
        after :meth:`fit`.
    book : channelsim.data.Book or None
        The book it was fitted on.

    Examples
    --------
    >>> from channelsim.datasets import make_book
    >>> book, _ = make_book(2, 12, 8, seed=3)
    >>> model = ChannelModel(draws=20, tune=20, chains=2, progressbar=False)
    >>> model.is_fitted
    False
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     idata = model.fit(book, random_seed=1)
    >>> model.to_world(draws=5).n_draws
    5
    """

    def __init__(self, config: ModelConfig | dict | None = None, **kwargs) -> None:
        self.config = ModelConfig.build(config, **kwargs)
        self.idata = None
        self.book = None
        self.fit_info: dict = {}
        self._data: ModelData | None = None
        self._warm: dict | None = None

    # ------------------------------------------------------------------------ lifecycle
    @property
    def is_fitted(self) -> bool:
        """Whether the model holds a posterior."""
        return self.idata is not None

    def _require_fit(self, what: str) -> None:
        if self.idata is None:
            raise NotFittedError(
                f"{what} needs a fitted model: call fit(book) or ChannelModel.load(path) first"
            )

    @property
    def data(self) -> ModelData:
        """The book's arrays as the model sees them (after fit or load)."""
        self._require_fit("data")
        if self._data is None:
            self._data = prepare(self.book, self.fit_info.get("amount_location"))
        return self._data

    def _check_book(self, book) -> None:
        needed = ("states", "sales_matrix", "territory_matrix", "periods", "stage_names")
        if not all(hasattr(book, a) for a in needed):
            raise TypeError(
                "fit needs a validated channelsim.data.Book (use channelsim.data.load_book), "
                f"got {type(book).__name__}"
            )

    def fit(self, book, random_seed=None, *, warm_start: ChannelModel | None = None):
        """Fit the model to a validated book by NUTS.

        Parameters
        ----------
        book : channelsim.data.Book
        random_seed : int, numpy.random.Generator or None
        warm_start : ChannelModel, optional
            A model fitted by NUTS on an earlier cut of the same book (a backtest's previous
            window): each component's chains start from its posterior mean and its
            posterior variances seed the mass matrix (PyMC's NUTS only; see
            :func:`channelsim.model._sampling.sample`). ``fit_info["warm_started"]`` says
            whether it was used.

        Returns
        -------
        arviz.InferenceData
            Also kept as :attr:`idata`. Convergence is checked at once
            (:meth:`check_diagnostics`); a :class:`DiagnosticsWarning` names the worst
            parameters if a threshold is missed.
        """
        warm = None
        if warm_start is not None:
            warm = getattr(warm_start, "_warm", None)
        return self._fit(book, random_seed, approx=None, warm=warm)

    def fit_approx(
        self, book, method: str = "advi", *, draws: int = 1000, n: int = 20_000, random_seed=None
    ):
        """A fast approximate fit for exploration (ADVI, or Pathfinder with pymc-extras).

        The approximation is one "chain" of ``draws`` independent draws; mean-field ADVI
        underestimates posterior spread, so use :meth:`fit` for forecasts you report.

        Parameters
        ----------
        book : channelsim.data.Book
        method : {"advi", "pathfinder"}
        draws : int
            Draws from the fitted approximation.
        n : int
            Optimisation steps (ADVI).
        random_seed : int, Generator or None

        Returns
        -------
        arviz.InferenceData
        """
        return self._fit(book, random_seed, approx=(method, draws, n))

    def _fit(self, book, random_seed, approx, warm=None):
        self._check_book(book)
        from channelsim.model._build import build_lifecycle_model, build_sales_model
        from channelsim.model._sampling import approximate, sample

        cfg = self.config
        t_start = time.perf_counter()
        data = prepare(book, cfg.amount_location)
        priors = cfg.priors.for_steps(data.steps_per_quarter)
        ssp = (
            cfg.statespace_priors.for_steps(data.steps_per_quarter)
            if cfg.territory_dynamics == "statespace"
            else None
        )
        ss = np.random.SeedSequence(normalize_seed(random_seed))
        s_sales, s_life, s_post = (int(c.generate_state(1)[0]) for c in ss.spawn(3))
        results = {}
        # The lifecycle model is cheap but its spread sd_trans mixes slowly (territory
        # offsets of rare moves): it runs at a higher target acceptance and twice the draws,
        # thinned by two, so that its draws pair one to one with the sales model's.
        for name, builder, seed, thin, accept in (
            ("sales", build_sales_model, s_sales, 1, cfg.target_accept),
            ("lifecycle", build_lifecycle_model, s_life, 2, max(cfg.target_accept, 0.95)),
        ):
            model = builder(data, priors, ssp) if name == "sales" else builder(data, priors)
            if approx is None:
                res = sample(
                    model,
                    sampler=cfg.sampler,
                    draws=cfg.draws * thin,
                    tune=cfg.tune,
                    chains=cfg.chains,
                    cores=cfg.cores,
                    seed=seed,
                    target_accept=accept,
                    progressbar=cfg.progressbar,
                    warm=None if warm is None else warm.get(name),
                )
                results[name] = res.thinned(thin)
            else:
                method, n_draws, n_steps = approx
                results[name] = approximate(
                    model,
                    method=method,
                    draws=n_draws,
                    n=n_steps,
                    seed=seed,
                    progressbar=cfg.progressbar,
                )
        rng = np.random.default_rng(s_post)
        posterior = assemble_posterior(
            results["sales"].draws, results["lifecycle"].draws, data, priors, rng
        )
        stats = _merge_stats(results)
        info = {
            "method": "nuts" if approx is None else approx[0],
            "sampler": cfg.sampler if approx is None else approx[0],
            "random_seed": None if random_seed is None else str(random_seed),
            "amount_location": data.amount_location,
            "compile_s": sum(r.compile_s for r in results.values()),
            "sampling_s": sum(r.sampling_s for r in results.values()),
            "wall_s": time.perf_counter() - t_start,
            "notes": data.notes,
            "moves_dropped": data.moves_dropped,
            "warm_started": any(r.info.get("warm_started", False) for r in results.values()),
            "blas": blas_status(),
        }
        self._set_fit(posterior, stats, book, data, info)
        # unconstrained posterior summaries for a later warm start (not saved with the model)
        self._warm = {n: r.info["warm"] for n, r in results.items() if "warm" in r.info}
        if approx is None:
            self.check_diagnostics(warn=True)
        return self.idata

    def _set_fit(self, posterior, stats, book, data, info) -> None:
        az = _az()
        attrs = {
            VERSION_KEY: package_version(),
            "config_hash": self.config.config_hash(),
            "data_hash": book.data_hash(),
        }
        posterior.attrs.update(attrs)
        self.idata = az.InferenceData(posterior=posterior, sample_stats=stats)
        self.book = book
        self._data = data
        self.fit_info = info

    # ----------------------------------------------------------------------- diagnostics
    def check_diagnostics(self, warn: bool = True) -> Diagnostics:
        """R-hat, bulk / tail ESS and divergences against the config's thresholds.

        Parameters
        ----------
        warn : bool
            Issue a :class:`DiagnosticsWarning` naming the worst parameters if any
            threshold is missed.

        Returns
        -------
        Diagnostics
        """
        self._require_fit("check_diagnostics")
        key = (self.config.rhat_max, self.config.ess_min, self.config.max_divergences)
        cached = getattr(self, "_diag_cache", None)
        if cached is not None and cached[0] == key and cached[1] is self.idata:
            diag = cached[2]
            if warn:
                warn_if_bad(diag, stacklevel=3)
            return diag
        diag = diagnose(
            self.idata.posterior,
            self.idata.sample_stats,
            rhat_max=self.config.rhat_max,
            ess_min=self.config.ess_min,
            max_divergences=self.config.max_divergences,
        )
        self._diag_cache = (key, self.idata, diag)
        if warn:
            warn_if_bad(diag, stacklevel=3)
        return diag

    def summary(self, var_names=None, **kwargs) -> pd.DataFrame:
        """ArviZ summary (mean, sd, HDI, MCSE, ESS, R-hat) of the population parameters.

        Parameters
        ----------
        var_names : list of str, optional
            Default: the population-level parameters (no per-partner or per-step ones).
        **kwargs
            Passed to :func:`arviz.summary`.
        """
        self._require_fit("summary")
        az = _az()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return az.summary(
                self.idata,
                var_names=list(var_names or population_vars(self.idata.posterior)),
                **kwargs,
            )

    def ppc(self, draws: int = 200, random_seed: int = 0) -> pd.DataFrame:
        """Posterior predictive checks: zero share and totals by stage and territory.

        See :func:`channelsim.model._diagnostics.posterior_predictive`.
        """
        self._require_fit("ppc")
        return posterior_predictive(self.idata.posterior, self.data, draws=draws, seed=random_seed)

    def loo(self, by: str = "partner"):
        """PSIS-LOO of the sales likelihood (ArviZ ``ELPDData``), leaving out whole partners
        (``by="partner"``) or single partner-steps (``by="row"``)."""
        self._require_fit("loo")
        return loo(self.idata.posterior, self.data, by=by)

    # ------------------------------------------------------------------------- world
    def to_world(
        self,
        draws=None,
        *,
        seed: int = 0,
        extra_territories=None,
        extra_partners=None,
        include_exited: bool = False,
        quota_rule=None,
    ):
        """The World at the end of the book, from posterior draws.

        Parameters
        ----------
        draws : None, int or array of int
            All posterior draws (None), ``n`` draws evenly spaced over ``chain x draw``
            (int; cycled when ``n`` exceeds them), or flat indices into ``chain x draw``
            (:func:`channelsim.world.draw_indices`, the package's one draw selection).
        seed : int
            For the population draws of unseen groups.
        extra_territories : dict or list, optional
            Unseen territories: ``{id: target_partners}`` or a list of ids (target 10).
            Their effects are drawn from the fitted population (module docstring of
            :mod:`channelsim.model._to_world`).
        extra_partners : DataFrame or dict of lists, optional
            Unseen partners: columns ``partner``, ``territory`` and optional ``stage``
            (default the first stage); capability ``kappa ~ N(0, sd_kappa)``.
        include_exited : bool
            Keep partners that exited before the end of the book (in state ``exited``).
        quota_rule : channelsim.world.QuotaRule, optional
            Default: the status quo's rule fitted to the book's quotas
            (:meth:`channelsim.data.Book.quota_fit`; the default ratchet, with a warning,
            only without quotas).

        Returns
        -------
        channelsim.world.World
            Every parameter with a leading ``draw`` dim; ``partner_state`` the state in the
            book's last period, ``eta_last`` the posterior shock of that period,
            ``trailing_sales`` the last four complete quarters of actual sales,
            ``last_quota`` from the quarter table (if any), ``origin_period`` the period
            after the book's last and ``origin_step`` the number of book periods (the
            trend's ``m`` counts from the book's first period).
        """
        self._require_fit("to_world")
        rng = np.random.default_rng(seed)
        idx = select_draws(self.idata.posterior, draws)
        return build_world(
            self.idata.posterior,
            self.data,
            self.book,
            idx,
            rng,
            extra_territories=extra_territories,
            extra_partners=extra_partners,
            include_exited=include_exited,
            quota_rule=quota_rule,
        )

    # ------------------------------------------------------------------------ save/load
    def save(self, path: str | os.PathLike) -> Path:
        """Write one NetCDF file: posterior, sample stats, the book, config and provenance.

        Written atomically (temporary file in the same folder, then renamed); the folder is
        created when missing.
        """
        self._require_fit("save")
        attrs = {
            VERSION_KEY: package_version(),
            "config": self.config.to_json(),
            "config_hash": self.config.config_hash(),
            "data_hash": self.book.data_hash(),
            "fit_info": json.dumps(self.fit_info, default=str),
        }
        post = self.idata.posterior.copy()
        post.attrs = {k: v for k, v in post.attrs.items() if isinstance(v, (str, int, float))}
        return write_model_file(
            path,
            posterior=post,
            sample_stats=self.idata.sample_stats,
            book_ds=self.book.to_dataset(),
            attrs=attrs,
        )

    @classmethod
    def load(
        cls, path: str | os.PathLike, config: ModelConfig | dict | None = None
    ) -> ChannelModel:
        """Read a model written by :meth:`save`.

        Parameters
        ----------
        path : path
        config : ModelConfig or dict, optional
            The config you expect; a file fitted with another config is refused.

        Raises
        ------
        ModelFileError
            Not a model file, written by an incompatible channelsim version, fitted with a
            different config than ``config``, or its book does not match its data hash.
        """
        attrs, posterior, stats, book_ds = read_model_file(path)
        fv = str(attrs.get(VERSION_KEY, "?"))
        if not compatible_versions(fv):
            raise ModelFileError(
                f"{path}: written by channelsim {fv}, incompatible with this channelsim "
                f"{package_version()}; refit the model"
            )
        try:
            stored = ModelConfig.from_json(attrs["config"])
        except (ModelConfigError, ValueError) as exc:
            raise ModelFileError(
                f"{path}: its model config is not one this channelsim {package_version()} knows; "
                f"refit the model ({exc})"
            ) from None
        if stored.config_hash() != attrs.get("config_hash"):
            raise ModelFileError(f"{path}: the stored config does not match its config hash")
        if config is not None:
            wanted = ModelConfig.build(config)
            if wanted.config_hash() != stored.config_hash():
                diff = _config_diff(stored, wanted)
                raise ModelFileError(
                    f"{path}: fitted with a different model config ({diff}); refit with this "
                    "config or load without one"
                )
        try:
            book = Book.from_dataset(book_ds)
        except ValueError as exc:
            raise ModelFileError(f"{path}: {exc}") from None
        if book.data_hash() != attrs.get("data_hash"):
            raise ModelFileError(f"{path}: the stored book does not match the file's data hash")
        model = cls(stored)
        info = attrs.get("fit_info") or {}
        model._set_fit(posterior, stats, book, None, info)
        model._data = None
        return model

    def _repr_html_(self) -> str:
        """Notebook view: a diagnostics badge (R-hat, ESS, divergences), the book, the worst
        parameters' convergence table and their bulk ESS against the threshold (inline SVG)."""
        cfg = self.config
        if not self.is_fitted:
            return card(
                "ChannelModel (not fitted)",
                f"sampler {cfg.sampler} &middot; call fit(book) or ChannelModel.load(path)",
            )
        diag = self.check_diagnostics(warn=False)
        post = self.idata.posterior
        sub = (
            f"{badge(diag.ok, 'converged' if diag.ok else 'not converged')} "
            f"max R-hat {diag.max_rhat:.3f} (&le; {cfg.rhat_max}) &middot; min bulk ESS "
            f"{diag.min_ess_bulk:.0f}, min tail ESS {diag.min_ess_tail:.0f} (&ge; {cfg.ess_min:.0f})"
            f" &middot; divergences {diag.divergences} (&le; {cfg.max_divergences}) &middot; "
            f"{post.sizes.get('chain', 1)} chains x {post.sizes.get('draw', 0)} draws, "
            f"sampler {cfg.sampler}"
        )
        book = self.book
        about = (
            f"fitted on {book.source!s}: {len(book.partner_ids):,} partners, "
            f"{len(book.territory_ids):,} territories, {len(book.periods)} steps"
        )
        worst = diag.table.head(8).round(3)
        worst.index.name = "parameter (worst first)"
        msgs = "".join(f"<li>{m}</li>" for m in diag.messages) if not diag.ok else ""
        return card(
            "ChannelModel",
            sub,
            about,
            f"<ul style='margin:2px 0 2px 18px;color:#a33a3a'>{msgs}</ul>" if msgs else "",
            _ess_svg(worst["ess_bulk"], cfg.ess_min),
            table(worst, max_rows=8, index=True),
        )

    def __repr__(self) -> str:
        state = "fitted" if self.is_fitted else "not fitted"
        return f"<ChannelModel sampler={self.config.sampler!r} {state}>"


def _ess_svg(ess: pd.Series, threshold: float, width: int = 420) -> str:
    """Horizontal bars of bulk ESS per parameter with the threshold as a dashed line."""
    import html

    vals = np.nan_to_num(ess.to_numpy(dtype=float))
    top = max(float(vals.max(initial=0.0)), threshold) * 1.05 or 1.0
    left, row = 150, 14
    h = row * len(vals) + 20
    out = [f"<svg class='cs-svg' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{h}'>"]
    for i, (name, v) in enumerate(zip(ess.index, vals, strict=True)):
        w = (width - left - 10) * v / top
        color = "#1b6ca8" if v >= threshold else "#a33a3a"
        out.append(
            f"<text x='{left - 4}' y='{i * row + 11}' font-size='10' text-anchor='end' "
            f"fill='#5b6775'>{html.escape(str(name))[:28]}</text>"
            f"<rect x='{left}' y='{i * row + 2}' width='{w:.1f}' height='{row - 4}' fill='{color}'/>"
        )
    tx = left + (width - left - 10) * threshold / top
    out.append(
        f"<line x1='{tx:.1f}' y1='0' x2='{tx:.1f}' y2='{h - 14}' stroke='#4d4d4d' "
        f"stroke-dasharray='3,2'/><text x='{tx:.1f}' y='{h - 3}' font-size='10' "
        f"text-anchor='middle' fill='#5b6775'>bulk ESS threshold {threshold:.0f}</text></svg>"
    )
    return "".join(out)


def _config_diff(a: ModelConfig, b: ModelConfig) -> str:
    da, db = a.model_dump(mode="json"), b.model_dump(mode="json")
    keys = [k for k in da if da[k] != db.get(k) and k not in ("progressbar", "cores")]
    return ", ".join(f"{k}: file {da[k]!r} vs {db[k]!r}" for k in keys[:5]) or "priors differ"


def _merge_stats(results: dict) -> xr.Dataset:
    """One sample_stats: ``diverging`` of any component plus each component's own stats."""
    out = {}
    div = None
    for name, res in results.items():
        st = res.stats
        if "diverging" in st:
            d = st["diverging"].values.astype(bool)
            div = d if div is None else (div | d)
        for var in st.data_vars:
            out[f"{name}_{var}"] = (("chain", "draw"), st[var].values)
    if div is not None:
        out["diverging"] = (("chain", "draw"), div)
    if "sales_energy" in out:
        out["energy"] = out["sales_energy"]
    first = next(iter(out.values()))[1]
    return xr.Dataset(
        out, coords={"chain": np.arange(first.shape[0]), "draw": np.arange(first.shape[1])}
    )
