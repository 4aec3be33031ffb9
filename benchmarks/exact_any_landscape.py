"""Accuracy of the exact engine on landscapes whose zero set is not axis-parallel.

For each potential (uniform prior on [−1, 1]^d) and n, prints the method the engine chose,
|F_n − reference| and the engine's own error estimate err_log_z. References are the 1-D
integrals of tests/test_exact_any_landscape.py (scipy quad with break points).

    python benchmarks/exact_any_landscape.py [--ns 1e2,1e4,1e6,1e8]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import _repo  # noqa: F401  (this checkout first on sys.path)
import numpy as np

import slt_sim  # noqa: F401  (float64)
from slt_sim import models
from slt_sim.posterior import exact_posterior

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import test_exact_any_landscape as ref  # noqa: E402

C, S = math.cos(0.3), math.sin(0.3)
CASES = [
    (f"({C:.17g}*a + {S:.17g}*b)^2", "(a cos 0.3 + b sin 0.3)²",
     lambda n: ref.ref_slanted_line(n, 0.3)),
    ("(a+b)^2*(a-b)^2", "(a+b)²(a−b)²", ref.ref_two_lines),
    ("(a^2+b^2-1)^2", "(a²+b²−1)²", ref.ref_circle),
    ("(a-0.3)^2 + (b+0.55)^2", "(a−0.3)²+(b+0.55)²",
     lambda n: ref.ref_off_axis_minimum(n, 0.3, -0.55)),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ns", default="1e2,1e4,1e6,1e8")
    args = ap.parse_args()
    ns = np.array([float(x) for x in args.ns.split(",")])
    print("| potential | n | method | grid-only error | adaptive: abs(F_n − ref) "
          "| error estimate | cells | s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for pot, label, fn in CASES:
        model = models.polynomial(pot)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            grid_only = exact_posterior(model, ns, method="grid", keep_density=False)
            t0 = time.perf_counter()
            post = exact_posterior(model, ns, keep_density=False, marginals_2d=False)
            dt = time.perf_counter() - t0
        for i, n in enumerate(ns):
            r = fn(n)
            print(f"| {label} | {n:.0e} | {post.method} | {abs(grid_only.free_energy[i] - r):.2g} "
                  f"| {abs(post.free_energy[i] - r):.2g} | {post.err_log_z[i]:.2g} "
                  f"| {post.settings['cells_evaluated']:,} | {dt:.1f} |")


if __name__ == "__main__":
    main()
