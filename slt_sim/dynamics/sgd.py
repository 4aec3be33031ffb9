r"""SGD (any optax optimizer) on a catalogue Model or a user loss, many seeds at once.

Every seed s runs the same optimizer on the empirical loss of its data,

    w_{t+1} = w_t + U_t( ∇_w L_B(w_t) + σ ξ_t ),     L_B(w) = (1/|B|) Σ_{i ∈ B_t} ℓ(w; x_i, y_i),

where U_t is the optax update (plain SGD: U = −η·g), B_t a minibatch of |B| indices drawn with
replacement from the seed's n samples (or all of them: full batch), and σ ξ_t optional isotropic
Gaussian gradient noise (a model of minibatch noise for potentials, which have no data). For a
potential L_n = K, so the trajectory does not depend on n at all. Seeds are a ``vmap`` axis,
sharded over the available devices (``jax.sharding``); the steps run under ``lax.scan`` over
checkpoint segments. Seed i uses the key
``fold_in(key, i)``, so a run's first seeds are the same whatever ``num_seeds`` is.

At every checkpoint the result keeps the parameters, the full training loss L_n, the population
loss (when the model has one), and the region (basin / phase) of the model the run is in. A run
whose loss or parameters become non-finite (or whose loss exceeds ``divergence_threshold``) is
flagged as diverged from that checkpoint on: it is counted, never dropped.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import _validate as v
from .._results import fields_dict
from .._sharding import devices_used, seed_sharding
from ..models.base import Data, Model

#: fold_in stream of the data set shared by all seeds (seeds use streams 0 .. S − 1)
_SHARED_DATA_STREAM = 2 ** 31 - 1
#: region index of a run in none of the named regions
REGION_NONE = -1
#: region index of a diverged run (non-finite or exploding loss)
REGION_DIVERGED = -2

_OPTIMIZERS: dict[str, Callable[..., optax.GradientTransformation]] = {
    "sgd": optax.sgd,
    "momentum": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9),
    "adam": optax.adam,
}


@dataclass(frozen=True)
class SGDResult:
    """Trajectories of many SGD runs, recorded at checkpoints.

    Attributes:
      steps: checkpoint steps, shape (K,), starting at 0 and ending at ``num_steps``.
      params: parameters at the checkpoints; a pytree whose leaves have shape (S, K, ...)
        (for a Model: an array (S, K, d)).
      loss: training loss L_n (the objective on the run's full data; K(w) for a potential),
        shape (S, K).
      population_loss: the model's population loss at the checkpoints, (S, K), when known.
      region: index into ``region_names`` of the region each run is in at each checkpoint, (S, K);
        ``REGION_NONE`` (−1) in none, ``REGION_DIVERGED`` (−2) once diverged.
      region_names: names of the regions (the model's basins / phases).
      diverged: (S,) True for runs that diverged.
      diverged_step: (S,) first checkpoint step at which the run had diverged (−1 if never).
      settings: the settings that produced the runs (optimizer, lr, n, batch size, ...).
      seconds: wall time of the run (compilation included).
      data: the training data shared by all seeds (None for a potential or per-seed data).
    """

    steps: np.ndarray
    params: Any
    loss: np.ndarray
    population_loss: np.ndarray | None
    region: np.ndarray
    region_names: tuple[str, ...]
    diverged: np.ndarray
    diverged_step: np.ndarray
    settings: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    data: Any = None

    @property
    def num_seeds(self) -> int:
        return int(self.loss.shape[0])

    @property
    def num_diverged(self) -> int:
        return int(np.sum(self.diverged))

    @property
    def final_params(self):
        """Parameters at the last checkpoint (leaves (S, ...))."""
        return jax.tree_util.tree_map(lambda x: x[:, -1], self.params)

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[:, -1]

    def region_fractions(self) -> dict[str, np.ndarray]:
        """Fraction of all S runs in each region at every checkpoint, shape (K,) per name.

        Keys: the region names, then ``"none"`` and ``"diverged"``; at every checkpoint the
        fractions sum to 1.
        """
        out = {name: np.mean(self.region == i, axis=0) for i, name in enumerate(self.region_names)}
        out["none"] = np.mean(self.region == REGION_NONE, axis=0)
        out["diverged"] = np.mean(self.region == REGION_DIVERGED, axis=0)
        return out

    def final_region_fractions(self) -> dict[str, float]:
        """Fraction of runs ending in each region (plus ``"none"``, ``"diverged"``); sums to 1."""
        return {k: float(x[-1]) for k, x in self.region_fractions().items()}

    def as_dict(self, params: bool = False) -> dict:
        """The fields as plain Python (for JSON) plus ``num_seeds``, ``num_diverged`` and
        ``final_region_fractions``; ``params=True`` keeps the checkpoint parameters and the
        shared data (left out by default: seeds × checkpoints × d numbers)."""
        out = fields_dict(self, skip=() if params else ("params", "data"))
        out.update(num_seeds=self.num_seeds, num_diverged=self.num_diverged,
                   final_region_fractions=self.final_region_fractions())
        return out


# ----------------------------------------------------------------------------- objectives
@dataclass(frozen=True, eq=False)
class _Objective:
    """What the runner needs, independent of where it came from (Model or user loss)."""

    source: Any  # the Model or user callable: identity for the compile cache
    batch_loss: Callable  # (params, batch | None) -> scalar
    full_loss: Callable  # (params, data | None) -> scalar
    population_loss: Callable | None
    region_fn: Callable | None  # params -> int
    region_names: tuple[str, ...]
    sample_data: Callable | None  # (key, n) -> data pytree (per-seed data)
    sample_init: Callable | None  # key -> params (prior)
    per_sample: Callable | None = None  # (params, batch) -> (B,) per-sample losses


def _model_objective(model: Model) -> _Objective:
    if model.is_potential:
        def batch_loss(w, batch):
            return model.potential(w)
        full_loss = batch_loss
        sample_data = None
    else:
        def batch_loss(w, batch):
            return jnp.mean(jax.vmap(model.loss, in_axes=(None, 0, 0))(w, batch.x, batch.y))
        full_loss = batch_loss

        def sample_data(key, n):
            return model.sample_data(key, n)

        def per_sample(w, batch):
            return jax.vmap(model.loss, in_axes=(None, 0, 0))(w, batch.x, batch.y)
    pop = model.population_loss if (not model.is_potential and
                                     model.population_loss is not None) else None
    # a model may offer a faster equivalent of region_index (one pass over all regions)
    region_fn = (model.extra.get("region_index") or model.region_index) if model.regions else None
    return _Objective(model, batch_loss, full_loss, pop, region_fn, model.region_names,
                      sample_data, lambda key: model.sample_prior(key),
                      None if model.is_potential else per_sample)


def _user_objective(loss: Callable, has_data: bool, region_fn, region_names,
                    per_sample: bool = False) -> _Objective:
    if per_sample:  # the loss returns per-sample losses (B,): train_sgd(..., objective=...)
        def batch_loss(params, batch):
            return jnp.mean(loss(params, batch))
        return _Objective(loss, batch_loss, batch_loss, None, region_fn, tuple(region_names),
                          None, None, loss)
    if has_data:
        def batch_loss(params, batch):
            return loss(params, batch)
    else:
        def batch_loss(params, batch):
            return loss(params)
    return _Objective(loss, batch_loss, batch_loss, None, region_fn, tuple(region_names), None,
                      None)


# ----------------------------------------------------------------------------- runner
@functools.lru_cache(maxsize=32)
def _runner(objective: _Objective, opt_spec, num_segments: int, n: int | None,
            batch_size: int | None, per_seed_data: bool, init_mode: str,
            init_fn: Callable | None, noisy: bool, train_objective=None):
    """Compile one trajectory function for a static configuration (cached)."""

    def make_opt(hyper):
        if isinstance(opt_spec, str):
            return optax.inject_hyperparams(_OPTIMIZERS[opt_spec])(learning_rate=hyper["lr"])
        return opt_spec

    def minibatch(data, key):
        if data is None or batch_size is None:
            return data
        idx = jax.random.randint(key, (batch_size,), 0, n)
        return jax.tree_util.tree_map(lambda x: x[idx], data)

    def record(w, data):
        return w, objective.full_loss(w, data)

    def one(key, init_arg, shared_data, segments, hyper):
        k_init, k_data, k_run = jax.random.split(key, 3)
        data = objective.sample_data(k_data, n) if per_seed_data else shared_data
        if init_mode == "prior":
            w0 = objective.sample_init(k_init)
        elif init_mode == "callable":
            w0 = init_fn(k_init)
        else:  # a point (shared or per seed) plus optional Gaussian jitter
            leaves, tree = jax.tree_util.tree_flatten(init_arg)
            ks = jax.random.split(k_init, len(leaves))
            w0 = jax.tree_util.tree_unflatten(tree, [
                x + hyper["init_noise"] * jax.random.normal(kk, jnp.shape(x), jnp.result_type(x))
                for x, kk in zip(leaves, ks)])
        opt = make_opt(hyper)
        grad_fn = jax.grad(objective.batch_loss)
        if train_objective is not None:  # a grouped / SVD / DRO objective over ℓ(x), x ∈ B
            per_sample = objective.per_sample
            # own key streams, so the minibatches are those of a run without an objective
            k_obj, k_obj_batch = jax.random.fold_in(k_init, 1), jax.random.fold_in(k_init, 2)
            obj_state0 = train_objective.init(w0, minibatch(data, k_obj_batch), k_obj)

            def objective_grad(w, batch, obj_state):
                obj_state = train_objective.update(obj_state, w, batch, per_sample)
                g = jax.grad(lambda p: train_objective.value(per_sample(p, batch), obj_state,
                                                             batch))(w)
                return g, obj_state

        def step(_, carry):
            w, state, k = carry[:3]
            k, kb, kn = jax.random.split(k, 3)
            if train_objective is None:
                g = grad_fn(w, minibatch(data, kb))
            else:
                g, obj_state = objective_grad(w, minibatch(data, kb), carry[3])
            if noisy:
                leaves, tree = jax.tree_util.tree_flatten(g)
                kk = jax.random.split(kn, len(leaves))
                g = jax.tree_util.tree_unflatten(tree, [
                    x + hyper["noise"] * jax.random.normal(q, x.shape, x.dtype)
                    for x, q in zip(leaves, kk)])
            updates, state = opt.update(g, state, w)
            if train_objective is None:
                return optax.apply_updates(w, updates), state, k
            return optax.apply_updates(w, updates), state, k, obj_state

        def segment(carry, length):
            carry = jax.lax.fori_loop(0, length, step, carry)
            return carry, record(carry[0], data)

        first = record(w0, data)
        carry0 = (w0, opt.init(w0), k_run)
        if train_objective is not None:
            carry0 = carry0 + (obj_state0,)
        _, rest = jax.lax.scan(segment, carry0, segments)
        return jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b], axis=0),
                                      first, rest)

    init_axis = 0 if init_mode == "points" else None
    return jax.jit(jax.vmap(one, in_axes=(0, init_axis, None, None, None)))


@functools.lru_cache(maxsize=32)
def _checkpoint_maps(objective: _Objective):
    """Jitted maps over a flat batch of parameters: region index and population loss.

    Kept out of the trajectory scan on purpose: compiled there they cost several times more.
    """
    region = None if objective.region_fn is None else jax.jit(jax.vmap(
        lambda w: jnp.asarray(objective.region_fn(w), dtype=jnp.int32)))
    pop = None if objective.population_loss is None else \
        jax.jit(jax.vmap(objective.population_loss))
    return region, pop


# ----------------------------------------------------------------------------- public
def checkpoint_steps(num_steps: int, checkpoints: int | Sequence[int] = 101,
                     spacing: str = "linear") -> np.ndarray:
    """Sorted unique checkpoint steps in [0, num_steps], always including 0 and num_steps.

    Args:
      num_steps: total number of optimizer steps T.
      checkpoints: a count (evenly spaced in ``spacing``) or explicit steps.
      spacing: ``"linear"`` or ``"log"`` (geometric from step 1, useful for plateaus).
    """
    T = v.as_int("num_steps", num_steps, lo=1)
    if isinstance(checkpoints, (int, np.integer)) and not isinstance(checkpoints, bool):
        count = v.as_int("checkpoints", checkpoints, lo=2)
        if spacing == "linear":
            steps = np.linspace(0, T, count)
        elif spacing == "log":
            steps = np.concatenate([[0], np.geomspace(1, T, count - 1)])
        else:
            raise ValueError(f"checkpoint spacing must be 'linear' or 'log', got {spacing!r}")
        steps = np.unique(np.round(steps).astype(np.int64))
    else:
        steps = np.asarray([v.as_int("checkpoints[i]", s, lo=0, hi=T) for s in checkpoints],
                           dtype=np.int64)
        steps = np.unique(np.concatenate([[0, T], steps]))
    return steps


def train_sgd(model_or_loss: Model | Callable,
              optimizer: str | optax.GradientTransformation = "sgd",
              *, key, num_steps: int, num_seeds: int = 16, lr: float | None = None,
              data=None, n: int | None = None, batch_size: int | None = None,
              data_per_seed: bool = False, init="prior", init_noise: float = 0.0,
              checkpoints: int | Sequence[int] = 101, checkpoint_spacing: str = "linear",
              gradient_noise: float = 0.0, region_fn: Callable | None = None,
              region_names: Sequence[str] = (), divergence_threshold: float = 1e8,
              devices=None, objective=None) -> SGDResult:
    r"""Run SGD (any optax optimizer) from many seeds at once; record checkpoints.

    Each seed minimises the empirical loss L_n(w) = (1/n) Σ ℓ(w; x_i, y_i) of its data (a
    potential's K(w) when the model has no data) with minibatches of ``batch_size`` indices
    drawn with replacement (``None``: full batch), optionally with isotropic Gaussian gradient
    noise of standard deviation ``gradient_noise``. See the module docstring.

    Args:
      model_or_loss: a catalogue :class:`~slt_sim.models.Model`, or a user loss over a pytree
        of parameters: ``loss(params, batch)`` when ``data`` is given (``batch`` is a pytree of
        arrays with the sample index as leading axis), else ``loss(params)``.
      optimizer: ``"sgd"``, ``"momentum"`` (0.9) or ``"adam"`` with learning rate ``lr``, or any
        ``optax.GradientTransformation`` (then ``lr`` must be left out).
      key: a ``jax.random`` key; seed i uses ``fold_in(key, i)``.
      num_steps: optimizer steps T per run.
      num_seeds: number of runs S (a vmap axis).
      lr: learning rate η for a named optimizer (default 0.01).
      data: training data shared by all seeds (a :class:`Data` for a Model, any pytree for a
        user loss). For a data model without ``data``, each run draws data of size ``n``: one
        shared data set (from ``key``) or, with ``data_per_seed=True``, fresh data per seed.
      n: data count when the data are sampled from the model.
      batch_size: minibatch size |B| (≤ n), or ``None`` for full-batch gradient descent.
      data_per_seed: sample fresh data of size n for every seed (Model only).
      init: ``"prior"`` (w₀ ~ φ; Model only), a point (pytree; the same for every seed), a
        batch of points with leading axis S (array for a Model), or a function ``key -> params``.
      init_noise: standard deviation of Gaussian jitter added to a given initial point.
      checkpoints: number of checkpoints (evenly spaced) or explicit steps; 0 and T always kept.
      checkpoint_spacing: ``"linear"`` or ``"log"`` for a count of checkpoints.
      gradient_noise: σ of Gaussian noise added to every gradient coordinate.
      region_fn, region_names: for a user loss, ``params -> int`` region index and the names.
      divergence_threshold: a loss above this (or any non-finite value) marks a run diverged.
      devices: devices to shard the seeds over (default: all of ``jax.devices()``; the largest
        number of them that divides ``num_seeds`` is used). Results do not depend on it.
      objective: an :class:`~slt_sim.dynamics.objectives.Objective` (grouped, gradient-
        clustered, SVD-grouped, group DRO, ...) to minimise instead of the mean minibatch
        loss: each step updates its state on the minibatch, then follows the gradient of its
        value. Needs per-sample losses: a data model, or a user loss that returns them,
        shape (B,). The recorded ``loss`` stays the mean loss L_n, so runs under different
        objectives are comparable.

    Returns:
      :class:`SGDResult` with parameters, loss and region at every checkpoint of every seed and
      the divergence flags.

    Example:
      >>> import jax, slt_sim as slt
      >>> res = slt.train_sgd(slt.models.two_basins_2d(), "sgd", lr=0.05, num_steps=500,
      ...                     num_seeds=1000, key=jax.random.key(0))
      >>> res.final_region_fractions()  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    T = v.as_int("num_steps", num_steps, lo=1)
    S = v.as_int("num_seeds", num_seeds, lo=1)
    steps = checkpoint_steps(T, checkpoints, checkpoint_spacing)
    noise = v.as_float("gradient_noise", gradient_noise, lo=0.0)
    jitter = v.as_float("init_noise", init_noise, lo=0.0)
    threshold = v.as_float("divergence_threshold", divergence_threshold, lo=0.0, lo_open=True)
    key = v.prng_key(key)
    v.model_or_loss(model_or_loss)

    # optimizer ---------------------------------------------------------------------------
    if isinstance(optimizer, str):
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)} or an optax "
                             f"GradientTransformation, got {optimizer!r}")
        lr_value = 0.01 if lr is None else v.as_float("lr", lr, lo=0.0, lo_open=True)
        opt_spec, opt_name = optimizer, optimizer
    elif isinstance(optimizer, optax.GradientTransformation):
        if lr is not None:
            raise ValueError("lr must be left out when optimizer is an optax transformation "
                             "(its learning rate is part of it)")
        lr_value, opt_spec, opt_name = float("nan"), optimizer, "optax"
    else:
        raise TypeError(f"optimizer must be a name or an optax GradientTransformation, got "
                        f"{type(optimizer).__name__}")

    # objective and data ------------------------------------------------------------------
    per_seed = bool(data_per_seed)
    train_objective = _check_train_objective(objective, model_or_loss, data)
    if isinstance(model_or_loss, Model):
        model = model_or_loss
        objective = _objective_for(model)
        if model.is_potential:
            if data is not None or n is not None or per_seed:
                raise ValueError(f"model {model.name} is a potential: it has no data, so data, n "
                                 "and data_per_seed must be left out")
            if batch_size is not None:
                raise ValueError(f"model {model.name} is a potential: batch_size must be None "
                                 "(use gradient_noise to model minibatch noise)")
        elif data is not None:
            if per_seed:
                raise ValueError("data_per_seed=True samples data; leave data out")
            if not isinstance(data, Data):
                raise TypeError(f"data must be a slt_sim Data(x, y), got {type(data).__name__}")
            n = data.n
        else:
            if n is None:
                raise ValueError(f"model {model.name} is a data model: pass data or n")
            n = v.as_int("n", n, lo=1)
            if not per_seed:
                data = model.sample_data(jax.random.fold_in(key, _SHARED_DATA_STREAM), n)
    else:  # a loss function (v.model_or_loss checked it)
        if per_seed:
            raise ValueError("data_per_seed needs a Model (a user loss has no data sampler)")
        if isinstance(init, str):
            raise TypeError("a user loss needs init: a parameter pytree, a batch of them, or "
                            "a function key -> params")
        if region_fn is not None and not region_names:
            raise ValueError("region_names must name the regions that region_fn indexes")
        objective = _user_objective(model_or_loss, data is not None, region_fn, region_names,
                                    per_sample=train_objective is not None)
        n = None if data is None else v.num_samples(data)
    if batch_size is not None:
        batch_size = v.as_int("batch_size", batch_size, lo=1)
        if n is None:
            raise ValueError("batch_size needs data (a loss without data is full-batch)")
        if batch_size > n:
            raise ValueError(f"batch_size must be <= n = {n}, got {batch_size}")

    # initial points -----------------------------------------------------------------------
    init_fn = None
    init_arg = None
    if isinstance(init, str):
        if init != "prior":
            raise ValueError(f"init must be 'prior', a point, a batch of points or a function, "
                             f"got {init!r}")
        init_mode = "prior"
    elif callable(init):
        init_mode, init_fn = "callable", init
    else:
        init_arg = jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype=jnp.result_type(float)),
                                          init)
        init_mode = _point_mode(init_arg, model_or_loss, S)

    # run ----------------------------------------------------------------------------------
    runner = _runner(objective, opt_spec, len(steps) - 1, n, batch_size, per_seed, init_mode,
                     init_fn, noise > 0, train_objective)
    seed_keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(S))
    sharding = seed_sharding(S, devices)
    if sharding is not None:
        seed_keys = jax.device_put(seed_keys, sharding)
        if init_mode == "points":
            init_arg = jax.device_put(init_arg, sharding)
    hyper = {"lr": jnp.asarray(lr_value), "noise": jnp.asarray(noise),
             "init_noise": jnp.asarray(jitter)}
    shared = None if per_seed else data
    params, loss = runner(seed_keys, init_arg, shared,
                          jnp.asarray(np.diff(steps), dtype=jnp.int32), hyper)
    region_map, pop_map = _checkpoint_maps(objective)
    flat = jax.tree_util.tree_map(lambda x: x.reshape((-1,) + x.shape[2:]), params)
    K = len(steps)
    region = np.full((S, K), REGION_NONE, dtype=np.int64) if region_map is None else \
        np.asarray(region_map(flat)).reshape(S, K).astype(np.int64)
    pop = None if pop_map is None else np.asarray(pop_map(flat)).reshape(S, K)
    params = jax.tree_util.tree_map(np.asarray, params)
    loss = np.asarray(loss)

    bad = ~np.isfinite(loss) | (np.abs(np.where(np.isfinite(loss), loss, 0.0)) > threshold)
    for leaf in jax.tree_util.tree_leaves(params):
        bad |= ~np.all(np.isfinite(leaf.reshape(leaf.shape[:2] + (-1,))), axis=-1)
    bad = np.logical_or.accumulate(bad, axis=1)
    region = np.where(bad, REGION_DIVERGED, region)
    diverged = bad[:, -1]
    first_bad = np.where(diverged, steps[np.argmax(bad, axis=1)], -1)
    settings = {"optimizer": opt_name, "lr": lr_value, "num_steps": T, "num_seeds": S, "n": n,
                "batch_size": batch_size, "data_per_seed": per_seed, "init": init_mode,
                "init_noise": jitter, "gradient_noise": noise,
                "devices": devices_used(sharding),
                "model": getattr(model_or_loss, "name", getattr(model_or_loss, "__name__", "loss")),
                "objective": "mean" if train_objective is None else dict(train_objective.settings)}
    return SGDResult(steps=steps, params=params, loss=loss, population_loss=pop, region=region,
                     region_names=objective.region_names, diverged=diverged,
                     diverged_step=first_bad, settings=settings,
                     seconds=time.perf_counter() - t0, data=shared)


