r"""Capabilities along training: per-group (per-task) loss and accuracy at every checkpoint of
many seeds, when each was learned, and how sharply.

A model whose samples fall into groups (``model.extra["groups"]``: batch → group id, and
``model.extra["num_groups"]``; the tasks of :func:`~slt_sim.models.multitask_sparse_parity`)
is trained with :func:`~slt_sim.dynamics.train_sgd` under any objective of
:mod:`slt_sim.dynamics.objectives`. At every checkpoint the parameters are evaluated on a fixed
evaluation set: the mean loss ℓ_g and accuracy of every group, and the aggregate loss
Σ_g π_g ℓ_g with the groups' sampling frequencies π_g (the population loss of the training
distribution, estimated). :func:`~slt_sim.dynamics.transitions.learning_times` then gives each
group's learning step and transition width per seed, and the same for the aggregate curve.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._results import fields_dict, plain
from ..models.base import Model
from .objectives import Objective, group_means, objective_by_name
from .sgd import SGDResult, train_sgd
from .transitions import LearningTimes, learning_times


@dataclass(frozen=True)
class CapabilityResult:
    """Per-group curves of S seeds trained under one objective.

    Attributes:
      steps: checkpoint steps (K,).
      group_loss: mean loss of each group on the evaluation set, (S, K, G).
      group_accuracy: accuracy of each group (when the model has ``extra["correct"]``), else
        None, (S, K, G).
      loss: aggregate loss Σ_g π_g ℓ_g, (S, K).
      group_weights: π_g (G,).
      times: per-group learning steps and widths, (S, G).
      aggregate_times: learning step and width of the aggregate curve, (S,).
      diverged: (S,) runs flagged diverged by ``train_sgd``.
      settings: model, objective, optimiser and levels.
      seconds: wall time (compilation included).
    """

    steps: np.ndarray
    group_loss: np.ndarray
    group_accuracy: np.ndarray | None
    loss: np.ndarray
    group_weights: np.ndarray
    times: LearningTimes
    aggregate_times: LearningTimes
    diverged: np.ndarray
    settings: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def num_groups(self) -> int:
        return int(self.group_loss.shape[-1])

    def as_dict(self) -> dict:
        """The fields as plain Python (for JSON; ``times`` and ``aggregate_times`` through
        :meth:`LearningTimes.as_dict`) plus ``num_groups``, ``learned_fraction`` (of seeds ×
        groups) and ``spread`` (per seed, the span of the groups' learning steps)."""
        out = fields_dict(self)
        out.update(num_groups=self.num_groups,
                   learned_fraction=float(np.mean(self.times.learned)),
                   spread=plain(self.times.spread()))
        return out


def group_curves(per_sample_fn, params, data, ids, num_groups: int) -> np.ndarray:
    """Mean of ``per_sample_fn(w, x, y)`` over each group, for parameters (..., d): (..., G)."""
    ids = jnp.asarray(ids)

    def one(w):
        vals = jax.vmap(per_sample_fn, in_axes=(None, 0, 0))(w, data.x, data.y)
        return group_means(vals, ids, num_groups)[0]

    flat = jnp.asarray(params).reshape(-1, params.shape[-1])
    out = jax.jit(jax.vmap(one))(flat)
    return np.asarray(out).reshape(params.shape[:-1] + (num_groups,))


def train_capabilities(model: Model, objective: str | Objective = "mean", *, key,
                       num_steps: int = 6000, num_seeds: int = 5, n: int = 40_000,
                       batch_size: int = 128, optimizer: str = "adam", lr: float = 0.003,
                       checkpoints: int = 81, threshold: float = 0.1,
                       start_level: float = 0.6, eval_per_group: int = 500,
                       refresh_every: int = 100, dro_step_size: float = 0.01,
                       sgd_result: bool = False) -> CapabilityResult | tuple:
    r"""Train S seeds of ``model`` under ``objective``; per-group curves and learning times.

    Args:
      model: a data model with groups (``extra["groups"]``, ``extra["num_groups"]``), e.g.
        :func:`~slt_sim.models.multitask_sparse_parity`.
      objective: an :class:`~slt_sim.dynamics.objectives.Objective` or one of
        ``"mean"``, ``"grouped"`` (true groups), ``"clustered"`` (G gradient clusters),
        ``"svd"`` (rank G), ``"dro"`` (true groups); named ones re-fit every
        ``refresh_every`` steps and group DRO uses ``dro_step_size``.
      key: ``jax.random`` key (seeds use ``fold_in(key, i)``; training data and evaluation set
        are shared by all seeds and objectives for a given key).
      num_steps, num_seeds, n, batch_size, optimizer, lr, checkpoints: as in
        :func:`~slt_sim.dynamics.train_sgd` (the model's ``extra["init"]`` initialises).
      threshold, start_level: loss levels of the learning step and width (θ < θ_start).
      eval_per_group: evaluation samples per group (balanced evaluation set).
      sgd_result: also return the :class:`~slt_sim.dynamics.SGDResult`.
    """
    v.model(model)
    key = v.prng_key(key)
    if "groups" not in model.extra:
        raise TypeError("model must be a slt_sim Model whose extra has 'groups' and "
                        "'num_groups' (e.g. models.multitask_sparse_parity())")
    t0 = time.perf_counter()
    G = int(model.extra["num_groups"])
    groups = model.extra["groups"]
    if isinstance(objective, str):
        objective = objective_by_name(objective, num_groups=G, groups=groups,
                                      refresh_every=refresh_every, dro_step_size=dro_step_size)
    elif not isinstance(objective, Objective):
        raise TypeError(f"objective must be a name or an Objective, got "
                        f"{type(objective).__name__}")
    per = v.as_int("eval_per_group", eval_per_group, lo=1)
    res: SGDResult = train_sgd(model, optimizer, key=key, num_steps=num_steps,
                               num_seeds=num_seeds, lr=lr, n=n, batch_size=batch_size,
                               init=model.extra.get("init", "prior"), checkpoints=checkpoints,
                               objective=objective)
    k_eval = jax.random.fold_in(key, 2 ** 31 - 2)
    if "sample_balanced" in model.extra:
        ev = model.extra["sample_balanced"](k_eval, per)
    else:
        ev = model.sample_data(k_eval, per * G)
    ids = groups(ev)
    g_loss = group_curves(model.loss, res.params, ev, ids, G)
    g_acc = None if "correct" not in model.extra else \
        group_curves(model.extra["correct"], res.params, ev, ids, G)
    weights = np.asarray(model.extra.get("task_probs", np.full(G, 1.0 / G)), dtype=float)
    agg = g_loss @ weights
    levels = {"threshold": threshold, "start_level": start_level}
    times = learning_times(np.moveaxis(g_loss, -1, -2), res.steps, **levels)
    agg_times = learning_times(agg, res.steps, **levels)
    settings = {"model": model.name, "objective": res.settings["objective"],
                "optimizer": optimizer, "lr": lr, "num_steps": res.settings["num_steps"],
                "num_seeds": res.num_seeds, "n": n, "batch_size": batch_size,
                "checkpoints": len(res.steps), "threshold": times.threshold,
                "start_level": times.start_level, "eval_per_group": per,
                "group_weights": weights.tolist()}
    out = CapabilityResult(steps=res.steps, group_loss=g_loss, group_accuracy=g_acc, loss=agg,
                           group_weights=weights, times=times, aggregate_times=agg_times,
                           diverged=res.diverged, settings=settings,
                           seconds=time.perf_counter() - t0)
    return (out, res) if sgd_result else out
