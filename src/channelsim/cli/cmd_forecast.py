"""``channelsim forecast MODEL.nc``: forecast intervals from a fitted model, for batch jobs.

Writes the forecast table of DESIGN.md section 7 (``level, id, period, mean, q10, ...``) to
``--out`` by suffix (``.parquet``, ``.csv`` with a ``.json`` sidecar, ``.nc`` as the Dataset),
atomically, with provenance (seed, model hash, package version) in the file's metadata.
"""

from __future__ import annotations

import argparse

from channelsim.cli._common import (
    EXIT_OK,
    BadInput,
    add_seed_argument,
    add_sql_arguments,
    add_sql_output_arguments,
    eprint,
)

__all__ = [
    "add_model_arguments",
    "check_out",
    "check_outputs",
    "input_meta",
    "load_model_file",
    "register",
    "run",
    "world_from_model",
]


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments shared by ``forecast`` and ``quota``: the model file, draws, newer actuals."""
    p.add_argument("model", metavar="MODEL.nc", help="fitted model file (channelsim fit --out)")
    p.add_argument(
        "--draws",
        type=int,
        default=None,
        metavar="N",
        help="posterior draws to simulate, one path each (default: all in the model file)",
    )
    p.add_argument(
        "--panel",
        metavar="FILE",
        help="newer actuals (a partner-period panel extending the model's book): forecast "
        "from the end of this panel instead of the model's book",
    )
    p.add_argument(
        "--map",
        action="append",
        metavar="SOURCE=CANONICAL",
        help="rename columns of --panel, e.g. --map Account_ID=partner (repeatable)",
    )
    p.add_argument(
        "--stage-map",
        action="append",
        metavar="SOURCE=CANONICAL",
        help="map stage values of --panel, e.g. --stage-map Gold=productive (repeatable)",
    )
    add_seed_argument(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_sql_arguments(p)
    add_sql_output_arguments(p)


def register(sub) -> None:
    """Add the ``forecast`` sub-command to the ``channelsim`` parser."""
    p = sub.add_parser(
        "forecast",
        help="forecast intervals by partner, territory, channel maturity and total",
        description=(
            "Simulate every posterior draw of a fitted model forward from the end of its book "
            "(or of newer actuals given with --panel) and write coherent forecast intervals "
            "by partner, territory, channel maturity and total."
        ),
    )
    add_model_arguments(p)
    p.add_argument("--horizon", type=int, required=True, help="periods ahead (see --unit)")
    p.add_argument(
        "--unit",
        choices=["step", "quarter"],
        default="step",
        help="periods of the horizon and the table: the panel's steps or fiscal quarters",
    )
    p.add_argument(
        "--quantiles",
        default="0.1,0.5,0.9",
        help="comma list of quantiles (default 0.1,0.5,0.9 -> columns q10,q50,q90)",
    )
    p.add_argument(
        "--levels",
        default="total,maturity,territory,partner",
        help="comma list of levels to write (default all: total,maturity,territory,partner)",
    )
    p.add_argument(
        "--recruits",
        action="store_true",
        help="include partners recruited during the horizon (rows <territory>/new)",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="output file: .parquet, .csv (with a .json sidecar) or .nc; folders are created "
        "(this, --out-table, or both)",
    )
    p.set_defaults(func=run)


def check_out(path) -> None:
    """Refuse an output suffix the writers do not know before any work is done."""
    from pathlib import Path

    from channelsim.forecast._io import SUFFIXES

    if path and Path(path).suffix.lower() not in SUFFIXES:
        raise BadInput(f"{path}: unknown output format; use one of {', '.join(SUFFIXES)}")


def check_outputs(args) -> None:
    """At least one of ``--out`` / ``--out-table``; a known suffix; a valid table name."""
    if not args.out and not args.out_table:
        raise BadInput("give --out FILE, --out-table NAME, or both")
    if args.out_sql and not args.out_table:
        raise BadInput("--out-sql needs --out-table NAME")
    check_out(args.out)
    if args.out_table:
        from channelsim.forecast import check_table_name

        check_table_name(args.out_table)


def input_meta(args) -> dict:
    """Provenance of the newer actuals: the file, or the query and the masked URL."""
    if args.panel:
        return {"panel": str(args.panel)}
    if getattr(args, "query", None):
        from channelsim.data import SqlQuery
        from channelsim.forecast import database_label

        return {"panel": SqlQuery(args.sql, args.query).label, "database": database_label(args.sql)}
    return {}


def write_outputs(data, args, meta) -> list[str]:
    """Write ``data`` to ``--out`` and/or ``--out-table``; the places written."""
    from channelsim.forecast import dataset_to_frame, write_sql_table, write_table

    written = []
    if args.out:
        out = data if str(args.out).lower().endswith(".nc") else _frame(data, dataset_to_frame)
        written.append(str(write_table(out, args.out, meta)))
    if args.out_table:
        url = args.out_sql or args.sql
        written.append(write_sql_table(_frame(data, dataset_to_frame), url, args.out_table, meta))
    return written


def _frame(data, to_frame):
    import pandas as pd

    return data if isinstance(data, pd.DataFrame) else to_frame(data)


def load_model_file(path: str):
    """Load a fitted model file; a missing or unreadable file is bad input (exit 2)."""
    from pathlib import Path

    if not Path(path).is_file():
        raise BadInput(f"{path}: model file not found")
    try:
        from channelsim.model import ChannelModel
    except ImportError as exc:  # pragma: no cover - the model package is part of channelsim
        raise RuntimeError("channelsim.model is not available in this installation") from exc
    try:
        return ChannelModel.load(path)
    except (OSError, KeyError) as exc:
        raise BadInput(f"{path}: not a channelsim model file ({exc})") from exc


def world_from_model(model, args):
    """The World to forecast from: the model's book, or newer actuals given with ``--panel``."""
    import warnings

    from channelsim.cli._common import book_sources

    draws = args.draws
    if draws is not None and draws < 1:
        raise BadInput(f"--draws must be >= 1, got {draws}")
    panel = book_sources(args, required=False)[0]
    if not panel:
        return model.to_world(draws, seed=args.seed)
    from channelsim.cli._common import parse_mapping
    from channelsim.data import BookWarning, load_book
    from channelsim.forecast import world_from_newer_actuals

    base = model.book
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BookWarning)
        newer = load_book(
            panel,
            None,
            None,
            column_map=parse_mapping(args.map, "--map"),
            stage_map=parse_mapping(args.stage_map, "--stage-map"),
            fiscal_year_start_month=base.fiscal_year_start_month,
        )
    return world_from_newer_actuals(model, newer, draws=draws, seed=args.seed)


