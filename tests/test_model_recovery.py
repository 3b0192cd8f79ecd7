"""Parameter recovery and simulation-based calibration (ci tier: ``--run-ci -m ci``).

* SBC: worlds drawn from the model's own priors (:func:`channelsim.model.make_prior_book`),
  each fitted; the rank of every true population parameter among thinned posterior draws is
  uniform: a chi-square test over rank bins per parameter family, Bonferroni-corrected over
  the families (family-wise level 0.01, so a correct model fails by chance at most 1% of the
  time). The ci tier fits 10 small worlds (3 territories, 20 partners, 18 months; one chain
  of 400 draws after 300 tuning steps: the ranks need draws, not chains, and one chain pays
  the tuning once); the slow tier (``--run-slow``) 24 larger ones (3 x 30 x 24; 2 x 300 draws).
* The example book: 90% central intervals hold at least 80% of the true population
  parameters of :func:`channelsim.datasets.example_world`, with no divergence and max R-hat
  <= :data:`RECOVERY_RHAT` (1.02) over every stored parameter.

Both write a JSON summary next to the test run (``CHANNELSIM_RECOVERY_OUT``, default the
pytest tmp dir) with the misses and interval widths.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

#: Worlds of the ci tier's SBC (``CHANNELSIM_SBC_WORLDS`` overrides; at least 10).
N_WORLDS = int(os.environ.get("CHANNELSIM_SBC_WORLDS", 10))
RANK_DRAWS = 49
#: Family-wise false-alarm rate of the SBC, split over the families (Bonferroni).
SBC_ALPHA = 0.01
#: Bound on the example fit's max R-hat over its ~1,000 stored quantities. Not the model's
#: 1.01 warning threshold (``ModelConfig.rhat_max``): with 4 chains x 1000 draws the slowest
#: parameter (``sd_trend``, bulk ESS about 500) sits near 1.01 by chance alone, since split
#: R-hat - 1 is of order one over the per-split ESS. Measured at seed 2024: 1.0057 (docs/
#: model.md section 7) and 1.0108 after the gradient moved to C BLAS (same seed, other
#: rounding, so other chains; ``sd_trend`` worst). A fit with a stuck chain scores well
#: above 1.02.
RECOVERY_RHAT = 1.02


def _out(tmp_path: Path, name: str) -> Path:
    root = Path(os.environ.get("CHANNELSIM_RECOVERY_OUT", tmp_path))
    root.mkdir(parents=True, exist_ok=True)
    return root / name


def example_truth() -> dict:
    """True population parameters of the example world (monthly), in the model's names."""
    from channelsim._vocab import STAGES
    from channelsim.datasets import TRUE_PARAMETERS as TP
    from channelsim.datasets import _move_logits, example_world
    from channelsim.model._data import allowed_moves

    w = example_world()
    base = _move_logits(TP["moves"], 3, True)
    frm, to = allowed_moves(STAGES)
    return {
        "a_stage": w.a_stage[0],
        "sigma_stage": w.sigma_stage[0],
        "h_stage": w.h_stage[0],
        "h_cap": TP["h_cap"],
        "sd_kappa": TP["sd_kappa"],
        "season": w.season[0],
        "rho": TP["rho"],
        "sigma_eta": TP["sigma_eta"],
        "sd_a_terr": TP["sd_a_terr"],
        "sd_a_terr_stage": TP["sd_a_terr_stage"],
        "sd_h_terr": TP["sd_h_terr"],
        "trend_mu": TP["trend_mean"],
        "sd_trend": TP["trend_sd"],
        "move_base": np.log(base[frm, to] / base[frm, frm]),
        "sd_trans": TP["sd_trans_terr"],
        "commit_bias": TP["commit_bias"],
        "commit_sd": TP["commit_sd"],
    }


def example_territory_truth() -> dict:
    from channelsim.datasets import example_world

    w = example_world()
    return {
        "a_terr": w.a_terr[0],
        "a_terr_stage": w.a_terr_stage[0],
        "h_terr": w.h_terr[0],
        "trend": w.trend[0],
        "recruit_rate": w.recruit_rate[0],
    }


