"""Priors that the catalogue needs beyond NumPyro's built-ins."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from numpyro.distributions import constraints

from .._numpyro import dist


class SymmetricPowerPrior(dist.Distribution):
    r"""Independent coordinates with density ∝ |w_i|^{h_i} on [−a_i, a_i].

    Normalised density of one coordinate: (h + 1) |w|^h / (2 a^{h+1}). With h = 0 this is the
    uniform prior on the box. It is the prior φ(w) = Π |w_i|^{h_i} of the normal-crossing
    normal form, so λ = min (h_i + 1)/(2 k_i).
    """

    arg_constraints = {"h": constraints.nonnegative, "half_width": constraints.positive}
    reparametrized_params = []

    def __init__(self, h, half_width, *, validate_args=None):
        self.h = jnp.asarray(h, dtype=jnp.result_type(float))
        self.half_width = jnp.broadcast_to(jnp.asarray(half_width, dtype=self.h.dtype),
                                           self.h.shape)
        super().__init__(batch_shape=(), event_shape=self.h.shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=1)
    def support(self):
        return constraints.independent(constraints.interval(-self.half_width, self.half_width), 1)

    def sample(self, key, sample_shape=()):
        k1, k2 = jax.random.split(key)
        shape = tuple(sample_shape) + self.event_shape
        u = jax.random.uniform(k1, shape, dtype=self.h.dtype)
        sign = jnp.where(jax.random.bernoulli(k2, 0.5, shape), 1.0, -1.0)
        return sign * self.half_width * u ** (1.0 / (self.h + 1.0))

    def log_prob_axes(self, value):
        """log density of each coordinate, shape (..., d): the coordinates are independent."""
        a, h = self.half_width, self.h
        absw = jnp.abs(value)
        log_norm = jnp.log(h + 1.0) - jnp.log(2.0) - (h + 1.0) * jnp.log(a)
        log_kernel = jnp.where(h == 0, 0.0, h * jnp.log(jnp.where(h == 0, 1.0, absw)))
        inside = absw <= a
        return jnp.where(inside, log_norm + log_kernel, -jnp.inf)

    def log_prob(self, value):
        return jnp.sum(self.log_prob_axes(value), axis=-1)

    @property
    def mean(self):
        return jnp.zeros(self.event_shape)

    @property
    def variance(self):
        return self.half_width ** 2 * (self.h + 1.0) / (self.h + 3.0)


def uniform_box(box) -> dist.Distribution:
    """Uniform prior on a box [lo_i, hi_i]^d (event shape (d,))."""
    lo = jnp.asarray([b[0] for b in box], dtype=jnp.result_type(float))
    hi = jnp.asarray([b[1] for b in box], dtype=jnp.result_type(float))
    return dist.Uniform(lo, hi).to_event(1)


def gaussian(dim: int, scale: float, loc=0.0) -> dist.Distribution:
    """Isotropic Gaussian prior N(loc, scale² I_d)."""
    loc = jnp.broadcast_to(jnp.asarray(loc, dtype=jnp.result_type(float)), (dim,))
    return dist.Normal(loc, scale).to_event(1)
