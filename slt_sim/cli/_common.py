"""Shared pieces of the subcommands: model options, JSON output, number lists."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

import numpy as np

from .. import _validate as v
from .._results import plain

if TYPE_CHECKING:
    from ..models import Model

MODEL_NAMES = ("normal-crossing", "quadratic", "polynomial", "two-basins-1d", "two-basins-2d",
               "rrr", "dln", "tanh")


#: the catalogue options: flag -> (argparse keyword arguments, models that read it)
_MODEL_OPTIONS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "--k": (dict(default="1,1", help="normal-crossing exponents k_i (comma list)"),
            ("normal-crossing",)),
    "--h": (dict(default=None, help="normal-crossing prior exponents h_i (comma list)"),
            ("normal-crossing",)),
    "--d": (dict(type=int, default=2, help="quadratic: dimension"), ("quadratic",)),
    "--potential": (dict(default="a^2+b^4", help="polynomial: e.g. 'a^2+b^4'"), ("polynomial",)),
    "--M": (dict(type=int, default=3, help="rrr: input dimension"), ("rrr",)),
    "--N": (dict(type=int, default=3, help="rrr: output dimension"), ("rrr",)),
    "--H": (dict(type=int, default=None, help="rrr: hidden width (default 2); tanh: hidden "
                                              "units (default 1)"), ("rrr", "tanh")),
    "--r": (dict(type=int, default=1, help="rrr: true rank"), ("rrr",)),
    "--widths": (dict(default="4,3,4", help="dln: layer widths (comma list)"), ("dln",)),
    "--rank": (dict(type=int, default=1, help="dln: true rank"), ("dln",)),
    "--loss-gap": (dict(type=float, default=None, help="two-basins-2d: loss gap δ; "
                                                        "two-basins-1d: depth gap δ"),
                   ("two-basins-1d", "two-basins-2d")),
}


def add_model_options(parser: argparse.ArgumentParser, *, default: str | None = None,
                      choices=MODEL_NAMES) -> None:
    """--model plus the options of the catalogue models in ``choices`` (and no others)."""
    parser.add_argument("--model", choices=choices, default=default, required=default is None,
                        help="catalogue model")
    g = parser.add_argument_group("model options")
    for flag, (kwargs, users) in _MODEL_OPTIONS.items():
        if set(users) & set(choices):
            g.add_argument(flag, **kwargs)


def add_sweep_option(parser: argparse.ArgumentParser, *, default: str | None, help: str) -> None:
    """``--ns``: a sweep of data counts (comma list), the spelling every subcommand uses.

    ``--n`` is one data count wherever it appears; ``--n`` with a comma list is still read
    here (the spelling of earlier versions) and means the same as ``--ns``.
    """
    parser.add_argument("--ns", default=default, help=help)
    parser.add_argument("--n", dest="ns", help=argparse.SUPPRESS)


def theory_text(value) -> str:
    """A theory value (λ or m) for tables: the number, or 'unknown' when not known."""
    if value is None:
        return "unknown"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def model_from_args(args: argparse.Namespace) -> Model:
    """Build the catalogue model named by ``--model`` from the parsed options."""
    from .. import models  # NumPyro (priors): only for subcommands that build a model

    name = args.model
    opt = lambda flag: getattr(args, flag.lstrip("-").replace("-", "_"),  # noqa: E731
                               _MODEL_OPTIONS[flag][0].get("default"))
    if name == "normal-crossing":
        return models.normal_crossing(opt("--k"), opt("--h"))
    if name == "quadratic":
        return models.quadratic(opt("--d"))
    if name == "polynomial":
        return models.polynomial(opt("--potential"))
    if name in ("two-basins-1d", "two-basins-2d"):
        gap = opt("--loss-gap")
        if name == "two-basins-1d":
            return models.two_basins_1d() if gap is None else models.two_basins_1d(depth_gap=gap)
        return models.two_basins_2d() if gap is None else models.two_basins_2d(loss_gap=gap)
    if name == "rrr":
        return models.reduced_rank_regression(opt("--M"), opt("--N"),
                                              2 if opt("--H") is None else opt("--H"), opt("--r"))
    if name == "dln":
        return models.deep_linear_network(opt("--widths"), opt("--rank"))
    if name == "tanh":
        return models.tanh_network(1 if opt("--H") is None else opt("--H"))
    raise ValueError(f"--model must be one of {', '.join(MODEL_NAMES)}, got {name!r}")


def parse_numbers(name: str, text: str) -> np.ndarray:
    """Parse '1e2,1e3,1e4' into floats; clear error for non-numbers."""
    parts = [p for p in str(text).replace(" ", "").split(",") if p]
    if not parts:
        raise ValueError(f"{name} must be a comma-separated list of numbers, got {text!r}")
    out = []
    for p in parts:
        try:
            out.append(float(p))
        except ValueError:
            raise ValueError(f"{name} must be numbers, got {p!r} in {text!r}") from None
    return v.as_float_array(name, out)


def emit(result: dict, as_json: bool, table: str | None = None) -> None:
    """Print ``result`` as JSON (``--json``) or as the human-readable ``table``."""
    if as_json:
        json.dump(plain(result), sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print(table if table is not None else json.dumps(plain(result), indent=2))
