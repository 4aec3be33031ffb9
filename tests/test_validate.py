"""Boundary checks (one wording, one exception type per check) and the bounded cache policy.

Each validator is exercised through public functions that use it (a representative set, not
all of them); the cache tests check that the caches are bounded and keyed on the Model object,
not on ``id(model)`` (ids are reused after garbage collection).
"""

import gc

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import slt_sim as slt
from slt_sim import models

KEY = jax.random.key(0)


# ------------------------------------------------------------------------------ model
@pytest.mark.parametrize("call", [
    lambda bad: slt.exact_posterior(bad, [10.0]),
    lambda bad: slt.sample_posterior(bad, key=KEY, n=10),
    lambda bad: slt.volume_scaling(bad),
    lambda bad: slt.phase_sweep(bad),
    lambda bad: slt.replica_exchange(bad, [10.0, 100.0], key=KEY),
    lambda bad: slt.free_energy_lambda(bad),
    lambda bad: slt.train_to_minimum(bad),
], ids=["exact_posterior", "sample_posterior", "volume_scaling", "phase_sweep",
        "replica_exchange", "free_energy_lambda", "train_to_minimum"])
def test_a_non_model_is_one_type_error_naming_the_argument(call):
    for bad in ("quadratic", lambda w: w, None):
        with pytest.raises(TypeError, match=r"^model must be a slt_sim Model .*got "):
            call(bad)


@pytest.mark.parametrize("call", [
    lambda bad: slt.train_sgd(bad, key=KEY, num_steps=2),
    lambda bad: slt.estimate_llc(bad, jnp.zeros(2), key=KEY, n=100),
], ids=["train_sgd", "estimate_llc"])
def test_neither_model_nor_loss_is_a_type_error(call):
    with pytest.raises(TypeError, match=r"model_or_loss must be a slt_sim Model or a loss "
                                        r"function, got int"):
        call(3)


# ------------------------------------------------------------------------------ keys
def _sgd(key):
    return slt.train_sgd(models.two_basins_2d(), key=key, num_steps=2, num_seeds=2)


def _llc(key):
    return slt.estimate_llc(models.quadratic(2), jnp.zeros(2), key=key, n=100, num_chains=1,
                            num_draws=4, num_burnin=0, step_size=1e-3)


@pytest.mark.parametrize("run", [_sgd, _llc], ids=["train_sgd", "estimate_llc"])
def test_typed_and_legacy_keys_are_accepted(run):
    run(jax.random.key(0))
    run(jax.random.PRNGKey(0))                 # legacy uint32 key, shape (2,)


@pytest.mark.parametrize("run", [_sgd, _llc], ids=["train_sgd", "estimate_llc"])
@pytest.mark.parametrize("bad,what", [
    (0, "int"), (1.5, "float"), ("seed", "str"),
    (jax.random.split(jax.random.key(0), 3), r"shape \(3,\)"),        # a batch of keys
    (jnp.zeros(2), "float64"),                                          # numbers, not a key
    (np.zeros((3, 2), np.uint32), r"shape \(3, 2\)"),                  # a batch of legacy keys
], ids=["int", "float", "str", "key batch", "float array", "legacy batch"])
def test_anything_else_is_one_type_error_naming_key_and_the_allowed_forms(run, bad, what):
    with pytest.raises(TypeError, match=r"^key must be a jax\.random key \(jax\.random\.key"
                                        r"\(seed\), shape \(\); or a legacy jax\.random\.PRNGKey"
                                        r"\(seed\), uint32 of shape \(2,\)\), got ") as err:
        run(bad)
    assert err.match(what)


def test_key_check_is_shared_by_samplers_and_training():
    for call in (lambda: slt.sample_posterior(models.quadratic(1), key=0, n=10),
                 lambda: slt.replica_exchange(models.quadratic(1), [10.0, 100.0], key=0),
                 lambda: slt.compare(models.two_basins_2d(), [10.0], key=0)):
        with pytest.raises(TypeError, match="key must be a jax.random key"):
            call()


