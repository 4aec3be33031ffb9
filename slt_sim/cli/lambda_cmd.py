"""``slt-sim lambda``: estimate the learning coefficient λ (and m) of a catalogue model.

Methods:
  volume       V(ε) ≈ c ε^λ (−log ε)^(m−1) of the population loss (slt_sim.measure.volume)
  free-energy  slope of the exact free energy F_n − n L_n(w₀) against log n (d ≤ 3; thermodynamic
               integration for larger models)
  thermo       slope of thermodynamic-integration free energies against log n (NUTS)
  wbic         Watanabe's multi-temperature estimator (NUTS), optional multiplicity correction

Output (``--json``): {"lambda_hat", "lambda_ci": [lo, hi], "m_hat", "lambda", "m", "method",
"seconds", ...}.
"""

from __future__ import annotations

import argparse
import math
import time

import jax
import numpy as np

from .. import _validate as v
from ._common import add_model_options, emit, model_from_args, parse_numbers, theory_text

METHODS = ("volume", "free-energy", "wbic", "thermo")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "lambda", help="estimate the learning coefficient λ of a model",
        description="Estimate the learning coefficient λ (and multiplicity m) of a catalogue "
                    "model by volume scaling, the free-energy slope, thermodynamic integration "
                    "or WBIC's multi-temperature estimator.")
    add_model_options(p)
    p.add_argument("--method", choices=METHODS, default="wbic", help="estimator (default wbic)")
    p.add_argument("--n", type=float, default=1000,
                   help="data count n (wbic; the largest n of the thermo/free-energy sweep)")
    p.add_argument("--ns", default=None,
                   help="free-energy/thermo: data counts of the log n sweep (comma list; "
                        "default n/100..n: five log-spaced values for free-energy, three "
                        "for thermo)")
    p.add_argument("--m", dest="multiplicity", default="1",
                   help="wbic/thermo: multiplicity m for the (m−1) log log n correction: an "
                        "integer (default 1: no correction) or 'volume' (m̂ from volume scaling)")
    p.add_argument("--seed", type=int, default=0, help="random seed (data and samplers)")
    p.add_argument("--chains", type=int, default=4, help="NUTS chains per temperature")
    p.add_argument("--samples", type=int, default=500, help="NUTS draws per chain")
    p.add_argument("--warmup", type=int, default=300, help="NUTS warmup per chain")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _sweep(args, n: float, count: int) -> np.ndarray:
    if args.ns is not None:
        ns = parse_numbers("--ns", args.ns)
    else:
        ns = np.logspace(np.log10(n) - 2.0, np.log10(n), count)
    if np.any(ns <= 1):
        shown = ", ".join(f"{x:g}" for x in ns)
        raise ValueError(f"--ns values must all be > 1, got {shown} (raise --n or set --ns)")
    return ns


def _theory(model) -> tuple[float | None, int | None]:
    return (None if model.lam is None else float(model.lam)), model.m


def run(args: argparse.Namespace) -> int:
    model = model_from_args(args)
    n = v.as_float("--n", args.n, lo=1.0, lo_open=True)
    if not model.is_potential:
        n = float(v.as_int("--n", args.n, lo=2))
    seed = v.as_int("--seed", args.seed, lo=0)
    key = jax.random.key(seed)
    nuts = dict(num_chains=v.as_int("--chains", args.chains, lo=1),
                num_samples=v.as_int("--samples", args.samples, lo=1),
                num_warmup=v.as_int("--warmup", args.warmup, lo=0))
    t0 = time.perf_counter()
    if str(args.multiplicity) == "volume":
        from ..measure.wbic import resolve_multiplicity

        multiplicity = resolve_multiplicity(model, "volume", key=key)
    else:
        try:
            multiplicity = int(args.multiplicity)
        except ValueError:
            raise ValueError(f"--m must be an integer >= 1 or 'volume', got "
                             f"{args.multiplicity!r}") from None
        multiplicity = v.as_int("--m", multiplicity, lo=1)
    extra: dict = {"m_from_volume": str(args.multiplicity) == "volume"}
    if args.method == "volume":
        try:
            from ..measure.volume import volume_scaling
        except ImportError:
            raise ValueError("--method volume is not available in this build "
                             "(slt_sim.measure.volume is missing)") from None
        r = volume_scaling(model, key=key)
        lam_hat, ci, m_hat = float(r.lam_hat), [float(x) for x in r.lam_ci], r.m_hat
        extra["volume_method"] = getattr(r, "method", None)
    elif args.method == "free-energy":
        ns = _sweep(args, n, 5 if model.dim <= 3 else 3)
        free_energy_lambda = None
        if model.dim <= 3:
            try:
                from ..measure.free_energy import free_energy_lambda
            except ImportError:
                free_energy_lambda = None
        if free_energy_lambda is not None:
            kw = {} if model.is_potential else {"key": key}
            r = free_energy_lambda(model, ns, **kw)
            lam_hat, ci = float(r.lam_hat), [float(x) for x in r.lam_ci]
            m_hat = getattr(r, "m_hat", None)
            extra["route"] = "exact quadrature"
            extra["warnings"] = list(r.warnings)
        else:
            lam_hat, ci, m_hat = _thermo(model, ns, key, multiplicity, nuts, extra)
            extra["route"] = "thermodynamic integration (d > 3 or exact engine unavailable)"
        extra["ns"] = [float(x) for x in ns]
    elif args.method == "thermo":
        ns = _sweep(args, n, 3)
        lam_hat, ci, m_hat = _thermo(model, ns, key, multiplicity, nuts, extra)
        extra["ns"] = [float(x) for x in ns]
    else:
        from ..measure.wbic import multi_temperature_lambda

        if n <= math.e:
            raise ValueError(f"--n must exceed e for β = 1/log n, got {n:g}")
        r = multi_temperature_lambda(model, key=key, n=n if model.is_potential else int(n),
                                     multiplicity=multiplicity, **nuts)
        lam_hat, ci = r.lam_hat, list(r.lam_ci)
        m_hat = multiplicity if str(args.multiplicity) == "volume" else None
        extra.update(n=n, betas=[float(b) for b in r.betas], multiplicity=multiplicity,
                     rhat_max=r.rhat_max, divergences=r.divergences)
    lam, m = _theory(model)
    extra.pop("m_from_volume")
    result = {"lambda_hat": lam_hat, "lambda_ci": ci,
              "m_hat": None if m_hat is None else int(m_hat), "lambda": lam, "m": m,
              "method": args.method, "model": model.name,
              "seconds": time.perf_counter() - t0, **extra}
    label = "range over sub-sweeps" if args.method == "free-energy" else "95% CI"
    table = (f"{model.name}: λ̂ = {lam_hat:.4f}  {label} [{ci[0]:.4f}, {ci[1]:.4f}]"
             f"  m̂ = {'-' if m_hat is None else m_hat}  ({args.method})\n"
             f"theory: λ = {theory_text(lam)}  m = {theory_text(m)}"
             f"   [{result['seconds']:.1f} s]"
             + "".join(f"\nwarning: {w}" for w in extra.get("warnings", ())))
    emit(result, args.json, table)
    return 0


def _thermo(model, ns, key, multiplicity, nuts, extra):
    from ..measure.thermo import thermo_lambda

    ns_arg = ns if model.is_potential else np.round(ns)
    r = thermo_lambda(model, ns_arg, key=key, multiplicity=multiplicity, **nuts)
    extra["multiplicity"] = multiplicity
    return r.lam_hat, list(r.lam_ci), (multiplicity if extra.get("m_from_volume") else None)
