"""Bayes generalisation error, training error, WAIC and the singular fluctuation.

Checks (Watanabe 2009/2010; REFERENCE.md §2):
* regular 1-D model (linear regression y = w x, λ = ν = 1/2): the learning curve
  n(E[G_n] − L₀) → λ, n(E[T_n] − L₀) → λ − 2ν, ν̂ → ν, E[WAIC] = E[G_n] + o(1/n), averaged
  over data seeds with the exact grid posterior; tolerances from the seeds' spread (3 s.e.) and
  5 % for ν̂ (a sum over data points, so it concentrates);
* singular 2-D model (tanh network H = 1, λ = 1/2, m = 2): n(E[G_n] − L₀) lies between the
  two-term asymptotics λ − (m−1)/log n and λ (printed with its standard error);
* WAIC and ν̂ from a NUTS DataTree agree with the exact grid values on the same data.
"""

import io
import warnings

import jax
import numpy as np
import pytest

from slt_sim import models
from slt_sim.measure import learning_curve, waic, waic_from_loglik
from slt_sim.posterior import ConvergenceWarning, exact_posterior, graded_grid, sample_posterior
from slt_sim.viz import plot_learning_curve


def test_learning_curve_of_a_regular_model_gives_lambda_and_nu():
    model = models.deep_linear_network((1, 1), 1)            # y = w x: d = 1, λ = ν = 1/2
    r = learning_curve(model, [100, 400], key=jax.random.key(0), num_datasets=32,
                       num_test=256)
    s = r.gen_excess.shape[0]
    n_gen = r.ns * r.gen_excess                               # (S, K)
    n_train = r.ns * r.train_excess
    n_waic = r.ns * r.waic_excess
    print(f"\nlinear regression (λ = ν = 1/2), {s} data seeds, {r.seconds:.1f} s")
    for j, n in enumerate(r.ns):
        print(f"  n = {n:4.0f}: n(G−L0) = {n_gen[:, j].mean():.3f} ± "
              f"{n_gen[:, j].std(ddof=1) / np.sqrt(s):.3f}   n(T−Ln(w0)) = "
              f"{n_train[:, j].mean():+.3f}   n(WAIC−Ln(w0)) = {n_waic[:, j].mean():.3f}   "
              f"ν̂ = {r.nu_hat[:, j].mean():.4f}")
    pooled = n_gen.mean(axis=1)                               # per seed, over n
    se = pooled.std(ddof=1) / np.sqrt(s)
    assert abs(pooled.mean() - 0.5) < 3 * se + 0.02
    assert abs(r.nu_hat.mean() - 0.5) < 0.025
    train = n_train.mean(axis=1)
    assert abs(train.mean() - (0.5 - 2 * 0.5)) < 3 * train.std(ddof=1) / np.sqrt(s) + 0.02
    gap = (n_waic - n_gen).mean(axis=1)                       # E[WAIC] − E[G_n] = o(1/n)
    assert abs(gap.mean()) < 3 * gap.std(ddof=1) / np.sqrt(s) + 0.02


def test_learning_curve_of_tanh_network_follows_lambda_over_n():
    model = models.tanh_network(1)                            # λ = 1/2, m = 2
    grid = graded_grid(model.box, model.focus, min_width=1e-3, ratio=1.5, order=6)
    r = learning_curve(model, [100, 300], key=jax.random.key(1), num_datasets=12,
                       num_test=96, grid=grid)
    s = r.gen_excess.shape[0]
    mean, se = r.n_gen_excess, r.n_gen_excess_se
    two_term = 0.5 - 1.0 / np.log(r.ns)
    print(f"\ntanh network H = 1 (λ = 1/2, m = 2), {s} seeds, {r.seconds:.1f} s")
    for j, n in enumerate(r.ns):
        print(f"  n = {n:4.0f}: n(E[G_n] − L0) = {mean[j]:.3f} ± {se[j]:.3f}   "
              f"λ = 0.5, λ − (m−1)/log n = {two_term[j]:.3f}   ν̂ = {r.nu_hat[:, j].mean():.3f}")
    print(f"  λ̂ from the two-term form (m = 2): {r.lam_hat(2):.3f}")
    for j in range(len(r.ns)):
        assert two_term[j] - 3 * se[j] - 0.05 < mean[j] < 0.5 + 3 * se[j] + 0.05
    fig = plot_learning_curve(r)
    fig.savefig(io.BytesIO(), format="png")
    assert fig.axes[0].get_xscale() == "log"


def test_waic_from_nuts_matches_the_exact_grid_posterior():
    model = models.tanh_network(1)
    data = model.sample_data(jax.random.key(11), 200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the settings of test_mcmc's DataTree test: the compiled sampler is shared
        tree = sample_posterior(model, key=jax.random.key(5), data=data, num_chains=4,
                                num_warmup=300, num_samples=1000, target_accept=0.9)
    got = waic(tree)
    grid = graded_grid(model.box, model.focus, min_width=1e-3, ratio=1.5, order=6)
    ex = exact_posterior(model, [200], data=data, grid=grid, keep_density=True,
                         marginals_2d=False)
    lw = ex.log_density[0] + sum(np.meshgrid(*grid.log_weights, indexing="ij"))
    w = np.exp(lw - lw.max()).ravel()
    keep = w > 1e-14 * w.max()
    pts = np.stack([m.ravel() for m in np.meshgrid(*grid.nodes, indexing="ij")], -1)[keep]
    ll = -np.asarray(jax.vmap(lambda p: model.per_sample_loss(p, data))(pts))
    want = waic_from_loglik(ll, weights=w[keep])
    print(f"\ntanh H = 1, n = 200: WAIC NUTS {got.waic:.5f} exact {want.waic:.5f}; "
          f"ν̂ NUTS {got.nu_hat:.4f} exact {want.nu_hat:.4f}; T_n NUTS {got.training_loss:.5f} "
          f"exact {want.training_loss:.5f}")
    assert abs(got.waic - want.waic) < 2e-3
    assert abs(got.nu_hat - want.nu_hat) < 0.1 * want.nu_hat + 0.02


def test_generalization_rejects_bad_input():
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="potential"):
        learning_curve(models.normal_crossing((1, 1)), [10], key=key)
    with pytest.raises(ValueError, match="d <= 3"):
        learning_curve(models.reduced_rank_regression(2, 2, 1, 0), [10], key=key)
    with pytest.raises(ValueError, match="shape"):
        waic_from_loglik(np.zeros(5))
