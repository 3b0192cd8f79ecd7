"""``channelsim example --out DIR``: write the bundled example book as CSV files."""

from __future__ import annotations

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "example",
        help="write the bundled example book (partners.csv, territory_quarters.csv, territories.csv)",
        description="Write the bundled example book as the three input tables of the data contract.",
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write into (created if missing)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from channelsim.datasets import load_example

    book = load_example()
    paths = book.to_csv_dir(args.out)
    for path in paths:
        print(path)
    return 0
