r"""The LLC engine shared by :func:`~slt_sim.measure.llc.estimate_llc`,
:func:`~slt_sim.measure.calibrate.calibrate_llc` and :func:`~slt_sim.dynamics.llc_trajectory`.

Private: checks the inputs into a :class:`Problem` (loss function, w*, data, n, nβ = n / log n by
default, parameter mask, batch size), builds the pure chains function

    (keys, batch_key, w*, data, mask, ε, γ, nβ) -> (losses (chains, burn-in + draws), acceptance)

of localised SG-MCMC chains started at w* (``vmap`` over chains, ``lax.scan`` over steps), and
keeps its compiled executables (one per configuration and argument shapes). Each caller adds its
own batch axes (settings, checkpoints) with ``vmap`` and reads the traces with
:func:`slt_sim.measure._diagnostics.diagnose`.
"""

from __future__ import annotations

import functools
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from ..models.base import Data, Model
from ..posterior import sgmcmc

Array = jax.Array

#: default settings (chosen with :func:`slt_sim.calibrate_llc`; see docs/llc.md)
DEFAULT_STEP_SIZE = 1e-4
DEFAULT_LOCALIZATION = 1.0
DEFAULT_NUM_DRAWS = 2000
DEFAULT_NUM_BURNIN = 500


# ------------------------------------------------------------------------ the problem
@functools.lru_cache(maxsize=64)
def _model_loss_fn(model: Model) -> Callable:
    """(w, batch) -> L(w; batch) for a catalogue model, one stable function per model
    (``Model.empirical_loss``: the mean per-sample loss, or K(w) for a potential)."""
    return model.empirical_loss


def _subset(data, subset, n: int):
    idx = np.asarray(subset)
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise ValueError(f"data_subset as a boolean mask must have shape ({n},), got "
                             f"{idx.shape}")
        idx = np.flatnonzero(idx)
    elif not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 1:
        raise ValueError("data_subset must be a 1-D array of sample indices or a boolean mask "
                         f"of length n = {n}")
    if idx.size < 2:
        raise ValueError(f"data_subset must select at least 2 samples, got {idx.size}")
    if idx.min() < -n or idx.max() >= n:
        raise ValueError(f"data_subset indices must lie in [0, {n}), got range "
                         f"[{idx.min()}, {idx.max()}]")
    sel = jnp.asarray(idx)
    return jax.tree.map(lambda x: jnp.take(jnp.asarray(x), sel, axis=0), data), int(idx.size)


def _param_mask(mask, w_star):
    if mask is None:
        return None
    if isinstance(w_star, (jax.Array, np.ndarray)):
        try:
            mask = np.asarray(mask, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"param_mask must be 0/1 numbers, got {mask!r}") from None
        if mask.shape != np.shape(w_star):
            raise ValueError(f"param_mask must have the shape of w_star {np.shape(w_star)}, got "
                             f"{mask.shape}")
    try:
        mask = jax.tree.map(lambda m, w: jnp.broadcast_to(jnp.asarray(m, jnp.result_type(w)),
                                                          jnp.shape(w)), mask, w_star)
    except (ValueError, TypeError) as err:
        raise ValueError(f"param_mask must be a pytree of 0/1 arrays matching w_star: {err}") \
            from None
    total = sum(float(jnp.sum(m)) for m in jax.tree.leaves(mask))
    if total < 1:
        raise ValueError("param_mask frees no parameter: at least one entry must be 1/True")
    return mask


def _resolve(model_or_loss, w_star, key, data, n, data_subset):
    """Return (loss_fn, w_star, data, n, free-parameter reference)."""
    if isinstance(model_or_loss, Model):
        model = model_or_loss
        loss_fn = _model_loss_fn(model)
        if w_star is None:
            if model.true_param is not None:
                w_star = model.true_param
            elif model.regions and model.regions[0].centre is not None:
                w_star = jnp.asarray(model.regions[0].centre, jnp.result_type(float))
            else:
                raise ValueError(f"w_star is required for {model.name}")
        w_star = model.check_param(w_star, "w_star")
        if w_star.ndim != 1:
            raise ValueError(f"w_star must be one parameter vector of shape ({model.dim},), got "
                             f"shape {tuple(w_star.shape)}")
        w_star = w_star.astype(jnp.result_type(float))
        if model.is_potential:
            if data is not None:
                raise ValueError(f"{model.name} is a potential (L_n = K, no data): pass n, not "
                                 "data")
            if data_subset is not None:
                raise ValueError(f"data_subset needs data, and {model.name} is a potential")
            if n is None:
                raise ValueError(f"n is required for the potential {model.name}: it sets nβ = "
                                 "n / log n (L_n = K has no data)")
            return loss_fn, w_star, None, v.as_int("n", n, lo=2)
        if data is None:
            if n is None:
                raise ValueError(f"{model.name} is a data model: pass data (model.sample_data) "
                                 "or n (data are then drawn from the true parameter)")
            n = v.as_int("n", n, lo=2)
            data = model.sample_data(jax.random.fold_in(key, 0x5EED), n)
        elif not isinstance(data, Data):
            raise TypeError(f"data for {model.name} must be a slt_sim Data(x, y), got "
                            f"{type(data).__name__}")
    else:
        v.model_or_loss(model_or_loss)
        loss_fn = model_or_loss
        if w_star is None:
            raise ValueError("w_star (the parameter pytree where the LLC is measured) is required "
                             "with a loss function")
        w_star = jax.tree.map(lambda x: jnp.asarray(x, jnp.result_type(float)), w_star)
        if data is None:
            if n is None:
                raise ValueError("with a loss function and no data, pass n (for nβ = n/log n)")
            if data_subset is not None:
                raise ValueError("data_subset needs data")
            return loss_fn, w_star, None, v.as_int("n", n, lo=2)
        data = jax.tree.map(jnp.asarray, data)
    n_data = v.num_samples(data)
    if data_subset is not None:
        data, n_data = _subset(data, data_subset, n_data)
    elif n is not None and v.as_int("n", n, lo=2) != n_data:
        raise ValueError(f"n = {n} does not match the {n_data} samples in data (leave n out)")
    if n_data < 2:
        raise ValueError(f"data must hold at least 2 samples, got {n_data}")
    return loss_fn, w_star, data, n_data


