"""Rare-event volume estimation (subset simulation) against brute-force Monte Carlo at ε = 1e−6.

Model: the 3-D normal crossing K = a²b²c² with prior ∝ |a|²|b|²|c|² on [−1, 1]³ (λ = 3/2, m = 3).
With U = |w|³ ~ U(0, 1) per coordinate, V(ε) = P(U₁U₂U₃ < t), t = ε^{3/2}, which is exactly
t (1 + L + L²/2), L = log(1/t): V(1e−6) = 2.36e−7.

* Splitting: ``R`` independent runs (vmapped, one compiled program) of ``volume_curve(...,
  method="splitting", eps=[1e−6])``; each run is one estimate. Its relative RMS error r against
  the exact value (bias included) and its cost (evaluations of K, seconds) are measured.
* Brute force: prior draws counted in jitted chunks; its throughput (draws/s) is measured on
  ``--brute`` draws, and its relative error at that size is printed next to the binomial
  formula √((1 − V)/(V M)). The draws it needs for the same relative error r are
  M* = (1 − V)/(V r²) — exact for Bernoulli sampling — and their time M*/throughput.

Printed: both costs at equal accuracy and their ratio (all measured in this run, after a warm-up
call of each method).

    python benchmarks/volume_rare_event.py [--runs 32] [--particles 2000] [--brute 5e7]
"""

from __future__ import annotations

import argparse
import math
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import jax.numpy as jnp
import numpy as np

import slt_sim  # noqa: F401  (float64)
from slt_sim import models
from slt_sim.measure import volume_curve
from slt_sim.measure.volume import _restricted_loss

EPS = 1e-6


def exact_volume(eps: float) -> float:
    t = eps ** 1.5
    big_l = math.log(1.0 / t)
    return t * (1.0 + big_l + 0.5 * big_l ** 2)


def brute_force(model, eps: float, draws: int, chunk: int, key) -> tuple[int, int, float]:
    kfun = _restricted_loss(model, None, 0.0)

    @jax.jit
    def count(k):
        return jnp.sum(kfun(model.sample_prior(k, (chunk,))) < eps)

    jax.block_until_ready(count(jax.random.key(12345)))            # warm-up (compile)
    n_chunks = max(1, int(round(draws / chunk)))
    keys = jax.random.split(key, n_chunks)
    t0 = time.perf_counter()
    hits = sum(int(count(k)) for k in keys)
    return hits, n_chunks * chunk, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--particles", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--brute", type=float, default=5e7, help="brute-force draws measured")
    parser.add_argument("--chunk", type=int, default=2 ** 22)
    args = parser.parse_args()

    model = models.normal_crossing((1, 1, 1), (2, 2, 2))
    exact = exact_volume(EPS)
    kw = dict(method="splitting", eps=[EPS], n_particles=args.particles, n_runs=args.runs,
              n_steps=args.steps, volume_floor=exact / 10)
    volume_curve(model, key=jax.random.key(0), **kw)                  # warm-up (compile)
    t0 = time.perf_counter()
    curve = volume_curve(model, key=jax.random.key(1), **kw)
    split_seconds = (time.perf_counter() - t0) / args.runs
    per_run = curve.runs[:, 0]
    rel = per_run / exact - 1.0
    r_split = float(np.sqrt(np.mean(rel ** 2)))
    split_evals = curve.evaluations / args.runs

    hits, draws, bf_seconds = brute_force(model, EPS, int(args.brute), args.chunk,
                                          jax.random.key(2))
    throughput = draws / bf_seconds
    v_bf = hits / draws
    needed = (1.0 - exact) / (exact * r_split ** 2)

    print(f"model {model.name}, ε = {EPS:g}, exact V = {exact:.6e}  (λ = 3/2, m = 3)")
    print(f"device: {jax.devices()[0].device_kind}")
    print(f"splitting, one run ({args.particles} particles, p0 = 0.2, {args.steps} moves per "
          f"level, {curve.settings['n_levels']} levels): mean V = {per_run.mean():.4e}, "
          f"bias {per_run.mean() / exact - 1:+.3f}, relative RMS error r = {r_split:.3f} "
          f"over {args.runs} runs")
    print(f"  cost per run: {split_evals:.3e} evaluations of K, {split_seconds:.3f} s")
    print(f"brute force: {draws:.3e} draws, {hits} hits, V = {v_bf:.3e} "
          f"(relative error {v_bf / exact - 1:+.3f}; binomial √((1−V)/(VM)) = "
          f"{math.sqrt((1 - exact) / (exact * draws)):.3f}), {throughput:.3e} draws/s")
    print(f"  draws needed for r = {r_split:.3f}: M* = (1 − V)/(V r²) = {needed:.3e}, "
          f"{needed / throughput:.1f} s")
    print(f"ratio at equal accuracy (brute force / splitting): "
          f"{needed / split_evals:.0f}× in evaluations, "
          f"{needed / throughput / split_seconds:.0f}× in seconds")


if __name__ == "__main__":
    main()
