"""Benchmark: the batched tempered NUTS driver against NumPyro's MCMC run once per temperature.

Workload: the multi-temperature estimator's five temperatures on normal_crossing((1, 1)) at
n = 1e4, 4 chains per temperature, 300 warmup + 500 draws. Baseline: ``numpyro.infer.MCMC`` with
vectorised chains, run once per temperature (the obvious way; ``jit_model_args=True`` so it
compiles once). Candidate: :func:`slt_sim.posterior.tempered_nuts.tempered_draws`, all temperatures
in one program. Both are timed cold (first call, compilation included) and warm (second call).

Second part: the energy n L_n(w) of reduced-rank regression (3, 3, 2, 1) at n = 1e4 and its
gradient, by the per-sample sum against the sufficient statistics (same numbers to 1e−9).

Run:  python benchmarks/mcmc_tempered.py
"""

from __future__ import annotations

import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.infer import MCMC, NUTS

import slt_sim  # noqa: F401  (float64)
from slt_sim import models
from slt_sim.measure import default_betas
from slt_sim.posterior import tempered_draws
from slt_sim.posterior.energy import _linear_gaussian, _plain

N = 1e4
CHAINS, WARMUP, SAMPLES = 4, 300, 500


def baseline(model, betas, key):
    def nmodel(beta, n):
        w = numpyro.sample("w", model.prior)
        numpyro.factor("t", -beta * n * model.potential(w))
    mcmc = MCMC(NUTS(nmodel, max_tree_depth=8), num_warmup=WARMUP, num_samples=SAMPLES,
                num_chains=CHAINS, chain_method="vectorized", progress_bar=False,
                jit_model_args=True)
    out = []
    for k, b in zip(jax.random.split(key, len(betas)), betas):
        mcmc.run(k, jnp.asarray(b), jnp.asarray(N))
        out.append(float(mcmc.get_samples()["w"].shape[0]))
    return out


def timed(fn, *args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> None:
    model = models.normal_crossing((1, 1))
    betas = default_betas(N)

    def candidate(key):
        tempered_draws(model, key=key, n=N, betas=betas, num_chains=CHAINS, num_warmup=WARMUP,
                       num_samples=SAMPLES)

    b_cold = timed(baseline, model, betas, jax.random.key(0))
    b_warm = timed(baseline, model, betas, jax.random.key(1))
    c_cold = timed(candidate, jax.random.key(0))
    c_warm = timed(candidate, jax.random.key(1))
    print(f"5 temperatures x {CHAINS} chains x ({WARMUP}+{SAMPLES}) NUTS, normal_crossing, "
          f"n = {N:g}")
    print(f"  NumPyro MCMC per temperature : cold {b_cold:6.1f} s   warm {b_warm:6.1f} s")
    print(f"  tempered_draws (one program) : cold {c_cold:6.1f} s   warm {c_warm:6.1f} s")
    print(f"  speed-up                     : cold {b_cold / c_cold:5.1f}x   "
          f"warm {b_warm / c_warm:5.1f}x")

    rrr = models.reduced_rank_regression(3, 3, 2, 1)
    data = rrr.sample_data(jax.random.key(2), int(N))
    ws = rrr.sample_prior(jax.random.key(3), (64,))
    for name, fn in (("per-sample sum", _plain(rrr)), ("sufficient stats", _linear_gaussian(rrr))):
        st = fn.prepare(data, N)
        g = jax.jit(jax.vmap(jax.value_and_grad(lambda w, f=fn, s=st: f.energy(w, s))))
        e0, _ = g(ws)
        jax.block_until_ready(e0)
        t0 = time.perf_counter()
        for _ in range(20):
            e, gr = g(ws)
        jax.block_until_ready(gr)
        dt = (time.perf_counter() - t0) / 20
        print(f"  RRR(3,3,2,1) n = 1e4, 64 points, energy+grad by {name:17s}: "
              f"{1e3 * dt:7.3f} ms   (energy[0] = {float(e[0]):.6f})")
        if name == "per-sample sum":
            ref, t_ref = np.asarray(e), dt
        else:
            print(f"  speed-up {t_ref / dt:.0f}x, max relative difference "
                  f"{np.max(np.abs(np.asarray(e) - ref) / np.abs(ref)):.1e}")


if __name__ == "__main__":
    main()
