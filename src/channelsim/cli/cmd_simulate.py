"""``channelsim simulate``: run policies on the default world (or a fitted model's posterior),
write the Simulation Dataset.

Examples::

    channelsim simulate --policies 100 --paths 200 --steps 12 --seed 1 --out runs/sweep.nc
    channelsim simulate --preset territory_pay --preset gonik --by-territory --out out/two.nc
    channelsim simulate --model models/fit.nc --preset territory_pay --seed 3 --out out/fit.nc
"""

from __future__ import annotations

import argparse

from channelsim.cli._common import BadInput, add_seed_argument, eprint

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``simulate`` sub-command to the ``channelsim`` parser."""
    p = sub.add_parser(
        "simulate",
        help="simulate hiring, onboarding, KPI and pay policies on the default world",
        description=(
            "Run policies on the default world (the example book's true world) with common "
            "random numbers and write the Simulation Dataset (NetCDF): per policy, path and "
            "quarter the revenue, quota attainment, forecast accuracy, channel maturity, pay "
            "and programme cost, and CAM attrition. Policy 0 is always the status quo."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--policies",
        type=int,
        metavar="N",
        help="N policies: the status quo and a quasi-random (Sobol) sample of N-1 others "
        "(default: the status quo and every named policy)",
    )
    which.add_argument(
        "--preset",
        action="append",
        metavar="NAME",
        help="a named policy to add after the status quo (repeatable), e.g. territory_pay, "
        "channel_programme, forecast_kpi, gonik, forecast_quota",
    )
    p.add_argument("--paths", type=int, default=200, metavar="N", help="Monte Carlo paths")
    p.add_argument(
        "--steps", type=int, default=12, metavar="N", help="steps to simulate (whole quarters)"
    )
    add_seed_argument(p)
    p.add_argument(
        "--by-territory", action="store_true", help="keep a territory dimension in the output"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output NetCDF file (.nc), or a Zarr store (.zarr) written chunk by chunk; a rerun "
        "with the same .zarr resumes",
    )
    p.add_argument(
        "--chunk-size", type=int, default=64, metavar="N", help="policies per chunk (.zarr only)"
    )
    p.add_argument(
        "--model",
        metavar="MODEL.nc",
        help="drive the paths with this fitted model's posterior instead of the default world "
        "(as compare --model)",
    )
    p.add_argument(
        "--model-draws",
        type=int,
        default=200,
        metavar="N",
        help="posterior draws taken from --model (path p uses draw p %% N)",
    )
    p.set_defaults(func=run)


def _world(args, problems: list[str]):
    """The default world, or ``--model``'s posterior drawn as ``compare --model`` draws it."""
    from pathlib import Path

    from channelsim.datasets import example_world

    if not getattr(args, "model", None):
        return example_world()
    if args.model_draws < 1:
        problems.append(f"--model-draws must be at least 1, got {args.model_draws}")
    if not Path(args.model).is_file():
        problems.append(f"--model {args.model}: model file not found")
    if problems:
        raise BadInput("\n".join(problems))
    from channelsim.model import ChannelModel

    return ChannelModel.load(args.model).to_world(args.model_draws, seed=args.seed)


def run(args: argparse.Namespace) -> int:
    """Validate, simulate, write atomically (temporary file, then rename)."""
    from channelsim._atomic import atomic_write
    from channelsim.policy import POLICY_PRESETS, PolicyGrid
    from channelsim.simulate import simulate, summarize

    problems = []
    if args.policies is not None and args.policies < 1:
        problems.append(f"--policies must be at least 1, got {args.policies}")
    if args.paths < 1:
        problems.append(f"--paths must be at least 1, got {args.paths}")
    if args.seed < 0:
        problems.append(f"--seed must be >= 0, got {args.seed}")
    world = _world(args, problems)
    spq = world.steps_per_quarter
    if args.steps < 1 or args.steps % spq:
        problems.append(
            f"--steps must be a positive whole number of quarters ({spq} steps each), "
            f"got {args.steps}"
        )
    unknown = [n for n in args.preset or [] if n not in POLICY_PRESETS]
    if unknown:
        problems.append(
            f"unknown --preset {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(POLICY_PRESETS)}"
        )
    if args.chunk_size < 1:
        problems.append(f"--chunk-size must be at least 1, got {args.chunk_size}")
    if problems:
        raise BadInput("\n".join(problems))

    if args.policies is not None:
        grid = PolicyGrid.sample(args.policies - 1, seed=args.seed)
    else:
        grid = PolicyGrid.from_presets(args.preset or list(POLICY_PRESETS))
    kw = {"n_paths": args.paths, "n_steps": args.steps, "seed": args.seed}
    kw.update(by_territory=args.by_territory, progress=not args.quiet)
    if args.out.rstrip("/").lower().endswith(".zarr"):
        from channelsim.scenario import simulate_to_zarr

        ds = simulate_to_zarr(world, grid, args.out, chunk_size=args.chunk_size, **kw)
        out = args.out
    else:
        ds = simulate(world, grid, **kw)
        out = atomic_write(args.out, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    if not args.quiet:
        table = summarize(ds)
        cols = ["compensation", "revenue_mean", "attainment_mean", "commit_ape_mean"]
        eprint(table[cols].head(12).to_string(float_format=lambda v: f"{v:,.3f}"))
        eprint(f"wrote {out} ({ds.sizes['policy']} policies x {ds.sizes['path']} paths)")
    return 0
