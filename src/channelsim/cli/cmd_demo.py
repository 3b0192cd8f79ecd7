"""``channelsim demo``: the main job, the whole pipeline on the bundled example book.

1. write the example book as CSV files and validate them as a CRM export is validated;
2. fit the Bayesian model (``channelsim fit``), printing its diagnostics;
3. forecast the next four quarters with intervals (``channelsim forecast``) and draw fan charts;
4. suggest next fiscal year's quotas (``channelsim quota``);
5. compare the policy scenarios that matter most on the fitted posterior
   (``channelsim compare --model``), each writing a leadership report.

Each step calls the library functions the command of the same name calls (the demo does not
re-enter the command line), so its outputs are what those commands write. Rerunning with the
same ``--out`` reuses the fitted model when the book and settings match, and resumes scenario
runs from their checkpoints.
"""

from __future__ import annotations

__all__ = ["DEMO_SCENARIOS", "register", "run"]

#: The shipped scenarios the demo compares (the questions leadership asks first).
DEMO_SCENARIOS = ("territory_building_pay", "hiring_profiles", "quota_rules_forecasting")


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job on the bundled example book (fit, forecast, quotas, policy reports)",
        description=(
            "Run the whole pipeline on the bundled example book: validate, fit the model, "
            "forecast with intervals, suggest quotas, and compare the main policy scenarios "
            "in leadership reports."
        ),
    )
    p.add_argument(
        "--out", default="out/demo", metavar="DIR", help="output folder (default out/demo)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--draws", type=int, default=1000, help="posterior draws per chain (default 1000)"
    )
    p.add_argument("--tune", type=int, default=500, help="tuning steps per chain (default 500)")
    p.add_argument("--chains", type=int, default=4, help="chains (default 4)")
    p.add_argument(
        "--paths", type=int, default=None, help="override the scenarios' simulated paths"
    )
    p.add_argument(
        "--scenarios",
        default=",".join(DEMO_SCENARIOS),
        help=f"comma list of shipped scenarios to compare (default {','.join(DEMO_SCENARIOS)})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _step(title: str, quiet: bool) -> None:
    if not quiet:
        print(f"\n=== {title} ===", flush=True)


def _model_is_current(path, book, args) -> bool:
    """A model file from an earlier demo run with the same book and sampler settings."""
    if not path.is_file():
        return False
    try:
        from channelsim.model import ChannelModel

        m = ChannelModel.load(path)
    except Exception:
        return False
    c = m.config
    return (
        m.book is not None
        and m.book.data_hash() == book.data_hash()
        and (c.draws, c.tune, c.chains) == (args.draws, args.tune, args.chains)
    )


def run(args) -> int:
    import warnings
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    from channelsim.cli._common import BadInput
    from channelsim.data import load_book
    from channelsim.datasets import load_example
    from channelsim.forecast import file_hash, forecast, suggest_quotas, write_table
    from channelsim.model import ChannelModel, DiagnosticsWarning, ModelConfig
    from channelsim.report import write_report
    from channelsim.scenario import (
        load_scenario,
        prepare,
        run_scenario,
        shipped_scenarios,
        write_netcdf_atomic,
    )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shipped = shipped_scenarios()
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in shipped]
    if unknown:
        raise BadInput(
            f"--scenarios: unknown {', '.join(unknown)}; shipped: {', '.join(sorted(shipped))}"
        )
    progress = not args.quiet
    all_draws = args.draws * args.chains

    _step("1. the example book", False)
    files = load_example().to_csv_dir(out / "example")
    book = load_book(*files, source_name=str(files.panel))
    print(book.summary_text())

    _step("2. fit the model", False)
    model_path = out / "model.nc"
    if _model_is_current(model_path, book, args):
        print(f"reusing {model_path} (same book and settings)")
        model = ChannelModel.load(model_path)
    else:
        config = ModelConfig.build(
            progressbar=progress, draws=args.draws, tune=args.tune, chains=args.chains
        )
        model = ChannelModel(config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DiagnosticsWarning)
            model.fit(book, random_seed=args.seed)
        diag = model.check_diagnostics(warn=False)
        print(f"diagnostics: {'ok' if diag.ok else 'NOT OK'}: {diag}")
        print(f"wrote {model.save(model_path)}")
    model_hash = file_hash(model_path)

    _step("3. forecast the next four quarters", False)
    fc_path = out / "forecast.csv"
    fc = forecast(
        model,
        4,
        unit="quarter",
        seed=args.seed,
        draws=min(1000, all_draws),
        model_hash=model_hash,
        progress=progress,
    )
    print(write_table(fc.to_dataset(), fc_path, {**fc.meta, "model_file": str(model_path)}))
    _fan_charts(model, out, args.seed, min(500, all_draws))

    _step("4. suggest next fiscal year's quotas", False)
    year = int(book.periods[-1].year) + 1
    plan = suggest_quotas(
        model, year, 0.6, seed=args.seed, model_hash=model_hash, progress=progress
    )
    meta = {**plan.meta, "model_file": str(model_path)}
    print(write_table(plan.table, out / "quotas.csv", meta))

    _step("5. compare policies", False)
    model_draws = min(200, all_draws)
    world = model.to_world(model_draws, seed=args.seed)
    reports = []
    for name in names:
        prep = prepare(
            load_scenario(shipped[name]),
            paths=args.paths,
            seed=args.seed,
            world=world,
            world_label=f"posterior of {model_path.name} ({model_draws} draws)",
        )
        prep.source = str(shipped[name])
        result = run_scenario(prep, out=out / name, progress=progress)
        write_netcdf_atomic(result.dataset, out / name / "results.nc")
        files_ = write_report(result.comparison, out / name)
        print(files_.html)
        reports.append(Path(files_.html))

    print("\nDone. Open the leadership reports:")
    for r in reports:
        print(f"  {r.resolve()}")
    print(f"forecast: {fc_path.resolve()}  fan charts: {(out / 'fan_chart.png').resolve()}")
    return 0


def _fan_charts(model, out, seed: int, draws: int) -> None:
    """Fan charts of the total and the largest territories, with actuals."""
    from channelsim._atomic import atomic_write
    from channelsim.forecast import fan_chart, forecast

    fc = forecast(model, 12, unit="step", seed=seed, draws=draws)
    top = (
        model.book.panel.groupby("territory")["sales"].sum().sort_values(ascending=False).index[:5]
    )
    fig = fan_chart(fc, model.book, ids=list(top))
    atomic_write(
        out / "fan_chart.png",
        lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"),
    )
