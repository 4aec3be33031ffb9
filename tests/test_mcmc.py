"""NUTS on the tempered posterior: agreement with exact quadrature, the ArviZ layout, diagnostics.

Error bars: for a posterior mean the Monte Carlo standard error (MCSE) is ArviZ's mcse of the
draws (from their effective sample size); a covariance entry or a region mass is the mean of a
derived series (centred products, region indicators), whose MCSE is computed the same way. A
quantity passes when |NUTS − exact| ≤ 4 MCSE + 0.002 (the small absolute floor covers
quadrature error and near-zero MCSEs).
"""

import functools
import io
import warnings

import arviz as az
import jax
import numpy as np
import pytest
from arviz_stats.base import array_stats

from slt_sim import models
from slt_sim.posterior import (
    ConvergenceWarning,
    check_convergence,
    draws,
    exact_posterior,
    graded_grid,
    posterior_energy,
    sample_posterior,
)
from slt_sim.viz import plot_nuts_vs_exact


def _mcse(series):
    """MCSE of the mean of a (chain, draw) series."""
    return float(array_stats.mcse(np.asarray(series, float), chain_axis=-2, draw_axis=-1))


def _grid(model):
    # graded grid fine enough for n <= 1e5, much smaller than the default (which serves 1e12)
    return graded_grid(model.box, model.focus, min_width=1e-5)


@functools.cache
def normal_crossing_11():
    # one model object shared by the tests: the compiled NUTS sampler is reused
    return models.normal_crossing((1, 1))


CASES = [
    ("normal_crossing((1,1))", normal_crossing_11, 100.0),
    ("cusp (a^2-b^3)^2", lambda: models.polynomial("(a^2-b^3)^2"), 1000.0),
    # n = 1: the two basins share the mass (0.75 / 0.25) and the barrier (≈ 1.8 nats) is low
    # enough for NUTS to cross; at larger n the chains cannot jump (see the R-hat test below)
    ("two_basins_2d", lambda: models.two_basins_2d(), 1.0),
]