def coverage_table(posterior, truth: dict, prob: float = 0.9) -> list[dict]:
    lo_q, hi_q = (1 - prob) / 2, 1 - (1 - prob) / 2
    rows = []
    for name, true in truth.items():
        v = posterior[name].values
        flat = v.reshape(v.shape[0] * v.shape[1], -1)
        true = np.asarray(true, dtype=np.float64).reshape(-1)
        lo, hi = np.quantile(flat, lo_q, axis=0), np.quantile(flat, hi_q, axis=0)
        for k in range(true.size):
            rows.append(
                {
                    "name": name if true.size == 1 else f"{name}[{k}]",
                    "true": float(true[k]),
                    "lo": float(lo[k]),
                    "hi": float(hi[k]),
                    "width": float(hi[k] - lo[k]),
                    "inside": bool(lo[k] <= true[k] <= hi[k]),
                }
            )
    return rows


@pytest.mark.ci
@pytest.mark.longest
def test_example_book_recovery(tmp_path):
    from channelsim.datasets import load_example
    from channelsim.model import ChannelModel, DiagnosticsWarning

    book = load_example()
    model = ChannelModel(progressbar=False)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticsWarning)
        model.fit(book, random_seed=2024)
    wall = time.perf_counter() - t0
    diag = model.check_diagnostics(warn=False)
    post = model.idata.posterior
    rows = coverage_table(post, example_truth())
    terr = coverage_table(post, example_territory_truth())
    share = np.mean([r["inside"] for r in rows])
    summary = {
        "wall_s": wall,
        "fit_info": model.fit_info,
        "max_rhat": diag.max_rhat,
        "min_ess_bulk": diag.min_ess_bulk,
        "min_ess_tail": diag.min_ess_tail,
        "divergences": diag.divergences,
        "worst_rhat": diag.table["r_hat"].sort_values(ascending=False).head(8).round(4).to_dict(),
        "population_coverage": share,
        "territory_coverage": float(np.mean([r["inside"] for r in terr])),
        "misses": [r for r in rows if not r["inside"]],
        "territory_misses": [r["name"] for r in terr if not r["inside"]],
        "population": rows,
    }
    _out(tmp_path, "example_recovery.json").write_text(json.dumps(summary, indent=1, default=str))
    print(json.dumps({k: v for k, v in summary.items() if k != "population"}, default=str))
    assert share >= 0.8, summary["misses"]
    assert diag.divergences == 0
    assert diag.max_rhat <= RECOVERY_RHAT, summary["worst_rhat"]


#: Processes that fit the SBC's worlds side by side (``CHANNELSIM_SBC_PROCESSES``); each
#: fit samples its two chains one after the other, so two processes keep two cores busy
#: through the single-threaded compile as well. The ranks do not depend on it.
SBC_PROCESSES = int(os.environ.get("CHANNELSIM_SBC_PROCESSES", 2))


def _fit_prior_world(job: tuple) -> dict:
    """Draw prior world ``seed`` and fit it (runs in a worker process): its ranks and
    diagnostics."""
    seed, book_shape, draws, tune, chains, territory_dynamics, names = job
    from channelsim.model import ChannelModel, DiagnosticsWarning, make_prior_book
    from channelsim.model._sbc import sbc_ranks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book, _, truth = make_prior_book(
            *book_shape,
            seed=seed,
            amount_location=8.0,
            territory_dynamics=territory_dynamics,
        )
    model = ChannelModel(
        draws=draws,
        tune=tune,
        chains=chains,
        cores=1,
        target_accept=0.9,
        amount_location=8.0,
        progressbar=False,
        territory_dynamics=territory_dynamics,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticsWarning)
        model.fit(book, random_seed=seed)
    d = model.check_diagnostics(warn=False)
    fit = {
        "seed": seed,
        "max_rhat": d.max_rhat,
        "min_ess_bulk": d.min_ess_bulk,
        "divergences": d.divergences,
        "wall_s": model.fit_info["wall_s"],
    }
    ranks = sbc_ranks(model.idata.posterior, truth, n_draws=RANK_DRAWS, seed=seed, names=names)
    return {"fit": fit, "ranks": {k: np.asarray(v) for k, v in ranks.items()}}


