"""LLC sampler throughput against the number of chains (CPU or GPU), DLN 4-3-4 rank 1.

Same problem as benchmarks/llc_vs_devinterp.py (n = 10,000, batch 500, ε = 1e-4, γ = 1,
nβ = n / log n, 500 burn-in + 2,000 draws per chain). For each chain count it prints the warm
sampling time, draws per second (sampler steps summed over chains) and λ̂ ± s.e. against λ = 6,
with per-chain minibatch orders and with one order shared by all chains.

    python benchmarks/llc_chains_scaling.py --chains 4,100,1000
"""

from __future__ import annotations

import argparse
import json
import math
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax

import slt_sim as slt
from slt_sim.measure import estimate_llc


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chains", default="4,100,1000")
    p.add_argument("--draws", type=int, default=2000)
    p.add_argument("--burnin", type=int, default=500)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    model = slt.models.deep_linear_network((4, 3, 4), 1)
    data = model.sample_data(jax.random.key(1000), args.n)
    nbeta = args.n / math.log(args.n)
    rows = []
    for c in (int(x) for x in args.chains.split(",")):
        for shared in (False, True):
            kw = {"key": jax.random.key(0), "data": data, "num_chains": c,
                  "num_draws": args.draws, "num_burnin": args.burnin, "step_size": 1e-4,
                  "localization": 1.0, "nbeta": nbeta, "batch_size": args.batch_size,
                  "shared_batches": shared}
            t0 = time.perf_counter()
            estimate_llc(model, model.true_param, **kw)
            cold = time.perf_counter() - t0
            r = estimate_llc(model, model.true_param, **kw)
            rows.append({"chains": c, "shared_batches": shared, "cold_s": cold,
                         "warm_s": r.seconds, "draws_per_second": r.draws_per_second,
                         "llc_mean": r.llc_mean, "llc_std": r.llc_std,
                         "devices": r.devices, "warnings": len(r.warnings)})
            if not args.json:
                print(f"{jax.devices()[0].device_kind:>22} chains={c:5d} shared={shared!s:5} "
                      f"warm {r.seconds:7.2f} s  {r.draws_per_second:12,.0f} draws/s  "
                      f"cold {cold:6.2f} s  λ̂ = {r.llc_mean:.3f} ± {r.llc_std:.3f}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
