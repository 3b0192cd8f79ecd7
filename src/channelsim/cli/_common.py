"""Shared command-line conventions (DESIGN.md section 7).

Exit codes: 0 success, 2 bad input (every problem listed, no traceback), 1 anything else.
"""

from __future__ import annotations

import argparse
import sys

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_ERROR",
    "EXIT_OK",
    "BadInput",
    "add_book_arguments",
    "add_seed_argument",
    "parse_mapping",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """Raised by commands for bad user input; the CLI prints it and exits 2."""


def parse_mapping(values: list[str] | None, option: str) -> dict[str, str]:
    """Parse repeated/comma-separated ``SOURCE=CANONICAL`` pairs into a dict.

    Delegates to :func:`channelsim.data.parse_mapping_pairs` (imported here, not at module
    level, so ``channelsim --help`` stays fast) and turns its error into :class:`BadInput`.

    Examples
    --------
    >>> parse_mapping(["Account_ID=partner,Region=territory"], "--map")
    {'Account_ID': 'partner', 'Region': 'territory'}
    """
    from channelsim.data import MappingError, parse_mapping_pairs

    try:
        return parse_mapping_pairs(values, option)
    except MappingError as exc:
        raise BadInput(str(exc)) from exc


def add_seed_argument(parser: argparse.ArgumentParser, default: int = 0) -> None:
    parser.add_argument(
        "--seed", type=int, default=default, help=f"random seed (default {default})"
    )


def add_book_arguments(parser: argparse.ArgumentParser) -> None:
    """The book inputs shared by validate, fit and backtest."""
    parser.add_argument("panel", help="partner-period panel (CSV or Parquet)")
    parser.add_argument(
        "--quarters", help="territory-quarter table: territory, quarter, quota, commit, manager"
    )
    parser.add_argument("--territories", help="territory table: territory, target_partners")
    parser.add_argument(
        "--map",
        action="append",
        metavar="SOURCE=CANONICAL",
        help="rename input columns, e.g. --map Account_ID=partner,Region=territory (repeatable)",
    )
    parser.add_argument(
        "--stage-map",
        action="append",
        metavar="SOURCE=CANONICAL",
        help="map stage values, e.g. --stage-map Gold=productive (repeatable)",
    )
    parser.add_argument(
        "--stage-timing",
        choices=["during", "end"],
        default="during",
        help="the stage column records the stage during the period (default) or at its end",
    )
    parser.add_argument(
        "--credits",
        choices=["error", "net"],
        default="error",
        help="negative sales (credits): an error (default) or netted into the step",
    )
    parser.add_argument(
        "--fiscal-year-start-month",
        type=int,
        default=1,
        metavar="M",
        help="first month of the fiscal year, 1-12 (default 1)",
    )


def eprint(*args) -> None:
    print(*args, file=sys.stderr)
