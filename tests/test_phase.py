"""Bayesian phase changes: the 1-D toy jumps between n = 10,000 and 11,000; the free-energy
formula predicts the 2-D crossing."""

import numpy as np
import pytest

from slt_sim import models, theory
from slt_sim.posterior import exact_posterior, phase_sweep


def test_one_dimensional_toy_jumps_between_10000_and_11000():
    model = models.two_basins_1d()
    post = exact_posterior(model, [10_000, 11_000])
    masses = post.region_masses
    print("mass wide/narrow at 10k:", masses["wide"][0], masses["narrow"][0],
          "at 11k:", masses["wide"][1], masses["narrow"][1])
    assert masses["wide"][0] > 0.9
    assert masses["narrow"][1] > 0.9
    sweep = phase_sweep(model, np.logspace(3, 5, 41))
    print("exact critical n:", sweep.critical_n_exact)
    assert sweep.pair == ("wide", "narrow")
    assert 10_000 < sweep.critical_n_exact < 11_000
    # at the exact critical n the two masses are equal
    at = exact_posterior(model, [sweep.critical_n_exact]).region_masses
    assert at["wide"][0] == pytest.approx(0.5, abs=1e-6)


def test_two_dimensional_crossing_predicted_by_free_energy_formula():
    model = models.two_basins_2d()
    sweep = phase_sweep(model, np.logspace(1, 6, 26))
    exact, pred, pred0 = (sweep.critical_n_exact, sweep.critical_n_predicted,
                          sweep.critical_n_predicted_no_const)
    print(f"2-D critical n: exact {exact:.1f}, predicted with constants fitted on "
          f"n in [{sweep.fit_ns.min():.1f}, {sweep.fit_ns.max():.1f}] {pred:.1f} "
          f"({100 * (pred / exact - 1):+.1f}%), without constants {pred0:.1f} "
          f"({100 * (pred0 / exact - 1):+.1f}%)")
    assert sweep.pair == ("singular", "regular")   # simpler-but-worse first, better later
    assert sweep.fit_ns.max() <= exact / 10 * (1 + 1e-12)
    assert abs(pred / exact - 1) < 0.25


def test_region_free_energies_follow_their_learning_coefficients():
    # slope of F_n(W_α) − nL_α in log n between n = 1e4 and 1e7: λ_α (m_α = 1 region)
    model = models.two_basins_2d()
    ns = np.array([1e5, 1e7])
    post = exact_posterior(model, ns)
    f = post.region_free_energy("regular") - ns * 0.0
    slope = (f[1] - f[0]) / np.log(ns[1] / ns[0])
    assert slope == pytest.approx(1.0, rel=1e-3)


def test_phase_sweep_rejects_models_without_regions():
    with pytest.raises(ValueError, match="at least two regions"):
        phase_sweep(models.quadratic(2))
    with pytest.raises(ValueError, match="ns must all be > 0"):
        phase_sweep(models.two_basins_1d(), [0, 10])


def test_critical_n_without_constants_is_never_for_equal_lambdas():
    # both 1-D basins are regular: the crossing is set entirely by O(1) constants
    m = models.two_basins_1d()
    assert theory.critical_n(m.regions[0], m.regions[1]) is None
