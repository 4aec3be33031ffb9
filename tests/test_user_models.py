"""Models a user builds: validation at construction, regions, and the engines' honest answers."""

import dataclasses
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest

import slt_sim as slt
from slt_sim import Data, Model, models
from slt_sim.measure import _diagnostics as diag
from slt_sim.measure import free_energy_lambda
from slt_sim.models import gaussian


def _line_model(**overrides):
    """y = a·b·x + ε, σ = 1: a small data model written the way a user would."""

    def loss(w, x, y):
        return 0.5 * (y - w[0] * w[1] * x) ** 2 + 0.5 * jnp.log(2 * jnp.pi)

    def sample(key, n, w):
        kx, ke = jax.random.split(key)
        x = jax.random.normal(kx, (n,))
        return Data(x, w[0] * w[1] * x + jax.random.normal(ke, (n,)))

    kw = dict(name="user_line", dim=2, prior=gaussian(2, 1.0), box=((-4, 4), (-4, 4)),
              loss=loss, sample_inputs_targets=sample, true_param=jnp.zeros(2))
    kw.update(overrides)
    return Model(**kw)


def test_a_well_formed_user_model_builds_and_samples():
    m = _line_model()
    data = m.sample_data(jax.random.key(0), 50)
    assert data.n == 50 and m.per_sample_loss(m.true_param, data).shape == (50,)


@pytest.mark.parametrize("overrides, words", [
    (dict(prior=dist.Normal(jnp.zeros(2), 1.0)), "to_event(1)"),
    (dict(prior=gaussian(3, 1.0)), "event shape (2,)"),
    (dict(loss=lambda w, x, y: jnp.reshape(0.5 * (y - w[0] * w[1] * x) ** 2, (1,))),
     "must return a scalar for one sample"),
    (dict(sample_inputs_targets=lambda key, n, w: (jnp.zeros(n), jnp.zeros(n))),
     "must return slt_sim.Data"),
    (dict(sample_inputs_targets=lambda key, n, w: Data(jnp.zeros(n), jnp.zeros(n + 1))),
     "with n rows"),
    (dict(box=((-4, 4),)), "box must have 2"),
    (dict(box=((-4, 4), (3, -3))), "box[1] is empty"),
    (dict(prior=dist.Uniform(jnp.full(2, 10.0), 11.0).to_event(1)), "not finite inside box"),
    (dict(potential=lambda w: jnp.sum(w ** 2)), "exactly one of loss"),
    (dict(true_param=jnp.zeros(3)), "true_param must have shape (2,)"),
    (dict(loss=lambda w, x, y: w @ jnp.ones(3) * x), "calling its loss failed"),
])
def test_model_validation_names_the_fix(overrides, words):
    with pytest.raises((ValueError, TypeError)) as err:
        _line_model(**overrides)
    print(err.value)
    assert words in str(err.value) and "user_line" in str(err.value)


def test_a_vector_valued_potential_is_refused():
    with pytest.raises(ValueError, match="potential must return a scalar"):
        models.polynomial(lambda w: w ** 2, dim=2)


def test_polynomial_takes_regions_and_the_exact_masses_follow_them():
    m = models.polynomial("(a^2+b^2-1)^2*((a-1.5)^2+b^2)", half_width=2.0,
                          regions={"ring": lambda w: w[0] ** 2 + w[1] ** 2 < 1.5,
                                   "point": lambda w: w[0] ** 2 + w[1] ** 2 >= 1.5})
    assert m.region_names == ("ring", "point")
    same = models.polynomial("a^2+b^2", regions=[slt.models.Region("all", lambda w: True)])
    assert same.region_names == ("all",)
    post = slt.exact_posterior(m, [10.0, 1e4], keep_density=False)
    masses = post.region_masses
    total = masses["ring"] + masses["point"]
    print({k: np.round(x, 4) for k, x in masses.items()})
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    with pytest.raises(TypeError, match=r"regions\[0\]"):
        models.polynomial("a^2+b^2", regions=[3])


