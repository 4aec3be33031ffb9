"""replica_exchange (parallel tempering over n) against the exact posterior on two_basins_2d."""

import jax
import numpy as np

import slt_sim as slt
from slt_sim.posterior import replica_exchange


def test_replica_exchange_region_occupancy_matches_exact_posterior():
    m = slt.models.two_basins_2d()
    ns = np.geomspace(1, 3e4, 20)
    occ = replica_exchange(m, ns, key=jax.random.key(0), num_replicas=4, num_steps=16000,
                           num_burnin=3000)
    exact = slt.exact_posterior(m, ns).region_masses["regular"]
    got, se = occ.occupancy["regular"], occ.occupancy_se["regular"]
    for n, g, s, e in zip(ns, got, se, exact):
        print(f"n = {n:9.1f}: replica exchange {g:.3f} ± {s:.3f}, exact {e:.3f}")
    print("swap acceptance", np.round(occ.swap_acceptance, 2))
    assert np.all(np.abs(got - exact) < np.maximum(4 * se, 0.06))
    assert np.all(se < 0.12)  # the replicas agree: the ladder mixes
    assert occ.occupancy["none"].max() == 0.0  # the two regions cover the plane
    cross = occ.crossing("regular", "singular")
    print(f"measured switch n ≈ {cross:.0f} (exact-posterior prediction 3,047)")
    assert 2000 < cross < 4500
