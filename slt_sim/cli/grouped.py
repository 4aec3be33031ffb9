"""``slt-sim grouped``: train multitask sparse parity under one objective, per-task learning
steps and transition widths of several seeds."""

from __future__ import annotations

from ._common import emit

OBJECTIVES = ("mean", "grouped", "clustered", "svd", "dro")


def register(sub) -> None:
    p = sub.add_parser("grouped", help="grouped / SVD-grouped / group-DRO training on multitask "
                                       "sparse parity: when each task is learned, how sharply")
    p.add_argument("--objective", default="mean",
                   help=f"training objective: one of {', '.join(OBJECTIVES)}")
    p.add_argument("--seeds", type=int, default=5, help="seeds (a vmapped batch axis)")
    p.add_argument("--steps", type=int, default=6000, help="Adam steps per seed")
    p.add_argument("--tasks", type=int, default=5, help="number of parity tasks T")
    p.add_argument("--bits", type=int, default=16, help="data bits n")
    p.add_argument("--k", type=int, default=3, help="bits per parity")
    p.add_argument("--alpha", type=float, default=0.4, help="Zipf exponent α, P(t) ∝ t^-(α+1)")
    p.add_argument("--hidden", type=int, default=64, help="hidden width of the MLP")
    p.add_argument("--lr", type=float, default=0.003, help="Adam learning rate")
    p.add_argument("--batch-size", type=int, default=128, help="minibatch size")
    p.add_argument("--n", type=int, default=40_000, help="training samples")
    p.add_argument("--refresh-every", type=int, default=100,
                   help="re-cluster / recompute the SVD every this many steps")
    p.add_argument("--threshold", type=float, default=0.1,
                   help="task loss below which a task counts as learned")
    p.add_argument("--start-level", type=float, default=0.6,
                   help="task loss at which the fall counts as begun (width)")
    p.add_argument("--checkpoints", type=int, default=81, help="checkpoints")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def run(args) -> int:
    import jax

    from .. import _validate as v
    from .. import models
    from ..dynamics import train_capabilities

    if args.objective not in OBJECTIVES:
        raise ValueError(f"--objective must be one of {', '.join(OBJECTIVES)}, "
                         f"got {args.objective!r}")
    S = v.as_int("--seeds", args.seeds, lo=1)
    T = v.as_int("--steps", args.steps, lo=1)
    n = v.as_int("--n", args.n, lo=1)
    B = v.as_int("--batch-size", args.batch_size, lo=1, hi=n)
    lr = v.as_float("--lr", args.lr, lo=0.0, lo_open=True)
    thr = v.as_float("--threshold", args.threshold, lo=0.0, lo_open=True)
    start = v.as_float("--start-level", args.start_level, lo=thr, lo_open=True)
    model = models.multitask_sparse_parity(v.as_int("--tasks", args.tasks, lo=1),
                                           v.as_int("--bits", args.bits, lo=1),
                                           v.as_int("--k", args.k, lo=1),
                                           v.as_float("--alpha", args.alpha, lo=0.0),
                                           v.as_int("--hidden", args.hidden, lo=1))
    res = train_capabilities(
        model, args.objective, key=jax.random.key(v.as_int("--seed", args.seed, lo=0)),
        num_steps=T, num_seeds=S, n=n, batch_size=B, lr=lr,
        checkpoints=v.as_int("--checkpoints", args.checkpoints, lo=2), threshold=thr,
        start_level=start,
        refresh_every=v.as_int("--refresh-every", args.refresh_every, lo=1))
    out = res.as_dict()
    lines = [f"{model.name}, objective {args.objective}: {S} seeds × {T} steps "
             f"({res.seconds:.1f} s); task frequencies "
             + ", ".join(f"{p:.3f}" for p in res.group_weights),
             f"learning step (first checkpoint with task loss ≤ {thr:g}) / width "
             f"(steps from loss ≤ {start:g}); '—' = not learned"]
    times = out["times"]
    for s, (ls, ws) in enumerate(zip(times["learning_step"], times["width"])):
        cells = ["—" if a is None else f"{a:.0f}/{b:.0f}" for a, b in zip(ls, ws)]
        lines.append(f"seed {s}: " + "  ".join(f"{c:>11}" for c in cells))
    emit(out, args.json, "\n".join(lines))
    return 0
