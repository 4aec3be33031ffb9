"""``slt-sim polca``: train the digit-addition MLP, decompose its training with POLCA, score the
clusters against the carry tokens."""

from __future__ import annotations

import time


def register(sub) -> None:
    p = sub.add_parser("polca", help="hidden breakthroughs: POLCA on a small MLP trained on "
                                     "3-digit addition (carry homogeneity, breakthroughs)")
    p.add_argument("--steps", type=int, default=3000, help="training steps")
    p.add_argument("--seed", type=int, default=0, help="random seed (data, init, minibatches)")
    p.add_argument("--hidden", type=int, default=64, help="hidden tanh units")
    p.add_argument("--lr", type=float, default=0.1, help="learning rate (SGD, momentum 0.9)")
    p.add_argument("--n-train", type=int, default=20000, help="training samples")
    p.add_argument("--batch-size", type=int, default=128, help="minibatch size")
    p.add_argument("--checkpoints", type=int, default=101, help="checkpoints along training")
    p.add_argument("--examples", type=int, default=200,
                   help="samples decomposed (each gives 4 token examples)")
    p.add_argument("--basis-samples", type=int, default=512, help="samples of the Hessian")
    p.add_argument("--basis-checkpoints", type=int, default=8, help="basis checkpoints")
    p.add_argument("--vectors", type=int, default=4, help="eigenvectors per basis checkpoint")
    p.add_argument("--flat-fraction", type=float, default=0.05,
                   help="total loss is flat once at most this share of its fall is to come")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import _validate as v
    from ._common import emit

    t0 = time.perf_counter()
    steps = v.as_int("--steps", args.steps, lo=10)
    seed = v.as_int("--seed", args.seed, lo=0)
    hidden = v.as_int("--hidden", args.hidden, lo=1)
    lr = v.as_float("--lr", args.lr, lo=0.0, lo_open=True)
    n_train = v.as_int("--n-train", args.n_train, lo=1)
    batch = v.as_int("--batch-size", args.batch_size, lo=1, hi=n_train)
    checkpoints = v.as_int("--checkpoints", args.checkpoints, lo=12, hi=steps + 1)
    examples = v.as_int("--examples", args.examples, lo=2)
    basis_samples = v.as_int("--basis-samples", args.basis_samples, lo=1)
    basis_cp = v.as_int("--basis-checkpoints", args.basis_checkpoints, lo=1, hi=checkpoints - 2)
    vectors = v.as_int("--vectors", args.vectors, lo=1)
    flat = v.as_float("--flat-fraction", args.flat_fraction, lo=0.0, hi=1.0)

    import warnings

    import jax

    from ..dynamics.polca_decomposition import polca
    from ..dynamics.sgd import train_sgd
    from ..models.addition import digit_addition

    model = digit_addition(3, hidden=(hidden,))
    key = jax.random.key(seed)
    run_ = train_sgd(model, "momentum", key=key, lr=lr, num_steps=steps, num_seeds=1,
                     n=n_train, batch_size=batch, checkpoints=checkpoints)
    if run_.num_diverged:
        raise ValueError(f"--lr {lr:g} diverged: lower it")
    evaluation = model.sample_data(jax.random.fold_in(key, 1), examples)
    basis_data = model.sample_data(jax.random.fold_in(key, 2), basis_samples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # they are reported in the output instead
        res = polca(model, run_.params[0], evaluation, steps=run_.steps, basis_data=basis_data,
                    basis_checkpoints=basis_cp, vectors_per_checkpoint=vectors,
                    labels=model.extra["carries"](evaluation.x), flat_fraction=flat, seed=seed)
    out = res.as_dict()
    out["training"] = {"steps": steps, "lr": lr, "optimizer": "momentum", "hidden": hidden,
                       "n_train": n_train, "batch_size": batch, "seed": seed,
                       "final_loss_per_token": float(run_.loss[0, -1] / 4),
                       "test_accuracy_per_position": model.extra["accuracy"](
                           run_.params[0, -1], evaluation).tolist()}
    out["seconds"] = time.perf_counter() - t0
    sc = res.scores
    lines = [f"{model.name}: {steps} steps of SGD+momentum (η = {lr:g}); POLCA on "
             f"{res.loss.shape[1]} tokens, {res.basis_size} basis vectors capture "
             f"{res.captured_fraction:.1%} of the loss change "
             f"(first order alone {res.captured_fraction_first_order:.1%})",
             f"total loss flat (≤ {flat:.0%} of its fall to come) from step {res.flat_step:g}",
             f"{'method':>12} {'clusters':>8} {'carry hom.':>10} {'recall':>7} {'F1':>6} "
             f"{'hidden':>7}"]
    for m, s in sc.items():
        lines.append(f"{m:>12} {s['num_clusters']:8d} {s['homogeneity']:10.3f} "
                     f"{s['recall']:7.3f} {s['f1']:6.3f} {s['hidden_breakthrough_fraction']:7.3f}")
    lines += [f"warning: {w}" for w in res.warnings]
    lines.append(f"({out['seconds']:.1f} s)")
    emit(out, args.json, "\n".join(lines))
    return 0
