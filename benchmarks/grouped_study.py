"""Grouped, SVD-grouped and group-DRO losses on multitask sparse parity: do capabilities arrive
more gradually?

    python benchmarks/grouped_study.py [--out docs/figures] [--seeds 5] [--steps 6000] [--quick]

Same task, data, initialisations and budget for every objective (Adam, lr 3e-3, batch 128,
40,000 training samples; seeds are a vmapped batch axis): T = 5 parity tasks (k = 3 of n = 16
bits, Zipf frequencies with α = 0.4), MLP with 64 hidden units. Per objective it prints, over the
seeds, each task's learning step (first checkpoint with task loss ≤ 0.1) and transition width
(steps from task loss 0.6 to 0.1), the spread of learning steps across tasks (max − min, per
seed), and the learning step / width of the aggregate curve Σ_t P(t) ℓ_t; writes the figures
grouped_tasks.png and grouped_times.png and the numbers grouped_study.json to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import numpy as np

from slt_sim import models
from slt_sim.dynamics import detect_transitions, learning_times, train_capabilities
from slt_sim.viz import plot_learning_times, plot_task_curves

OBJECTIVES = {"mean": "mean", "grouped": "grouped", "clustered": "clustered", "svd": "svd",
              "svd |α̂|": "svd_abs", "group DRO": "dro"}


def fmt(x):
    return "—" if not np.isfinite(x) else f"{x:,.0f}"


def med(c):
    return fmt(np.nanmedian(c)) if np.isfinite(c).any() else "—"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/figures")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--quick", action="store_true", help="2 seeds, 600 steps (smoke)")
    args = ap.parse_args()
    S, T = (2, 600) if args.quick else (args.seeds, args.steps)
    model = models.multitask_sparse_parity(num_tasks=5, n_bits=16, k=3, alpha=0.4, hidden=64)
    print(model, "\ntask frequencies", np.round(model.extra["task_probs"], 3))
    results, summary = {}, {}
    for label, name in OBJECTIVES.items():
        t0 = time.perf_counter()
        r = train_capabilities(model, name, key=jax.random.key(0), num_steps=T, num_seeds=S,
                               checkpoints=81)
        results[label] = r
        ls, ws = r.times.learning_step, r.times.width
        agg = r.aggregate_times
        drops = [len(rep.transitions) for rep in
                 detect_transitions(r.loss, r.steps, direction="down")]
        summary[label] = {
            **r.as_dict(),
            "median_learning_step_per_task": [float(np.nanmedian(c)) if np.isfinite(c).any()
                                              else None for c in ls.T],
            "median_width_per_task": [float(np.nanmedian(c)) if np.isfinite(c).any() else None
                                      for c in ws.T],
            "aggregate_drops_detected": drops,
            "final_aggregate_loss": r.loss[:, -1].tolist(),
            "final_task_accuracy": r.group_accuracy[:, -1].tolist()}
        print(f"\n== {label} ({time.perf_counter() - t0:.0f} s, {S} seeds × {T} steps; "
              f"diverged {int(r.diverged.sum())})")
        print("task                 " + "".join(f"{g + 1:>9}" for g in range(r.num_groups)))
        print("learned (of seeds)   " + "".join(f"{int(np.isfinite(c).sum()):>9}" for c in ls.T))
        print("median learning step " + "".join(f"{med(c):>9}" for c in ls.T))
        print("median width         " + "".join(f"{med(c):>9}" for c in ws.T))
        print("final accuracy       "
              + "".join(f"{a:>9.3f}" for a in r.group_accuracy[:, -1].mean(0)))
        print(f"spread of learning steps across tasks (max − min, per seed): "
              f"{[fmt(x) for x in r.times.spread()]}")
        print(f"aggregate curve: learning step {[fmt(x) for x in agg.learning_step]}, "
              f"width {[fmt(x) for x in agg.width]}, drops detected {drops}, "
              f"final loss {np.round(r.loss[:, -1], 3).tolist()}")
        for hi, lo in ((0.4, 0.1), (0.3, 0.05)):  # the lower part of the aggregate fall
            w = learning_times(r.loss, r.steps, threshold=lo, start_level=hi).width
            summary[label][f"aggregate_width_{hi}_{lo}"] = w.tolist()
            print(f"aggregate width from {hi} to {lo}: {[fmt(x) for x in w]} "
                  f"(median {med(w)})")
    os.makedirs(args.out, exist_ok=True)
    fig = plot_task_curves(results)
    fig.savefig(os.path.join(args.out, "grouped_tasks.png"), dpi=110)
    fig = plot_learning_times(results)
    fig.savefig(os.path.join(args.out, "grouped_times.png"), dpi=110)
    with open(os.path.join(args.out, "grouped_study.json"), "w") as fh:
        json.dump(summary, fh, indent=1, default=lambda o: None)
    print(f"\nwrote {args.out}/grouped_tasks.png, grouped_times.png, grouped_study.json")


if __name__ == "__main__":
    main()