# ------------------------------------------------------------------------ compiled runner
def chains_fn(loss_fn, sampler: str, options: tuple, num_burnin: int, num_draws: int,
              batch_size: int | None) -> Callable:
    """The pure function ``(keys, batch_key, w_star, data, mask, ε, γ, nβ) -> (losses, acc)``.

    ``losses`` has shape (chains, burn-in + draws); ``acc`` is the mean acceptance probability
    per chain over the kept draws. Chains are a ``vmap`` over ``keys``; ``batch_key`` (one key,
    or None for per-chain batch orders) fixes a minibatch order shared by all chains.
    """
    num_steps = num_burnin + num_draws

    def run(keys, batch_key, w_star, data, mask, step_size, gamma, nbeta):
        potential = sgmcmc.localized_potential(loss_fn, w_star, nbeta, gamma)
        smp = sgmcmc.build_sampler(sampler, potential, step_size, mask, **dict(options))

        def chain(k):
            _, info = sgmcmc.run_chain(smp, k, w_star, data, num_steps, batch_size, batch_key)
            return info.loss, jnp.mean(info.acceptance[num_burnin:])

        return jax.vmap(chain)(keys)

    return run


def _runner(*config):
    return jax.jit(chains_fn(*config))


#: compiled executables, least recently used first (at most _MAX_COMPILED kept)
_COMPILED: OrderedDict = OrderedDict()
_MAX_COMPILED = 64


def _signature(args) -> tuple:
    leaves, treedef = jax.tree.flatten(args)
    return (treedef,) + tuple((jnp.shape(x), str(jnp.result_type(x)),
                               str(getattr(x, "sharding", None))) for x in leaves)


def compiled(config: tuple, args, build: Callable | None = None) -> tuple[Callable, float]:
    """The compiled runner for ``config`` and these argument shapes, and the compile time.

    ``build(*config)`` makes the jitted function (default: the chains runner).
    """
    build = _runner if build is None else build
    sig = (build, config, _signature(args))
    hit = _COMPILED.get(sig)
    if hit is not None:
        _COMPILED.move_to_end(sig)
        return hit, 0.0
    t0 = time.perf_counter()
    fn = build(*config).lower(*args).compile()
    _COMPILED[sig] = fn
    while len(_COMPILED) > _MAX_COMPILED:
        _COMPILED.popitem(last=False)
    return fn, time.perf_counter() - t0


class Problem(NamedTuple):
    """A checked LLC problem: what the compiled runner needs."""

    loss_fn: Callable
    w_star: Any
    data: Any
    n: int
    nbeta: float
    mask: Any
    batch_size: int | None
    free_parameters: int
    init_loss: float


def prepare(model_or_loss, w_star=None, *, key, data=None, n=None, data_subset=None,
            nbeta=None, param_mask=None, batch_size=None, sampler="sgld") -> Problem:
    """Check the inputs shared by :func:`estimate_llc` and ``calibrate_llc``."""
    if sampler not in sgmcmc.SAMPLERS:
        raise ValueError(f"sampler must be one of {sorted(sgmcmc.SAMPLERS)}, got {sampler!r}")
    key = jnp.asarray(v.prng_key(key))
    loss_fn, w_star, data, n_eff = _resolve(model_or_loss, w_star, key, data, n, data_subset)
    nb = n_eff / math.log(n_eff) if nbeta is None else v.as_float("nbeta", nbeta, lo=0.0,
                                                                      lo_open=True)
    mask = _param_mask(param_mask, w_star)
    if batch_size is not None:
        batch_size = v.as_int("batch_size", batch_size, lo=1)
    full_batch = data is None or sampler == "mala" or batch_size is None or batch_size >= n_eff
    d_free = round(float(sgmcmc.free_size(w_star, mask)))
    try:
        init_loss = float(_init_loss(loss_fn, w_star, data))
    except (TypeError, ValueError) as err:
        raise type(err)(f"loss_fn(w_star, data) failed: {err}") from None
    if not math.isfinite(init_loss):
        raise ValueError(f"the loss at w_star is not finite ({init_loss}); check w_star and data")
    return Problem(loss_fn, w_star, data, n_eff, nb, mask, None if full_batch else batch_size,
                   d_free, init_loss)


@functools.partial(jax.jit, static_argnums=0)
def _init_loss(loss_fn, w_star, data):
    return loss_fn(w_star, data)