# ----------------------------------------------------------------------------- helpers
@functools.lru_cache(maxsize=32)       # objectives kept (least recently used dropped)
def _objective_for(model: Model) -> _Objective:
    """One objective per Model object, so repeated calls hit the compile cache."""
    return _model_objective(model)


def _check_train_objective(objective, model_or_loss, data):
    """The objective of a run (None: the mean loss), checked against the model / loss."""
    if objective is None:
        return None
    from .objectives import Objective

    if not isinstance(objective, Objective):
        raise TypeError(f"objective must be a slt_sim.dynamics.objectives.Objective, got "
                        f"{type(objective).__name__}")
    if isinstance(model_or_loss, Model) and model_or_loss.is_potential:
        raise ValueError(f"objective needs per-sample losses, but model {model_or_loss.name} "
                         "is a potential (no data)")
    if not isinstance(model_or_loss, Model) and data is None:
        raise ValueError("objective needs data: a user loss must take (params, batch) and "
                         "return per-sample losses, shape (B,)")
    return objective


def _point_mode(init_arg, model_or_loss, S: int) -> str:
    """'point' (one point for all seeds) or 'points' (leading axis S)."""
    leaves = jax.tree_util.tree_leaves(init_arg)
    if not leaves:
        raise ValueError("init must contain at least one array")
    if isinstance(model_or_loss, Model):
        d = model_or_loss.dim
        x = leaves[0]
        if x.shape == (d,):
            return "point"
        if x.shape == (S, d):
            return "points"
        raise ValueError(f"init must have shape ({d},) or (num_seeds, {d}) = ({S}, {d}) for "
                         f"{model_or_loss.name}, got {tuple(x.shape)}")
    if all(leaf.ndim >= 1 and leaf.shape[0] == S for leaf in leaves) and S > 1:
        return "points"
    return "point"
