"""Benchmark: forecast 5,000 partners x 12 months x 1,000 posterior draws.

Builds a 1,000-draw World by stacking a drawn 5,000-partner world's parameters with small
perturbations (a fitted 5,000-partner posterior is too slow to produce inside a benchmark),
then times :func:`channelsim.forecast.forecast` and the tidy table of every level. Prints the
phases, and as its last line one JSON object with ``wall_s``, ``peak_rss_mb`` and
``draws_per_s`` (targets: under 30 s and 4 GB on 2 cores).

Run: ``python benchmarks/bench_forecast.py [--partners 5000 --steps 12 --draws 1000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace

import numpy as np

__all__ = ["main", "posterior_like_world"]


def posterior_like_world(n_territories: int, n_partners: int, n_draws: int, seed: int = 0):
    """A World with ``n_draws`` draws: one drawn world's parameters, tiled and perturbed."""
    from channelsim.datasets import draw_world

    base = draw_world(n_territories, n_partners, "M", seed)
    gen = np.random.default_rng(seed)
    D = n_draws

    def tile(name, sd=0.0):
        x = np.repeat(getattr(base, name), D, axis=0)
        return x + sd * gen.standard_normal(x.shape) if sd else x

    trans = np.repeat(base.trans, D, axis=0)
    return replace(
        base,
        a_stage=tile("a_stage", 0.05),
        a_terr=tile("a_terr", 0.05),
        a_terr_stage=tile("a_terr_stage", 0.03),
        sigma_stage=np.abs(tile("sigma_stage", 0.02)),
        h_stage=tile("h_stage", 0.05),
        h_terr=tile("h_terr", 0.05),
        h_cap=tile("h_cap", 0.02),
        sd_kappa=tile("sd_kappa"),
        kappa=tile("kappa", 0.1),
        season=tile("season", 0.01),
        trend=tile("trend", 0.0005),
        rho=np.clip(tile("rho", 0.02), -0.95, 0.95),
        sigma_eta=np.abs(tile("sigma_eta", 0.01)),
        trans=trans,
        recruit_rate=tile("recruit_rate"),
        commit_bias=tile("commit_bias"),
        commit_sd=tile("commit_sd"),
        eta_last=tile("eta_last", 0.02),
    )


def _rss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0 if sys.platform != "darwin" else r / 1024.0**2


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--partners", type=int, default=5000)
    ap.add_argument("--territories", type=int, default=100)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from channelsim.forecast import forecast

    t0 = time.perf_counter()
    world = posterior_like_world(args.territories, args.partners, args.draws, args.seed)
    t_world = time.perf_counter() - t0
    print(
        f"world: {world.n_partners} partners, {world.n_territories} territories, "
        f"{world.n_draws} draws built in {t_world:.1f}s (not timed); rss {_rss_mb():.0f} MB"
    )

    t0 = time.perf_counter()
    fc = forecast(world, args.steps, unit="step", seed=args.seed)
    t_sim = time.perf_counter() - t0
    print(f"simulate: {t_sim:.2f}s via {fc.meta['backend']}; rss {_rss_mb():.0f} MB")

    t1 = time.perf_counter()
    table = fc.to_frame()
    t_table = time.perf_counter() - t1
    print(f"table (steps): {len(table):,} rows in {t_table:.2f}s; rss {_rss_mb():.0f} MB")

    t2 = time.perf_counter()
    qtable = fc.to_frame(unit="quarter")
    t_q = time.perf_counter() - t2
    wall = time.perf_counter() - t0
    print(f"table (quarters): {len(qtable):,} rows in {t_q:.2f}s")
    result = {
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(_rss_mb(), 1),
        "draws_per_s": round(args.draws / wall, 2),
        "simulate_s": round(t_sim, 3),
        "backend": fc.meta["backend"],
        "partners": world.n_partners,
        "steps": args.steps,
        "draws": args.draws,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
