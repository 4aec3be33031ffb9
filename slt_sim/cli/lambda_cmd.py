"""``slt-sim lambda``: estimate the learning coefficient λ (and m) of a catalogue model.

Methods:
  volume       V(ε) ≈ c ε^λ (−log ε)^(m−1) of the population loss (slt_sim.measure.volume)
  free-energy  slope of the exact free energy F_n − n L_n(w₀) against log n (d ≤ 3; thermodynamic
               integration for larger models)
  thermo       slope of thermodynamic-integration free energies against log n (NUTS)
  wbic         Watanabe's multi-temperature estimator (NUTS), optional multiplicity correction

wbic defaults follow the cost of one gradient. Potentials and models with sufficient statistics
(O(d) per gradient) use Watanabe's five temperatures and NUTS max tree depth 8. Data models whose
energy touches every data point (the tanh networks: O(n d) per leapfrog step, and NUTS trees of
up to 255 steps on their singular posteriors) use the two ends and the middle of Watanabe's
interval (the best-placed three points for a slope) and max tree depth 4 (at most 15 leapfrog
steps; on tanh H = 3 the energy's ESS per draw is the same as at depth 5, at half the
gradients), which makes
``slt-sim lambda --model tanh --H 3 --method wbic --n 5000`` practical on a CPU (timings before
and after in docs/mcmc.md). ``--temperatures`` and ``--depth`` override either choice.

Output (``--json``): {"lambda_hat", "lambda_ci": [lo, hi], "m_hat", "lambda", "m", "method",
"seconds", ...}.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import jax
import numpy as np

from .. import _validate as v
from ._common import add_model_options, emit, model_from_args, parse_numbers, theory_text

METHODS = ("volume", "free-energy", "wbic", "thermo")
# wbic defaults (module docstring): full for O(d) gradients, cheap for O(n d) ones
FULL = {"num_betas": 5, "max_tree_depth": 8}
CHEAP = {"num_betas": 3, "max_tree_depth": 4}


def wbic_defaults(model) -> dict:
    """Temperatures and NUTS max tree depth for ``--method wbic`` (module docstring): ``FULL``
    for potentials and sufficient statistics, ``CHEAP`` when every gradient touches every data
    point."""
    if model.is_potential:
        return dict(FULL)
    from ..posterior.energy import energy_function

    if energy_function(model).kind == "sufficient statistics":
        return dict(FULL)
    return dict(CHEAP)


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
    p.add_argument("--temperatures", type=int, default=None,
                   help=f"wbic: number of temperatures (default {CHEAP['num_betas']} for data "
                        f"models whose gradient touches every data point, else "
                        f"{FULL['num_betas']})")
    p.add_argument("--depth", type=int, default=None,
                   help=f"wbic: NUTS max tree depth (default {CHEAP['max_tree_depth']} for data "
                        f"models whose gradient touches every data point, else "
                        f"{FULL['max_tree_depth']})")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="wbic: print progress and the time left to stderr (default: when "
                        "stderr is a terminal)")
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
        from ..measure.wbic_lambda import resolve_multiplicity

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
        extra["volume_method"] = r.method
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
            m_hat = r.m_hat
            extra["route"] = "exact quadrature"
        else:
            r, lam_hat, ci, m_hat = _thermo(model, ns, key, multiplicity, nuts, extra)
            extra["route"] = "thermodynamic integration (d > 3 or exact engine unavailable)"
    elif args.method == "thermo":
        ns = _sweep(args, n, 3)
        r, lam_hat, ci, m_hat = _thermo(model, ns, key, multiplicity, nuts, extra)
    else:
        from ..measure.wbic_lambda import multi_temperature_lambda

        if n <= math.e:
            raise ValueError(f"--n must exceed e for β = 1/log n, got {n:g}")
        wd = wbic_defaults(model)
        num_betas, depth = wd["num_betas"], wd["max_tree_depth"]
        if args.temperatures is not None:
            num_betas = v.as_int("--temperatures", args.temperatures, lo=2)
        if args.depth is not None:
            depth = v.as_int("--depth", args.depth, lo=1, hi=15)
        progress = sys.stderr.isatty() if args.progress is None else bool(args.progress)
        r = multi_temperature_lambda(model, key=key, n=n if model.is_potential else int(n),
                                     multiplicity=multiplicity, num_betas=num_betas,
                                     max_tree_depth=depth, progress=progress, **nuts)
        lam_hat, ci = r.lam_hat, list(r.lam_ci)
        m_hat = multiplicity if str(args.multiplicity) == "volume" else None
        extra.update(max_tree_depth=depth)
    lam, m = _theory(model)
    extra.pop("m_from_volume")
    # the estimator's own result (its field names; λ spelled "lambda"), then what the command
    # adds: the model, the method, theory's λ and m, the chosen m̂ and the total wall time
    result = {**r.as_dict(), "lambda_hat": lam_hat, "lambda_ci": ci,
              "m_hat": None if m_hat is None else int(m_hat), "lambda": lam, "m": m,
              "method": args.method, "model": model.name,
              "seconds": time.perf_counter() - t0, **extra}
    label = "range over sub-sweeps" if args.method == "free-energy" else "95% CI"
    table = (f"{model.name}: λ̂ = {lam_hat:.4f}  {label} [{ci[0]:.4f}, {ci[1]:.4f}]"
             f"  m̂ = {'-' if m_hat is None else m_hat}  ({args.method})\n"
             f"theory: λ = {theory_text(lam)}  m = {theory_text(m)}"
             f"   [{result['seconds']:.1f} s]"
             + "".join(f"\nwarning: {w}" for w in result.get("warnings", ())))
    emit(result, args.json, table)
    return 0


def _thermo(model, ns, key, multiplicity, nuts, extra):
    from ..measure.thermo import thermo_lambda

    ns_arg = ns if model.is_potential else np.round(ns)
    r = thermo_lambda(model, ns_arg, key=key, multiplicity=multiplicity, **nuts)
    return r, r.lam_hat, list(r.lam_ci), (multiplicity if extra.get("m_from_volume") else None)
