"""``channelsim example --out DIR``: write the bundled example book as CSV files.

``--sql URL`` writes the same three tables into a database instead (tables ``partners``,
``territory_quarters`` and ``territories``, each replaced in one transaction), e.g. to try
``channelsim fit --sql URL --query "SELECT * FROM partners" ...``.
"""

from __future__ import annotations

__all__ = ["register", "run"]

_TEXT = {c: str for c in ("partner", "territory", "period", "stage", "manager", "quarter")}


def register(sub) -> None:
    p = sub.add_parser(
        "example",
        help="write the bundled example book (partners.csv, territory_quarters.csv, territories.csv)",
        description="Write the bundled example book as the three input tables of the data contract.",
    )
    p.add_argument("--out", metavar="DIR", help="folder to write into (created if missing)")
    p.add_argument(
        "--sql",
        metavar="URL",
        help="write the tables into this database instead (sqlite:///file.db, "
        "postgresql://..., or env:VAR)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    import tempfile

    import pandas as pd

    from channelsim.cli._common import BadInput
    from channelsim.datasets import load_example

    if not args.out and not args.sql:
        raise BadInput("give --out DIR, --sql URL, or both")
    book = load_example()
    if args.out:
        for path in book.to_csv_dir(args.out):
            print(path)
    if args.sql:
        from channelsim.forecast import provenance, write_sql_table

        meta = provenance(seed=None, source="channelsim example book")
        with tempfile.TemporaryDirectory() as tmp:
            for path in book.to_csv_dir(tmp):
                frame = pd.read_csv(path, dtype=_TEXT)  # the file a user would load
                print(write_sql_table(frame, args.sql, path.stem, meta))
    return 0
