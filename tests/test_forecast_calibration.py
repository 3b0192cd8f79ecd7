"""Calibration (ci tier, ``--run-ci -m ci``): forecasts from known parameters cover as they say.

Books are drawn from known parameters with 48 territories; forecasts come from the TRUE
world at each backtest origin (:func:`channelsim.forecast.truth_fitter`), 500 draws, recruits
included, 3 rolling windows of 4 months. Territory-level 80% and 95% intervals must cover
within ±5 percentage points of nominal and the territory-step PITs must be uniform (KS
p > 0.01). Partner-level randomised-PIT coverage is printed (``-s``) for the report.
"""

from __future__ import annotations

import numpy as np
import pytest

from channelsim.data import load_book
from channelsim.datasets import book_tables, draw_world
from channelsim.forecast import backtest, pit_coverage, pit_uniformity, truth_fitter
from channelsim.world import generate

N_TERRITORIES = 48


def _calibration_records(seed: int):
    world = draw_world(N_TERRITORIES, 20 * N_TERRITORIES, "M", seed=seed)
    run = generate(world, 36, seed=seed)
    book = load_book(*book_tables(world, run, managers_seed=seed))
    res = backtest(
        book, windows=3, horizon=4, draws=500, seed=seed, fitter=truth_fitter(world, run)
    )
    return res


@pytest.mark.ci
@pytest.mark.parametrize("seed", [101, 202])
def test_territory_intervals_cover_and_pits_are_uniform(seed):
    res = _calibration_records(seed)
    rec = res.records
    terr = rec[rec.level == "territory"]
    assert len(terr) == N_TERRITORIES * 3 * 4
    cov80 = np.mean((terr.actual >= terr.q10) & (terr.actual <= terr.q90))
    cov95 = np.mean((terr.actual >= terr.q2_5) & (terr.actual <= terr.q97_5))
    ks_stat, ks_p = pit_uniformity(terr.pit)
    part = rec[rec.level == "partner"]
    pc80, pc95 = pit_coverage(part.pit, [0.8, 0.95])
    _, part_ks = pit_uniformity(part.pit)
    print(
        f"\n[seed {seed}] territory: n={len(terr)} cover80={cov80:.3f} cover95={cov95:.3f} "
        f"KS={ks_stat:.3f} p={ks_p:.3f} | partner: n={len(part)} randomised-PIT "
        f"cover80={pc80:.3f} cover95={pc95:.3f} KS p={part_ks:.3f}"
    )
    for level in ("total", "maturity", "stage"):
        r = rec[rec.level == level]
        c80, c95 = pit_coverage(r.pit, [0.8, 0.95])
        print(f"[seed {seed}] {level}: n={len(r)} PIT cover80={c80:.3f} cover95={c95:.3f}")
    assert abs(cov80 - 0.80) <= 0.05
    assert abs(cov95 - 0.95) <= 0.05
    assert ks_p > 0.01


@pytest.mark.ci
def test_fitted_model_territory_calibration():
    """The same check with forecasts from a model fitted by NUTS (one origin, 6 months)."""
    world = draw_world(N_TERRITORIES, 15 * N_TERRITORIES, "M", seed=303)
    run = generate(world, 30, seed=303)
    book = load_book(*book_tables(world, run, managers_seed=303))
    from channelsim.forecast import model_fitter

    res = backtest(
        book, windows=1, horizon=6, draws=300, seed=3, fitter=model_fitter("nuts", draws=300)
    )
    rec = res.records
    terr = rec[rec.level == "territory"]
    cov80 = np.mean((terr.actual >= terr.q10) & (terr.actual <= terr.q90))
    cov95 = np.mean((terr.actual >= terr.q2_5) & (terr.actual <= terr.q97_5))
    _, ks_p = pit_uniformity(terr.pit)
    part = rec[rec.level == "partner"]
    pc80, pc95 = pit_coverage(part.pit, [0.8, 0.95])
    s = res.summary
    mase = s[(s.level == "territory") & (s.stage == "all")].set_index("method")["mase"]
    print(
        f"\n[fitted] territory: n={len(terr)} cover80={cov80:.3f} cover95={cov95:.3f} "
        f"KS p={ks_p:.3f} | partner randomised-PIT cover80={pc80:.3f} cover95={pc95:.3f} | "
        f"MASE {mase.round(3).to_dict()} | fit {res.windows.seconds.iloc[0]:.0f}s"
    )
    assert abs(cov80 - 0.80) <= 0.05
    assert abs(cov95 - 0.95) <= 0.05
    assert ks_p > 0.01
