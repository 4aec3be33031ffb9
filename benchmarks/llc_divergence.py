"""Divergences of a recommended LLC setting, counted over many chains (docs/llc.md).

A setting is only a recommendation if it does not lose chains: this runs 64 SGNHT chains per
(potential, ε, γ) at n = 10⁴ (10,000 burn-in + 100,000 draws) and prints λ̂, the exact localised
target (grid quadrature) and how many chains diverged.

    python benchmarks/llc_divergence.py [--chains 64]
"""

from __future__ import annotations

import argparse
import math
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import jax.numpy as jnp

import slt_sim as slt
from slt_sim.measure import exact_localized_llc

SETTINGS = ((3e-5, 0.1), (2e-5, 0.1), (1e-5, 0.1), (3e-5, 0.3), (1e-5, 0.3), (3e-5, 1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=64)
    args = parser.parse_args()
    n = 10_000
    nbeta = n / math.log(n)
    for model in (slt.models.normal_crossing((1, 2)), slt.models.normal_crossing((1, 1)),
                  slt.models.polynomial("a^2+b^4")):
        for eps, gam in SETTINGS:
            t0 = time.perf_counter()
            r = slt.estimate_llc(model, jnp.zeros(2), key=jax.random.key(0), n=n,
                                 sampler="sgnht", step_size=eps, localization=gam,
                                 num_chains=args.chains, num_draws=100_000, num_burnin=10_000)
            exact = exact_localized_llc(model, jnp.zeros(2), nbeta, gam)
            print(f"{model.name:40s} ε = {eps:.0e} γ = {gam:<4g} λ̂ = {r.llc_mean:.4f} ± "
                  f"{r.llc_std:.4f}  exact {exact:.4f}  diverged "
                  f"{r.diagnostics['diverged_chains']}/{args.chains}  "
                  f"[{time.perf_counter() - t0:.1f} s]", flush=True)


if __name__ == "__main__":
    main()