def run_sbc(
    n_worlds: int,
    book_shape: tuple[int, int, int],
    draws: int,
    tune: int,
    territory_dynamics: str = "ar1",
    processes: int = SBC_PROCESSES,
    chains: int = 2,
) -> dict:
    """Fit ``n_worlds`` prior worlds (seeds 1000, 1001, ...) in ``processes`` worker
    processes; rank p-values per family and the fits' diagnostics."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from channelsim.model._assemble import POPULATION_VARS, STATESPACE_DIMS
    from channelsim.model._sbc import chi2_uniformity

    names = POPULATION_VARS
    if territory_dynamics == "statespace":
        names = (*POPULATION_VARS, *(n for n, d in STATESPACE_DIMS.items() if not d))
    jobs = [
        (1000 + k, book_shape, draws, tune, chains, territory_dynamics, names)
        for k in range(n_worlds)
    ]
    t0 = time.perf_counter()
    if processes > 1:
        ctx = multiprocessing.get_context("spawn")  # no fork of a process holding pytensor
        with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
            results = list(pool.map(_fit_prior_world, jobs))
    else:
        results = [_fit_prior_world(job) for job in jobs]
    fits = [r["fit"] for r in results]
    ranks: dict[str, list[np.ndarray]] = {}
    for r in results:  # in seed order, whatever the process count
        for name, v in r["ranks"].items():
            ranks.setdefault(name, []).append(v)
    pvals = {
        name: chi2_uniformity(np.concatenate(v), RANK_DRAWS, bins=5) for name, v in ranks.items()
    }
    hist = {
        name: np.histogram(np.concatenate(v), bins=np.linspace(0, RANK_DRAWS + 1, 6))[0].tolist()
        for name, v in ranks.items()
    }
    threshold = SBC_ALPHA / len(pvals)
    return {
        "worlds": n_worlds,
        "book_shape": list(book_shape),
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "processes": processes,
        "wall_s": time.perf_counter() - t0,
        "families": len(pvals),
        "threshold": threshold,
        "p_values": pvals,
        "histograms": hist,
        "fits": fits,
    }


def _check_sbc(summary: dict, tmp_path: Path, name: str) -> None:
    _out(tmp_path, name).write_text(json.dumps(summary, indent=1))
    pvals = summary["p_values"]
    print(json.dumps({k: summary[k] for k in ("worlds", "wall_s", "threshold", "p_values")}))
    assert summary["families"] >= 10  # every population family was ranked
    assert all(math.isfinite(p) for p in pvals.values())
    bad = {k: v for k, v in pvals.items() if not v > summary["threshold"]}
    assert not bad, (bad, summary["histograms"])


@pytest.mark.ci
@pytest.mark.longest
def test_sbc_ranks_are_uniform(tmp_path):
    assert N_WORLDS >= 10
    summary = run_sbc(N_WORLDS, (3, 20, 18), draws=400, tune=300, chains=1)
    _check_sbc(summary, tmp_path, "sbc.json")


@pytest.mark.slow
def test_sbc_statespace_ranks_are_uniform(tmp_path):
    """The same check for ``territory_dynamics="statespace"`` books drawn from its priors,
    the state-space scales (``phi``, ``sigma_level``, ``sigma_trend``, ``sigma_season``,
    ``sd_season_terr``) ranked as families of their own (no commits in these books).

    Slow tier: the state-space model is an option, not the default, and its ten fits
    (about 13 minutes on 2 cores) do not fit the ci tier's budget beside the default's."""
    assert N_WORLDS >= 10
    summary = run_sbc(N_WORLDS, (3, 20, 24), draws=200, tune=300, territory_dynamics="statespace")
    _check_sbc(summary, tmp_path, "sbc_statespace.json")
    ss = {"phi", "sigma_level", "sigma_trend", "sigma_season", "sd_season_terr"}
    assert ss <= set(summary["p_values"])


@pytest.mark.slow
def test_sbc_ranks_are_uniform_on_larger_worlds(tmp_path):
    n = int(os.environ.get("CHANNELSIM_SBC_WORLDS_SLOW", 24))
    _check_sbc(run_sbc(n, (3, 30, 24), draws=300, tune=400), tmp_path, "sbc_slow.json")
