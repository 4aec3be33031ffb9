"""``slt-sim bnsl``: fit a broken neural scaling law to a CSV curve and extrapolate it."""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np

from .. import _validate as v
from ._common import emit


def register(sub) -> None:
    p = sub.add_parser("bnsl", help="fit a broken neural scaling law and extrapolate it")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--csv", default=None,
                     help="CSV file with columns x,y (header optional, '#' comment lines)")
    src.add_argument("--dataset", default=None, choices=("four_digit_addition",),
                     help="a packaged published curve instead of --csv")
    p.add_argument("--fit-first", default=None,
                   help="fit the first K points (by x), extrapolate the rest (default: all; "
                        "for --dataset the paper's split)")
    p.add_argument("--breaks", default="1", help="number of breaks k (0: plain power law)")
    p.add_argument("--plot", default=None, help="write the fit + extrapolation figure (PNG)")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def read_curve(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Read x, y from a CSV file: two columns (header optional) or named columns x and y."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"--csv: no such file {path!r}")
    with file.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(ln for ln in fh if not ln.lstrip().startswith("#"))
                if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"--csv: {path} has no data rows")
    head = [c.strip().lower() for c in rows[0]]
    if not _numeric(head[0]):
        if "x" not in head or "y" not in head:
            raise ValueError(f"--csv: missing column {'x' if 'x' not in head else 'y'} "
                             f"(header {rows[0]}); need columns x,y")
        ix, iy = head.index("x"), head.index("y")
        rows, first = rows[1:], 2
    else:
        ix, iy, first = 0, 1, 1
    xs, ys = [], []
    for i, r in enumerate(rows, start=first):
        if len(r) <= max(ix, iy):
            raise ValueError(f"--csv: row {i} has {len(r)} column(s), need x and y: {r}")
        for name, col, out in (("x", ix, xs), ("y", iy, ys)):
            text = r[col].strip()
            if not _numeric(text):
                raise ValueError(f"--csv: row {i}: {name} is not a number: {text!r}")
            out.append(float(text))
    x, y = np.array(xs), np.array(ys)
    if len(x) == 0:
        raise ValueError(f"--csv: {path} has a header but no data rows")
    if np.any(x <= 0):
        raise ValueError(f"--csv: x must be > 0 (the law uses log x), got {x[x <= 0][0]:g}")
    if np.any(y <= 0):
        raise ValueError(f"--csv: y must be > 0 (errors are in log y), got {y[y <= 0][0]:g}")
    return x, y


def _numeric(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def run(args) -> int:
    from ..measure.scaling import fit_bnsl

    breaks = v.as_int("--breaks", _number("--breaks", args.breaks), lo=0)
    if args.dataset is not None:
        from ..data import load_scaling_curve
        curve = load_scaling_curve(args.dataset)
        x, y, default_k = curve.x, curve.y, curve.fit_first
        labels = {"xlabel": curve.x_label, "ylabel": curve.y_label}
    else:
        x, y = read_curve(args.csv)
        default_k, labels = len(x), {}
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    n_par = 3 + 3 * breaks
    k = default_k if args.fit_first is None else \
        v.as_int("--fit-first", _number("--fit-first", args.fit_first), lo=1, hi=len(x))
    if k < n_par:
        raise ValueError(f"--fit-first {k}: a law with {breaks} break(s) has {n_par} constants, "
                         f"so it needs at least {n_par} points to fit (the curve has {len(x)})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")           # they are in the result's warnings
        fit = fit_bnsl(x[:k], y[:k], breaks, x_test=x[k:], y_test=y[k:] if k < len(x) else None)
    res = fit.as_dict()
    if args.plot:
        from ..viz.scaling import plot_bnsl_fit
        fig = plot_bnsl_fit(fit, title=args.dataset or Path(args.csv).name, **labels)
        fig.savefig(args.plot, dpi=120)
        res["plot"] = args.plot
    p = fit.params
    lines = [f"BNSL with {breaks} break(s) fitted to {k} of {len(x)} points "
             f"(x = {x[0]:g}..{x[k - 1]:g}): train RMSLE {fit.fit_rmsle:.4g}",
             f"  a = {p.a:.6g}, b = {p.b:.6g}, c0 = {p.c0:.6g}"]
    lines += [f"  break {i + 1}: c = {c:.6g}, d = {d:.6g}, f = {f:.6g}"
              for i, (c, d, f) in enumerate(zip(p.c, p.d, p.f))]
    for e in res["extrapolation"]:
        lines.append(f"  x = {e['x']:g}: predicted {e['y_pred']:.6g}, observed {e['y']:.6g}")
    if fit.extrapolation_rmsle is not None:
        lines.append(f"extrapolation RMSLE {fit.extrapolation_rmsle:.4g}")
    lines += [f"warning: {w}" for w in fit.warnings]
    emit(res, args.json, "\n".join(lines))
    return 0


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {text!r}") from None
