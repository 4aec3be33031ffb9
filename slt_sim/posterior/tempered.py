r"""Many tempered posteriors at once: NumPyro's NUTS kernel vmapped over targets and chains.

The estimators of the learning coefficient need the *energy* n L_n(w) under a family of
tempered posteriors

    p_b(w) ∝ φ(w) exp(−β_b · n L_n^{(b)}(w)),     b = 1 … B,

that differ in the inverse temperature β_b (WBIC, the multi-temperature estimator, thermodynamic
integration) and in the data set (averages over data seeds). :func:`tempered_draws` runs all of
them in **one** compiled program: NumPyro's NUTS kernel (``numpyro.infer.hmc.hmc``, with its
windowed step-size and diagonal mass-matrix adaptation) is vmapped over the B targets and over
C chains per target, and scanned over warmup and draws. β and the data are arguments, so the
same compilation serves every temperature ladder, every data seed and every n of equal shape.

The prior is the model's NumPyro distribution, so NumPyro maps constrained supports (boxes,
intervals) to unconstrained space with the right Jacobian. Chains start uniformly in (−2, 2)
in unconstrained coordinates (NumPyro's ``init_to_uniform``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.distributions.transforms import biject_to
from numpyro.infer.hmc import hmc

from .. import _validate as v
from ..models.base import Data, Model
from .energy import energy_function


@dataclass(frozen=True)
class TemperedDraws:
    """Draws of B tempered posteriors × C chains × S draws.

    Attributes:
      betas: inverse temperature β_b of each target, shape (B,).
      n: the data count n (the same for every target).
      w: parameter draws, shape (B, C, S, d).
      energy: n L_n(w) at every draw, shape (B, C, S).
      diverging, num_steps, accept_prob: NUTS statistics per draw, shape (B, C, S).
      step_size: adapted step size per chain, shape (B, C).
      num_warmup: warmup iterations per chain (discarded).
      seconds: wall time (compilation included on the first call of a configuration).
    """

    betas: np.ndarray
    n: float
    w: np.ndarray
    energy: np.ndarray
    diverging: np.ndarray
    num_steps: np.ndarray
    accept_prob: np.ndarray
    step_size: np.ndarray
    num_warmup: int
    seconds: float

    @property
    def mean_energy(self) -> np.ndarray:
        """E_β[n L_n] per target (pooled over chains and draws), shape (B,)."""
        return self.energy.mean(axis=(1, 2))

    @property
    def energy_ess(self) -> np.ndarray:
        """Effective sample size of the energy per target (rank-normalised bulk ESS)."""
        from arviz_stats.base import array_stats
        return np.asarray(array_stats.ess(self.energy, chain_axis=-2, draw_axis=-1))

    @property
    def energy_mcse(self) -> np.ndarray:
        """Monte Carlo standard error of E_β[n L_n] per target (ArviZ's MCSE of the mean)."""
        from arviz_stats.base import array_stats
        return np.asarray(array_stats.mcse(self.energy, chain_axis=-2, draw_axis=-1))

    @property
    def energy_rhat(self) -> np.ndarray:
        """Split-R̂ of the energy per target (needs ≥ 2 chains)."""
        from arviz_stats.base import array_stats
        return np.asarray(array_stats.rhat(self.energy, chain_axis=-2, draw_axis=-1))

    @property
    def divergences(self) -> np.ndarray:
        """Number of divergent transitions per target, shape (B,)."""
        return self.diverging.sum(axis=(1, 2))


_RUNNERS: dict = {}


def _runner(model: Model, num_warmup: int, num_samples: int, target_accept: float,
            max_tree_depth: int, dense_mass: bool):
    """The compiled sampler for one model and configuration (cached)."""
    cache_key = (id(model), num_warmup, num_samples, target_accept, max_tree_depth, dense_mass)
    hit = _RUNNERS.get(cache_key)
    if hit is not None and hit[0] is model:
        return hit[1]
    efn = energy_function(model)
    transform = biject_to(model.prior.support)

    def potential(z, beta, stats):
        # −log density in unconstrained coordinates z = T⁻¹(w): −[log φ(T z) + log|T'(z)|] + β nL_n
        w = transform(z["w"])
        log_jac = transform.log_abs_det_jacobian(z["w"], w)
        log_jac = jnp.sum(log_jac) if jnp.ndim(log_jac) else log_jac
        return -(model.prior.log_prob(w) + log_jac) + beta * efn.energy(w, stats)

    init_kernel, sample_kernel = hmc(
        potential_fn_gen=lambda beta, stats: partial(potential, beta=beta, stats=stats),
        algo="NUTS")
    total = num_warmup + num_samples

    def run(keys, z0, betas, stats):
        # One flat batch of chains (B·C): a single vmap level traces NUTS's nested while loops
        # once instead of twice. keys, z0: (B·C, ...); betas (B·C,); stats: leading axis B·C.
        def init_one(key, z, beta, st):
            return init_kernel({"w": z}, num_warmup, target_accept_prob=target_accept,
                               max_tree_depth=max_tree_depth, dense_mass=dense_mass,
                               model_args=(beta, st), rng_key=key)

        step = jax.vmap(lambda s, b, st: sample_kernel(s, model_args=(b, st)))
        energy = jax.vmap(efn.energy)

        def draw(s, _):
            # one scan over warmup and draws keeps a single copy of the NUTS step in the
            # compiled program (compilation time, not run time, dominates small models)
            s = step(s, betas, stats)
            w = transform(s.z["w"])
            return s, (w, energy(w, stats), s.diverging, s.num_steps, s.accept_prob)

        state0 = jax.vmap(init_one)(keys, z0, betas, stats)
        state, out = jax.lax.scan(draw, state0, None, length=total)
        # (W + S, B·C, ...) -> keep the S draws as (B·C, S, ...)
        out = jax.tree_util.tree_map(lambda a: jnp.moveaxis(a[num_warmup:], 0, 1), out)
        return out, state.adapt_state.step_size

    compiled = jax.jit(run)
    _RUNNERS[cache_key] = (model, compiled)
    return compiled


def _stack_stats(model: Model, datas, n: float):
    efn = energy_function(model)
    if model.is_potential:
        return jax.tree_util.tree_map(lambda a: a[None], efn.prepare(None, n))
    parts = [efn.prepare(d, n) for d in datas]
    return jax.tree_util.tree_map(lambda *a: jnp.stack(a), *parts)


def tempered_draws(model: Model, *, key: jax.Array, n: float, betas, datas=None,
                   num_chains: int = 4, num_warmup: int = 300, num_samples: int = 500,
                   target_accept: float = 0.8, max_tree_depth: int = 8,
                   dense_mass: bool = False) -> TemperedDraws:
    r"""NUTS draws from p_b(w) ∝ φ(w) exp(−β_b n L_n^{(b)}(w)) for a batch of targets b.

    Args:
      model: a catalogue :class:`~slt_sim.models.Model`.
      key: ``jax.random`` key (chains' starting points and NUTS randomness).
      n: the data count n (potentials: the scale of L_n = K; data models: each data set's size).
      betas: inverse temperatures, one per target, shape (B,).
      datas: data models only: one :class:`~slt_sim.models.Data` per target (length B; the same
        data set may repeat), each with n samples. Must be None for potentials.
      num_chains: chains C per target (vectorised).
      num_warmup, num_samples: NUTS warmup (adaptation, discarded) and kept draws per chain.
      target_accept: NUTS target acceptance probability (raise toward 0.95 on divergences).
      max_tree_depth: NUTS maximum tree depth (2^depth − 1 leapfrog steps at most).
      dense_mass: adapt a dense mass matrix instead of a diagonal one.

    Returns:
      :class:`TemperedDraws` with the draws and the energy n L_n at every draw.
    """
    betas = v.as_float_array("betas", betas, lo=0.0)
    if np.any(betas <= 0):
        raise ValueError(f"betas must all be > 0, got {betas.min():g}")
    n = v.as_float("n", n, lo=0.0, lo_open=True)
    num_chains = v.as_int("num_chains", num_chains, lo=1)
    num_warmup = v.as_int("num_warmup", num_warmup, lo=0)
    num_samples = v.as_int("num_samples", num_samples, lo=1)
    target_accept = v.as_float("target_accept", target_accept, lo=0.0, hi=1.0, lo_open=True,
                               hi_open=True)
    max_tree_depth = v.as_int("max_tree_depth", max_tree_depth, lo=1, hi=15)
    b = len(betas)
    if model.is_potential:
        if datas is not None:
            raise ValueError(f"{model.name} is a potential: datas must be None")
        stats = _stack_stats(model, None, n)
        stats = jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (b,) + a.shape[1:]), stats)
    else:
        if datas is None or len(datas) != b:
            raise ValueError(f"{model.name} is a data model: datas must give one data set per "
                             f"beta ({b}), got {None if datas is None else len(datas)}")
        datas = [d if isinstance(d, Data) else Data(*d) for d in datas]
        for i, d in enumerate(datas):
            if d.n != int(n):
                raise ValueError(f"datas[{i}] has {d.n} samples, expected n = {int(n)}")
        stats = _stack_stats(model, datas, n)

    t0 = time.perf_counter()
    c = num_chains
    k_init, k_run = jax.random.split(key)
    z0 = jax.random.uniform(k_init, (b * c, model.dim), minval=-2.0, maxval=2.0)
    keys = jax.random.split(k_run, b * c)
    chain_stats = jax.tree_util.tree_map(lambda a: jnp.repeat(a, c, axis=0), stats)
    chain_betas = jnp.repeat(jnp.asarray(betas), c)
    run = _runner(model, num_warmup, num_samples, target_accept, max_tree_depth, dense_mass)
    out, step_size = run(keys, z0, chain_betas, chain_stats)
    w, energy, div, steps, acc = (np.asarray(a).reshape((b, c) + a.shape[1:])
                                  for a in jax.device_get(out))
    step_size = np.asarray(step_size).reshape(b, c)
    return TemperedDraws(
        betas=betas, n=n, w=w, energy=energy, diverging=div, num_steps=steps, accept_prob=acc,
        step_size=step_size, num_warmup=num_warmup,
        seconds=time.perf_counter() - t0)


__all__ = ["TemperedDraws", "tempered_draws"]