def test_compare_refuses_a_model_with_one_region_and_says_how_to_add_them():
    with pytest.raises(ValueError, match="two or more regions") as err:
        slt.compare(models.polynomial("(a+b)^2*(a-b)^2"), [100.0], key=jax.random.key(0))
    assert "'origin'" in str(err.value) and "regions=" in str(err.value)


def test_three_point_free_energy_interval_is_not_zero_width_and_says_it_is_crude():
    nc = models.normal_crossing((1, 1))
    with pytest.warns(UserWarning, match="only 3 values of n"):
        r3 = free_energy_lambda(nc, [1e2, 1e4, 1e6])
    lo, hi = r3.lam_ci
    print("3 points:", r3.lam_hat, r3.lam_ci)
    assert hi - lo > 1e-3 and lo <= r3.lam_hat <= hi
    assert r3.warnings and "only 3 values" in r3.as_dict()["warnings"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r9 = free_energy_lambda(nc)
    assert r9.warnings == () and r9.lam_ci[0] < r9.lam_hat < r9.lam_ci[1]


def test_diagnostics_flag_chains_that_never_left_w_star():
    t = np.arange(1000.0)
    rng = np.random.default_rng(0)
    climbing = 1e-6 * t[None, :] * (1 + 0.05 * rng.standard_normal((4, 1)))   # diffusing away
    rep = diag.diagnose(climbing, 0.0, 100.0, 2, acceptance=None, step_size=1e-5,
                        localization=0.1, sampler="sgld")
    print(rep.warnings)
    assert any("hardly left w*" in w and "2/(εγ)" in w for w in rep.warnings)
    settled = 0.005 + 0.001 * rng.standard_normal((4, 1000))
    rep = diag.diagnose(settled, 0.0, 100.0, 2, acceptance=None, step_size=1e-4,
                        localization=1.0, sampler="sgld")
    assert not any("hardly left" in w for w in rep.warnings)


def test_llc_at_a_step_size_far_too_small_fails_its_check():
    nc = models.normal_crossing((1, 2))
    r = slt.estimate_llc(nc, jnp.zeros(2), key=jax.random.key(0), n=10_000, sampler="sgld",
                         step_size=1e-5, localization=0.1, num_chains=4, num_draws=1000,
                         num_burnin=0)
    print(r.llc_mean, r.warnings)
    assert r.llc_mean < 0.05
    assert any("hardly left w*" in w for w in r.warnings)


def test_replica_exchange_draws_match_exact_on_a_singular_cross():
    """y = a·tanh(bx), truth (0, 0): NUTS under-spreads a; tempering over n does not."""
    m = models.tanh_network(1)
    data = m.sample_data(jax.random.key(1), 300)
    exact_sd = np.sqrt(np.diag(slt.exact_posterior(m, [300], data=data).cov[0]))
    occ = slt.replica_exchange(m, np.geomspace(1, 300, 6), key=jax.random.key(0), data=data,
                               keep_draws=True, num_steps=3000, num_burnin=750,
                               record_every=10, num_replicas=8)
    sd = occ.rung_draws().reshape(-1, 2).std(axis=0)
    print("exact sd", exact_sd, "replica exchange sd", sd, "swaps", occ.swap_acceptance)
    np.testing.assert_allclose(sd, exact_sd, rtol=0.12)
    assert np.all((occ.swap_acceptance > 0.2) & (occ.swap_acceptance <= 1.0))
    tree = occ.to_datatree()
    assert dict(tree["posterior"].sizes) == {"chain": 8, "draw": occ.draws.shape[1], "w_dim": 2}
    assert occ.settings["loss"] == "empirical (N = 300)"


def test_replica_exchange_refuses_data_for_a_potential():
    with pytest.raises(ValueError, match="data must be None"):
        slt.replica_exchange(models.normal_crossing(), [1.0, 10.0], key=jax.random.key(0),
                             data=Data(jnp.zeros(3), jnp.zeros(3)))


def test_dataclasses_replace_revalidates():
    m = models.normal_crossing()
    with pytest.raises(ValueError, match="to_event"):
        dataclasses.replace(m, prior=dist.Normal(jnp.zeros(2), 1.0))
