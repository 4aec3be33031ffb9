"""Throughput of the exact grid engine against a straightforward NumPy implementation.

Both compute, for every n of a sweep, the same sums over a tensor-product grid of the tempered
posterior p ∝ φ(w) e^{−nK(w)} of ``two_basins_2d``: log Z_n, the mass of each region and the
posterior mean and covariance. NumPy materialises the grid in chunks and loops over n; slt_sim
runs one jitted, blocked, log-space sweep. Reported: grid points × n values per second, the
ratio (both measured in this run: best of 3 after one warm-up call each), and the largest
difference of the results.

    python benchmarks/exact_engine.py [--points 1500] [--n-values 32] [--grid-3d 464]
"""

from __future__ import annotations

import argparse
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import numpy as np

import slt_sim  # noqa: F401  (float64)
from slt_sim import models
from slt_sim.posterior import exact_posterior, uniform_grid


def numpy_sweep(model, grid, ns, chunk_rows=64):
    """Plain NumPy: for each n, chunked log-sum-exp over the grid (two passes per n)."""
    x, y = grid.nodes
    lq = grid.log_weights[0][0] + grid.log_weights[1][0]
    cr, cs = np.array(model.extra["regular_centre"]), np.array(model.extra["singular_centre"])
    kappa, gap = model.extra["curvature"], model.extra["loss_gap"]
    log_prior = -np.log(np.prod([hi - lo for lo, hi in model.box]))
    out = []
    for n in ns:
        chunks = []
        for start in range(0, len(x), chunk_rows):
            X, Y = np.meshgrid(x[start:start + chunk_rows], y, indexing="ij")
            reg = kappa * ((X - cr[0]) ** 2 + (Y - cr[1]) ** 2)
            sing = gap + ((X - cs[0]) * (Y - cs[1])) ** 2
            a = log_prior + lq - n * np.minimum(reg, sing)
            m = a.max()
            e = np.exp(a - m)
            s = sing < reg
            chunks.append((m, e.sum(), (e * s).sum(), (e * X).sum(), (e * Y).sum(),
                           (e * X * X).sum(), (e * X * Y).sum(), (e * Y * Y).sum()))
        c = np.array(chunks)
        big = c[:, 0].max()
        wts = np.exp(c[:, 0] - big)
        tot = (c[:, 1:] * wts[:, None]).sum(axis=0)
        z = tot[0]
        mean = tot[2:4] / z
        second = np.array([[tot[4], tot[5]], [tot[5], tot[6]]]) / z
        out.append((big + np.log(z), tot[1] / z, mean, second - np.outer(mean, mean)))
    return out


def timed(fn, repeat=3):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1500, help="grid points per axis (2-D)")
    ap.add_argument("--n-values", type=int, default=32, help="length of the n sweep")
    ap.add_argument("--grid-3d", type=int, default=0,
                    help="also time a 3-D grid with this many points per axis (464 → 1e8)")
    ap.add_argument("--numpy-n-values", type=int, default=8,
                    help="NumPy is timed on this many n values and scaled (it is linear in n)")
    args = ap.parse_args()

    model = models.two_basins_2d()
    grid = uniform_grid(model.box, args.points)
    ns = np.logspace(1, 6, args.n_values)
    work = grid.size * len(ns)

    def ours():
        return exact_posterior(model, ns, grid=grid, keep_density=False, marginals_2d=False)

    t_ours = timed(ours)
    ns_np = ns[:args.numpy_n_values]
    t_np = timed(lambda: numpy_sweep(model, grid, ns_np)) * len(ns) / len(ns_np)

    post = ours()
    ref = numpy_sweep(model, grid, ns_np)
    k = len(ns_np)
    lz_np = np.array([r[0] for r in ref])
    diff_lz = np.max(np.abs((post.log_z[:k] + post.log_prior_mass) - lz_np))
    diff_mass = np.max(np.abs(post.region_masses["singular"][:k] - [r[1] for r in ref]))
    import jax
    print(f"device: {jax.devices()[0].device_kind}; grid {grid.shape} = {grid.size:,} points × "
          f"{len(ns)} n values")
    print(f"slt_sim exact engine : {t_ours:8.3f} s  {work / t_ours:12.4g} point·n/s")
    print(f"plain NumPy          : {t_np:8.3f} s  {work / t_np:12.4g} point·n/s "
          f"(timed on {len(ns_np)} n values, scaled)")
    print(f"speed-up             : {t_np / t_ours:8.2f}×")
    print(f"max |Δ log Z| = {diff_lz:.2e}, max |Δ mass| = {diff_mass:.2e}")

    if args.grid_3d:
        m3 = models.normal_crossing((1, 1, 1))
        g3 = uniform_grid(m3.box, args.grid_3d)
        ns3 = np.logspace(1, 6, 8)
        t3 = timed(lambda: exact_posterior(m3, ns3, grid=g3, keep_density=False,
                                           marginals_2d=False), repeat=1)
        print(f"3-D grid {g3.size:,} points × {len(ns3)} n: {t3:.2f} s "
              f"({g3.size * len(ns3) / t3:.4g} point·n/s)")
        ns_long = np.logspace(1, 9, 1000)
        g2 = uniform_grid(model.box, 1000)
        t_long = timed(lambda: exact_posterior(model, ns_long, grid=g2, keep_density=False,
                                               marginals_2d=False), repeat=1)
        print(f"2-D grid {g2.size:,} points × 1000-value n sweep: {t_long:.2f} s "
              f"({g2.size * 1000 / t_long:.4g} point·n/s)")


if __name__ == "__main__":
    main()
