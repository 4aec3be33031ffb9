"""Thermodynamic integration F_n = ∫_0^1 E_β[n L_n] dβ against exact quadrature on 2-D models.

Tolerance: 0.05 nats (issue 3). The printed error budget per case: the Monte Carlo standard
error (Simpson weights × each rung's MCSE, plus the prior-piece importance-sampling error) and
the quadrature estimate |Simpson − trapezoid|.
"""

import warnings

import jax
import numpy as np
import pytest

from slt_sim import models
from slt_sim.measure import thermo_lambda, thermodynamic_free_energy
from slt_sim.posterior import ConvergenceWarning, exact_posterior, graded_grid

CASES = [
    ("normal_crossing((1,1))", lambda: models.normal_crossing((1, 1)), (100.0, 1e4)),
    ("cusp (a^2-b^3)^2", lambda: models.polynomial("(a^2-b^3)^2"), (1000.0,)),
    ("two_basins_2d", lambda: models.two_basins_2d(), (1.0,)),
]
SETTINGS = dict(num_rungs=17, num_chains=8, num_warmup=300, num_samples=1000,
                target_accept=0.9)


@pytest.mark.parametrize("name,make,ns", CASES, ids=[c[0] for c in CASES])
def test_thermodynamic_integration_matches_exact_free_energy(name, make, ns):
    model = make()
    grid = graded_grid(model.box, model.focus, min_width=1e-5)
    exact = exact_posterior(model, ns, grid=grid, keep_density=False,
                            marginals_2d=False).free_energy
    for i, n in enumerate(ns):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            r = thermodynamic_free_energy(model, key=jax.random.key(i), n=n, **SETTINGS)
        diff = r.value - exact[i]
        print(f"\n{name} n = {n:g}: TI F_n = {r.value:.4f}  exact {exact[i]:.4f}  "
              f"diff {diff:+.4f}  (MC s.e. {r.mc_se[0]:.4f}, quadrature {r.quad_error[0]:.4f},"
              f" β₀ = {r.betas[0]:.2e}, {len(r.betas)} rungs, R-hat {r.rhat_max:.3f}, "
              f"{r.divergences} divergences, {r.seconds:.1f} s)")
        assert abs(diff) < 0.05
        assert r.mc_se[0] < 0.03 and r.quad_error[0] < 0.03


@pytest.mark.slow
def test_thermodynamic_integration_on_a2_plus_b4():
    test_thermodynamic_integration_matches_exact_free_energy(
        "a^2+b^4", lambda: models.polynomial("a^2+b^4"), (1000.0,))


def test_thermo_lambda_slope_recovers_regular_lambda():
    # K = a² + b² (regular, λ = 1, m = 1): F_n − n·0 = log n + c exactly in the limit
    model = models.quadratic(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the settings of `slt-sim lambda --method thermo --chains 8 --samples 1000` (the CLI
        # test), so the compiled sampler is shared through the compilation cache
        r = thermo_lambda(model, [1e2, 1e3, 1e4], key=jax.random.key(1), num_rungs=17,
                          num_chains=8, num_warmup=300, num_samples=1000)
    print(f"\nquadratic(2): λ̂ = {r.lam_hat:.3f}  CI [{r.lam_ci[0]:.3f}, {r.lam_ci[1]:.3f}] "
          f"(theory 1); F_n = {np.round(r.excess, 3)} ± {np.round(r.excess_se, 3)}")
    assert abs(r.lam_hat - 1.0) < 0.05


def test_thermo_rejects_bad_input():
    with pytest.raises(ValueError, match="num_rungs"):
        thermodynamic_free_energy(models.quadratic(2), key=jax.random.key(0), n=10, num_rungs=1)
    with pytest.raises(ValueError, match="ns"):
        thermo_lambda(models.quadratic(2), [100], key=jax.random.key(0))


@pytest.mark.slow
def test_thermodynamic_integration_on_a_data_model_matches_exact():
    # reduced-rank regression (1,1,1,0), n = 300 (measured: 436.204 ± 0.022 vs exact 436.190)
    model = models.reduced_rank_regression(1, 1, 1, 0)
    data = model.sample_data(jax.random.key(0), 300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = thermodynamic_free_energy(model, key=jax.random.key(0), data=data, num_chains=4,
                                      num_samples=500)
    exact = exact_posterior(model, [300], data=data).free_energy[0]
    print(f"\nRRR(1,1,1,0) n = 300: TI {r.value:.4f} ± {r.mc_se[0]:.4f}, exact {exact:.4f}")
    assert abs(r.value - exact) < 0.05
