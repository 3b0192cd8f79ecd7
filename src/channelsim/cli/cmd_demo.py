"""``channelsim demo``: the main job, the whole pipeline on the bundled example book.

1. write the example book as CSV files and validate them as a CRM export is validated;
2. fit the Bayesian model (``channelsim fit``), printing its diagnostics;
3. forecast the next four quarters with intervals (``channelsim forecast``) and draw fan charts;
4. suggest next fiscal year's quotas (``channelsim quota``);
5. compare the policy scenarios that matter most on the fitted posterior
   (``channelsim compare --model``), each writing a leadership report.

Each step is the same command a user would run, so the demo's outputs are what those commands
write. Rerunning with the same ``--out`` reuses the fitted model when the book and settings
match, and resumes scenario runs from their checkpoints.
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


def _run_command(argv: list[str]) -> None:
    from channelsim.cli import main

    code = main(argv)
    if code != 0:
        raise RuntimeError(f"channelsim {' '.join(argv)} exited with status {code}")


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
    from pathlib import Path

    from channelsim.cli._common import BadInput
    from channelsim.data import load_book
    from channelsim.datasets import load_example
    from channelsim.scenario import shipped_scenarios

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    q = ["--quiet"] if args.quiet else []
    seed = ["--seed", str(args.seed)]
    shipped = shipped_scenarios()
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in shipped]
    if unknown:
        raise BadInput(
            f"--scenarios: unknown {', '.join(unknown)}; shipped: {', '.join(sorted(shipped))}"
        )

    _step("1. the example book", False)
    files = load_example().to_csv_dir(out / "example")
    book = load_book(*files, source_name=str(files.panel))
    print(book.summary_text())

    _step("2. fit the model", False)
    model_path = out / "model.nc"
    if _model_is_current(model_path, book, args):
        print(f"reusing {model_path} (same book and settings)")
    else:
        _run_command(
            [
                "fit",
                str(files.panel),
                "--quarters",
                str(files.quarters),
                "--territories",
                str(files.territories),
                "--out",
                str(model_path),
                "--draws",
                str(args.draws),
                "--tune",
                str(args.tune),
                "--chains",
                str(args.chains),
                *seed,
                *q,
            ]
        )

    _step("3. forecast the next four quarters", False)
    fc_path = out / "forecast.csv"
    _run_command(
        [
            "forecast",
            str(model_path),
            "--horizon",
            "4",
            "--unit",
            "quarter",
            "--draws",
            str(min(1000, args.draws * args.chains)),
            "--out",
            str(fc_path),
            *seed,
            *q,
        ]
    )
    _fan_charts(model_path, out, args.seed, min(500, args.draws * args.chains))

    _step("4. suggest next fiscal year's quotas", False)
    year = int(book.periods[-1].year) + 1
    _run_command(
        [
            "quota",
            str(model_path),
            "--year",
            str(year),
            "--probability",
            "0.6",
            "--out",
            str(out / "quotas.csv"),
            *seed,
            *q,
        ]
    )

    _step("5. compare policies", False)
    reports = []
    for name in names:
        argv = [
            "compare",
            str(shipped[name]),
            "--out",
            str(out / name),
            "--model",
            str(model_path),
            "--model-draws",
            str(min(200, args.draws * args.chains)),
            *seed,
            *q,
        ]
        if args.paths:
            argv += ["--paths", str(args.paths)]
        _run_command(argv)
        reports.append(out / name / "report.html")

    print("\nDone. Open the leadership reports:")
    for r in reports:
        print(f"  {r.resolve()}")
    print(f"forecast: {fc_path.resolve()}  fan charts: {(out / 'fan_chart.png').resolve()}")
    return 0


def _fan_charts(model_path, out, seed: int, draws: int) -> None:
    """Fan charts of the total and the largest territories, with actuals."""
    import matplotlib

    matplotlib.use("Agg")
    from channelsim._atomic import atomic_write
    from channelsim.forecast import fan_chart, forecast
    from channelsim.model import ChannelModel

    model = ChannelModel.load(model_path)
    fc = forecast(model, 12, unit="step", seed=seed, draws=draws)
    top = (
        model.book.panel.groupby("territory")["sales"].sum().sort_values(ascending=False).index[:5]
    )
    fig = fan_chart(fc, model.book, ids=list(top))
    atomic_write(
        out / "fan_chart.png",
        lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"),
    )
