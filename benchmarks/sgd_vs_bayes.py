"""Where SGD goes vs where the posterior goes on two_basins_2d (figures and table).

    python benchmarks/sgd_vs_bayes.py [--out docs/figures]

1,000 SGD runs from the prior for each setting (η = 0.05; η = 0.4; η = 0.05 with gradient noise
σ = 5), 1,000 steps, against the exact posterior region masses over n = 10..1e5; and the
trajectories of 60 runs over the exact posterior at n = 10⁴.
"""

from __future__ import annotations

import argparse
import os

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import numpy as np

import slt_sim as slt
from slt_sim.dynamics import compare, train_sgd
from slt_sim.viz import plot_sgd_vs_bayes, plot_trajectories


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join("docs", "figures"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = slt.models.two_basins_2d()
    ns = np.geomspace(10, 1e5, 9)
    comps = []
    for lr, noise in ((0.05, 0.0), (0.4, 0.0), (0.05, 5.0)):
        c = compare(model, ns, key=jax.random.key(0), lr=lr, gradient_noise=noise,
                    num_seeds=1000, num_steps=1000)
        comps.append(c)
        print(f"\nη = {lr}, gradient noise σ = {noise} ({c.seconds:.1f} s)")
        print(c.table())
    print(f"\npredicted critical n (free-energy laws of the two regions): "
          f"{comps[0].predicted_critical_n:,.0f}")
    plot_sgd_vs_bayes(comps).savefig(os.path.join(args.out, "sgd_vs_bayes_two_basins.png"),
                                     dpi=110)
    post = slt.exact_posterior(model, [1e4])
    run = train_sgd(model, "sgd", lr=0.05, num_steps=300, num_seeds=60, key=jax.random.key(1))
    plot_trajectories(run, posterior=post).savefig(
        os.path.join(args.out, "sgd_trajectories_two_basins.png"), dpi=110)


if __name__ == "__main__":
    main()
