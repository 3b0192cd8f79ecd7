"""Simulation-based calibration: worlds drawn from the model's own priors, and rank statistics.

:func:`draw_prior_world` draws every population parameter from the priors of
:class:`~channelsim.model.Priors` (exactly the distributions the PyMC model uses), group
effects from them, and the origin's structure (territory sizes, partner states, plan
targets) from :func:`channelsim.datasets.draw_world`; :func:`make_prior_book` runs the
generative process (:func:`channelsim.world.generate`) and loads the result as a validated
book. :func:`sbc_ranks` gives the rank of each true population parameter among thinned
posterior draws; uniform ranks across many worlds mean a calibrated posterior (Talts et al.
2018, "Validating Bayesian inference algorithms with simulation-based calibration").

Depends on numpy, scipy, pandas, :mod:`channelsim.world` and :mod:`channelsim.datasets`
(never PyMC).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import xarray as xr

from channelsim.data import load_book
from channelsim.datasets import book_tables, draw_world
from channelsim.model._data import allowed_moves
from channelsim.model._posterior import transition_matrix
from channelsim.model._priors import Priors, StateSpacePriors
from channelsim.world import (
    TerritoryStateSpace,
    draw_indices,
    expected_sales,
    generate,
    initial_state,
    state_size,
)

__all__ = [
    "chi2_uniformity",
    "draw_prior_world",
    "make_prior_book",
    "prior_time_state",
    "sbc_ranks",
]


def draw_prior_world(
    n_territories: int = 3,
    n_partners: int = 40,
    freq: str = "M",
    seed: int = 0,
    *,
    has_stages: bool = True,
    priors: Priors | None = None,
    amount_location: float = 8.0,
):
    """A world whose parameters are one draw from the model's priors.

    Parameters
    ----------
    n_territories, n_partners : int
    freq : {"M", "Q"}
    seed : int
    has_stages : bool
    priors : Priors, optional
    amount_location : float
        The centre of the log-amount prior; pass the same value as
        ``ModelConfig(amount_location=...)`` when fitting.

    Returns
    -------
    world : channelsim.world.World
    truth : dict
        The population parameters drawn (names as in the posterior).

    Examples
    --------
    >>> w, truth = draw_prior_world(2, 10, seed=1)
    >>> w.n_territories, sorted(truth)[:2]
    (2, ['a_stage', 'a_terr'])
    """
    base = draw_world(n_territories, n_partners, freq, seed, has_stages=has_stages)
    pr = (priors or Priors()).for_steps(base.steps_per_quarter)
    gen = np.random.default_rng(np.random.SeedSequence([seed, 4242]))
    T, S, P = base.n_territories, base.n_stages, base.n_partners
    hn = lambda s: abs(s * gen.standard_normal())  # noqa: E731
    nrm = lambda *shape: gen.standard_normal(shape)  # noqa: E731

    truth = {
        "a_stage": amount_location + pr["a_stage_sd"] * nrm(S),
        "sigma_stage": pr["sigma_stage_median"] * np.exp(pr["sigma_stage_log_sd"] * nrm(S)),
        "sd_a_terr": hn(pr["sd_a_terr_scale"]),
        "sd_a_terr_stage": hn(pr["sd_a_terr_stage_scale"]),
        "sd_kappa": pr["sd_kappa_median"] * float(np.exp(pr["sd_kappa_log_sd"] * nrm(1)[0])),
        "h_stage": pr["h_stage_sd"] * nrm(S),
        "sd_h_terr": hn(pr["sd_h_terr_scale"]),
        "h_cap": pr["h_cap_sd"] * gen.standard_normal(),
        "trend_mu": pr["trend_mu_sd"] * gen.standard_normal(),
        "sd_trend": hn(pr["trend_sd_scale"]),
        "rho": 2.0 * gen.beta(pr["rho_beta"], pr["rho_beta"]) - 1.0,
        "sigma_eta": hn(pr["sigma_eta_scale"]),
        "sd_trans": hn(pr["sd_trans_scale"]),
        "mu_recruit": pr["recruit_log_mean"] + pr["recruit_log_sd"] * gen.standard_normal(),
        "sd_recruit": hn(pr["sd_recruit_scale"]),
        "commit_bias": pr["commit_bias_sd"] * gen.standard_normal(),
        "commit_sd": hn(pr["commit_sd_scale"]),
    }
    season = pr["season_sd"] * nrm(base.n_seasons)
    truth["season"] = season - season.mean()
    move_from, move_to = allowed_moves(base.stage_names)
    M = move_from.size
    truth["move_base"] = pr["move_logit_mean"] + pr["move_logit_sd"] * nrm(M)

    a_terr = truth["sd_a_terr"] * nrm(T)
    a_terr_stage = truth["sd_a_terr_stage"] * nrm(T, S)
    h_terr = truth["sd_h_terr"] * nrm(T)
    trend = truth["trend_mu"] + truth["sd_trend"] * nrm(T)
    lm = truth["move_base"][None, :] + truth["sd_trans"] * nrm(T, M)
    trans = transition_matrix(lm, move_from, move_to, S)
    rate = base.target_partners * np.exp(truth["mu_recruit"] + truth["sd_recruit"] * nrm(T))
    kappa = truth["sd_kappa"] * nrm(P)
    rho, sig = truth["rho"], truth["sigma_eta"]
    eta_last = sig / math.sqrt(1.0 - rho**2) * nrm(T)
    d1 = lambda x: np.asarray(x, dtype=np.float64)[None, ...]  # noqa: E731
    world = replace(
        base,
        a_stage=d1(truth["a_stage"]),
        a_terr=d1(a_terr),
        a_terr_stage=d1(a_terr_stage),
        sigma_stage=d1(truth["sigma_stage"]),
        h_stage=d1(truth["h_stage"]),
        h_terr=d1(h_terr),
        h_cap=d1(truth["h_cap"]),
        sd_kappa=d1(truth["sd_kappa"]),
        kappa=d1(kappa),
        season=d1(truth["season"]),
        trend=d1(trend),
        rho=d1(rho),
        sigma_eta=d1(sig),
        trans=d1(trans),
        recruit_rate=d1(rate),
        commit_bias=d1(truth["commit_bias"]),
        commit_sd=d1(truth["commit_sd"]),
        eta_last=d1(eta_last),
    )
    cal = world.calendar(world.steps_per_quarter)
    first_q = expected_sales(world, initial_state(world), (cal.m, cal.season), variance=False)[0]
    world.trailing_sales = np.maximum(first_q, 1.0)[:, None] * np.ones((1, 4))
    truth.update(
        a_terr=a_terr,
        a_terr_stage=a_terr_stage,
        h_terr=h_terr,
        trend=trend,
        recruit_rate=rate,
    )
    return world, {k: np.asarray(v, dtype=np.float64) for k, v in truth.items()}


def prior_time_state(
    truth: dict,
    n_territories: int,
    n_steps: int,
    n_season: int,
    seed: int,
    statespace_priors: StateSpacePriors | None = None,
    steps_per_quarter: int = 3,
) -> np.ndarray:
    """Draw the state-space scales from their priors into ``truth`` and a time state path.

    The fit's prior exactly (:func:`channelsim.model._build._statespace_time`): ``phi ~
    Beta``, each scale half-normal, the level zero at step 0, the trend starting at
    ``N(trend_mu, sd_trend)`` (``truth``'s own), the first cycle's seasonal deviation
    zero-sum normal with scale ``sd_season_terr``.

    Returns
    -------
    x : (n_territories, n_steps)
        ``level + delta`` of each territory and step from the book's first step.
    """
    sp = (statespace_priors or StateSpacePriors()).for_steps(steps_per_quarter)
    gen = np.random.default_rng(np.random.SeedSequence([seed, 5151]))
    hn = lambda s: abs(s * gen.standard_normal())  # noqa: E731
    truth["phi"] = float(gen.beta(sp["phi_alpha"], sp["phi_beta"]))
    truth["sigma_level"] = hn(sp["sigma_level_scale"])
    truth["sigma_trend"] = hn(sp["sigma_trend_scale"])
    truth["sigma_season"] = hn(sp["sigma_season_scale"])
    truth["sd_season_terr"] = hn(sp["sd_season_terr_scale"])
    k = state_size(n_season)
    a0 = np.zeros((1, n_territories, k))
    a0[0, :, 1] = truth["trend_mu"] + truth["sd_trend"] * gen.standard_normal(n_territories)
    if k > 2:
        cycle = gen.standard_normal((n_territories, k - 1))
        cycle -= cycle.mean(axis=1, keepdims=True)
        a0[0, :, 2:] = truth["sd_season_terr"] * cycle[:, : k - 2]
    one = lambda name: np.array([float(truth[name])])  # noqa: E731
    dyn = TerritoryStateSpace(
        one("phi"),
        one("sigma_level"),
        one("sigma_trend"),
        one("sigma_season"),
        one("trend_mu"),
        a0,
        n_season,
    )
    x = np.empty((n_territories, n_steps))
    x[:, 0] = dyn.observe(a0[0])
    if n_steps > 1:
        x[:, 1:] = dyn.paths(n_steps - 1, seed=seed, paths=np.zeros(1), draw=np.zeros(1))[0]
    return x


def make_prior_book(
    n_territories: int = 3,
    n_partners: int = 40,
    n_steps: int = 24,
    freq: str = "M",
    seed: int = 0,
    *,
    has_stages: bool = True,
    priors: Priors | None = None,
    amount_location: float = 8.0,
    territory_dynamics: str = "ar1",
    statespace_priors: StateSpacePriors | None = None,
):
    """A book generated from a world drawn from the priors (:func:`draw_prior_world`).

    With ``territory_dynamics="statespace"`` the territory time state is the state-space
    form drawn from its priors (:func:`prior_time_state`, ``truth`` gains its scales):
    the process runs with the AR(1) fields at zero and each positive amount is multiplied by
    ``exp(x[t, m])`` (the time state only scales amounts), and the book has no commits (the
    world's commit decision would not see the time state; the commit families are left out
    of that calibration).

    Returns
    -------
    book : channelsim.data.Book
    world : channelsim.world.World
    truth : dict

    Examples
    --------
    >>> book, world, truth = make_prior_book(2, 12, 8, seed=2)
    >>> len(book.periods)
    8
    """
    import warnings

    world, truth = draw_prior_world(
        n_territories,
        n_partners,
        freq,
        seed,
        has_stages=has_stages,
        priors=priors,
        amount_location=amount_location,
    )
    if territory_dynamics not in ("ar1", "statespace"):
        raise ValueError(
            f"territory_dynamics must be 'ar1' or 'statespace', got {territory_dynamics!r}"
        )
    ss = territory_dynamics == "statespace"
    if ss:
        T = world.n_territories
        world = world.without_ar1_time()
        for name in ("rho", "sigma_eta", "trend"):
            truth.pop(name, None)
        x = prior_time_state(
            truth, T, n_steps, world.n_seasons, seed, statespace_priors, world.steps_per_quarter
        )
        truth = {k: np.asarray(v, dtype=np.float64) for k, v in truth.items()}
    run = generate(world, n_steps, seed=seed)
    if ss:
        run.sales *= np.exp(x[run.territory])[None]
    partners, quarters, territories = book_tables(world, run, managers_seed=seed)
    if ss and quarters is not None and "commit" in quarters:
        quarters = quarters.drop(columns="commit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_book(partners, quarters, territories, source_name=f"prior world {seed}")
    return book, world, truth


def sbc_ranks(
    posterior: xr.Dataset,
    truth: dict,
    n_draws: int = 99,
    seed: int = 0,
    names=None,
) -> dict[str, np.ndarray]:
    """Rank of each true population parameter among ``n_draws`` thinned posterior draws.

    Returns
    -------
    dict
        Family name -> integer ranks in ``0..n_draws`` (one per scalar element).
    """
    rng = np.random.default_rng(seed)
    total = posterior.sizes["chain"] * posterior.sizes["draw"]
    idx = draw_indices(total, n_draws)
    out = {}
    for name in names or truth:
        if name not in posterior:
            continue
        v = posterior[name].values
        draws = v.reshape(total, -1)[idx]
        true = np.asarray(truth[name], dtype=np.float64).reshape(-1)
        # ties (e.g. identical draws) are broken at random
        less = (draws < true[None, :]).sum(0)
        ties = (draws == true[None, :]).sum(0)
        out[name] = less + rng.integers(0, ties + 1)
    return out


def chi2_uniformity(ranks: np.ndarray, n_draws: int, bins: int = 5) -> float:
    """p-value of a chi-square test that ranks in ``0..n_draws`` are uniform.

    Examples
    --------
    >>> r = np.random.default_rng(0).integers(0, 100, size=200)
    >>> chi2_uniformity(r, 99) > 0.01
    True
    """
    from scipy import stats

    ranks = np.asarray(ranks).ravel()
    edges = np.linspace(0, n_draws + 1, bins + 1)
    counts, _ = np.histogram(ranks, bins=edges)
    expected = ranks.size / bins
    chi2 = ((counts - expected) ** 2 / expected).sum()
    return float(stats.chi2.sf(chi2, bins - 1))
