"""The ``slt-sim`` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``; the module list below
is the only place that knows them all. Bad input exits with status 2 and a one-line message;
output cut short by its reader (``slt-sim ... | head``) ends quietly with status 141.

Compilation cache: the command line keeps JAX's persistent compilation cache in
``$XDG_CACHE_HOME/slt_sim/jax`` (``~/.cache/slt_sim/jax`` when the variable is unset), so running
the same command twice compiles nothing the second time. Turn it off with
``slt-sim --no-compile-cache COMMAND`` or the environment variable ``SLT_SIM_COMPILE_CACHE=0``.
(The library itself never touches JAX's global cache settings; only the command line does.)
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

#: modules of slt_sim.cli that define subcommands (each has ``register(subparsers)``)
SUBCOMMAND_MODULES: tuple[str, ...] = ("demo", "theory_cmd", "phase", "free_energy", "llc", "sgd",
                                      "tms", "lambda_cmd", "bnsl", "info", "polca",
                                      "grok", "grouped")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slt-sim",
        description="See singular learning theory happen: exact posteriors, learning "
                    "coefficients, Bayesian phase changes and SGD on the same landscapes.")
    parser.add_argument("--no-compile-cache", action="store_true",
                        help="do not use JAX's persistent compilation cache (also: environment "
                             "variable SLT_SIM_COMPILE_CACHE=0)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"slt_sim.cli.{name}").register(sub)
    return parser


def compile_cache_dir() -> Path:
    """The user cache folder of compiled programs: ``$XDG_CACHE_HOME/slt_sim/jax``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "slt_sim" / "jax"


def enable_compile_cache(path: Path | None = None) -> Path:
    """Point JAX's persistent compilation cache at ``path`` (default :func:`compile_cache_dir`)
    and cache every compiled program, however small or quick to compile."""
    import jax

    path = compile_cache_dir() if path is None else Path(path)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.no_compile_cache and os.environ.get("SLT_SIM_COMPILE_CACHE", "1") != "0":
        enable_compile_cache()
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()                      # a closed pipe shows here, not at exit
        return code
    except (ValueError, TypeError) as err:
        parser.exit(2, f"slt-sim {args.command}: error: {err}\n")
    except BrokenPipeError:
        # the reader went away (`slt-sim ... | head`): stop quietly, as `cat` does. Point stdout
        # at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13                         # how a shell reports a process ended by SIGPIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
