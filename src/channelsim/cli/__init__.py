"""The ``channelsim`` command line: a thin layer over the library.

Each sub-command lives in a module ``channelsim.cli.cmd_<name>`` exposing ``register(sub)``
(adds its parser and sets ``func``). Modules import heavy libraries inside their ``run``
functions so ``channelsim --help`` is fast.

Exit codes: 0 success, 2 bad input (all problems listed, no traceback), 1 anything else.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from channelsim.cli._common import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK, BadInput, eprint

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from channelsim import __version__

    parser = argparse.ArgumentParser(
        prog="channelsim",
        description=(
            "Forecast channel (partner) sales with a Bayesian hierarchical model and simulate "
            "what hiring, onboarding, KPI and compensation policies do to forecast accuracy "
            "and quota attainment."
        ),
    )
    parser.add_argument("--version", action="version", version=f"channelsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_"))
    for name in names:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def _is_bad_input(exc: BaseException) -> bool:
    # Validation errors of every layer carry ``is_bad_input = True`` (or are BadInput).
    return isinstance(exc, BadInput) or bool(getattr(exc, "is_bad_input", False))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``channelsim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_OK
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        eprint("interrupted")
        return EXIT_ERROR
    except Exception as exc:
        if _is_bad_input(exc):
            eprint(f"error: {exc}")
            return EXIT_BAD_INPUT
        raise
    return EXIT_OK if code is None else int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
