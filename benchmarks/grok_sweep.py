"""A training-fraction sweep (fractions × seeds) as one vectorised run vs a loop of single runs.

    python benchmarks/grok_sweep.py                    # p = 31, 6 fractions × 3 seeds, 1000 steps
    python benchmarks/grok_sweep.py --p 53 --steps 2000

Both sides are timed warm (each compiled program is run once before the clock starts) and use
the same training sets, initialisations and step count; the check at the end confirms they
produced the same curves. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import numpy as np

from slt_sim.dynamics import train_grokking


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--p", type=int, default=31)
    ap.add_argument("--fracs", default="0.2,0.3,0.4,0.5,0.6,0.8")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    fracs = [float(x) for x in a.fracs.split(",")]
    seeds = list(range(a.seeds))
    kw = {"num_steps": a.steps, "lr": 3e-3, "weight_decay": 1.0, "checkpoints": 12}

    t0 = time.perf_counter()
    train_grokking(a.p, fracs, seeds, **kw)                        # compile
    compile_vec = time.perf_counter() - t0
    best_vec = np.inf
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        vec = train_grokking(a.p, fracs, seeds, **kw)
        best_vec = min(best_vec, time.perf_counter() - t0)

    singles = [(f, s) for f in fracs for s in seeds]
    for f, s in singles[::len(seeds)]:                               # compile each size once
        train_grokking(a.p, f, s, **kw)
    best_loop = np.inf
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        loop = [train_grokking(a.p, f, s, **kw) for f, s in singles]
        best_loop = min(best_loop, time.perf_counter() - t0)
    same = max(float(np.max(np.abs(r.test_acc[0] - vec.test_acc[i])))
               for i, r in enumerate(loop))
    print(json.dumps({
        "p": a.p, "runs": len(singles), "steps": a.steps, "device": str(jax.devices()[0]),
        "vectorised_seconds": best_vec, "vectorised_compile_seconds": compile_vec,
        "loop_seconds": best_loop, "speedup": best_loop / best_vec,
        "run_steps_per_second_vectorised": len(singles) * a.steps / best_vec,
        "max_test_acc_difference": same}))


if __name__ == "__main__":
    main()
