"""``slt-sim free-energy``: exact F_n over a sweep of n and λ̂ from its slope in log n."""

from __future__ import annotations

import jax

from ._common import (
    add_model_options,
    add_sweep_option,
    emit,
    model_from_args,
    parse_numbers,
    theory_text,
)


def register(sub) -> None:
    p = sub.add_parser("free-energy", help="exact free energies F_n and the λ log n slope")
    add_model_options(p)
    add_sweep_option(p, default="1e2,1e3,1e4,1e5,1e6",
                     help="data counts of the sweep, comma list (default 1e2,...,1e6)")
    p.add_argument("--m", type=int, default=None,
                   help="fix the multiplicity m (default: chosen by fit quality)")
    p.add_argument("--seed", type=int, default=0, help="data seed (data models)")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..measure.free_energy import free_energy_lambda

    model = model_from_args(args)
    ns = parse_numbers("--ns", args.ns)
    res = free_energy_lambda(model, ns, m=args.m, key=jax.random.key(args.seed))
    out = res.as_dict()
    out["model"] = model.name
    table = "\n".join([f"{model.name}", "       n        F_n"] +
                      [f"{n:12.4g}  {f:12.6f}" for n, f in zip(res.ns, res.free_energy)] +
                      [f"λ̂ = {res.lam_hat:.4f} (range over sub-sweeps {res.lam_ci[0]:.4f}.."
                       f"{res.lam_ci[1]:.4f}), m̂ = {res.m_hat}; theory λ = "
                       f"{theory_text(res.lam)}, m = {theory_text(res.m)}"] +
                      [f"warning: {w}" for w in res.warnings])
    emit(out, args.json, table)
    return 0
