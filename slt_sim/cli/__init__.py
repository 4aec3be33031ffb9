"""The ``slt-sim`` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``; the module list below
is the only place that knows them all. Bad input exits with status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: modules of slt_sim.cli that define subcommands (each has ``register(subparsers)``)
SUBCOMMAND_MODULES: tuple[str, ...] = ("demo", "theory_cmd", "phase", "free_energy", "llc", "sgd",
                                      "tms", "lambda_cmd", "bnsl", "info", "polca",
                                      "grok", "grouped")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slt-sim",
        description="See singular learning theory happen: exact posteriors, learning "
                    "coefficients, Bayesian phase changes and SGD on the same landscapes.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"slt_sim.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError) as err:
        parser.exit(2, f"slt-sim {args.command}: error: {err}\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
