"""Shared pieces of the subcommands: model options, JSON output, number lists."""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from .. import _validate as v
from .. import models

MODEL_NAMES = ("normal-crossing", "quadratic", "polynomial", "two-basins-1d", "two-basins-2d",
               "rrr", "dln", "tanh")


def add_model_options(parser: argparse.ArgumentParser, *, default: str | None = None,
                      choices=MODEL_NAMES) -> None:
    """--model plus every catalogue model's options (unused ones are ignored)."""
    parser.add_argument("--model", choices=choices, default=default, required=default is None,
                        help="catalogue model")
    g = parser.add_argument_group("model options")
    g.add_argument("--k", default="1,1", help="normal-crossing exponents k_i (comma list)")
    g.add_argument("--h", default=None, help="normal-crossing prior exponents h_i (comma list)")
    g.add_argument("--d", type=int, default=2, help="quadratic: dimension")
    g.add_argument("--potential", default="a^2+b^4", help="polynomial: e.g. 'a^2+b^4'")
    g.add_argument("--M", type=int, default=3, help="rrr: input dimension")
    g.add_argument("--N", type=int, default=3, help="rrr: output dimension")
    g.add_argument("--H", type=int, default=None, help="rrr: hidden width (default 2); "
                                                       "tanh: hidden units (default 1)")
    g.add_argument("--r", type=int, default=1, help="rrr: true rank")
    g.add_argument("--widths", default="4,3,4", help="dln: layer widths (comma list)")
    g.add_argument("--rank", type=int, default=1, help="dln: true rank")
    g.add_argument("--loss-gap", type=float, default=None,
                   help="two-basins-2d: loss gap δ; two-basins-1d: depth gap δ")


def model_from_args(args: argparse.Namespace) -> models.Model:
    """Build the catalogue model named by ``--model`` from the parsed options."""
    name = args.model
    if name == "normal-crossing":
        return models.normal_crossing(args.k, args.h)
    if name == "quadratic":
        return models.quadratic(args.d)
    if name == "polynomial":
        return models.polynomial(args.potential)
    if name == "two-basins-1d":
        return models.two_basins_1d() if args.loss_gap is None else \
            models.two_basins_1d(depth_gap=args.loss_gap)
    if name == "two-basins-2d":
        return models.two_basins_2d() if args.loss_gap is None else \
            models.two_basins_2d(loss_gap=args.loss_gap)
    if name == "rrr":
        return models.reduced_rank_regression(args.M, args.N, 2 if args.H is None else args.H,
                                              args.r)
    if name == "dln":
        return models.deep_linear_network(args.widths, args.rank)
    if name == "tanh":
        return models.tanh_network(1 if args.H is None else args.H)
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


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(x) for k, x in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(x) for x in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if hasattr(obj, "item") and np.ndim(obj) == 0:
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def emit(result: dict, as_json: bool, table: str | None = None) -> None:
    """Print ``result`` as JSON (``--json``) or as the human-readable ``table``."""
    if as_json:
        json.dump(_jsonable(result), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(table if table is not None else json.dumps(_jsonable(result), indent=2))
