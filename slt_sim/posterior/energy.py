r"""The energy n L_n(w) of a model on a data set, as a pure function for the samplers.

Every tempered posterior p_n^β(w) ∝ φ(w) exp(−β · n L_n(w)) needs the *energy* n L_n(w), its
gradient, and nothing else from the data. :func:`energy_function` returns it as a pair

    prepare(data, n) -> stats          (a pytree of arrays, computed once per data set)
    energy(w, stats) -> n L_n(w)        (pure, jit/vmap/grad-friendly)

so that data sets and n are *arguments* of a compiled sampler, not constants baked into it:
one compilation serves every data seed, every n of the same shape and every temperature.

* Potential models: stats = {"n": n} and n L_n(w) = n K(w).
* Data models: stats = the data and n L_n(w) = Σ_i ℓ(w; x_i, y_i).
* Linear Gaussian data models (reduced-rank regression and deep linear networks, whose
  ``extra["product"]`` maps w to the product matrix P(w)): the Gaussian log-likelihood depends on
  the data only through the sufficient statistics S_xx = Σ x xᵀ, S_xy = Σ x yᵀ, s_yy = Σ yᵀy:

      Σ_i ½‖y_i − P x_i‖² = ½ (s_yy − 2 tr(P S_xy) + tr(Pᵀ P S_xx)),

  so one gradient costs O(d) instead of O(n d). The shortcut is checked against the plain sum at
  prior draws the first time it is used on a model (relative agreement 1e−9) and is dropped for
  that model if they disagree.
* Data models whose ``extra["batch_loss"]`` gives Σ_i ℓ(w; x_i, y_i) over a whole data set as one
  array program (the tanh network: one (n × H) matrix of tanh(b_j x_i) and a matrix–vector
  product): the same sum without ``vmap``-ing the per-sample loss, whose (n, 1, H) layout costs
  more per gradient on a CPU (timed in docs/mcmc.md). Checked against the plain sum the same way.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..models.base import Data, Model

_LOG_2PI = math.log(2.0 * math.pi)


class EnergyFunction(NamedTuple):
    """``energy(w, prepare(data, n))`` = n L_n(w); ``kind`` names the evaluation route."""

    prepare: Callable[[Data | None, float], Any]
    energy: Callable[[jax.Array, Any], jax.Array]
    kind: str


def _potential(model: Model) -> EnergyFunction:
    def prepare(data, n):
        return {"n": jnp.asarray(n, dtype=jnp.result_type(float))}

    def energy(w, stats):
        return stats["n"] * model.potential(w)

    return EnergyFunction(prepare, energy, "potential")


def _plain(model: Model) -> EnergyFunction:
    per_point = jax.vmap(model.loss, in_axes=(None, 0, 0))

    def prepare(data, n):
        return {"x": jnp.asarray(data.x), "y": jnp.asarray(data.y)}

    def energy(w, stats):
        return jnp.sum(per_point(w, stats["x"], stats["y"]))

    return EnergyFunction(prepare, energy, "per-sample sum")


def _linear_gaussian(model: Model) -> EnergyFunction:
    product = model.extra["product"]

    def prepare(data, n):
        x, y = jnp.asarray(data.x), jnp.asarray(data.y)
        return {"sxx": x.T @ x, "sxy": x.T @ y, "syy": jnp.sum(y * y),
                "n": jnp.asarray(x.shape[0], dtype=x.dtype)}

    def energy(w, stats):
        p = product(w)                                             # (N, M)
        n_out = p.shape[0]
        quad = stats["syy"] - 2.0 * jnp.trace(p @ stats["sxy"]) \
            + jnp.sum((p.T @ p) * stats["sxx"])
        return 0.5 * quad + 0.5 * n_out * stats["n"] * _LOG_2PI

    return EnergyFunction(prepare, energy, "sufficient statistics")


def _batch(model: Model) -> EnergyFunction:
    batch_loss = model.extra["batch_loss"]

    def prepare(data, n):
        return {"x": jnp.asarray(data.x), "y": jnp.asarray(data.y)}

    def energy(w, stats):
        return batch_loss(w, stats["x"], stats["y"])

    return EnergyFunction(prepare, energy, "batched sum")


def _agrees(model: Model, a: EnergyFunction, b: EnergyFunction) -> bool:
    key = jax.random.key(20240611)
    kd, kw = jax.random.split(key)
    data = model.sample_data(kd, 7)
    ws = model.sample_prior(kw, (3,))
    sa, sb = a.prepare(data, 7), b.prepare(data, 7)
    ea = np.asarray(jax.vmap(lambda w: a.energy(w, sa))(ws))
    eb = np.asarray(jax.vmap(lambda w: b.energy(w, sb))(ws))
    return bool(np.all(np.isfinite(ea)) and np.allclose(ea, eb, rtol=1e-9, atol=1e-9))


@functools.lru_cache(maxsize=32)       # energy functions kept (least recently used dropped)
def energy_function(model: Model) -> EnergyFunction:
    """The energy n L_n(w) of ``model`` as a (prepare, energy) pair (cached per model)."""
    if model.is_potential:
        fn = _potential(model)
    else:
        fn = _plain(model)
        product = model.extra.get("product") if model.extra else None
        if callable(product) and model.noise.startswith("Gaussian regression, σ = 1"):
            fast = _linear_gaussian(model)
            if _agrees(model, fn, fast):
                fn = fast
        elif callable(model.extra.get("batch_loss") if model.extra else None):
            fast = _batch(model)
            if _agrees(model, fn, fast):
                fn = fast
    return fn


def model_data(model: Model, *, key: jax.Array | None, n, data: Data | None,
               name: str = "data") -> tuple[float, Data | None]:
    """Resolve (n, data) for a sampler call: potentials need n; data models need data or key.

    Returns n as a float (the data size for data models) and the data (None for potentials).
    """
    from .. import _validate as v

    if model.is_potential:
        if n is None:
            raise ValueError(f"{model.name} is a potential (L_n = K): pass n, the data count "
                             f"that scales it")
        if data is not None:
            raise ValueError(f"{model.name} is a potential and takes no data; pass only n")
        return v.as_float("n", n, lo=0.0, lo_open=True), None
    if data is None:
        if n is None:
            raise ValueError(f"{model.name} is a data model: pass data, or n and key to sample "
                             f"n points from the truth")
        n = v.as_int("n", n, lo=1)
        if key is None:
            raise ValueError("key is required to sample data (or pass data)")
        data = model.sample_data(key, n)
    if not isinstance(data, Data):
        try:
            data = Data(*data)
        except TypeError:
            raise TypeError(f"{name} must be a Data(x, y) pair, got {type(data).__name__}") \
                from None
    if n is not None and v.as_int("n", n, lo=1) != data.n:
        raise ValueError(f"n={n} does not match the {data.n} samples in {name}")
    return float(data.n), data
