"""``slt-sim llc``: the local learning coefficient of a catalogue model by SG-MCMC.

Defaults come from :func:`slt_sim.calibrate_llc` sweeps and the accuracy studies of docs/llc.md:
potentials use SGNHT (momentum moves fast along the flat valleys of a normal crossing) with
ε = 1e-5, γ = 0.3, one temperature (at ε = 3e-5, γ = 0.1 about one chain in ten diverged on a²b⁴
far out along the flat axis, on CPU and GPU alike; 0 of 64 at this setting, docs/llc.md);
data models use the temperature slope over nβ × (0.5, 1, 2)
with exact full-batch MALA, ε = 1e-4, γ = 1, 10,000 draws (long enough to mix along the flat
directions): the slope removes the β-independent finite-n offset that puts the one-temperature
estimate of the DLN 4-3-4 several percent low even with exact sampling (docs/llc.md).
``--nbeta-factors none --sampler sgld --draws 2000`` gives the classical (devinterp-style)
estimate; a
``--batch-size`` switches the default sampler to SGLD. Data models are evaluated at a minimum of
L_n found by a short Adam run from the true parameter (``--at trained``, the default); ``--at
true`` uses w0 itself (with one temperature that lowers λ̂ by β·n(L_n(w0) − min L_n)).
"""

from __future__ import annotations

import argparse
import warnings

import jax

from .. import theory
from .._warnings import SLTSimWarning
from ..posterior.sgmcmc import SAMPLERS
from ._common import add_model_options, emit, model_from_args, parse_numbers, theory_text

#: calibrated defaults per kind of model: sampler, ε, γ, draws, burn-in
POTENTIAL_DEFAULTS = {"sampler": "sgnht", "step_size": 1e-5, "localization": 0.3,
                      "draws": 100_000, "burnin": 10_000}
DATA_DEFAULTS = {"sampler": "mala", "step_size": 1e-4, "localization": 1.0,
                 "draws": 10_000, "burnin": 2500, "nbeta_factors": "0.5,1,2"}