@pytest.mark.parametrize("name,make,n", CASES, ids=[c[0] for c in CASES])
def test_nuts_matches_exact_mean_cov_and_region_masses_on_2d_landscapes(name, make, n):
    model = make()
    ex = exact_posterior(model, [n], grid=_grid(model), keep_density=False,
                         marginals_2d=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tree = sample_posterior(model, key=jax.random.key(3), n=n, num_chains=4,
                                num_warmup=400, num_samples=1500, target_accept=0.95)
    w = draws(tree)                                                   # (chain, draw, d)
    rows = []
    for i in range(model.dim):
        got, want, se = w[..., i].mean(), ex.mean[0, i], _mcse(w[..., i])
        rows.append((f"mean[{i}]", got, want, se))
    mu = w.mean(axis=(0, 1))
    for i in range(model.dim):
        for j in range(i, model.dim):
            prod = (w[..., i] - mu[i]) * (w[..., j] - mu[j])
            rows.append((f"cov[{i},{j}]", prod.mean(), ex.cov[0, i, j], _mcse(prod)))
    idx = np.asarray(jax.vmap(jax.vmap(model.region_index))(w))
    for k, region in enumerate(model.region_names):
        ind = (idx == k).astype(float)
        rows.append((f"mass[{region}]", ind.mean(), ex.region_masses[region][0], _mcse(ind)))
    print(f"\n{name} at n = {n:g} (NUTS 4 x 1500 draws vs exact quadrature):")
    for label, got, want, se in rows:
        print(f"  {label:18s} NUTS {got: .5f}  exact {want: .5f}  diff {got - want: .5f}  "
              f"MCSE {se:.5f}  ({abs(got - want) / max(se, 1e-12):.1f} MCSE)")
    for label, got, want, se in rows:
        assert abs(got - want) <= 4 * se + 2e-3, (label, got, want, se)
    fig = plot_nuts_vs_exact(tree, ex)
    fig.savefig(io.BytesIO(), format="png")
    assert len(fig.axes[0].collections) > 0          # the exact contours were drawn


def test_stuck_chains_in_separated_basins_raise_rhat_warning():
    # two_basins_2d at n = 1e4: all the exact mass is in the regular basin, but chains that
    # start in the singular basin's cross stay there (barrier ≈ 1.8e4 nats). The diagnostics
    # must say so instead of silently returning wrong region masses.
    model = models.two_basins_2d()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = sample_posterior(model, key=jax.random.key(3), n=1e4, num_chains=4,
                                num_warmup=400, num_samples=1500, target_accept=0.95)
    idx = np.asarray(jax.vmap(jax.vmap(model.region_index))(draws(tree)))
    per_chain = [(idx[c] == 1).mean() for c in range(idx.shape[0])]
    msgs = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    print(f"\nregular-basin fraction per chain at n = 1e4: {np.round(per_chain, 3)} "
          f"(exact: 1.000)\nwarnings: {msgs}")
    if min(per_chain) < 0.5:          # some chain stuck in the wrong basin
        assert any("R-hat" in m and "multimodal" in m for m in msgs)
    else:                             # all chains found the right basin: masses must agree
        assert np.mean(per_chain) > 0.99


def test_datatree_layout_works_with_arviz_and_matches_the_energy():
    model = models.tanh_network(1)
    data = model.sample_data(jax.random.key(11), 200)
    # same settings as test_generalization's WAIC test (shared compiled sampler)
    tree = sample_posterior(model, key=jax.random.key(5), data=data, beta=0.5, num_chains=4,
                            num_warmup=300, num_samples=1000, target_accept=0.9, warn=False)
    post = tree["posterior"]
    assert post["w"].dims == ("chain", "draw", "w_dim")
    assert list(post["w_dim"].values) == ["a1", "b1"]
    assert post.attrs["beta"] == 0.5 and post.attrs["n"] == 200
    stats = tree["sample_stats"]
    for field in ("energy", "diverging", "lp", "acceptance_rate", "step_size", "tree_depth"):
        assert field in stats.data_vars, field
    ll = tree["log_likelihood"]["obs"]
    assert ll.dims == ("chain", "draw", "obs_id") and ll.sizes["obs_id"] == 200
    # the log-likelihood is the untempered per-sample log p(x_i, y_i | w): its sum is −n L_n(w)
    w = draws(tree)
    direct = np.asarray(jax.vmap(jax.vmap(lambda p: 200 * model.empirical_loss(p, data)))(w))
    np.testing.assert_allclose(posterior_energy(tree), direct, rtol=1e-10)
    summary = az.summary(tree)
    print("\n", summary)
    assert set(summary.index) == {"w[a1]", "w[b1]"}
    assert np.all(np.isfinite(az.rhat(tree)["w"].values))
    loo = az.loo(tree)
    print(loo)
    assert np.isfinite(loo.elpd)


def test_potential_pseudo_loglik_is_minus_n_k():
    model = normal_crossing_11()
    tree = sample_posterior(model, key=jax.random.key(4), n=100.0, num_chains=4,
                            num_warmup=400, num_samples=1500, target_accept=0.95, warn=False)
    w = draws(tree)
    pseudo = tree["log_likelihood"]["pseudo"].transpose("chain", "draw").values
    np.testing.assert_allclose(pseudo, -100.0 * np.asarray(model.potential(w)), rtol=1e-12)
    assert "observed_data" not in tree.children
    report = check_convergence(tree, warn=False)
    print("\nconvergence report:", report or "clean")


def test_bad_arguments_are_rejected_clearly():
    pot, net = models.normal_crossing((1, 1)), models.tanh_network(1)
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="pass n"):
        sample_posterior(pot, key=key)
    with pytest.raises(ValueError, match="beta"):
        sample_posterior(pot, key=key, n=10, beta=0.0)
    with pytest.raises(ValueError, match="data model"):
        sample_posterior(net, key=key)
    with pytest.raises(ValueError, match="chain_method"):
        sample_posterior(pot, key=key, n=10, chain_method="threads")
    with pytest.raises(ValueError, match="does not match"):
        sample_posterior(net, key=key, n=5, data=net.sample_data(key, 4))


def test_sample_posterior_works_when_arviz_is_imported_first():
    # importing ArviZ before NumPyro left numpyro.distributions.distribution unbound, which broke
    # numpyro.factor; slt_sim binds it where it imports NumPyro (slt_sim/_numpyro.py); run in a
    # fresh interpreter
    import subprocess
    import sys
    code = ("import arviz, jax, slt_sim\n"
            "from slt_sim.posterior import sample_posterior\n"
            "sample_posterior(slt_sim.models.normal_crossing((1, 1)), key=jax.random.key(0),"
            " n=100, num_warmup=20, num_samples=20, num_chains=1, warn=False)\n")
    import os

    import jax
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=jax.config.jax_compilation_cache_dir,
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0.5",
               JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")      # the session's compile cache
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_second_run_on_the_same_data_model_with_another_n_uses_its_own_data():
    """The compiled sampler is cached per data shape: vectorized chains traced at n = 30 failed
    on n = 20 (a vmap over a 0-d argument) before the cache key held the data shape."""
    m = models.reduced_rank_regression(1, 1, 1, 1)
    for n in (30, 20):
        tree = sample_posterior(m, key=jax.random.key(1), n=n, num_chains=2, num_warmup=20,
                                num_samples=10, warn=False)
        data = m.sample_data(jax.random.split(jax.random.key(1))[0], n)
        assert tree["observed_data"]["obs"].shape[0] == n
        np.testing.assert_array_equal(tree["observed_data"]["obs"].values, np.asarray(data.y))
        w = draws(tree).reshape(-1, m.dim)
        energy = np.array([float(m.per_sample_loss(wi, data).sum()) for wi in w])
        np.testing.assert_allclose(posterior_energy(tree).ravel(), energy, rtol=1e-9)
