"""Facts about the model catalogue: shapes, priors, losses, data, regions, bad input."""

import math
import subprocess
import sys
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from slt_sim import models


def test_normal_crossing_potential_and_prior_normalisation():
    m = models.normal_crossing((1, 2), (0, 1))
    w = jnp.array([0.5, -0.5])
    assert float(m.potential(w)) == pytest.approx(0.5 ** 2 * 0.5 ** 4)
    # prior ∝ |w2|^1 on [-1, 1]: density of w2 = |w2| (normalised), w1 uniform 1/2
    assert float(jnp.exp(m.log_prior(w))) == pytest.approx(0.5 * 0.5)
    xs = m.sample_prior(jax.random.key(0), (20000,))
    assert xs.shape == (20000, 2)
    assert float(jnp.max(jnp.abs(xs))) <= 1.0
    # E|w2| under density |w| on [-1,1] is 2/3
    assert float(jnp.mean(jnp.abs(xs[:, 1]))) == pytest.approx(2 / 3, abs=0.01)
    # (0+1)/(2·1) = (1+1)/(2·2) = 1/2: a tie, so m = 2
    assert m.lam == Fraction(1, 2) and m.m == 2


def test_normal_crossing_multiplicity_counts_ties():
    assert models.normal_crossing((1, 1)).m == 2
    assert models.normal_crossing((1, 1, 1)).m == 3
    assert models.normal_crossing((1, 2)).lam == Fraction(1, 4)


def test_polynomial_parses_and_knows_classics():
    cusp = models.polynomial("(a^2-b^3)^2")
    assert cusp.dim == 2 and cusp.lam == Fraction(5, 12)
    assert float(cusp.potential(jnp.array([1.0, 1.0]))) == 0.0
    assert models.polynomial("a^2+b^4").lam == Fraction(3, 4)
    assert models.polynomial("(a^2+b^2)^2").lam == Fraction(1, 2)
    assert models.polynomial("(a*b*c)^2").m == 3
    assert models.polynomial("a^2 + 3*b^6").lam is None


@pytest.mark.parametrize("bad", ["a^2 + d", "import os", "a^2 +", "__import__('os')", "7"])
def test_polynomial_rejects_bad_text(bad):
    with pytest.raises(ValueError, match="potential"):
        models.polynomial(bad)


def test_two_basins_regions_partition_and_levels():
    m1 = models.two_basins_1d()
    assert [r.name for r in m1.regions] == ["wide", "narrow"]
    assert float(m1.potential(jnp.array([0.0]))) == pytest.approx(-1.0, abs=1e-12)
    assert float(m1.potential(jnp.array([11.0]))) == pytest.approx(-1.006135, abs=1e-9)
    assert int(m1.region_index(jnp.array([0.3]))) == 0
    assert int(m1.region_index(jnp.array([11.0]))) == 1
    m2 = models.two_basins_2d()
    assert int(m2.region_index(jnp.array([1.0, 1.0]))) == 1
    assert int(m2.region_index(jnp.array([-1.0, 1.5]))) == 0


def test_data_models_loss_and_population_loss_agree():
    model = models.reduced_rank_regression(3, 3, 2, 1)
    assert model.dim == 2 * (3 + 3)
    data = model.sample_data(jax.random.key(1), 20000)
    w0 = model.true_param
    w = w0 + 0.3 * jax.random.normal(jax.random.key(2), w0.shape)
    # L_n(w) - L_n(w0) estimates K(w)
    diff = model.empirical_loss(w, data) - model.empirical_loss(w0, data)
    assert float(diff) == pytest.approx(float(model.population_loss(w)), rel=0.05)
    # at the truth: L(w0) = N/2 (1 + log 2π)
    assert float(model.empirical_loss(w0, data)) == pytest.approx(1.5 * (1 + math.log(2 * math.pi)),
                                                                  rel=0.02)


def test_tanh_population_loss_matches_monte_carlo():
    model = models.tanh_network(2)
    w = jnp.array([0.7, -0.4, 1.3, 0.5])
    x = jax.random.normal(jax.random.key(3), (400000,))
    f = 0.7 * jnp.tanh(1.3 * x) - 0.4 * jnp.tanh(0.5 * x)
    assert float(model.population_loss(w)) == pytest.approx(float(0.5 * jnp.mean(f ** 2)), rel=0.01)


def test_dln_truth_has_requested_rank():
    model = models.deep_linear_network((4, 3, 4), 1)
    p = model.extra["product"](model.true_param)
    assert np.linalg.matrix_rank(np.asarray(p)) == 1
    assert model.dim == 4 * 3 + 3 * 4


@pytest.mark.parametrize("call, match", [
    (lambda: models.deep_linear_network((4, 3, 4), 5), "rank must be <= min"),
    (lambda: models.reduced_rank_regression(2, 2, 1, -1), "r must be >= 0"),
    (lambda: models.normal_crossing((1, 1), (0,)), "same length"),
    (lambda: models.normal_crossing((0, 0)), "at least one positive"),
    (lambda: models.two_basins_1d(prior_scale=float("nan")), "prior_scale must be finite"),
    (lambda: models.two_basins_2d(loss_gap=-1), "loss_gap must be >"),
    (lambda: models.quadratic(0), "d must be >= 1"),
])
def test_bad_constructor_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_potential_models_have_no_data():
    m = models.normal_crossing((1, 1))
    assert m.sample_data(jax.random.key(0), 10) is None
    with pytest.raises(ValueError, match="n must be >= 1"):
        models.tanh_network(1).sample_data(jax.random.key(0), -5)


def test_catalogue_priors_are_built_on_first_read_and_never_traced():
    # A catalogue model defers its NumPyro prior, so making a model and sampling its data (all
    # the LLC and SGD need) does not import NumPyro and SciPy; model.prior builds and checks it.
    code = ("import sys, jax, slt_sim as slt\n"
            "m = slt.models.deep_linear_network((4, 3, 4), rank=1)\n"
            "m.sample_data(jax.random.key(0), 10)\n"
            "print('numpyro' in sys.modules, 'scipy' in sys.modules)\n"
            "print(type(m.prior).__name__, tuple(m.prior.event_shape), 'numpyro' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "Independent", "(24,)", "True"]
    # first read inside a jit trace: the prior is still built from concrete arrays
    nc = models.normal_crossing((1, 2), h=(0, 1))
    val = jax.jit(nc.log_prior)(jnp.array([0.5, -0.25]))
    assert not isinstance(nc.prior.h, jax.core.Tracer)
    assert float(val) == pytest.approx(float(nc.log_prior(jnp.array([0.5, -0.25]))))
    assert nc.prior is nc.prior                                    # built once
