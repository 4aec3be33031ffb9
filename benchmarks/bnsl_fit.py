"""Benchmark: the BNSL coarse grid as one chunked JAX computation against scipy.optimize.brute.

    python benchmarks/bnsl_fit.py [--workers 1]

The authors fit broken neural scaling laws by ``scipy.optimize.brute`` over a grid of all
constants, then local least squares. Both contenders here search the same grid
(``slt_sim.measure.scaling.default_grid`` for one break on the first 14 points of the published
4-digit-addition curve, 5 × 13 × 4 × 8 × 8 × 4 = 66,560 points) for the same objective,
mean (log(ŷ + 1) − log(y + 1))². brute walks the grid point by point in Python (over grid
indices, so the grid is identical; ``finish=None``). Both must return the same best point; the
refined fits from it must agree too. Compilation is excluded (one warm-up call); the JAX
side is the best of 3 calls, brute runs once.
"""

from __future__ import annotations

import argparse
import functools
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import numpy as np
from scipy import optimize

import slt_sim as slt
from slt_sim.measure import default_grid
from slt_sim.measure._scaling_grid import grid_search
from slt_sim.measure.scaling import _grid_axes


def _objective(idx, axes, x, log1p_y):
    """The authors' one-break objective at grid index ``idx`` (module level: picklable)."""
    a, b, c0, c1, d1, f1 = (ax[int(round(i))] for ax, i in zip(axes, idx))
    with np.errstate(all="ignore"):
        y_hat = a + b * x ** (-c0) * (1 + (x / d1) ** (1 / f1)) ** (-c1 * f1)
        if not np.all(y_hat > -1):
            return np.inf
        return float(np.mean((np.log1p(y_hat) - log1p_y) ** 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1, help="scipy.optimize.brute workers")
    args = ap.parse_args()
    data = slt.load_scaling_curve("four_digit_addition")
    x, y = data.x[:14], data.y[:14]
    axes, names = _grid_axes(default_grid(x, y, 1), 1)
    total = int(np.prod([len(a) for a in axes]))
    print(f"grid: {' × '.join(str(len(a)) for a in axes)} = {total:,} points ({', '.join(names)})"
          f", 14 data points")

    grid_search(axes, x, y, 1, chunk_size=4096, top=4)                      # compile
    t_jax = float("inf")
    for _ in range(3):                                                      # best of 3
        t0 = time.perf_counter()
        losses, _, per_axis = grid_search(axes, x, y, 1, chunk_size=4096, top=4)
        t_jax = min(t_jax, time.perf_counter() - t0)

    log1p_y = np.log1p(y)
    objective = functools.partial(_objective, axes=tuple(axes), x=x, log1p_y=log1p_y)

    ranges = tuple(slice(0, len(a), 1) for a in axes)
    t0 = time.perf_counter()
    best = optimize.brute(objective, ranges, finish=None, workers=args.workers)
    t_brute = time.perf_counter() - t0
    best = np.round(best).astype(int)

    same = np.array_equal(best, per_axis[0])
    print(f"vectorised JAX grid : {t_jax:.3f} s ({total / t_jax:,.0f} points/s), best index "
          f"{per_axis[0].tolist()}, loss {losses[0]:.6g}")
    print(f"scipy.optimize.brute: {t_brute:.3f} s ({total / t_brute:,.0f} points/s), best index "
          f"{best.tolist()}, loss {objective(best):.6g} (workers={args.workers})")
    print(f"same best grid point: {same}")
    fit = slt.fit_bnsl(x, y, 1, x_test=data.x[14:], y_test=data.y[14:])
    print(f"refined fit from it: d1 = {fit.params.d[0]:.4f}, extrapolation RMSLE "
          f"{fit.extrapolation_rmsle:.4f}")
    print(f"speed-up of the grid search: {t_brute / t_jax:.0f}×")


if __name__ == "__main__":
    main()
