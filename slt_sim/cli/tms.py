"""``slt-sim tms``: the toy model of superposition's k-gon table and its 5 → 6 phase change."""

from __future__ import annotations

import time

from ._common import emit


def register(sub) -> None:
    p = sub.add_parser("tms", help="toy model of superposition: k-gon losses, λ (theory and "
                                   "SGLD estimate), predicted and measured critical n")
    p.add_argument("--c", type=int, default=6, help="number of features c")
    p.add_argument("--llc-n", type=float, default=1e5, help="n of the LLC estimates (nβ = n/log n)")
    p.add_argument("--llc-draws", type=int, default=4000, help="SGLD draws per chain")
    p.add_argument("--no-llc", action="store_true", help="skip the LLC estimates")
    p.add_argument("--no-measure", action="store_true",
                   help="skip the replica-exchange measurement of the critical n")
    p.add_argument("--ladder-max", type=float, default=3000.0, help="largest n of the ladder")
    p.add_argument("--rungs", type=int, default=20, help="rungs of the n ladder")
    p.add_argument("--replicas", type=int, default=4, help="independent ladders")
    p.add_argument("--steps", type=int, default=6000, help="MALA steps per chain")
    p.add_argument("--likelihood", choices=("gibbs", "gaussian"), default="gibbs",
                   help="gibbs: posterior exp(−n L) of ℓ = ‖x − f(x)‖² (ours); gaussian: the "
                        "likelihood N(x | f(x), σ² I), exp(−n L/(2σ²)) (NUTS demos, σ = 1)")
    p.add_argument("--sigma", type=float, default=1.0, help="σ of --likelihood gaussian")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def run(args) -> int:
    import jax
    import numpy as np

    from .. import _validate as v
    from .. import models, theory
    from ..models import superposition as tms

    t0 = time.perf_counter()
    c = v.as_int("--c", args.c, lo=2, hi=32)
    sigma = v.as_float("--sigma", args.sigma, lo=0.0, lo_open=True)
    model = models.toy_superposition(c, likelihood=args.likelihood, sigma=sigma)
    scale = model.extra["likelihood_scale"]
    key = jax.random.key(v.as_int("--seed", args.seed, lo=0))
    rows = []
    for k in range(c, 0, -1):
        for p in ((0, 1) if k < c else (0,)):
            l_, b_, loss = tms.kgon_norm_bias(c, k)
            lam = tms.kgon_lambda(c, k, p)
            rows.append({"phase": tms.phase_name(k, p), "k": k, "plus": p, "norm": l_,
                         "bias": b_, "loss": loss - p / (4 * c * c),
                         "lambda_theory": None if lam is None else float(lam),
                         "lambda_hat": None, "lambda_hat_se": None})
    if not args.no_llc:
        _estimate_llcs(model, rows, c, key, v.as_float("--llc-n", args.llc_n, lo=3.0),
                       v.as_int("--llc-draws", args.llc_draws, lo=100))
    top, second = f"{c}", f"{c - 1}"
    laws = {r["phase"]: r for r in rows if r["lambda_theory"] is not None}
    predicted = None
    if top in laws and second in laws:
        predicted = theory.critical_n(
            theory.FreeEnergyLaw(scale * laws[top]["loss"], laws[top]["lambda_theory"]),
            theory.FreeEnergyLaw(scale * laws[second]["loss"], laws[second]["lambda_theory"]))
    measured, measured_hull, occ_out = None, None, None
    if not args.no_measure:
        from ..posterior.parallel_tempering import last_crossing, replica_exchange

        ns = np.geomspace(1.0, v.as_float("--ladder-max", args.ladder_max, lo=10.0),
                          v.as_int("--rungs", args.rungs, lo=4))
        occ = replica_exchange(model, ns, key=jax.random.fold_in(key, 7),
                               num_replicas=args.replicas, num_steps=args.steps,
                               num_burnin=args.steps // 3, keep_draws=True)
        measured = occ.crossing(top, second)
        hull = np.asarray(tms.hull_vertex_count(occ.draws.reshape(-1, model.dim), c))
        hull = hull.reshape(occ.draws.shape[:-1])  # (replica, record, rung)
        h_top, h_second = ((hull == k).mean(axis=(0, 1)) for k in (c, c - 1))
        measured_hull = last_crossing(ns, h_top - h_second)
        # RegionOccupancy.as_dict() (without the draws), plus the fractions of states whose
        # hull has c and c − 1 vertices (the paper's classifier) per rung
        occ_out = {**occ.as_dict(), f"hull_{top}": h_top.tolist(),
                   f"hull_{second}": h_second.tolist()}
    setting = {"likelihood": args.likelihood, "sigma": sigma if args.likelihood == "gaussian"
               else None, "likelihood_scale": scale, "loss": "population (closed form)",
               "prior": "N(0, I)", "sampler": "replica exchange over n (MALA + swaps)",
               "classifier": "classify_phase (live columns of norm > 0.5 on the hull, none "
                             "inside, no '+' feature)",
               "classifier_hull": "hull_vertex_count (vertices of the hull of all columns)"}
    out = {"c": c, "noise": model.noise, "setting": setting, "kgons": rows,
           "transition": f"{second} -> {top}", "critical_n_predicted": predicted,
           "critical_n_measured": measured, "critical_n_measured_hull": measured_hull,
           "posterior_occupancy": occ_out,
           "seconds": time.perf_counter() - t0}
    lines = [f"toy model of superposition, c = {c}, r = 2 (loss: {model.noise}; posterior "
             f"φ exp(−n·{scale:g}·L))",
             f"{'phase':>6} {'norm':>8} {'bias':>9} {'loss':>9} {'λ theory':>9} {'λ̂':>12}"]
    for r in rows:
        lam = "—" if r["lambda_theory"] is None else f"{r['lambda_theory']:g}"
        hat = "" if r["lambda_hat"] is None else f"{r['lambda_hat']:.2f} ± {r['lambda_hat_se']:.2f}"
        lines.append(f"{r['phase']:>6} {r['norm']:8.4f} {r['bias']:9.4f} {r['loss']:9.5f} "
                     f"{lam:>9} {hat:>12}")
    pred = "none" if predicted is None else f"{predicted:,.0f}"
    meas = "not measured" if measured is None else f"{measured:,.0f}"
    if measured_hull is not None:
        meas += f" (hull vertex count: {measured_hull:,.0f})"
    lines.append(f"{second} → {top}: predicted critical n (n s ΔL = Δλ log n, no constants) = "
                 f"{pred}; measured (replica exchange, population loss) = {meas}")
    emit(out, args.json, "\n".join(lines))
    return 0


def _estimate_llcs(model, rows, c, key, n, draws) -> None:
    """SGLD λ̂ on the closed-form loss for rows with a known λ; dead features held fixed."""
    import jax
    import numpy as np

    from ..measure.llc import estimate_llc
    from ..models import superposition as tms

    def pop(w, batch):
        return model.population_loss(w)

    for r in rows:
        if r["lambda_theory"] is None:
            continue
        k, p = r["k"], r["plus"]
        w = tms.kgon_plus(c, k, p) if p else tms.kgon(c, k)
        mask = np.ones(model.dim)
        for i in range(k + p, c):  # dead features: exactly flat near w, λ contribution 0
            mask[[i, c + i, 2 * c + i]] = 0.0
        est = estimate_llc(pop, w, key=jax.random.fold_in(key, 100 * k + p), n=int(n),
                           step_size=1e-5 * 1e5 / n, num_chains=8, num_draws=draws,
                           num_burnin=draws // 4, param_mask=mask if mask.min() == 0 else None)
        r["lambda_hat"], r["lambda_hat_se"] = est.llc_mean, est.llc_std
