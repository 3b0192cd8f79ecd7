"""``channelsim demo``: the main job on the bundled example book.

Validates the example book and prints its summary by territory, channel maturity and
lifecycle stage; writes the example tables to ``--out``.
"""

from __future__ import annotations

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job on the bundled example book",
        description=(
            "Run the main job on the bundled example book: validate it and print a summary by "
            "territory, channel maturity and lifecycle stage."
        ),
    )
    p.add_argument(
        "--out", default="out/demo", metavar="DIR", help="output folder (default out/demo)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from channelsim.data import load_book
    from channelsim.datasets import load_example

    out = Path(args.out)
    example = load_example()
    files = example.to_csv_dir(out / "example")
    # Validate the written files the way a user's export is validated.
    book = load_book(*files, source_name=str(files[0]))
    print(book.summary_text())
    print(f"\nexample tables written to {out / 'example'}")
    return 0
