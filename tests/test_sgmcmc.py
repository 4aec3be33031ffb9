"""The SG-MCMC samplers sample what they should: Gaussian targets with known answers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from slt_sim.posterior import sgmcmc

H = 4.0          # curvature of the 1-D Gaussian target U(w) = H w²/2
CHAINS = 512
STEPS = 1500
BURN = 300


def _quadratic_loss(w, batch):
    return 0.5 * jnp.sum(w["a"] ** 2)


def _run(name, step_size, **options):
    """Stationary variance of CHAINS chains on U = H w²/2 (loss ½w², nβ = H, γ = 0)."""
    w0 = {"a": jnp.zeros(1)}
    pot = sgmcmc.localized_potential(_quadratic_loss, w0, H, 0.0)
    smp = sgmcmc.build_sampler(name, pot, step_size, **options)

    @jax.jit
    def run(keys):
        def one(k):
            state, info = sgmcmc.run_chain(smp, k, w0, None, STEPS)
            del state
            return info.loss, info.acceptance
        return jax.vmap(one)(keys)

    loss, acc = run(jax.random.split(jax.random.key(3), CHAINS))
    var = float(2 * np.mean(np.asarray(loss)[:, BURN:]))     # E[w²] = 2 E[loss]
    return var, float(np.mean(np.asarray(acc)[:, BURN:]))


def test_sgld_stationary_variance_matches_the_discretised_ou_formula():
    # w ← (1 − εH/2) w + √ε ξ has stationary variance 1 / (H (1 − εH/4)): at εH = 1 that is
    # 4/3 of the exact 1/H, a bias a correct SGLD must show.
    eps = 1.0 / H
    var, _ = _run("sgld", eps)
    expected = 1.0 / (H * (1 - eps * H / 4))
    print(f"SGLD var {var:.4f}, discretised-OU formula {expected:.4f}, exact target {1 / H:.4f}")
    assert abs(var / expected - 1) < 0.04
    assert var > 1.2 / H


def test_mala_removes_the_step_size_bias():
    eps = 1.0 / H
    var, acc = _run("mala", eps)
    print(f"MALA var {var:.4f} (exact {1 / H:.4f}), acceptance {acc:.3f}")
    assert abs(var * H - 1) < 0.05
    assert 0.5 < acc < 0.99


@pytest.mark.parametrize("name, eps", [("sgnht", 0.02), ("rmsprop-sgld", 0.05)])
def test_momentum_and_preconditioned_samplers_reach_the_target(name, eps):
    var, _ = _run(name, eps)
    print(f"{name} var {var:.4f} (exact {1 / H:.4f})")
    assert abs(var * H - 1) < 0.1


def test_minibatches_walk_through_a_fresh_permutation_each_epoch():
    # loss = Σ_{i∈B} 2^i identifies the batch exactly (float64): the batches of one epoch must
    # be disjoint, of size b, and differ from epoch to epoch.
    n, b = 20, 6                       # 3 batches per epoch, 2 samples skipped
    data = jnp.arange(n, dtype=jnp.float64)
    smp = sgmcmc.sgld(sgmcmc.localized_potential(
        lambda w, batch: jnp.sum(2.0 ** batch) + 0.0 * w, jnp.zeros(()), 1.0, 0.0), 1e-6)
    _, info = jax.jit(lambda k: sgmcmc.run_chain(smp, k, jnp.zeros(()), data, 9, b))(
        jax.random.key(0))
    codes = [int(x) for x in np.asarray(info.loss)]
    sets = [{i for i in range(n) if c >> i & 1} for c in codes]
    assert all(len(s) == b for s in sets)
    epochs = [sets[3 * e:3 * e + 3] for e in range(3)]
    for ep in epochs:
        assert len(set().union(*ep)) == 3 * b          # disjoint within an epoch
    assert epochs[0] != epochs[1] != epochs[2]


def test_mask_freezes_parameters_and_pytrees_work():
    w0 = {"free": jnp.ones(3), "frozen": jnp.full((2, 2), 0.5)}
    mask = {"free": jnp.ones(3), "frozen": jnp.zeros((2, 2))}

    def loss(w, batch):
        return jnp.sum(w["free"] ** 2) + jnp.sum(w["frozen"] ** 2)

    for name in sgmcmc.SAMPLERS:
        smp = sgmcmc.build_sampler(name, sgmcmc.localized_potential(loss, w0, 10.0, 1.0),
                                   1e-3, mask)
        state, _ = sgmcmc.run_chain(smp, jax.random.key(1), w0, None, 50)
        assert np.array_equal(np.asarray(state.position["frozen"]), np.full((2, 2), 0.5)), name
        assert not np.allclose(np.asarray(state.position["free"]), 1.0), name


def test_unknown_sampler_is_a_clear_error():
    with pytest.raises(ValueError, match="sampler must be one of"):
        sgmcmc.build_sampler("hmc", lambda w, b: (w, w), 0.1)
