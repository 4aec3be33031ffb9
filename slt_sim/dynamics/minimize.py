"""A minimum of the empirical loss L_n, found by one optax run (e.g. to take an LLC there)."""

from __future__ import annotations

import jax
import optax

from .. import _validate as v
from ..models.base import Data, Model


def train_to_minimum(model: Model, data: Data | None = None, *, steps: int = 2000,
                     learning_rate: float = 1e-3, init=None) -> jax.Array:
    """Run Adam on w ↦ L_n(w) for ``steps`` steps from ``init`` (default: the true parameter).

    Deterministic (full batch, no noise). Returns the final parameter vector.
    """
    v.model(model)
    steps = v.as_int("steps", steps, lo=1)
    learning_rate = v.as_float("learning_rate", learning_rate, lo=0.0, lo_open=True)
    w0 = model.true_param if init is None else model.check_param(init, "init")
    if w0 is None:
        raise ValueError(f"{model.name} has no true parameter: pass init")
    loss = model.loss_function(data)
    opt = optax.adam(learning_rate)

    def body(carry, _):
        w, state = carry
        updates, state = opt.update(jax.grad(loss)(w), state, w)
        return (optax.apply_updates(w, updates), state), None

    return jax.jit(lambda w: jax.lax.scan(body, (w, opt.init(w)), None, steps)[0][0])(w0)
