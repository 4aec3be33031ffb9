"""λ from the slope of exact free energies in log n, against closed-form theory."""

import jax
import numpy as np
import pytest

from slt_sim import models
from slt_sim.measure import fit_free_energy_slope, free_energy_lambda
from slt_sim.posterior import graded_grid


@pytest.mark.parametrize("k, h", [((1, 1), (0, 0)), ((1, 2), (0, 0)), ((2, 2), (0, 2)),
                                  ((1, 3), (1, 0))])
def test_free_energy_slope_recovers_normal_crossing_lambda_within_2_percent(k, h):
    model = models.normal_crossing(k, h)
    res = free_energy_lambda(model)           # n = 1e2 .. 1e6
    print(f"{model.name}: λ̂ = {res.lam_hat:.4f} (theory {model.lam_float:.4f}, "
          f"bias {100 * (res.lam_hat / model.lam_float - 1):+.2f}%), m̂ = {res.m_hat} "
          f"(theory {model.m}), window range {res.lam_ci}")
    assert res.lam_hat == pytest.approx(model.lam_float, rel=0.02)
    assert res.m_hat == model.m


def test_free_energy_slope_on_regular_model_is_half_dimension():
    res = free_energy_lambda(models.quadratic(2), np.logspace(2, 6, 5))
    assert res.lam_hat == pytest.approx(1.0, rel=1e-4)
    assert res.m_hat == 1


def test_data_model_slope_averaged_over_seeds_is_near_theory():
    # RRR(1,1,1,0): y = b·a·x + ε, λ = 1/2, m = 2 (Aoyagi & Watanabe 2005). One data set gives a
    # noisy slope (F_n − nL_n(w0) fluctuates by O(1)); the mean over seeds is close.
    model = models.reduced_rank_regression(1, 1, 1, 0)
    ns = np.array([100, 300, 1000, 3000])
    grid = graded_grid(model.box, model.focus, order=6, min_width=1e-3)
    lams = [free_energy_lambda(model, ns, m=2, key=jax.random.key(s), grid=grid).lam_hat
            for s in range(6)]
    print("RRR(1,1,1,0) free-energy slopes per seed:", np.round(lams, 3), "mean", np.mean(lams))
    assert np.mean(lams) == pytest.approx(0.5, abs=0.25)


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        fit_free_energy_slope([10, 100, 1000], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least 3"):
        fit_free_energy_slope([10, 100], [1.0, 2.0])
    with pytest.raises(ValueError, match="> e"):
        fit_free_energy_slope([2, 100, 1000], [1.0, 2.0, 3.0])
