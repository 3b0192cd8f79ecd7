"""``channelsim backtest PANEL``: rolling-origin backtest of the model against baselines.

Refits the model at each window's origin (a short NUTS run by default), forecasts the
window, and scores every level against naive, seasonal-naive and last-year-mean forecasts.
Each finished window is checkpointed next to ``--out`` (``<out>.windows/``), so rerunning the
same command resumes an interrupted backtest. ``--out`` gets the summary per level, lifecycle
stage and method; ``--records`` optionally every scored forecast.
"""

from __future__ import annotations

import argparse

from channelsim.cli._common import (
    EXIT_OK,
    BadInput,
    add_book_arguments,
    add_seed_argument,
    book_sources,
    eprint,
    parse_mapping,
)

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``backtest`` sub-command to the ``channelsim`` parser."""
    p = sub.add_parser(
        "backtest",
        help="rolling-origin backtest: refit per window, score against baselines",
        description=(
            "Rolling-origin backtest: cut the book at each window's origin, refit the model, "
            "forecast the window and score partner, territory, channel maturity and total "
            "forecasts against naive, seasonal-naive and last-year-mean baselines."
        ),
    )
    add_book_arguments(p)
    p.add_argument("--windows", type=int, default=3, help="number of origins (default 3)")
    p.add_argument("--horizon", type=int, default=3, help="periods per window (default 3)")
    p.add_argument(
        "--unit", choices=["step", "quarter"], default="step", help="period of the horizon"
    )
    p.add_argument(
        "--stride", type=int, default=None, help="periods between origins (default: horizon)"
    )
    p.add_argument("--draws", type=int, default=200, help="posterior draws per window")
    p.add_argument(
        "--fit",
        choices=["nuts", "approx"],
        default="nuts",
        help="refit per window with a short NUTS run (default: 2 chains, 300 tuning steps) "
        "or the fast approximate fit (ADVI; narrower intervals)",
    )
    add_seed_argument(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--records", metavar="FILE", help="also write every scored forecast (one row each)"
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="summary file: .csv (with a .json sidecar), .parquet or .nc; folders are created",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the backtest and write the summary; returns the exit code."""
    import warnings
    from pathlib import Path

    from channelsim.data import BookWarning, load_book
    from channelsim.forecast import SUFFIXES, backtest, provenance, write_table

    out = Path(args.out)
    if out.suffix.lower() not in SUFFIXES:
        raise BadInput(f"--out {out}: use one of {', '.join(SUFFIXES)}")
    if args.draws < 2:
        raise BadInput(f"--draws must be >= 2, got {args.draws}")
    if args.seed < 0:
        raise BadInput(f"--seed must be >= 0, got {args.seed}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BookWarning)
        book = load_book(
            *book_sources(args),
            column_map=parse_mapping(args.map, "--map"),
            stage_map=parse_mapping(args.stage_map, "--stage-map"),
            stage_timing=args.stage_timing,
            credits=args.credits,
            fiscal_year_start_month=args.fiscal_year_start_month,
        )
    res = backtest(
        book,
        windows=args.windows,
        horizon=args.horizon,
        unit=args.unit,
        stride=args.stride,
        draws=args.draws,
        seed=args.seed,
        fit=args.fit,
        checkpoint_dir=out.with_name(out.name + ".windows"),
        progress=not args.quiet,
    )
    meta = provenance(seed=args.seed, **{k: v for k, v in res.meta.items() if k != "seed"})
    meta["windows_detail"] = res.windows.to_dict(orient="records")
    path = write_table(res.summary, out, meta)
    if args.records:
        write_table(res.records, args.records, meta)
    if not args.quiet:
        reused = int(res.windows["from_checkpoint"].sum())
        if reused:
            eprint(f"resumed: {reused} of {len(res.windows)} windows from checkpoints")
        terr = res.summary[(res.summary.level == "territory") & (res.summary.stage == "all")]
        cols = ["wape", "mase", "mase_pooled", "crps", "coverage_50", "coverage_80", "coverage_95"]
        model = terr[terr.method == "model"]
        pa = model["point_abs"].iloc[0] if len(model) else "q50"
        label = {c: f"{c}({pa})" for c in ("wape", "mase", "mase_pooled")}
        eprint(
            terr[["method", *cols]]
            .rename(columns=label)
            .to_string(index=False, float_format=lambda v: f"{v:.3f}")
        )
        eprint(f"model points: {pa} for {', '.join(label)}; crps and coverage from the draws")
    print(path)
    return EXIT_OK
