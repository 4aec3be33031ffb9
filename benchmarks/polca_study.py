"""Study: POLCA on an MLP trained on 3-digit addition, scored against the carry tokens.

    python benchmarks/polca_study.py [--seeds 0,1,2] [--steps 3000] [--figure PATH]
        [--positions-figure PATH] [--json PATH]

For each seed: train the digit-addition MLP (one tanh layer, SGD with momentum 0.9, η = 0.1,
minibatches of 128 from 20,000 samples, 101 checkpoints), then run POLCA on 200 held-out samples
(800 output tokens) with a Hessian basis of 8 checkpoints × 4 vectors on 512 other samples.
Print, per method (POLCA, first-order POLCA, raw loss curves): number of clusters, carry
homogeneity (largest share of carry tokens in one cluster), its recall and F1, the fraction of
clusters with a hidden breakthrough, and which output positions the most homogeneous cluster
holds, and the same homogeneity and recall on the hundreds and tens tokens only ("h/t": there a
carry is a skill; a thousands token carries exactly when it reads 1), the latest breakthrough
step and the hidden fraction with a looser flat point (ε = 0.2). The figure (first seed)
is the total loss against the breakthrough clusters.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import numpy as np

from slt_sim.dynamics import flat_step, polca, train_sgd
from slt_sim.models import digit_addition
from slt_sim.viz import plot_polca

POSITIONS = ("thousands", "hundreds", "tens", "units")


def one_seed(seed: int, args) -> tuple[dict, object]:
    model = digit_addition(3, hidden=(args.hidden,))
    key = jax.random.key(seed)
    t0 = time.perf_counter()
    run = train_sgd(model, args.optimizer, key=key, lr=args.lr, num_steps=args.steps, num_seeds=1,
                    n=20000, batch_size=128, checkpoints=args.checkpoints)
    train_s = time.perf_counter() - t0
    ev = model.sample_data(jax.random.fold_in(key, 1), args.examples)
    bd = model.sample_data(jax.random.fold_in(key, 2), 512)
    carries = model.extra["carries"](ev.x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = polca(model, run.params[0], ev, steps=run.steps, basis_data=bd,
                    basis_checkpoints=args.basis_checkpoints, vectors_per_checkpoint=args.vectors,
                    labels=carries, seed=seed)
    acc = model.extra["accuracy"](run.params[0, -1], ev)
    out = {"seed": seed, "train_seconds": train_s, "polca_seconds": res.seconds,
           "accuracy_per_position": acc.tolist(), "basis_size": res.basis_size,
           "captured_fraction": res.captured_fraction,
           "captured_fraction_first_order": res.captured_fraction_first_order,
           "flat_step": res.flat_step, "scores": {}}
    pos = np.tile(np.arange(4), args.examples)
    loose = flat_step(res.total_loss, res.steps, flat_fraction=0.2)
    out["flat_step_20"] = loose
    for method, sc in res.scores.items():
        cs = res.clusters_of(method)
        row = dict(sc)
        times = [c.breakthrough_step for c in cs if np.isfinite(c.breakthrough_step)]
        row["latest_breakthrough_step"] = max(times, default=float("nan"))
        row["hidden_fraction_at_20"] = (float(np.mean([t > loose for t in times] +
                                                      [False] * (len(cs) - len(times))))
                                        if cs else float("nan"))
        if cs:
            best = max(cs, key=lambda c: c.label_fraction)
            row["best_cluster_size"] = best.size
            row["best_cluster_positions"] = {POSITIONS[p]: int(np.sum(pos[best.members] == p))
                                             for p in range(4)}
            # the same score on the hundreds and tens tokens only (their carry is the skill; a
            # thousands token is a carry exactly when it reads 1), clusters with ≥ 20 of them
            inner = (pos == 1) | (pos == 2)
            lab = res.labels
            fr = [(float(np.mean(lab[c.members][inner[c.members]])), c) for c in cs
                  if np.sum(inner[c.members]) >= 20]
            if fr:
                h, c = max(fr, key=lambda t: t[0])
                r = float(np.sum(lab[c.members] & inner[c.members])) / max(
                    int(np.sum(lab & inner)), 1)
                row["inner_homogeneity"], row["inner_recall"] = h, r
                row["inner_f1"] = 2 * h * r / (h + r) if h + r else 0.0
        out["scores"][method] = row
    return out, res


def positions_figure(res, examples: int):
    """Mean token loss per output position and the total, with t_flat."""
    from matplotlib.figure import Figure

    by_position = res.loss.reshape(len(res.steps), examples, 4).mean(axis=1)
    fig = Figure(figsize=(6.4, 3), layout="constrained")
    ax = fig.subplots()
    for j, name in enumerate(POSITIONS):
        ax.plot(res.steps, by_position[:, j], label=name)
    ax.plot(res.steps, res.total_loss, color="k", lw=2.5, label="total (mean of the four)")
    ax.axvline(res.flat_step, color="k", ls=":", lw=1, label="t_flat")
    ax.set_xlabel("step")
    ax.set_ylabel("mean token loss (held-out)")
    ax.legend(fontsize=8)
    return fig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--optimizer", choices=("momentum", "adam", "sgd"), default="momentum")
    ap.add_argument("--checkpoints", type=int, default=101)
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--basis-checkpoints", type=int, default=8)
    ap.add_argument("--vectors", type=int, default=4)
    ap.add_argument("--figure", default=None, help="write the first seed's figure here (PNG)")
    ap.add_argument("--positions-figure", default=None,
                    help="write the first seed's loss per output position here (PNG)")
    ap.add_argument("--json", default=None, help="write all numbers here")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for i, seed in enumerate(seeds):
        out, res = one_seed(seed, args)
        rows.append(out)
        print(f"\nseed {seed}: train {out['train_seconds']:.1f} s, POLCA "
              f"{out['polca_seconds']:.1f} s; accuracy per position (th, h, t, u) "
              f"{np.round(out['accuracy_per_position'], 3).tolist()}")
        loose = out["flat_step_20"]
        print(f"  {out['basis_size']} basis vectors capture {out['captured_fraction']:.1%} of the "
              f"loss change (first order {out['captured_fraction_first_order']:.1%}); total "
              f"loss flat from step {out['flat_step']:g} (ε = 0.2: {loose:g})")
        print(f"  {'method':>12} {'clusters':>8} {'homog.':>7} {'recall':>7} {'F1':>6} "
              f"{'hidden':>7} {'ε=0.2':>6} {'latest':>7} {'h/t hom.':>8} {'h/t rec.':>8}  "
              f"best cluster by position")
        for m, s in out["scores"].items():
            print(f"  {m:>12} {s['num_clusters']:8d} {s['homogeneity']:7.3f} {s['recall']:7.3f} "
                  f"{s['f1']:6.3f} {s['hidden_breakthrough_fraction']:7.3f} "
                  f"{s['hidden_fraction_at_20']:6.3f} {s['latest_breakthrough_step']:7.0f} "
                  f"{s.get('inner_homogeneity', float('nan')):8.3f} "
                  f"{s.get('inner_recall', float('nan')):8.3f}  "
                  f"{s.get('best_cluster_positions')}")
        if i == 0 and args.figure:
            plot_polca(res).savefig(args.figure, dpi=120)
            print(f"  figure: {args.figure}")
        if i == 0 and args.positions_figure:
            positions_figure(res, args.examples).savefig(args.positions_figure, dpi=120)
            print(f"  figure: {args.positions_figure}")
    print("\nmean over seeds:")
    for m in ("polca", "first_order", "raw_loss"):
        keys = ("homogeneity", "recall", "f1", "hidden_breakthrough_fraction",
                "hidden_fraction_at_20", "inner_homogeneity", "inner_recall")
        means = {}
        for k in keys:
            vals = np.asarray([r["scores"][m].get(k, np.nan) for r in rows], dtype=float)
            means[k] = float(np.mean(vals[np.isfinite(vals)])) if np.isfinite(vals).any() \
                else float("nan")
        print(f"  {m:>12} " + " ".join(f"{k} {x:.3f}" for k, x in means.items()))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
