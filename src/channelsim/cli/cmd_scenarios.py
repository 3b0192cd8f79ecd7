"""``channelsim scenarios``: list the shipped scenario files and the question each answers.

Each can be run by name (``channelsim compare hiring_profiles --out DIR``) from any folder,
also from a wheel install: the files are package data.
"""

from __future__ import annotations

import argparse

from channelsim.cli._common import EXIT_OK

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``scenarios`` sub-command to the ``channelsim`` parser."""
    p = sub.add_parser(
        "scenarios",
        help="list the shipped scenarios and their questions (run one: compare NAME)",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--paths", action="store_true", help="also print where each file is")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one block per shipped scenario: name, title, question (and path)."""
    from channelsim.scenario import load_scenario, shipped_scenarios

    shipped = shipped_scenarios()
    if not shipped:
        print("no shipped scenarios found in this installation")
        return EXIT_OK
    for name, path in shipped.items():
        meta = load_scenario(path).scenario
        print(name)
        if meta.title:
            print(f"  {meta.title}")
        if meta.question:
            print(f"  question: {meta.question}")
        if args.paths:
            print(f"  file: {path}")
    example = "hiring_profiles" if "hiring_profiles" in shipped else next(iter(shipped))
    print(f"\nrun one with: channelsim compare NAME --out DIR (e.g. {example})")
    return EXIT_OK