# ------------------------------------------------------------------------------ sample counts
def _loss(params, batch):
    return jnp.mean((batch["y"] - params * batch["x"]) ** 2)


@pytest.mark.parametrize("run", [
    lambda data: slt.train_sgd(_loss, key=KEY, num_steps=2, num_seeds=1, data=data,
                               init=jnp.zeros(())),
    lambda data: slt.estimate_llc(_loss, jnp.zeros(()), key=KEY, data=data, num_chains=1,
                                  num_draws=4, num_burnin=0, step_size=1e-3),
], ids=["train_sgd", "estimate_llc"])
def test_data_with_mismatched_or_missing_sample_axes_is_rejected(run):
    with pytest.raises(ValueError, match=r"every array in data must have the same leading "
                                         r"\(sample\) axis, got shapes \[\(5,\), \(4,\)\]"):
        run({"x": jnp.ones(5), "y": jnp.ones(4)})
    with pytest.raises(ValueError, match="leading .sample. axis, got shapes"):
        run({"x": jnp.ones(5), "y": jnp.ones(())})                      # a scalar leaf
    with pytest.raises(ValueError, match="data must be a pytree of arrays"):
        run({})


def test_negative_and_zero_counts_name_the_argument():
    m = models.quadratic(2)
    with pytest.raises(ValueError, match="num_chains must be >= 1, got 0"):
        slt.sample_posterior(m, key=KEY, n=10, num_chains=0)
    with pytest.raises(ValueError, match="num_steps must be >= 1, got -3"):
        slt.train_sgd(m, key=KEY, num_steps=-3)
    with pytest.raises(ValueError, match="ns must all be > 0"):
        slt.exact_posterior(m, [10.0, 0.0])
    with pytest.raises(ValueError, match="w_star must have last dimension 2"):
        slt.estimate_llc(m, jnp.zeros(3), key=KEY, n=100)                # wrong shape


# ------------------------------------------------------------------------------ caches
def test_model_hashes_by_identity():
    a, b = models.quadratic(2), models.quadratic(2)
    assert a != b and hash(a) != hash(b) and a == a
    assert len({a, b, a}) == 2


def _builders():
    from slt_sim.dynamics import sgd
    from slt_sim.posterior import energy, exact, mcmc, tempered_nuts
    return {"energy_function": energy.energy_function,
            "exact energy closure": exact._energy_closure,
            "potential gradient": exact._potential_grad,
            "mcmc": mcmc._mcmc_for, "tempered nuts": tempered_nuts._runner,
            "sgd objective": sgd._objective_for}


def test_every_model_cache_is_a_bounded_lru_cache():
    for name, fn in _builders().items():
        info = fn.cache_info()
        assert info.maxsize is not None and 0 < info.maxsize <= 32, name


def test_a_cache_does_not_grow_past_its_size_and_is_keyed_on_the_model():
    from slt_sim.posterior import energy_function

    energy_function.cache_clear()
    size = energy_function.cache_info().maxsize
    kept = [models.quadratic(2) for _ in range(size + 5)]
    for m in kept:
        energy_function(m)
    assert energy_function.cache_info().currsize == size
    assert energy_function(kept[-1]) is energy_function(kept[-1])          # a hit
    assert energy_function.cache_info().hits >= 1


def test_a_new_model_at_a_reused_address_gets_its_own_entry():
    """Keyed on the Model object: a cached model stays alive, so a later model can never be
    taken for it even if Python hands out the same id after garbage collection."""
    from slt_sim.dynamics.sgd import _objective_for

    _objective_for.cache_clear()
    first = models.quadratic(2)
    obj = _objective_for(first)
    first_id = id(first)
    del first
    gc.collect()
    second = models.quadratic(3)
    assert id(second) != first_id       # the cache keeps the first model alive: no reuse
    assert _objective_for(second) is not obj
    assert _objective_for.cache_info().currsize == 2
