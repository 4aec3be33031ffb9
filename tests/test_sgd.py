"""train_sgd: convergence, reproducibility per seed, well-formed region fractions, divergence."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from slt_sim import models
from slt_sim.dynamics import REGION_DIVERGED, train_sgd


@pytest.fixture(scope="module")
def basins():
    return models.two_basins_2d()


def test_sgd_on_convex_quadratic_converges_to_the_minimum():
    q = models.quadratic(3)
    # K = ‖w‖², gradient 2w: plain SGD contracts by |1 − 2η| per step, so 200 steps at η = 0.1
    # shrink the start (|w| ≤ √3) by 0.8^200 ≈ 4e-20
    res = train_sgd(q, "sgd", lr=0.1, num_steps=200, num_seeds=32, key=jax.random.key(0),
                    checkpoints=5)
    dist = np.linalg.norm(res.final_params, axis=-1)
    print(f"max |w_T − w*| over 32 seeds: {dist.max():.2e}; final loss {res.final_loss.max():.2e}")
    assert dist.max() < 1e-15 and res.num_diverged == 0
    # the loss shrinks exactly like the theory says at every checkpoint
    ratio = res.loss[:, 1:] / res.loss[:, :-1]
    gaps = np.diff(res.steps)
    assert np.allclose(ratio, 0.64 ** gaps[None], rtol=1e-9)
    adam = train_sgd(q, optax.adam(0.05), num_steps=600, num_seeds=4, key=jax.random.key(1))
    print(f"adam: max |w_T| = {np.abs(adam.final_params).max():.2e}")
    assert np.abs(adam.final_params).max() < 1e-3


def test_region_fractions_well_formed_and_reproducible_per_seed(basins):
    kw = {"lr": 0.05, "num_steps": 300, "num_seeds": 64, "checkpoints": 7,
          "key": jax.random.key(3)}
    a = train_sgd(basins, "sgd", **kw)
    b = train_sgd(basins, "sgd", **kw)
    fr = a.final_region_fractions()
    print("two_basins_2d, SGD from the prior:", {k: round(x, 3) for k, x in fr.items()})
    assert set(fr) == {"singular", "regular", "none", "diverged"}
    assert sum(fr.values()) == pytest.approx(1.0)
    assert all(np.allclose(sum(x), 1.0) for x in zip(*a.region_fractions().values()))
    assert 0.0 < fr["regular"] < 1.0 and 0.0 < fr["singular"] < 1.0
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.region, b.region)
    assert a.params.shape == (64, 7, 2) and a.loss.shape == (64, 7) and a.steps[-1] == 300
    # runs that end in a basin sit at its bottom: the regular minimum has loss 0
    reg = a.region[:, -1] == basins.region_names.index("regular")
    assert np.all(a.final_loss[reg] < 1e-6)
    # a seed's run does not depend on how many seeds run beside it
    c = train_sgd(basins, "sgd", **{**kw, "num_seeds": 8})
    np.testing.assert_array_equal(c.params, a.params[:8])


def test_diverging_runs_are_flagged_not_dropped():
    q = models.quadratic(2)
    start = jnp.array([[0.5, 0.5], [0.0, 0.0]])  # the second start sits on the minimum
    res = train_sgd(q, "sgd", lr=1.5, num_steps=2000, num_seeds=2, init=start,
                    key=jax.random.key(0), checkpoints=21)
    print("diverged:", res.diverged, "first bad step:", res.diverged_step,
          "fractions:", res.final_region_fractions())
    assert res.diverged.tolist() == [True, False]
    assert res.diverged_step[0] > 0 and res.diverged_step[1] == -1
    assert res.region[0, -1] == REGION_DIVERGED
    assert res.final_region_fractions()["diverged"] == 0.5


def test_user_pytree_loss_with_minibatches_and_data_model():
    x = jax.random.normal(jax.random.key(4), (256,))
    data = {"x": x, "y": 2.0 * x + 1.0}

    def loss(p, batch):
        return jnp.mean((batch["y"] - p["a"] * batch["x"] - p["b"]) ** 2)

    res = train_sgd(loss, optax.sgd(0.1), num_steps=400, num_seeds=4, key=jax.random.key(5),
                    data=data, batch_size=16, init={"a": 0.0, "b": 0.0}, init_noise=0.5,
                    checkpoints=3)
    print("fitted a, b:", res.final_params["a"], res.final_params["b"])
    assert res.params["a"].shape == (4, 3)
    np.testing.assert_allclose(res.final_params["a"], 2.0, atol=1e-6)
    np.testing.assert_allclose(res.final_params["b"], 1.0, atol=1e-6)
    # a data model with fresh data per seed (same settings as the CLI test: shared compile)
    tms = models.toy_superposition(4)
    r = train_sgd(tms, "adam", lr=0.05, num_steps=200, num_seeds=4, key=jax.random.key(0),
                  n=200, batch_size=32, data_per_seed=True, init=jnp.zeros(tms.dim),
                  init_noise=0.1, checkpoints=2)
    print("TMS c=4 population loss, start → end:", np.round(r.population_loss, 4).tolist())
    assert r.population_loss.shape == (4, 2) and np.all(np.isfinite(r.population_loss))
    assert np.all(r.population_loss[:, -1] < r.population_loss[:, 0])
    assert r.data is None  # per-seed data are not kept


def test_bad_input_is_rejected_with_clear_messages(basins):
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="optimizer"):
        train_sgd(basins, "lbfgs", key=key, num_steps=10)
    with pytest.raises(ValueError, match="lr must be left out"):
        train_sgd(basins, optax.sgd(0.1), lr=0.1, key=key, num_steps=10)
    with pytest.raises(ValueError, match="potential"):
        train_sgd(basins, key=key, num_steps=10, n=100)
    with pytest.raises(ValueError, match="num_steps"):
        train_sgd(basins, key=key, num_steps=0)
    with pytest.raises(ValueError, match="init must have shape"):
        train_sgd(basins, key=key, num_steps=10, init=jnp.zeros(3))
    with pytest.raises(ValueError, match="lr"):
        train_sgd(basins, key=key, num_steps=10, lr=-1.0)
    with pytest.raises(TypeError, match="key"):
        train_sgd(basins, key=0, num_steps=10)
    tms = models.toy_superposition(3)
    with pytest.raises(ValueError, match="batch_size"):
        train_sgd(tms, key=key, num_steps=10, n=10, batch_size=20)
    with pytest.raises(ValueError, match="pass data or n"):
        train_sgd(tms, key=key, num_steps=10)


def test_compare_sgd_fractions_beside_exact_posterior_masses(basins):
    from slt_sim.dynamics import compare

    ns = [100.0, 1e3, 1e4, 1e5]
    cmp = compare(basins, ns, key=jax.random.key(0), lr=0.05, num_seeds=200, num_steps=400)
    print(cmp.table())
    print("predicted critical n:", cmp.predicted_critical_n)
    post = cmp.posterior_masses
    # the posterior switches from the singular basin to the regular one ...
    assert post["singular"][0] > 0.9 and post["regular"][-1] > 0.99
    assert 1e3 < cmp.predicted_critical_n < 1e4
    # ... while SGD on the same potential ends in the same basins whatever n is
    for k in ("singular", "regular"):
        assert np.all(cmp.sgd_fractions[k] == cmp.sgd_fractions[k][0])
    assert cmp.sgd_fractions["singular"][0] > 0.5
    assert set(cmp.as_dict()["sgd_fractions"]) == {"singular", "regular", "none",
                                                            "diverged"}


def test_llc_trajectory_vectorised_matches_estimate_llc_and_theory():
    from slt_sim.dynamics import llc_trajectory
    from slt_sim.measure import estimate_llc

    q = models.quadratic(2)
    res = train_sgd(q, "sgd", lr=0.1, num_steps=200, num_seeds=2, key=jax.random.key(0),
                    checkpoints=5)
    traj = llc_trajectory(q, res, key=jax.random.key(1), n=10_000, checkpoints=[0, 1, 4])
    print("steps", traj.steps, "λ̂", np.round(traj.llc_mean, 3), "(regular, d = 2: λ = 1 at the "
          "minimum)")
    # the end point is the minimum of a regular 2-D potential: λ = d/2 = 1
    assert abs(traj.llc_mean[-1] - 1.0) < 0.15
    # checkpoint 1 with key fold_in(key, 1) is exactly estimate_llc's chain set for that point
    one = estimate_llc(q, res.params[0, 1], key=jax.random.key(1), n=10_000)
    np.testing.assert_allclose(traj.llc_per_chain[1], one.llc_per_chain, rtol=1e-10)
    # … and so is its SGLD step-size check, per checkpoint (a quadratic: the same Hessian)
    for key in ("max_curvature", "step_bias"):
        assert traj.diagnostics[1][key] == pytest.approx(one.diagnostics[key], rel=1e-9)
    # a step too large for the curvature is flagged at every checkpoint
    big = llc_trajectory(q, res, key=jax.random.key(1), n=10_000, checkpoints=[0, 4],
                         step_size=6e-4, num_draws=20, num_burnin=0)
    assert all(any("sharpest" in w for w in ws) for ws in big.checkpoint_warnings)


def test_seeds_sharded_over_devices_give_the_same_runs(basins):
    kw = {"lr": 0.05, "num_steps": 100, "num_seeds": 16, "checkpoints": 3,
          "key": jax.random.key(7)}
    sharded = train_sgd(basins, "sgd", **kw)
    single = train_sgd(basins, "sgd", devices=jax.devices()[:1], **kw)
    print(f"{jax.device_count()} devices; sharded over {sharded.settings['devices']}")
    assert sharded.settings["devices"] == min(jax.device_count(), 16)
    assert single.settings["devices"] == 1
    np.testing.assert_allclose(sharded.params, single.params, rtol=0, atol=1e-12)
