"""Exact posterior by quadrature against closed forms, brute force and its own invariants."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import erf, gammainc, gammaln

from slt_sim import Data, models
from slt_sim.models import gaussian
from slt_sim.posterior import exact as exact_mod
from slt_sim.posterior import exact_posterior, graded_grid, uniform_grid


def test_free_energy_of_w_squared_matches_closed_form_to_6_digits():
    # K = w², uniform prior on [-1, 1]: Z_n = ½ ∫_{-1}^{1} e^{-n w²} dw = ½ √(π/n) erf(√n)
    ns = np.array([1e2, 1e4, 1e6])
    post = exact_posterior(models.quadratic(1), ns)
    exact = -np.log(0.5 * np.sqrt(np.pi / ns) * erf(np.sqrt(ns)))
    print("F_n quadrature", post.free_energy, "closed form", exact)
    np.testing.assert_allclose(post.free_energy, exact, rtol=1e-6)


@pytest.mark.parametrize("k", [2, 3])
def test_free_energy_of_monomial_matches_incomplete_gamma(k):
    # ∫_0^1 e^{-n w^{2k}} dw = (1/2k) n^{-1/2k} γ(1/2k, n)   (REFERENCE §1(g))
    ns = np.array([10.0, 1e3, 1e6, 1e9])
    post = exact_posterior(models.normal_crossing((k,)), ns)
    s = 1.0 / (2 * k)
    log_z = np.log(s) - s * np.log(ns) + np.log(gammainc(s, ns)) + gammaln(s)
    np.testing.assert_allclose(post.free_energy, -log_z, rtol=1e-9)


def test_posterior_moments_of_quadratic_are_gaussian():
    ns = np.array([1e4, 1e8])
    post = exact_posterior(models.quadratic(2), ns)
    np.testing.assert_allclose(post.mean, 0.0, atol=1e-12)
    for i, n in enumerate(ns):
        np.testing.assert_allclose(post.cov[i], np.eye(2) / (2 * n), rtol=1e-8, atol=1e-20)


def test_extreme_n_stays_finite():
    post = exact_posterior(models.two_basins_1d(), [1e9, 1e12])
    assert np.all(np.isfinite(post.free_energy))
    assert np.all(np.isfinite(post.region_log_masses))
    np.testing.assert_allclose(post.region_masses["narrow"], 1.0)


def test_marginals_and_density_are_normalised():
    post = exact_posterior(models.normal_crossing((1, 2)), [10.0, 1e3])
    for axis in range(2):
        mass = np.exp(post.log_marginals[axis] + post.grid.log_weights[axis]).sum(axis=1)
        np.testing.assert_allclose(mass, 1.0, rtol=1e-10)
    lw = post.grid.log_weights[0][:, None] + post.grid.log_weights[1][None, :]
    total = np.exp(post.log_density + lw).sum(axis=(1, 2))
    np.testing.assert_allclose(total, 1.0, rtol=1e-10)


def test_blocked_sweep_equals_unblocked(monkeypatch):
    model = models.normal_crossing((1, 1, 2))
    grid = uniform_grid(model.box, 24)
    ns = np.logspace(0, 4, 7)
    whole = exact_posterior(model, ns, grid=grid)
    monkeypatch.setattr(exact_mod, "_BLOCK_VALUES", 24 * 24 * 3)   # many blocks, 1..3 n per chunk
    blocked = exact_posterior(model, ns, grid=grid)
    np.testing.assert_allclose(blocked.free_energy, whole.free_energy, rtol=1e-12)
    np.testing.assert_allclose(blocked.cov, whole.cov, rtol=1e-9, atol=1e-15)
    for a, b in zip(blocked.log_marginals, whole.log_marginals):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(blocked.log_density, whole.log_density, rtol=1e-10)


def test_data_model_matches_brute_force_sum():
    model = models.reduced_rank_regression(1, 1, 1, 0)
    data = model.sample_data(jax.random.key(0), 100)
    post = exact_posterior(model, [30, 100], data=data)
    grid = uniform_grid(model.box, 400)
    pts = jnp.asarray(grid.points())
    lq = 2 * grid.log_weights[0][0]
    for i, n in enumerate((30, 100)):
        sub = Data(data.x[:n], data.y[:n])
        total = jax.vmap(lambda w, sub=sub: jnp.sum(model.per_sample_loss(w, sub)))(pts)
        lp = model.log_prior(pts)
        log_z = jax.scipy.special.logsumexp(lp - total + lq) - \
            jax.scipy.special.logsumexp(lp + lq)
        assert post.free_energy[i] == pytest.approx(-float(log_z), rel=1e-5)


def test_bad_input_is_rejected_at_the_boundary():
    m = models.quadratic(2)
    with pytest.raises(ValueError, match="ns must all be > 0"):
        exact_posterior(m, [100, -5])
    with pytest.raises(ValueError, match="ns must be finite"):
        exact_posterior(m, [float("nan")])
    with pytest.raises(TypeError, match="ns must be numbers"):
        exact_posterior(m, ["many"])
    with pytest.raises(ValueError, match="beta must be >"):
        exact_posterior(m, [10], beta=0)
    with pytest.raises(ValueError, match="supports dim <= 3"):
        exact_posterior(models.reduced_rank_regression(3, 3, 2, 1), [10])
    with pytest.raises(ValueError, match="more than max_points"):
        exact_posterior(m, [10], grid=uniform_grid(m.box, 100_000))
    with pytest.raises(ValueError, match="keep_density=True needs"):
        exact_posterior(m, np.arange(1, 2001), keep_density=True)
    with pytest.raises(ValueError, match="grid has 3 axes"):
        exact_posterior(m, [10], grid=uniform_grid(((-1, 1),) * 3, 4))
    with pytest.raises(ValueError, match="box\\[0\\] is empty"):
        graded_grid(((1.0, 1.0), (0, 1)))
    with pytest.raises(ValueError, match="pass data, or key"):
        exact_posterior(models.tanh_network(1), [10])
    with pytest.raises(ValueError, match="whole numbers"):
        exact_posterior(models.tanh_network(1), [10.5], key=jax.random.key(0))


def test_log_density_at_matches_grid_density():
    m = models.two_basins_2d()
    post = exact_posterior(m, [100.0])
    i, j = 100, 200
    w = jnp.array([post.grid.nodes[0][i], post.grid.nodes[1][j]])
    un = float(exact_mod.log_density_at(m, w, 100.0))
    assert post.log_density[0, i, j] == pytest.approx(un - post.log_z[0] - post.log_prior_mass,
                                                      abs=1e-9)
    assert math.isfinite(un)


@pytest.mark.slow
def test_hundred_million_point_grid_runs_in_bounded_memory():
    # 464³ ≈ 1e8 points, processed in blocks; F_n of K = ‖w‖² on [−1, 1]³ is a product of 1-D
    # closed forms. The midpoint rule on a uniform grid is accurate to ~1e−6 here.
    model = models.quadratic(3)
    ns = np.array([10.0, 100.0])
    post = exact_posterior(model, ns, grid=uniform_grid(model.box, 464), keep_density=False,
                           marginals_2d=False)
    one_d = -np.log(0.5 * np.sqrt(np.pi / ns) * erf(np.sqrt(ns)))
    np.testing.assert_allclose(post.free_energy, 3 * one_d, rtol=1e-5)


def _reference(model, grid, ns, data=None):
    """Straightforward float64 NumPy log-sum-exp over the whole grid, one n at a time."""
    pts = np.asarray(grid.points()).reshape(-1, model.dim)
    lq = sum(np.meshgrid(*grid.log_weights, indexing="ij")).reshape(-1)
    lp = np.asarray(model.log_prior(jnp.asarray(pts)))
    masks = [np.asarray(jax.vmap(r.contains)(jnp.asarray(pts))) for r in model.regions]
    out = []
    for n in ns:
        if data is None:
            nl = n * np.asarray(jax.vmap(model.potential)(jnp.asarray(pts)))
        else:
            sub = Data(data.x[:int(n)], data.y[:int(n)])
            nl = np.asarray(jax.vmap(
                lambda w, sub=sub: jnp.sum(model.per_sample_loss(w, sub)))(jnp.asarray(pts)))
        a = lp + lq - nl
        top = a.max()
        log_z = top + np.log(np.sum(np.exp(a - top)))
        wts = np.exp(a - log_z)
        mean = wts @ pts
        cov = (pts * wts[:, None]).T @ pts - np.outer(mean, mean)
        reg = []
        for mk in masks:
            sub_top = a[mk].max()
            reg.append(sub_top + np.log(np.sum(np.exp(a[mk] - sub_top))) - log_z)
        with np.errstate(divide="ignore"):
            lm0 = np.log(np.sum(np.exp(a.reshape(grid.shape) - top),
                                axis=tuple(range(1, model.dim)))) + top
        out.append((log_z, np.array(reg), mean, cov, lm0 - grid.log_weights[0] - log_z))
    return out


def _overlapping(model):
    """The model with a third region that overlaps both of its two."""
    from dataclasses import replace

    from slt_sim.models import Region
    band = Region("band", lambda w: jnp.abs(w[1] - w[0]) < 0.7)
    return replace(model, regions=model.regions + (band,))


@pytest.mark.parametrize("case", ["regions_apart", "overlap", "sharp_prior", "data"])
def test_fast_path_equals_plain_log_sum_exp(case, monkeypatch):
    # the shift-bound engine against a plain NumPy log-sum-exp: a region e^-2000 below the other
    # (its own shift keeps it finite), overlapping regions, a Gaussian prior so sharp that the
    # O(B) shift bound is hundreds of nats loose (exact fallback), and a data model
    from dataclasses import replace

    from slt_sim.models import gaussian
    data = None
    if case == "data":
        model = models.reduced_rank_regression(1, 1, 1, 0)
        data = model.sample_data(jax.random.key(1), 300)
        ns = np.array([5.0, 60.0, 300.0])
    else:
        model = models.two_basins_2d()
        ns = np.array([3.0, 400.0, 3e4, 3e6])
        if case == "overlap":
            model = _overlapping(model)
        elif case == "sharp_prior":
            model = replace(model, prior=gaussian(2, 0.05))
    grid = uniform_grid(model.box, (41, 37))
    calls = []
    real = exact_mod._sweep_chunk

    def spy(*args, **kw):
        calls.append(kw["exact"])
        return real(*args, **kw)

    monkeypatch.setattr(exact_mod, "_sweep_chunk", spy)
    monkeypatch.setattr(exact_mod, "_BLOCK_VALUES", 41 * 37 * 2)   # several blocks of rows
    post = exact_posterior(model, ns, grid=grid, data=data)
    ref = _reference(model, grid, ns, data)
    for i, (log_z, reg, mean, cov, lm0) in enumerate(ref):
        assert post.log_z[i] + post.log_prior_mass == pytest.approx(log_z, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(post.region_log_masses[:, i], reg, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(post.mean[i], mean, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(post.cov[i], cov, rtol=1e-8, atol=1e-12)
        near = lm0 > lm0.max() - 300
        np.testing.assert_allclose(post.log_marginals[0][i][near], lm0[near], rtol=1e-11,
                                   atol=1e-10)
    if case == "regions_apart":
        assert post.region_log_masses.min() < -700 and True not in calls   # fast path only
    if case in ("overlap", "sharp_prior"):
        assert True in calls                                                # exact fallback


def test_energy_cache_reuses_closures_and_stays_bounded():
    ex = exact_mod
    m = models.normal_crossing((1, 1))
    other_prior = dataclasses.replace(m, prior=gaussian(2, 0.5))
    assert ex._energy_for(m, 0) is ex._energy_for(m, 0)       # compiled sweep is reused
    assert ex._energy_for(other_prior, 0) is ex._energy_for(m, 0)   # the prior is not in it
    keep = [models.quadratic(2) for _ in range(ex._ENERGY_CACHE_SIZE + 5)]
    for k in keep:
        ex._energy_for(k, 0)
    assert ex._energy_closure.cache_info().currsize == ex._ENERGY_CACHE_SIZE


def test_product_prior_is_traced_so_a_new_prior_does_not_recompile(monkeypatch):
    # A Gaussian prior is a product of 1-D densities: it enters the sweep as per-axis arrays.
    base = models.two_basins_2d()
    grid = uniform_grid(base.box, 101)
    ns = [10.0, 1e3, 1e5]
    kw = dict(grid=grid, keep_density=True, marginals_2d=True)
    exact_posterior(dataclasses.replace(base, prior=gaussian(2, 0.7, loc=0.3)), ns, **kw)
    before = exact_mod._sweep_chunk._cache_size()
    moved = dataclasses.replace(base, prior=gaussian(2, 1.3, loc=-0.4))
    fast = exact_posterior(moved, ns, **kw)
    assert exact_mod._sweep_chunk._cache_size() == before
    # the same numbers as evaluating log φ at every point
    monkeypatch.setattr(exact_mod, "_axis_log_prior", lambda prior, grid: None)
    slow = exact_posterior(moved, ns, **kw)
    for name in ("log_z", "region_log_masses", "mean", "cov", "log_density"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-12,
                                   atol=1e-12)
    np.testing.assert_allclose(fast.log_prior_mass, slow.log_prior_mass, rtol=1e-12)
    for a, b in zip(fast.log_marginals, slow.log_marginals):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_symmetric_power_prior_per_axis_terms_sum_to_its_log_prob():
    m = models.normal_crossing((1, 2), h=(1, 0))
    w = m.sample_prior(jax.random.key(0), (5,))
    np.testing.assert_allclose(m.prior.log_prob_axes(w).sum(-1), m.log_prior(w), rtol=1e-14)
