"""Volume scaling V(ε) ≈ c ε^λ (log 1/ε)^{m−1}: λ̂, m̂ against theory, V against closed forms.

Tolerances: λ within 5% (the issue's requirement) for the grid method; the exact normal-crossing
volumes are P(Π|w_i|^{k_i'} < δ) = t Σ_{k<m} log(1/t)^k / k!, checked point by point. The splitting
method is Monte Carlo: its tolerance is stated per test and the run-to-run spread is printed.
"""

import json
import math

import jax
import numpy as np
import pytest
from matplotlib.figure import Figure

import slt_sim as slt
from slt_sim import models
from slt_sim.measure import volume_curve, volume_scaling
from slt_sim.viz import plot_sublevel_set, plot_volume_scaling


def _report(name, res):
    lo, hi = res.lam_ci
    print(f"\n{name}: λ̂ = {res.lam_hat:.5f} [{lo:.5f}, {hi:.5f}] ({res.ci_method}), "
          f"m̂ = {res.m_hat} | theory λ = {res.lam}, m = {res.m} | "
          f"rel. error {res.lam_hat / res.lam - 1:+.4f} | {res.method}, {res.seconds:.1f} s | "
          f"λ̂ per m: " + ", ".join(f"{m}: {f['lambda_hat']:.4f} (BIC {f['bic']:.1f})"
                                   for m, f in res.fits.items()))


def _check(name, res, lam, m, rtol=0.05):
    _report(name, res)
    assert res.lam == pytest.approx(lam)
    assert res.m == m
    assert abs(res.lam_hat / lam - 1) < rtol
    assert res.m_hat == m


def _crossing_volume(t):
    """P(U_1 ⋯ U_m < t) for independent U(0, 1): t Σ_{k<m} log(1/t)^k / k! (as a function of m)."""
    big_l = np.log(1.0 / t)
    return lambda m: t * sum(big_l ** k / math.factorial(k) for k in range(m))


@pytest.fixture(scope="module")
def crossing_2d():
    return volume_scaling(models.normal_crossing((1, 1)))


# ---------------------------------------------------------------- grid: the cases
def test_normal_crossing_11_volume_exponent_is_one_half_with_multiplicity_2(crossing_2d):
    _check("normal_crossing((1,1))", crossing_2d, 0.5, 2)


def test_normal_crossing_11_grid_volumes_match_closed_form_within_their_error(crossing_2d):
    # uniform prior on [−1, 1]²: V(ε) = P(|a||b| < √ε) = δ(1 + log 1/δ), δ = √ε
    res = crossing_2d
    exact = _crossing_volume(np.sqrt(res.eps))(2)
    rel = np.abs(res.volume / exact - 1)
    print("\nmax rel. error", rel.max(), "max rel. se", np.max(res.volume_se / res.volume))
    assert rel.max() < 1e-3
    assert np.all(np.abs(res.volume - exact) <= 5 * res.volume_se + 1e-6 * exact)


def test_normal_crossing_12_with_prior_exponent_01_has_lambda_half_and_m_2():
    # K = a² b⁴, φ ∝ |b|: (0+1)/2 = (1+1)/4 = 1/2 → λ = 1/2, m = 2
    _check("normal_crossing((1,2),(0,1))",
           volume_scaling(models.normal_crossing((1, 2), (0, 1))), 0.5, 2)


def test_abc_squared_volume_exponent_is_one_half_with_multiplicity_3():
    res = volume_scaling(models.polynomial("(a*b*c)^2"))
    _check("(abc)^2", res, 0.5, 3)
    exact = _crossing_volume(np.sqrt(res.eps))(3)
    print("3-D volumes: max rel. error", np.max(np.abs(res.volume / exact - 1)))
    assert np.max(np.abs(res.volume / exact - 1)) < 5e-3


def test_a2_plus_b4_volume_exponent_is_3_over_4():
    _check("a^2+b^4", volume_scaling(models.polynomial("a^2+b^4")), 0.75, 1)


def test_a2_plus_b2_squared_volume_exponent_is_one_half():
    _check("(a^2+b^2)^2", volume_scaling(models.polynomial("(a^2+b^2)^2")), 0.5, 1)


def test_cusp_volume_exponent_is_5_over_12():
    res = volume_scaling(models.polynomial("(a^2-b^3)^2"))
    _check("cusp (a^2-b^3)^2", res, 5 / 12, 1)
    # the next pole is only ε^{1/12} away: the measured λ̂ sits just below 5/12
    assert res.lam_hat < 5 / 12


def test_region_restriction_recovers_the_singular_basin_of_two_basins_2d():
    # the singular basin is the cross (u1 u2)² above the loss gap: λ = 1/2, m = 2 (K_min = gap)
    res = volume_scaling(models.two_basins_2d(), region="singular")
    _check("two_basins_2d, region singular", res, 0.5, 2)
    assert res.k_min == pytest.approx(models.two_basins_2d().region("singular").loss)


# ---------------------------------------------------------------- splitting
def test_splitting_recovers_rrr_2210_lambda_one_multiplicity_2():
    # reduced rank regression M=N=2, H=1, r=0 (d = 4): K = ½|a|²|b|², λ = 1, m = 2
    # (Aoyagi & Watanabe 2005). Tolerance 5% on λ; the bootstrap interval is printed.
    model = models.reduced_rank_regression(2, 2, 1, 0)
    res = volume_scaling(model, method="splitting", key=jax.random.key(0))
    _check("RRR(2,2,1,0) splitting", res, 1.0, 2)
    print("levels:", res.settings["n_levels"], "smallest V:", np.nanmin(res.volume),
          "evaluations:", res.evaluations)
    assert np.nanmin(res.volume) < 1e-11


