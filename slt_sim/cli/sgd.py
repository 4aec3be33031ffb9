"""``slt-sim sgd``: many SGD runs on a catalogue model; where they end vs the exact posterior."""

from __future__ import annotations

import time

from ._common import MODEL_NAMES, add_model_options, emit, model_from_args


def register(sub) -> None:
    p = sub.add_parser("sgd", help="SGD from many seeds: end-region fractions (and the exact "
                                   "posterior's region masses at n where it exists)")
    add_model_options(p, choices=(*MODEL_NAMES, "tms"))
    p.add_argument("--c", type=int, default=6, help="tms: number of features")
    p.add_argument("--n", type=float, default=1000.0,
                   help="data count n (data models: data per seed; potentials: the n of the "
                        "posterior masses shown beside SGD)")
    p.add_argument("--seeds", type=int, default=256, help="number of SGD runs S")
    p.add_argument("--steps", type=int, default=2000, help="optimizer steps T")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate η")
    p.add_argument("--optimizer", choices=("sgd", "momentum", "adam"), default="sgd")
    p.add_argument("--batch-size", type=int, default=None,
                   help="minibatch size (data models; default: full batch)")
    p.add_argument("--gradient-noise", type=float, default=0.0,
                   help="σ of Gaussian noise added to every gradient coordinate")
    p.add_argument("--init-scale", type=float, default=None,
                   help="start at 0 plus N(0, scale²) jitter instead of prior draws")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def run(args) -> int:
    import jax
    import jax.numpy as jnp

    from .. import _validate as v
    from .. import models
    from ..dynamics import train_sgd

    t0 = time.perf_counter()
    model = models.toy_superposition(args.c) if args.model == "tms" else model_from_args(args)
    n = v.as_float("--n", args.n, lo=0.0, lo_open=True)
    key = jax.random.key(v.as_int("--seed", args.seed, lo=0))
    init, jitter = "prior", 0.0
    if args.init_scale is not None:
        init = jnp.zeros(model.dim)
        jitter = v.as_float("--init-scale", args.init_scale, lo=0.0)
    kwargs = {"key": key, "lr": args.lr, "num_seeds": args.seeds, "num_steps": args.steps,
              "init": init, "init_noise": jitter, "gradient_noise": args.gradient_noise,
              "checkpoints": 2}
    if model.is_potential:
        if args.batch_size is not None:
            raise ValueError(f"--batch-size needs data; {model.name} is a potential (use "
                             "--gradient-noise)")
        res = train_sgd(model, args.optimizer, **kwargs)
    else:
        if n != int(n):
            raise ValueError(f"--n must be a whole number for the data model {model.name}, "
                             f"got {args.n}")
        res = train_sgd(model, args.optimizer, n=int(n), data_per_seed=True,
                        batch_size=args.batch_size, **kwargs)
    masses = None
    if model.dim <= 3:
        from ..posterior.exact import exact_posterior

        post = exact_posterior(model, [n], key=jax.random.fold_in(key, 1))
        masses = {k: float(x[0]) for k, x in post.region_masses.items()}
    fractions = res.final_region_fractions()
    # SGDResult.as_dict() (settings, per-seed divergence, final_region_fractions, ...), plus
    # the command's model, n of the posterior beside it, its masses and the total wall time
    out = {**res.as_dict(), "model": model.name, "n": n, "posterior_region_masses": masses,
           "seconds": time.perf_counter() - t0}
    shown = {k: x for k, x in fractions.items() if x > 0 or k in (masses or {})}
    lines = [(f"{model.name}: {res.num_seeds} runs of {args.optimizer} (η = {args.lr:g}, "
              f"{args.steps} steps), {res.num_diverged} diverged, {out['seconds']:.1f} s"),
             f"{'region':>12} {'SGD ends':>9} {'posterior':>10}"]
    for k, x in shown.items():
        post = "" if masses is None or k not in masses else f"{masses[k]:.3f}"
        lines.append(f"{k:>12} {x:9.3f} {post:>10}")
    if masses is not None:
        lines.append(f"(posterior at n = {n:g}, β = 1, exact quadrature)")
    emit(out, args.json, "\n".join(lines))
    return 0
