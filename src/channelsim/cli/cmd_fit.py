"""``channelsim fit``: fit the Bayesian model to a book and write the model file.

Example::

    channelsim fit partners.csv --quarters territory_quarters.csv \\
        --territories territories.csv --out models/fit.nc --draws 1000 --seed 1

Prints the book summary line, the sampler settings, the convergence diagnostics (with the
worst parameters when a threshold is missed) and the posterior predictive checks. The model
file is written atomically; its folder is created when missing.
"""

from __future__ import annotations

import argparse

from channelsim.cli._common import (
    add_book_arguments,
    add_seed_argument,
    book_sources,
    eprint,
    parse_mapping,
)

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "fit",
        help="fit the Bayesian model to a book and write the model file",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_book_arguments(p)
    p.add_argument("--out", required=True, metavar="MODEL.nc", help="model file to write")
    p.add_argument("--draws", type=int, default=None, help="kept draws per chain (default 1000)")
    p.add_argument("--tune", type=int, default=None, help="tuning steps per chain (default 500)")
    p.add_argument("--chains", type=int, default=None, help="chains (default 4)")
    p.add_argument(
        "--target-accept",
        type=float,
        default=None,
        metavar="P",
        help="NUTS target acceptance in (0.5, 1) (default 0.85; higher for hard posteriors)",
    )
    p.add_argument(
        "--sampler",
        choices=["pymc", "nutpie", "numpyro"],
        default=None,
        help="NUTS implementation (default pymc; nutpie and numpyro must be installed)",
    )
    p.add_argument(
        "--territory-dynamics",
        choices=["ar1", "statespace"],
        default=None,
        help="territory time state: ar1 (default) or statespace (docs/model.md section 8)",
    )
    add_seed_argument(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import warnings

    from channelsim.data import load_book
    from channelsim.model import ChannelModel, DiagnosticsWarning, ModelConfig

    column_map = parse_mapping(args.map, "--map")
    stage_map = parse_mapping(args.stage_map, "--stage-map")
    overrides = {
        k: v
        for k, v in (
            ("draws", args.draws),
            ("tune", args.tune),
            ("chains", args.chains),
            ("target_accept", args.target_accept),
            ("sampler", args.sampler),
            ("territory_dynamics", args.territory_dynamics),
        )
        if v is not None
    }
    config = ModelConfig.build(progressbar=not args.quiet, **overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if args.quiet else "default")
        book = load_book(
            *book_sources(args),
            column_map=column_map or None,
            stage_map=stage_map or None,
            stage_timing=args.stage_timing,
            credits=args.credits,
            fiscal_year_start_month=args.fiscal_year_start_month,
        )
    print(repr(book))
    print(
        f"fitting: sampler {config.sampler}, {config.chains} chains x {config.draws} draws "
        f"({config.tune} tuning), territory dynamics {config.territory_dynamics}, "
        f"seed {args.seed}",
        flush=True,
    )
    model = ChannelModel(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticsWarning)
        model.fit(book, random_seed=args.seed)
    diag = model.check_diagnostics(warn=False)
    info = model.fit_info
    print(
        f"done in {info['wall_s']:.1f}s (compile {info['compile_s']:.1f}s, "
        f"sampling {info['sampling_s']:.1f}s)"
    )
    print(f"diagnostics: {'ok' if diag.ok else 'NOT OK'}: {diag}")
    for note in info.get("notes", []):
        print(f"note: {note}")
    ppc = model.ppc(draws=100, random_seed=args.seed)
    flagged = ppc[(ppc["p_value"] < 0.02) | (ppc["p_value"] > 0.98)]
    print(
        f"posterior predictive checks: {len(ppc)} checks, {len(flagged)} outside the 2%-98% "
        "band"
        + (
            ": " + ", ".join(f"{r.check}/{r.group}" for r in flagged.itertuples())
            if len(flagged)
            else ""
        )
    )
    path = model.save(args.out)
    print(f"wrote {path}")
    if not diag.ok:
        eprint("warning: the fit did not pass its convergence checks (see above)")
    return 0
