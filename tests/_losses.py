"""Loss functions shared by test modules."""

import jax
import jax.numpy as jnp
import numpy as np


@jax.custom_vjp
def _host_square(x):
    return x ** 2


def _host_square_bwd(x, g):
    shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
    return (jax.pure_callback(lambda a, b: 2 * np.asarray(a) * np.asarray(b), shape, x, g,
                              vmap_method="sequential"),)


_host_square.defvjp(lambda x: (x ** 2, x), _host_square_bwd)


def host_callback_loss(w, batch):
    """Σ w²: its gradient comes back through a host callback, so gradients work (the samplers
    run) but a second derivative does not exist for JAX (no Hessian)."""
    return jnp.sum(_host_square(w))
