"""Tempered NUTS batches: sequential and vectorised chains, the batched tanh energy, progress.

1. ``chain_method="sequential"`` (chains mapped one after the other inside the compiled
   program: each pays for its own NUTS trees, the CPU default) gives the same draws, tree
   sizes and adapted step sizes as ``"vectorized"`` (one vmap: every iteration pays for the
   deepest tree of any chain) for the same key.
2. ``"auto"`` resolves by backend; a bad name is a ValueError naming the argument.
3. The tanh network's batched energy route equals the per-sample sum.
4. ``progress=True`` prints progress with an estimate of the time left to stderr.
5. ``slt-sim lambda --method wbic`` picks 3 temperatures and tree depth 4 for data models whose
   gradient touches every data point, Watanabe's 5 and depth 8 otherwise.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from slt_sim import models
from slt_sim.cli.lambda_cmd import wbic_defaults
from slt_sim.posterior import energy_function, resolve_chain_method, tempered_draws


def _both(model, **kw):
    return [tempered_draws(model, key=jax.random.key(3), num_chains=2, num_warmup=30,
                           num_samples=30, chain_method=cm, **kw)
            for cm in ("vectorized", "sequential")]


def test_sequential_and_vectorized_chains_give_the_same_draws_for_the_same_key():
    # a data model (the batched tanh energy): the reductions over the data may reassociate
    # between the two programs, so agreement is to 1e-9, not bitwise (a potential agrees exactly)
    model = models.tanh_network(1)
    data = model.sample_data(jax.random.key(0), 100)
    vec, seq = _both(model, n=100, betas=[0.2, 0.3], datas=[data, data])
    assert (vec.chain_method, seq.chain_method) == ("vectorized", "sequential")
    print(f"\ntree steps {seq.tree_stats}; max |Δw| = {np.abs(vec.w - seq.w).max():.2e}")
    np.testing.assert_allclose(seq.w, vec.w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(seq.energy, vec.energy, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(seq.num_steps, vec.num_steps)
    np.testing.assert_allclose(seq.step_size, vec.step_size, rtol=1e-9)
    t = seq.tree_stats
    assert t["mean_steps"] <= t["mean_of_chain_max"] <= t["max_steps"]


def test_auto_chain_method_follows_the_backend_and_bad_names_are_rejected():
    want = "sequential" if jax.default_backend() == "cpu" else "vectorized"
    assert resolve_chain_method("auto") == want
    with pytest.raises(ValueError, match="chain_method"):
        resolve_chain_method("parallel")


def test_batched_tanh_energy_equals_the_per_sample_sum():
    model = models.tanh_network(3)
    efn = energy_function(model)
    assert efn.kind == "batched sum"
    data = model.sample_data(jax.random.key(1), 200)
    st = efn.prepare(data, 200)
    w = model.sample_prior(jax.random.key(2), (5,))
    per_sample = jax.vmap(lambda wi: jnp.sum(jax.vmap(model.loss, in_axes=(None, 0, 0))(
        wi, data.x, data.y)))(w)
    np.testing.assert_allclose(jax.vmap(lambda wi: efn.energy(wi, st))(w), per_sample,
                               rtol=1e-12)


def test_progress_prints_the_time_left_to_stderr(capsys):
    tempered_draws(models.normal_crossing((1, 1)), key=jax.random.key(0), n=1e3, betas=[0.1],
                   num_chains=2, num_warmup=40, num_samples=40, progress=True)
    err = capsys.readouterr().err
    print(err)
    assert "s left" in err and "100%" in err


def test_cli_wbic_defaults_follow_the_cost_of_a_gradient():
    def pick(model):
        d = wbic_defaults(model)
        return d["num_betas"], d["max_tree_depth"]

    assert pick(models.tanh_network(3)) == (3, 4)
    assert pick(models.reduced_rank_regression(2, 2, 1, 0)) == (5, 8)
    assert pick(models.normal_crossing((1, 1))) == (5, 8)
