r"""The local learning coefficient at every checkpoint of a training run.

At each checkpoint w_k of a run the LLC estimator of :func:`slt_sim.estimate_llc` is applied,

    λ̂(w_k) = nβ · ( E_w[L_n(w)] − L_n(w_k) ),   w ~ exp(−nβ L_n(w) − (γ/2)‖w − w_k‖²),

with the same sampler, step size ε, localisation γ and nβ (default n / log n) for every
checkpoint, so that a drop of the loss can be read against a change of λ̂. All checkpoints run at
once: the chains of every checkpoint are one ``vmap`` over (checkpoint, chain). Each checkpoint's
traces go through the same diagnostics as :func:`~slt_sim.estimate_llc` (divergent chains are
left out of λ̂; R-hat, drift, sign), whose warnings the trajectory carries and issues as
:class:`~slt_sim.LLCWarning`. Defaults are the calibrated settings of the LLC module
(docs/llc.md); away from a critical point (mid-drop) the estimate is not an LLC of anything and
is reported as it comes.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._results import AsDict
from .._warnings import LLCWarning, emit
from ..measure import _diagnostics as diag
from ..measure import _llc_engine as engine
from ..measure import _step_bias as step_bias
from ..models.base import Model
from .sgd import SGDResult


@dataclass(frozen=True)
class LLCTrajectory(AsDict):
    """λ̂ at the checkpoints of one run.

    Attributes:
      steps: training steps of the checkpoints, (K,).
      llc_mean: λ̂ per checkpoint (mean over the chains that did not diverge), (K,).
      llc_std: its standard error (std over those chains / √chains), (K,).
      llc_per_chain: (K, chains), every chain.
      init_loss: L_n(w_k) on the full data, (K,).
      nbeta, n: nβ and the data count used.
      settings: sampler, step size, localisation, chains, draws, burn-in, batch size.
      diagnostics: per checkpoint, the numbers behind the warnings (as
        :attr:`~slt_sim.LLCResult.diagnostics`).
      checkpoint_warnings: per checkpoint, the warnings of :func:`~slt_sim.estimate_llc`'s
        diagnostics.
      warnings: all of them, each prefixed with its checkpoint's step (also issued as
        :class:`~slt_sim.LLCWarning`).
      seconds: wall time.
    """

    steps: np.ndarray
    llc_mean: np.ndarray
    llc_std: np.ndarray
    llc_per_chain: np.ndarray
    init_loss: np.ndarray
    nbeta: float
    n: int
    settings: dict[str, Any] = field(default_factory=dict)
    diagnostics: tuple[dict, ...] = ()
    checkpoint_warnings: tuple[tuple[str, ...], ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0


@functools.lru_cache(maxsize=16)
def _vectorised(loss_fn: Callable, sampler: str, options: tuple, num_burnin: int,
                num_draws: int, batch_size: int | None):
    run = engine.chains_fn(loss_fn, sampler, options, num_burnin, num_draws, batch_size)
    # run(keys, batch_key, w_star, data, mask, ε, γ, nβ): vmap over (checkpoint keys, w_star)
    many = jax.vmap(run, in_axes=(0, None, 0, None, None, None, None, None))
    init = jax.vmap(loss_fn, in_axes=(0, None))
    return jax.jit(many), jax.jit(init)


def llc_trajectory(model_or_loss: Model | Callable, run: SGDResult | Any, *, key,
                   seed: int = 0, checkpoints: Sequence[int] | None = None, data=None,
                   n: int | None = None, sampler: str = "sgld", num_chains: int = 4,
                   num_draws: int = engine.DEFAULT_NUM_DRAWS,
                   num_burnin: int = engine.DEFAULT_NUM_BURNIN,
                   step_size: float = engine.DEFAULT_STEP_SIZE,
                   localization: float = engine.DEFAULT_LOCALIZATION, nbeta: float | None = None,
                   batch_size: int | None = None) -> LLCTrajectory:
    r"""λ̂ (local learning coefficient) at every checkpoint of one SGD run.

    Args:
      model_or_loss: the Model (or user loss ``loss(params, batch)``) the run trained.
      run: an :class:`~slt_sim.dynamics.SGDResult` (then run ``seed`` is used, on the data it
        trained on when that was shared), or the checkpoint parameters themselves (leading axis
        K; pass ``data``/``n`` then).
      key: ``jax.random`` key (checkpoint k uses ``fold_in(key, k)``).
      seed: which run of an SGDResult.
      checkpoints: indices of the checkpoints to measure (default: all).
      data, n: the data (or, for a potential / data-free loss, n for nβ = n / log n).
      sampler, num_chains, num_draws, num_burnin, step_size, localization, nbeta, batch_size:
        as in :func:`slt_sim.estimate_llc`.

    Returns:
      :class:`LLCTrajectory`.
    """
    t0 = time.perf_counter()
    if isinstance(run, SGDResult):
        seed = v.as_int("seed", seed, lo=0, hi=run.num_seeds - 1)
        params = jax.tree_util.tree_map(lambda x: jnp.asarray(x[seed]), run.params)
        steps = run.steps
        if data is None and n is None:
            data = run.data
            if data is None and run.settings.get("n") is not None:
                raise ValueError("this run drew fresh data per seed, which is not stored: pass "
                                 "the data (or n to draw new data)")
    else:
        params = jax.tree_util.tree_map(jnp.asarray, run)
        steps = None
    leaves = jax.tree_util.tree_leaves(params)
    K = int(leaves[0].shape[0])
    steps = np.arange(K) if steps is None else np.asarray(steps)
    idx = np.arange(K) if checkpoints is None else np.asarray(
        [v.as_int("checkpoints[i]", i, lo=-K, hi=K - 1) for i in checkpoints]) % K
    params = jax.tree_util.tree_map(lambda x: x[idx], params)
    if any(not bool(jnp.all(jnp.isfinite(x))) for x in jax.tree_util.tree_leaves(params)):
        raise ValueError("some checkpoints are not finite (a diverged run): pick finite ones "
                         "with checkpoints=")
    num_chains = v.as_int("num_chains", num_chains, lo=1)
    num_draws = v.as_int("num_draws", num_draws, lo=4)
    num_burnin = v.as_int("num_burnin", num_burnin, lo=0)
    eps = v.as_float("step_size", step_size, lo=0.0, lo_open=True)
    gamma = v.as_float("localization", localization, lo=0.0)
    first = jax.tree_util.tree_map(lambda x: x[0], params)
    prob = engine.prepare(model_or_loss, first, key=key, data=data, n=n, nbeta=nbeta,
                        batch_size=batch_size, sampler=sampler)
    many, init = _vectorised(prob.loss_fn, sampler, (), num_burnin, num_draws, prob.batch_size)
    keys = jax.vmap(lambda k: jax.random.split(jax.random.fold_in(key, k), num_chains))(
        jnp.asarray(idx))
    dtype = jnp.result_type(float)
    losses, acc = many(keys, None, params, prob.data, None, jnp.asarray(eps, dtype),
                       jnp.asarray(gamma, dtype), jnp.asarray(prob.nbeta, dtype))
    # SGLD's step-size check (as estimate_llc's), prepared while the chains run
    curvatures = step_bias.curvature_probe_many(prob.loss_fn, params, prob.data) \
        if sampler == "sgld" else None
    init_loss = np.asarray(init(params, prob.data))
    draws = np.asarray(losses)[:, :, num_burnin:]
    acc = np.asarray(acc)
    steps = steps[idx]
    reports = [diag.diagnose(draws[k], float(init_loss[k]), prob.nbeta, prob.free_parameters,
                             acceptance=acc[k] if sampler == "mala" else None, step_size=eps,
                             localization=gamma, sampler=sampler) for k in range(len(idx))]
    if curvatures is not None:
        mus = curvatures()
        checked = []
        for k, rep in enumerate(reports):
            numbers, extra = step_bias.step_bias_check(
                mus if isinstance(mus, str) else mus[k], eps, prob.nbeta, gamma, rep.llc_mean)
            checked.append(rep._replace(numbers={**rep.numbers, **numbers},
                                        warnings=rep.warnings + extra))
        reports = checked
    flat = emit([f"checkpoint at step {int(s)}: {w}" for s, rep in zip(steps, reports)
                 for w in rep.warnings], LLCWarning, stacklevel=2)
    return LLCTrajectory(
        steps=steps, llc_mean=np.array([rep.llc_mean for rep in reports]),
        llc_std=np.array([rep.llc_std for rep in reports]),
        llc_per_chain=np.stack([rep.llc_per_chain for rep in reports]), init_loss=init_loss,
        nbeta=prob.nbeta, n=prob.n,
        settings={"sampler": sampler, "step_size": eps, "localization": gamma,
                  "num_chains": num_chains, "num_draws": num_draws, "num_burnin": num_burnin,
                  "batch_size": prob.batch_size},
        diagnostics=tuple(rep.numbers for rep in reports),
        checkpoint_warnings=tuple(rep.warnings for rep in reports), warnings=flat,
        seconds=time.perf_counter() - t0)