def _both(name: str) -> str:
    """'X for potentials, Y for data models' from the defaults tables (help text)."""
    pot = POTENTIAL_DEFAULTS.get(name, "none")
    dat = DATA_DEFAULTS.get(name, "none")
    return f"{pot:g} for potentials, {dat:g} for data models" if isinstance(pot, float) \
        else f"{pot} for potentials, {dat} for data models"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "llc", help="local learning coefficient λ̂(w*) by SGLD-family samplers",
        description="Estimate the local learning coefficient λ̂(w*) = nβ(E[L_n] − L_n(w*)) "
                    "with SGLD-family samplers on a catalogue model; compare with theory.")
    add_model_options(p)
    p.add_argument("--n", type=float, default=10_000, help="data count n (default 10000)")
    p.add_argument("--chains", type=int, default=4, help="number of chains (default 4)")
    p.add_argument("--draws", type=int, default=None,
                   help=f"kept draws per chain (default: {_both('draws')})")
    p.add_argument("--burnin", type=int, default=None,
                   help=f"burn-in steps (default: {_both('burnin')})")
    p.add_argument("--sampler", choices=sorted(SAMPLERS), default=None,
                   help=f"sampler (default: {_both('sampler')}; sgld when --batch-size is "
                        f"given for a data model)")
    p.add_argument("--step-size", type=float, default=None,
                   help=f"step size ε (default: {_both('step_size')})")
    p.add_argument("--localization", type=float, default=None,
                   help=f"localisation γ (default: {_both('localization')})")
    p.add_argument("--nbeta", type=float, default=None, help="nβ (default n / log n)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="minibatch size (default: full batch; makes SGLD the default sampler)")
    p.add_argument("--nbeta-factors", default=None,
                   help="temperature slope over nβ × these factors, e.g. 0.5,1,2, or 'none' "
                        f"for one temperature (default: {_both('nbeta_factors')})")
    p.add_argument("--at", choices=("true", "trained"), default=None,
                   help="w*: the true parameter, or a minimum of L_n from a short Adam run "
                        "(default: trained for data models, true for potentials)")
    p.add_argument("--train-steps", type=int, default=2000,
                   help="Adam steps (learning rate 1e-3, full batch) for --at trained")
    p.add_argument("--calibrate", action="store_true",
                   help="run the (ε, γ) calibration sweep instead and print its table")
    p.add_argument("--step-sizes", default="1e-5,3e-5,1e-4,3e-4",
                   help="--calibrate: step sizes to sweep")
    p.add_argument("--localizations", default="0.1,1,10,100",
                   help="--calibrate: localisations to sweep")
    p.add_argument("--seed", type=int, default=0, help="random seed (data and chains)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _theory_lambda(args, model):
    """Theory λ for the LLC's own prior (the Gaussian localisation: h = 0 for crossings)."""
    if args.model == "normal-crossing":
        return float(theory.normal_crossing(args.k).lam)
    if model.is_potential and model.regions and model.regions[0].lam is not None:
        return float(model.regions[0].lam)          # w* is the centre of the first region
    return model.lam_float


def run(args: argparse.Namespace) -> int:
    model = model_from_args(args)
    defaults = POTENTIAL_DEFAULTS if model.is_potential else DATA_DEFAULTS
    n = int(args.n)
    if n != args.n or n < 2:
        raise ValueError(f"--n must be a whole number >= 2, got {args.n:g}")
    if args.train_steps < 0:
        raise ValueError(f"--train-steps must be >= 0, got {args.train_steps}")
    at = args.at or ("true" if model.is_potential else "trained")
    key = jax.random.key(args.seed)
    data = None
    w_star = None
    if not model.is_potential:
        data = model.sample_data(jax.random.fold_in(key, 0xDA7A), n)
        if at == "true":
            w_star = model.true_param
        else:
            from ..dynamics.minimize import train_to_minimum  # optax: only when training

            w_star = train_to_minimum(model, data, steps=args.train_steps)
    elif at == "trained":
        raise ValueError(f"--at trained needs a data model; {model.name} is a potential "
                         "(its minimum is the true parameter): use --at true")
    sampler = args.sampler or ("sgld" if args.batch_size and not model.is_potential
                               else defaults["sampler"])
    common = {"key": key, "data": data, "n": n if data is None else None,
              "sampler": sampler, "num_chains": args.chains,
              "num_draws": args.draws if args.draws is not None else defaults["draws"],
              "num_burnin": args.burnin if args.burnin is not None else defaults["burnin"],
              "nbeta": args.nbeta, "batch_size": args.batch_size}
    lam = _theory_lambda(args, model)

    if args.calibrate:
        from ..measure import calibrate_llc

        with warnings.catch_warnings():     # printed with the table / in the JSON instead
            warnings.simplefilter("ignore", SLTSimWarning)
            cal = calibrate_llc(model, w_star, step_sizes=parse_numbers("--step-sizes",
                                                                        args.step_sizes),
                                localizations=parse_numbers("--localizations",
                                                            args.localizations),
                                **common)
        out = {"model": model.name, "at": at, "seed": args.seed, "lambda": lam, "m": model.m,
               **cal.as_dict()}
        emit(out, args.json, f"{model.name}, w* = {at} parameter, theory λ = {theory_text(lam)}\n"
                             + cal.table())
        return 0

    factors_text = args.nbeta_factors or defaults.get("nbeta_factors", "none")
    factors = None if factors_text.strip().lower() == "none" else \
        parse_numbers("--nbeta-factors", factors_text)
    from ..measure import estimate_llc

    with warnings.catch_warnings():         # printed in the summary / the JSON instead
        warnings.simplefilter("ignore", SLTSimWarning)
        r = estimate_llc(model, w_star, nbeta_factors=factors,
                         step_size=args.step_size if args.step_size is not None
                         else defaults["step_size"],
                         localization=args.localization if args.localization is not None
                         else defaults["localization"], **common)
    # the result's own fields, plus what the command adds: model, w*, seed and theory (λ, m)
    out = {"model": model.name, "at": at, "seed": args.seed, "lambda": lam, "m": model.m,
           **r.as_dict()}
    theory_line = f"theory λ = {theory_text(lam)}" + (
        "" if lam is None else f" (λ̂/λ − 1 = {r.llc_mean / lam - 1:+.1%})")
    emit(out, args.json, f"{model.name}, w* = {at} parameter\n{r.summary()}\n{theory_line}")
    return 0
