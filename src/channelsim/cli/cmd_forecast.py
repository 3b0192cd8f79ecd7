"""``channelsim forecast MODEL.nc``: forecast intervals from a fitted model, for batch jobs.

Writes the forecast table of DESIGN.md section 7 (``level, id, period, mean, q10, ...``) to
``--out`` by suffix (``.parquet``, ``.csv`` with a ``.json`` sidecar, ``.nc`` as the Dataset),
atomically, with provenance (seed, model hash, package version) in the file's metadata.
"""

from __future__ import annotations

import argparse

from channelsim.cli import _common
from channelsim.cli._common import (
    EXIT_OK,
    BadInput,
    add_model_arguments,
    check_outputs,
    eprint,
    input_meta,
    world_from_model,
    write_outputs,
)

__all__ = ["register", "run"]


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
    model = _common.load_model_file(args.model)  # one place to stub in tests
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
