"""``slt-sim theory``: closed-form learning coefficient λ and multiplicity m of a catalogue model.

    slt-sim theory normal-crossing --k 1,2 --h 0,0 [--json]
    slt-sim theory rrr --M 3 --N 3 --H 2 --r 1 [--json]
    slt-sim theory dln --widths 4,3,4 --rank 1 [--json]
    slt-sim theory tanh --H 4 [--json]
    slt-sim theory regular --d 3 [--json]

JSON: ``{"lambda": float, "lambda_exact": "p/q", "m": int, "case": str, "model": str, <inputs>}``.
"""

from __future__ import annotations

import argparse

from .. import _validate as v
from .. import theory
from ._common import emit


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "theory", help="closed-form learning coefficient λ and multiplicity m",
        description="Closed-form learning coefficient λ (exact fraction) and multiplicity m.")
    parser.set_defaults(func=run)
    kinds = parser.add_subparsers(dest="theory_model", metavar="MODEL", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON")

    p = kinds.add_parser("normal-crossing", parents=[common],
                         help="K = Π w_i^(2k_i), prior ∝ Π |w_i|^h_i (Watanabe 2009)")
    p.add_argument("--k", required=True, help="exponents k_i, comma list (e.g. 1,2)")
    p.add_argument("--h", default=None, help="prior exponents h_i, comma list (default all 0)")
    p = kinds.add_parser("rrr", parents=[common],
                         help="reduced-rank regression (Aoyagi & Watanabe 2005)")
    for name, what in (("--M", "input width"), ("--N", "output width"), ("--H", "hidden width"),
                       ("--r", "true rank")):
        p.add_argument(name, required=True, help=what)
    p = kinds.add_parser("dln", parents=[common], help="deep linear network (Aoyagi 2024)")
    p.add_argument("--widths", required=True, help="layer widths input→output, e.g. 4,3,4")
    p.add_argument("--rank", required=True, help="rank of the true product")
    p = kinds.add_parser("tanh", parents=[common],
                         help="y = Σ a_h tanh(b_h x), true function 0 (Aoyagi & Watanabe 2005)")
    p.add_argument("--H", required=True, help="hidden units")
    p = kinds.add_parser("regular", parents=[common], help="regular model: λ = d/2")
    p.add_argument("--d", required=True, help="number of parameters")


def _compute(args) -> tuple[dict, theory.LearningCoefficient]:
    kind = args.theory_model
    if kind == "normal-crossing":
        k = v.int_tuple("--k", args.k, lo=0)
        h = (0,) * len(k) if args.h is None else v.int_tuple("--h", args.h, lo=0)
        if len(h) != len(k):
            raise ValueError(f"--k and --h must have the same length (--k has {len(k)}, "
                             f"--h has {len(h)})")
        return {"k": list(k), "h": list(h)}, theory.normal_crossing(k, h)
    if kind == "rrr":
        sizes = {name: v.as_int(f"--{name}", getattr(args, name), lo=1) for name in "MNH"}
        r = v.as_int("--r", args.r, lo=0)
        return dict(sizes, r=r), theory.reduced_rank_regression(sizes["M"], sizes["N"],
                                                                sizes["H"], r)
    if kind == "dln":
        widths = v.int_tuple("--widths", args.widths, lo=1, min_length=2)
        rank = v.as_int("--rank", args.rank, lo=0)
        return {"widths": list(widths), "rank": rank}, theory.deep_linear_network(widths, rank)
    if kind == "tanh":
        H = v.as_int("--H", args.H, lo=1)
        return {"H": H}, theory.tanh_network(H)
    if kind == "regular":
        d = v.as_int("--d", args.d, lo=1)
        return {"d": d}, theory.regular(d)
    raise ValueError(f"unknown model {kind!r}")  # argparse restricts the choices


def run(args: argparse.Namespace) -> int:
    inputs, lc = _compute(args)
    result = {**lc.as_dict(), "model": args.theory_model, **inputs}
    shown = " ".join(f"{k}={','.join(map(str, x)) if isinstance(x, list) else x}"
                     for k, x in inputs.items())
    line = (f"{args.theory_model} {shown}: λ = {result['lambda_exact']} ≈ {result['lambda']:.6g}, "
            f"m = {lc.m}" + (f"  [{lc.case}]" if lc.case else ""))
    emit(result, args.json, line)
    return 0
