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
    "add_model_arguments",
    "add_seed_argument",
    "add_sql_arguments",
    "add_sql_output_arguments",
    "book_sources",
    "check_out",
    "check_outputs",
    "input_meta",
    "load_model_file",
    "parse_mapping",
    "query_text",
    "world_from_model",
    "write_outputs",
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
    parser.add_argument(
        "panel", nargs="?", help="partner-period panel (CSV or Parquet); or --sql/--query"
    )
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
    add_sql_arguments(parser, side_tables=True)


_SQL_HELP = (
    "database URL: sqlite:///file.db, postgresql://user@host:port/db, or env:VAR to read it "
    "from a variable (default $CHANNELSIM_DB_URL); passwords are never printed or stored"
)


def add_sql_arguments(parser: argparse.ArgumentParser, side_tables: bool = False) -> None:
    """``--sql URL --query SQL`` (and, for a whole book, the side tables' queries)."""
    g = parser.add_argument_group("database input (instead of files)")
    g.add_argument("--sql", metavar="URL", help=_SQL_HELP)
    g.add_argument(
        "--query",
        metavar="SQL",
        help="SELECT returning the partner-period panel (or @FILE.sql); same columns, "
        "--map and checks as a file",
    )
    if side_tables:
        g.add_argument(
            "--quarters-query", metavar="SQL", help="SELECT returning the territory-quarter table"
        )
        g.add_argument(
            "--territories-query", metavar="SQL", help="SELECT returning the territory table"
        )


def add_sql_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``--out-table NAME [--out-sql URL]``: write the result into a database table."""
    g = parser.add_argument_group("database output")
    g.add_argument(
        "--out-table",
        metavar="NAME",
        help="replace this table (name or schema.name) in one transaction, with a provenance "
        "row in channelsim_provenance; with or instead of --out",
    )
    g.add_argument(
        "--out-sql",
        metavar="URL",
        help="database for --out-table (default: --sql, else $CHANNELSIM_DB_URL)",
    )


def query_text(value: str) -> str:
    """A ``--query`` value: the SQL itself, or ``@FILE`` to read it from a file.

    Examples
    --------
    >>> query_text("SELECT 1")
    'SELECT 1'
    """
    if not value.startswith("@"):
        return value
    from pathlib import Path

    path = Path(value[1:])
    if not path.is_file():
        raise BadInput(f"--query {value}: file {path} not found")
    return path.read_text(encoding="utf-8")


def book_sources(args: argparse.Namespace, panel_option: str = "panel", required: bool = True):
    """The (panel, quarters, territories) inputs of a command: files or :class:`SqlQuery`.

    A query replaces the file of the same table; giving both, or neither for the panel, is
    bad input. Quarter and territory tables may mix files and queries.
    """
    from channelsim.data import SqlQuery

    panel = getattr(args, panel_option, None)
    query = getattr(args, "query", None)
    qq = getattr(args, "quarters_query", None)
    tq = getattr(args, "territories_query", None)
    quarters = getattr(args, "quarters", None)
    territories = getattr(args, "territories", None)
    problems = []
    if required and not (panel or query):
        problems.append("no panel: give a CSV/Parquet file or --sql URL --query SQL")
    if panel and query:
        problems.append(f"give the panel as a file or as --query, not both ({panel})")
    if (qq or tq) and not (panel or query):
        problems.append("--quarters-query / --territories-query need a panel (file or --query)")
    if qq and quarters:
        problems.append("give the territory-quarter table as --quarters or --quarters-query")
    if tq and territories:
        problems.append("give the territory table as --territories or --territories-query")
    if getattr(args, "sql", None) and not (query or qq or tq):
        problems.append("--sql needs --query (and optionally --quarters-query, ...)")
    if problems:
        raise BadInput("\n".join(problems))
    url = getattr(args, "sql", None)

    def sql(q):
        return SqlQuery(url, query_text(q)) if q else None

    return (sql(query) or panel, sql(qq) or quarters, sql(tq) or territories)


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


def check_out(path) -> None:
    """Refuse an output suffix the writers do not know before any work is done."""
    from pathlib import Path

    from channelsim.forecast import SUFFIXES

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
    from channelsim.model import ChannelModel

    try:
        return ChannelModel.load(path)
    except (OSError, KeyError) as exc:
        raise BadInput(f"{path}: not a channelsim model file ({exc})") from exc


def world_from_model(model, args):
    """The World to forecast from: the model's book, or newer actuals given with ``--panel``."""
    import warnings

    draws = args.draws
    if draws is not None and draws < 1:
        raise BadInput(f"--draws must be >= 1, got {draws}")
    panel = book_sources(args, required=False)[0]
    if not panel:
        return model.to_world(draws, seed=args.seed)
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


def eprint(*args) -> None:
    print(*args, file=sys.stderr)
