"""``channelsim quota MODEL.nc --year YYYY --probability 0.6``: quotas for planning.

Suggests each territory's quota for a fiscal year so that the probability of reaching it,
under the model's forecast, equals ``--probability``; writes the quotas with their quarterly
phasing and the attainment distribution each implies (``--out`` by suffix, atomically, with
provenance).
"""

from __future__ import annotations

import argparse

from channelsim.cli import _common
from channelsim.cli._common import (
    EXIT_OK,
    BadInput,
    add_model_arguments,
    check_out,
    check_outputs,
    eprint,
    input_meta,
    world_from_model,
    write_outputs,
)

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``quota`` sub-command to the ``channelsim`` parser."""
    p = sub.add_parser(
        "quota",
        help="suggest territory quotas with a chosen probability of being reached",
        description=(
            "Suggest territory quotas for a fiscal year such that, under the fitted model's "
            "forecast, each territory reaches its quota with the given probability; report "
            "the attainment distribution each quota implies."
        ),
    )
    add_model_arguments(p)
    p.add_argument(
        "--year",
        type=int,
        required=True,
        help="fiscal year (named by the calendar year it ends in); must not have begun",
    )
    p.add_argument(
        "--probability",
        type=float,
        default=0.6,
        help="target probability of reaching quota, strictly between 0 and 1 (default 0.6)",
    )
    p.add_argument(
        "--no-recruits",
        action="store_true",
        help="leave out sales of partners recruited before and during the year",
    )
    p.add_argument(
        "--attainment",
        metavar="FILE",
        help="also write every draw's attainment (draw x territory) to this file",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="output file: .csv (with a .json sidecar), .parquet or .nc; folders are created "
        "(this, --out-table, or both)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Suggest quotas and write them; returns the exit code."""
    from channelsim.forecast import file_hash, suggest_quotas, write_table

    if not 0.0 < args.probability < 1.0:
        raise BadInput(f"--probability must be strictly between 0 and 1, got {args.probability}")
    if args.seed < 0:
        raise BadInput(f"--seed must be >= 0, got {args.seed}")
    check_outputs(args)
    check_out(args.attainment)
    model = _common.load_model_file(args.model)  # one place to stub in tests
    world = world_from_model(model, args)
    plan = suggest_quotas(
        world,
        args.year,
        args.probability,
        seed=args.seed,
        recruits=not args.no_recruits,
        model_hash=file_hash(args.model),
        progress=not args.quiet,
    )
    meta = {**plan.meta, "model_file": str(args.model), **input_meta(args)}
    written = write_outputs(plan.table, args, meta)
    if args.attainment:
        att = plan.attainment.to_dataframe().reset_index()
        write_table(att, args.attainment, meta)
    if not args.quiet:
        tot = plan.table[plan.table["territory"] == "total"].iloc[0]
        eprint(
            f"FY{args.year} quotas for {len(plan.table) - 1} territories at "
            f"P(reach) = {args.probability:g}: total {tot['quota']:,.0f} "
            f"(reached with probability {tot['p_reach']:.2f})"
        )
    print("\n".join(written))
    return EXIT_OK
