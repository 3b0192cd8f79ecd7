"""Parameter recovery and simulation-based calibration (slow: run with ``--run-slow``).

* SBC: worlds drawn from the model's own priors (:func:`channelsim.model.make_prior_book`),
  each fitted; the rank of every true population parameter among thinned posterior draws is
  uniform (chi-square over rank bins, p > 0.01 per parameter family).
* The example book: 90% central intervals hold at least 80% of the true population
  parameters of :func:`channelsim.datasets.example_world`, with no divergence and max R-hat
  <= 1.01.

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

pytestmark = pytest.mark.slow

N_WORLDS = int(os.environ.get("CHANNELSIM_SBC_WORLDS", 24))
RANK_DRAWS = 49


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
    assert diag.max_rhat <= 1.01


def test_sbc_ranks_are_uniform(tmp_path):
    from channelsim.model import ChannelModel, DiagnosticsWarning, make_prior_book
    from channelsim.model._assemble import POPULATION_VARS
    from channelsim.model._sbc import chi2_uniformity, sbc_ranks

    ranks: dict[str, list[np.ndarray]] = {}
    fits = []
    t0 = time.perf_counter()
    for k in range(N_WORLDS):
        seed = 1000 + k
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book, _, truth = make_prior_book(3, 30, 24, seed=seed, amount_location=8.0)
        model = ChannelModel(
            draws=300,
            tune=400,
            chains=2,
            target_accept=0.9,
            amount_location=8.0,
            progressbar=False,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DiagnosticsWarning)
            model.fit(book, random_seed=seed)
        d = model.check_diagnostics(warn=False)
        fits.append(
            {
                "seed": seed,
                "max_rhat": d.max_rhat,
                "min_ess_bulk": d.min_ess_bulk,
                "divergences": d.divergences,
                "wall_s": model.fit_info["wall_s"],
            }
        )
        r = sbc_ranks(
            model.idata.posterior, truth, n_draws=RANK_DRAWS, seed=seed, names=POPULATION_VARS
        )
        for name, v in r.items():
            ranks.setdefault(name, []).append(np.asarray(v))
    pvals = {
        name: chi2_uniformity(np.concatenate(v), RANK_DRAWS, bins=5) for name, v in ranks.items()
    }
    hist = {
        name: np.histogram(np.concatenate(v), bins=np.linspace(0, RANK_DRAWS + 1, 6))[0].tolist()
        for name, v in ranks.items()
    }
    summary = {
        "worlds": N_WORLDS,
        "wall_s": time.perf_counter() - t0,
        "p_values": pvals,
        "histograms": hist,
        "fits": fits,
    }
    _out(tmp_path, "sbc.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({"p_values": pvals, "histograms": hist}))
    bad = {k: v for k, v in pvals.items() if not v > 0.01}
    assert not bad, bad
    assert all(math.isfinite(p) for p in pvals.values())
