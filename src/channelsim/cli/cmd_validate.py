"""``channelsim validate``: check a book's input files and summarise them.

Lists every problem at once and exits 2 on bad input; otherwise prints the warnings (to
stderr) and a summary by territory, channel maturity and lifecycle stage (to stdout).
"""

from __future__ import annotations

import argparse

from channelsim.cli._common import EXIT_OK, add_book_arguments, book_sources, eprint, parse_mapping

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``validate`` sub-command to the ``channelsim`` parser."""
    p = sub.add_parser(
        "validate",
        help="check a partner-period panel (and quota/territory tables) and summarise it",
        description=(
            "Check a partner-period panel and the optional territory-quarter and territory "
            "tables against the data contract, list every problem at once (exit 2), or print "
            "a summary by territory, channel maturity and lifecycle stage (exit 0)."
        ),
    )
    add_book_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load and validate the book; print warnings and the summary. Returns the exit code."""
    import warnings

    from channelsim.data import BookWarning, load_book

    column_map = parse_mapping(args.map, "--map")
    stage_map = parse_mapping(args.stage_map, "--stage-map")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BookWarning)
        book = load_book(
            *book_sources(args),
            column_map=column_map,
            stage_map=stage_map,
            stage_timing=args.stage_timing,
            credits=args.credits,
            fiscal_year_start_month=args.fiscal_year_start_month,
        )
    for message in book.warnings:
        eprint(f"warning: {message}")
    print(book.summary_text())
    return EXIT_OK