def run(args: argparse.Namespace) -> int:
    """Forecast and write the table; returns the exit code."""
    from channelsim.forecast import LEVELS, file_hash, forecast, parse_quantiles

    qs = parse_quantiles(args.quantiles)
    check_outputs(args)
    levels = [v.strip() for v in args.levels.split(",") if v.strip()]
    unknown = [v for v in levels if v not in LEVELS]
    if unknown or not levels:
        raise BadInput(f"--levels: unknown level(s) {unknown}; choose from {', '.join(LEVELS)}")
    if args.horizon < 1:
        raise BadInput(f"--horizon must be >= 1, got {args.horizon}")
    if args.seed < 0:
        raise BadInput(f"--seed must be >= 0, got {args.seed}")
    model = load_model_file(args.model)
    world = world_from_model(model, args)
    fc = forecast(
        world,
        args.horizon,
        unit=args.unit,
        seed=args.seed,
        recruits=args.recruits,
        quantiles=qs,
        model_hash=file_hash(args.model),
        progress=not args.quiet,
    )
    fc.meta["model_file"] = str(args.model)
    fc.meta.update(input_meta(args))
    levels = [lv for lv in levels if lv in fc.levels]  # one-stage books have no maturity
    ds = fc.to_dataset(levels=levels)
    written = write_outputs(ds, args, fc.meta)
    if not args.quiet:
        eprint(
            f"forecast of {len(fc.partner_ids)} partners in {len(fc.territory_ids)} territories, "
            f"{args.horizon} {args.unit}(s) from {fc.meta['origin']}, {fc.n_draws} draws"
        )
    print("\n".join(written))
    return EXIT_OK