def test_grid_and_splitting_agree_on_normal_crossing_11(crossing_2d):
    eps = crossing_2d.eps[::4]
    kw = dict(method="splitting", eps=eps, n_particles=1000, n_runs=8, n_steps=10)
    split = volume_curve(models.normal_crossing((1, 1)), key=jax.random.key(1), **kw)
    again = volume_curve(models.normal_crossing((1, 1)), key=jax.random.key(1), **kw)
    grid = crossing_2d.volume[::4]
    z = (split.volume - grid) / split.volume_se
    print("\nε", eps, "\ngrid", grid, "\nsplitting", split.volume,
          "\nrel. se", split.volume_se / split.volume, "\nz", z)
    np.testing.assert_array_equal(split.volume, again.volume)   # same key, same numbers
    assert np.all(np.abs(np.log(split.volume / grid)) < 0.5)
    assert np.mean(np.abs(z)) < 2.5


# ---------------------------------------------------------------- figures and results
def test_plot_volume_scaling_draws_data_fit_and_theory(crossing_2d):
    fig = plot_volume_scaling(crossing_2d)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    print(labels)
    assert any(s.startswith("fit") for s in labels) and any(s.startswith("theory") for s in labels)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_plot_sublevel_set_shades_nested_sets_of_a_2d_model():
    fig = plot_sublevel_set(models.polynomial("(a^2-b^3)^2"), [1e-2, 1e-4], resolution=60)
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match="2-D"):
        plot_sublevel_set(models.polynomial("(a*b*c)^2"), 1e-3)


def test_result_as_dict_has_the_cli_fields(crossing_2d):
    out = crossing_2d.as_dict()
    for key in ("lambda_hat", "lambda_ci", "m_hat", "lambda", "m", "method", "seconds"):
        assert key in out
    assert out["method"] == "grid" and len(out["lambda_ci"]) == 2
    json.dumps(out)
    assert slt.volume_scaling is volume_scaling


# ---------------------------------------------------------------- validation
def test_grid_method_refuses_more_than_three_parameters():
    model = models.reduced_rank_regression(3, 3, 2, 1)
    with pytest.raises(ValueError, match="grid method needs dim ≤ 3, model has 12 parameters"):
        volume_scaling(model, method="grid")


def test_monte_carlo_methods_need_an_explicit_key():
    with pytest.raises(ValueError, match="explicit key"):
        volume_scaling(models.normal_crossing((1, 1)), method="splitting")
    with pytest.raises(ValueError, match="explicit key"):
        volume_scaling(models.reduced_rank_regression(2, 2, 1, 0))   # auto → splitting


@pytest.mark.parametrize("kwargs, match", [
    (dict(eps=[1e-3, 0.0]), "eps must all be > 0"),
    (dict(eps=[1e-3, float("nan")]), "eps must be finite"),
    (dict(method="nested"), "method must be one of"),
    (dict(region="nowhere"), "region must be one of"),
    (dict(fit_range=(1e-3, 1e-6)), "fit_range"),
    (dict(eps=[1e-3, 1e-4, 1e-5]), "need ≥ 4"),
])
def test_bad_arguments_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        volume_scaling(models.normal_crossing((1, 1)), **kwargs)


# ---------------------------------------------------------------- slow: more models
@pytest.mark.slow
@pytest.mark.parametrize("make, lam, m", [
    (lambda: models.normal_crossing((1, 1, 1)), 0.5, 3),
    (lambda: models.polynomial("(a*b)^2"), 0.5, 2),
    (lambda: models.normal_crossing((1, 2)), 0.25, 1),
    (lambda: models.tanh_network(1), 0.5, 2),
])
def test_more_grid_cases(make, lam, m):
    model = make()
    _check(model.name, volume_scaling(model), lam, m)


@pytest.mark.slow
@pytest.mark.parametrize("make, lam, m, rtol", [
    (lambda: models.reduced_rank_regression(3, 3, 2, 1), 3.5, 2, 0.05),
    (lambda: models.deep_linear_network((2, 2, 2), 1), 2.0, 2, 0.05),
    (lambda: models.quadratic(10), 5.0, 1, 0.05),
])
def test_more_splitting_cases(make, lam, m, rtol):
    model = make()
    res = volume_scaling(model, method="splitting", key=jax.random.key(0))
    _report(model.name, res)
    assert abs(res.lam_hat / lam - 1) < rtol


def test_tanh_h2_effective_exponent_at_moderate_eps_depends_on_the_prior():
    # Why no global estimator reaches λ = 2/3 for tanh H = 2 at n ≤ 1e4 (docs/mcmc.md): the poles
    # 0.8 and 1 of the zeta function are close to 2/3, so at ε ~ 1/(nβ) ≈ 1e-3 the volume
    # exponent is still set by the prior's weight on the competing strata. Plain Monte Carlo
    # under the prior (V ≥ 1e-4 here, so no rare-event method is needed).
    exps = {}
    eps = np.logspace(-2, -4, 5)
    for s in (0.5, 1.0, 2.0):
        model = models.tanh_network(2, prior_scale=s)
        w = model.sample_prior(jax.random.key(11), (400_000,))
        k = np.asarray(jax.jit(jax.vmap(model.population_loss))(w))
        vol = np.array([(k < e).mean() for e in eps])
        exps[s] = np.polyfit(np.log(eps), np.log(vol), 1)[0]
    print("\ntanh H = 2, exponent of V(ε) over ε ∈ [1e-4, 1e-2] by prior scale: "
          + ", ".join(f"s = {s:g}: {x:.3f}" for s, x in exps.items()) + "; λ = 2/3")
    assert exps[0.5] < exps[1.0] < exps[2.0]
    assert exps[0.5] < 0.55 and exps[1.0] < 2 / 3 - 0.03 and exps[2.0] > 0.7
