"""``slt-sim phase``: exact and predicted critical n of a Bayesian phase change."""

from __future__ import annotations

import numpy as np

from ._common import add_model_options, add_sweep_option, emit, model_from_args, parse_numbers


def register(sub) -> None:
    p = sub.add_parser("phase", help="critical n where the posterior switches region")
    add_model_options(p, default="two-basins-1d", choices=("two-basins-1d", "two-basins-2d"))
    add_sweep_option(p, default=None,
                     help="sweep of n, comma list (default: 61 values log-spaced over 10..1e7)")
    p.add_argument("--beta", type=float, default=1.0, help="inverse temperature β")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..posterior.phase import phase_sweep

    model = model_from_args(args)
    ns = None if args.ns is None else parse_numbers("--ns", args.ns)
    if ns is not None and len(ns) < 2:
        raise ValueError("--ns needs at least two values to look for a switch")
    sweep = phase_sweep(model, ns, beta=args.beta)
    res = sweep.as_dict()
    lines = [f"{model.name}: regions {', '.join(sweep.region_names)}"]
    if sweep.pair is None:
        lines.append(f"no switch of the dominant region over n = {np.min(sweep.ns):g}.."
                     f"{np.max(sweep.ns):g}")
    else:
        lines.append(f"switch {sweep.pair[0]} → {sweep.pair[1]}: exact critical n = "
                     f"{sweep.critical_n_exact:,.1f}, free-energy prediction = "
                     f"{_num(sweep.critical_n_predicted)} (without constants: "
                     f"{_num(sweep.critical_n_predicted_no_const)})")
    emit(res, args.json, "\n".join(lines))
    return 0


def _num(x) -> str:
    return "none" if x is None else f"{x:,.1f}"
