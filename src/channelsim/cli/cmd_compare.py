"""``channelsim compare SCENARIO --out DIR``: run a scenario (file or shipped name), report.

Writes ``report.html`` (self-contained), ``summary.csv``, ``results.nc`` (the Simulation
Dataset, h5netcdf) and ``charts/*.png`` into DIR, with checkpoints under ``DIR/chunks`` so a
rerun with the same ``--out`` resumes. With ``--out NAME.zarr`` the Simulation Dataset goes to
the Zarr store ``NAME.zarr`` instead, appended chunk by chunk (the store is the checkpoint), and
the report files to the folder ``NAME`` beside it. In-process by default; ``--workers N`` starts a local
Dask cluster, ``--scheduler ADDRESS`` uses a running one.
"""

from __future__ import annotations

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "compare",
        help="simulate a scenario's policies, compare them with the status quo, write a report",
        description=(
            "Simulate every policy of a scenario file against the status quo on common random "
            "numbers and write report.html, summary.csv and results.nc into --out. A rerun "
            "with the same --out resumes from the checkpoints in OUT/chunks."
        ),
    )
    p.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="scenario file (see docs/scenarios.md) or the name of a shipped scenario "
        "(channelsim scenarios lists them)",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="output folder (created if missing); NAME.zarr writes the results to that Zarr "
        "store, chunk by chunk, and the report to the folder NAME",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, metavar="N", help="run on a local Dask cluster of N worker processes"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a running Dask cluster (tcp://host:port)"
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--paths", type=int, default=None, help="override [run] paths")
    p.add_argument("--quarters", type=int, default=None, help="override [run] quarters")
    p.add_argument(
        "--max-policies",
        type=int,
        default=None,
        metavar="N",
        help="run only the status quo and the scenario's first N-1 other policies",
    )
    p.add_argument(
        "--restart",
        action="store_true",
        help="discard checkpoints of a different run in OUT/chunks",
    )
    p.add_argument(
        "--model",
        metavar="MODEL.nc",
        help="drive the paths with this fitted model's posterior (overrides the scenario's [world])",
    )
    p.add_argument(
        "--model-draws",
        type=int,
        default=200,
        metavar="N",
        help="posterior draws taken from --model (default 200; path p uses draw p %% N)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _scenario_path(value: str, problems: list[str]) -> str:
    """A scenario file as given, else the shipped scenario of that name."""
    from pathlib import Path

    from channelsim.scenario import shipped_scenarios

    if Path(value).is_file():
        return value
    shipped = shipped_scenarios()
    if value in shipped:
        return str(shipped[value])
    problems.append(
        f"scenario {value!r}: no such file and no shipped scenario of that name; shipped: "
        f"{', '.join(shipped) or '(none)'}"
    )
    return value


def run(args) -> int:
    import time
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")  # files only, never a window

    from channelsim.cli._common import BadInput
    from channelsim.report import write_report
    from channelsim.scenario import (
        is_zarr_path,
        load_scenario,
        open_client,
        prepare,
        run_scenario,
        write_netcdf_atomic,
    )

    problems = []
    if args.workers is not None and args.workers < 1:
        problems.append(f"--workers must be at least 1, got {args.workers}")
    if args.seed is not None and args.seed < 0:
        problems.append(f"--seed must be a non-negative integer, got {args.seed}")
    if args.paths is not None and args.paths < 2:
        problems.append(f"--paths must be at least 2, got {args.paths}")
    if args.quarters is not None and not 1 <= args.quarters <= 40:
        problems.append(f"--quarters must be in 1..40, got {args.quarters}")
    if args.max_policies is not None and args.max_policies < 2:
        problems.append(f"--max-policies must be at least 2, got {args.max_policies}")
    if args.model_draws < 1:
        problems.append(f"--model-draws must be at least 1, got {args.model_draws}")
    if args.model and not Path(args.model).is_file():
        problems.append(f"--model {args.model}: model file not found")
    args.scenario = _scenario_path(args.scenario, problems)
    if problems:
        raise BadInput("\n".join(problems))
    scenario = load_scenario(args.scenario)  # ScenarioError (bad input) lists every problem
    world = world_label = None
    if args.model:
        from channelsim.model import ChannelModel

        world = ChannelModel.load(args.model).to_world(args.model_draws, seed=args.seed or 0)
        world_label = f"posterior of {Path(args.model).name} ({args.model_draws} draws)"
    zarr_out = Path(args.out) if is_zarr_path(args.out) else None
    out = zarr_out.with_suffix("") if zarr_out is not None else Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open_client(workers=args.workers, scheduler=args.scheduler) as client:
        prep = prepare(
            scenario,
            paths=args.paths,
            quarters=args.quarters,
            seed=args.seed,
            max_policies=args.max_policies,
            world=world,
            world_label=world_label,
        )
        prep.source = str(args.scenario)
        if not args.quiet:
            where = (
                f"{args.workers} local Dask workers"
                if args.workers
                else f"Dask at {args.scheduler}"
                if args.scheduler
                else "this process"
            )
            print(
                f"{scenario.scenario.name}: {prep.n_policies:,} policies x {prep.n_paths:,} paths "
                f"x {prep.n_steps} steps on {where}"
            )
        result = run_scenario(
            prep,
            out=out,
            client=client,
            progress=not args.quiet,
            restart=args.restart,
            results=zarr_out,
        )
    results_path = zarr_out or write_netcdf_atomic(result.dataset, out / "results.nc")
    files = write_report(result.comparison, out)
    comp = result.comparison
    if not args.quiet:
        best = comp.top(1)
        if len(best):
            p = int(best.index[0])
            d = comp.differences.loc[(p, comp.primary)]
            from channelsim.scenario import OBJECTIVES

            obj = OBJECTIVES[comp.primary]
            print(
                f"best by {obj.label}: policy {p} ({best.iloc[0]['changes']}): "
                f"{obj.format(d['diff'], diff=True)} vs the status quo "
                f"[{obj.format(d['lo'], diff=True)}, {obj.format(d['hi'], diff=True)}], "
                f"better on {d['p_beats']:.0%} of paths"
            )
        print(f"done in {time.perf_counter() - t0:.1f} s")
    print(files.html)
    print(files.summary)
    print(results_path)
    return 0
