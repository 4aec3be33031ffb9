r"""Many tempered posteriors at once: NumPyro's NUTS kernel batched over targets and chains.

The estimators of the learning coefficient need the *energy* n L_n(w) under a family of
tempered posteriors

    p_b(w) ∝ φ(w) exp(−β_b · n L_n^{(b)}(w)),     b = 1 … B,

that differ in the inverse temperature β_b (WBIC, the multi-temperature estimator, thermodynamic
integration) and in the data set (averages over data seeds). :func:`tempered_draws` runs all of
them in **one** compiled program: NumPyro's NUTS kernel (``numpyro.infer.hmc.hmc``, with its
windowed step-size and diagonal mass-matrix adaptation) runs over the B targets × C chains per
target and is scanned over warmup and draws. β and the data are arguments, so the same
compilation serves every temperature ladder, every data seed and every n of equal shape.

**Vectorised or sequential chains.** NUTS builds a tree of up to 2^depth − 1 leapfrog steps per
iteration, and the length differs from chain to chain. Under ``vmap`` the tree-building loop of
all B·C chains runs in lock step, so every iteration costs the *deepest* tree of any chain — the
right trade on a GPU, where the lanes run in parallel, but on a CPU the work is
(chains × steps of the deepest chain). ``chain_method="sequential"`` maps the chains one after
the other inside the same compiled program (``jax.lax.map``), so each chain pays for its own
trees and the total is (chains × *mean* steps). On the singular tanh network with H = 3
(n = 5000, depth 8) the mean tree is 71 steps against a cap of 255 that most chains reach, so
the CPU work falls about threefold (docs/mcmc.md). Both give the same draws for the same key
(up to floating-point reassociation); ``"auto"`` picks sequential on a CPU backend and
vectorised elsewhere.

The prior is the model's NumPyro distribution, so NumPyro maps constrained supports (boxes,
intervals) to unconstrained space with the right Jacobian. Chains start uniformly in (−2, 2)
in unconstrained coordinates (NumPyro's ``init_to_uniform``).
"""

from __future__ import annotations

import functools
import sys
import time
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.distributions.transforms import biject_to
from numpyro.infer.hmc import hmc

from .. import _validate as v
from .._results import AsDict
from ..models.base import Data, Model
from .energy import energy_function


@dataclass(frozen=True)
class TemperedDraws(AsDict):
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
      chain_method: ``"vectorized"`` or ``"sequential"``, the way the chains ran.
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
    chain_method: str = "vectorized"

    @property
    def tree_stats(self) -> dict:
        """Leapfrog steps per NUTS iteration over the kept draws: the mean, the maximum, and the
        mean over chains of each chain's maximum (the vectorised run pays the maximum of all
        chains at every iteration, the sequential run the mean)."""
        steps = np.asarray(self.num_steps)
        return {"mean_steps": float(steps.mean()), "max_steps": int(steps.max()),
                "mean_of_chain_max": float(steps.max(axis=-1).mean())}

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


CHAIN_METHODS = ("auto", "vectorized", "sequential")


def resolve_chain_method(chain_method: str) -> str:
    """``"vectorized"`` or ``"sequential"``; ``"auto"`` is sequential on a CPU backend."""
    if chain_method not in CHAIN_METHODS:
        raise ValueError(f"chain_method must be one of {', '.join(CHAIN_METHODS)}, got "
                         f"{chain_method!r}")
    if chain_method == "auto":
        return "sequential" if jax.default_backend() == "cpu" else "vectorized"
    return chain_method


class _Progress:
    """Prints progress and an estimate of the time left to stderr, from inside the compiled
    sampler (``jax.debug.callback`` every few iterations)."""

    def __init__(self):
        self.reset(1, "tempered NUTS")

    def reset(self, total: int, label: str) -> None:
        self.total, self.start, self.first = max(total, 1), None, 0
        self.last, self.label = -1.0, label

    def __call__(self, done) -> None:
        done = int(done)
        now = time.perf_counter()
        if self.start is None:                  # first report: compilation is behind us
            self.start, self.first = now, done
            return
        frac = done / self.total
        if frac - self.last < 0.1 and done < self.total:
            return
        self.last = frac
        elapsed = now - self.start
        rate = (done - self.first) / max(elapsed, 1e-9)
        left = (self.total - done) / rate if rate > 0 else float("nan")
        print(f"{self.label}: {100 * frac:3.0f}%  ({done}/{self.total} chain-iterations, "
              f"{elapsed:.0f} s, about {left:.0f} s left)", file=sys.stderr, flush=True)


_PROGRESS = _Progress()


def _report(done):
    _PROGRESS(done)


@functools.lru_cache(maxsize=16)       # compiled samplers kept (least recently used dropped)
def _runner(model: Model, num_warmup: int, num_samples: int, target_accept: float,
            max_tree_depth: int, dense_mass: bool, chain_method: str = "vectorized",
            progress: bool = False):
    """The compiled sampler for one model and configuration (cached)."""
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

        num = keys.shape[0]
        every = max(1, total // 40)

        def report(done, i):
            # progress every `every` iterations, counted in chain-iterations done
            if progress:
                jax.lax.cond(((i + 1) % every == 0) | (i + 1 == total),
                             lambda: jax.debug.callback(_report, done), lambda: None)

        if chain_method == "sequential":
            # chains one after the other: each pays for its own NUTS trees (CPU)
            def one_chain(args):
                c, key, z, beta, st = args
                state0 = init_one(key, z, beta, st)

                def draw(s, i):
                    s = sample_kernel(s, model_args=(beta, st))
                    w = transform(s.z["w"])
                    report(c * total + i + 1, i)
                    return s, (w, efn.energy(w, st), s.diverging, s.num_steps, s.accept_prob)

                state, out = jax.lax.scan(draw, state0, jnp.arange(total))
                out = jax.tree_util.tree_map(lambda a: a[num_warmup:], out)
                return out, state.adapt_state.step_size

            return jax.lax.map(one_chain, (jnp.arange(num), keys, z0, betas, stats))

        step = jax.vmap(lambda s, b, st: sample_kernel(s, model_args=(b, st)))
        energy = jax.vmap(efn.energy)

        def draw(s, i):
            # one scan over warmup and draws keeps a single copy of the NUTS step in the
            # compiled program (compilation time, not run time, dominates small models)
            s = step(s, betas, stats)
            w = transform(s.z["w"])
            report((i + 1) * num, i)
            return s, (w, energy(w, stats), s.diverging, s.num_steps, s.accept_prob)

        state0 = jax.vmap(init_one)(keys, z0, betas, stats)
        state, out = jax.lax.scan(draw, state0, jnp.arange(total))
        # (W + S, B·C, ...) -> keep the S draws as (B·C, S, ...)
        out = jax.tree_util.tree_map(lambda a: jnp.moveaxis(a[num_warmup:], 0, 1), out)
        return out, state.adapt_state.step_size

    return jax.jit(run)


def _stack_stats(model: Model, datas, n: float):
    efn = energy_function(model)
    if model.is_potential:
        return jax.tree_util.tree_map(lambda a: a[None], efn.prepare(None, n))
    parts = [efn.prepare(d, n) for d in datas]
    return jax.tree_util.tree_map(lambda *a: jnp.stack(a), *parts)


def tempered_draws(model: Model, *, key: jax.Array, n: float, betas, datas=None,
                   num_chains: int = 4, num_warmup: int = 300, num_samples: int = 500,
                   target_accept: float = 0.8, max_tree_depth: int = 8,
                   dense_mass: bool = False, chain_method: str = "auto",
                   progress: bool = False) -> TemperedDraws:
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
      chain_method: ``"vectorized"`` (all chains in one ``vmap``: every iteration costs the
        deepest tree of any chain; right on a GPU), ``"sequential"`` (chains mapped one after
        the other in the same program: each costs its own trees; right on a CPU) or ``"auto"``
        (sequential on a CPU backend, vectorised otherwise). Same draws for the same key.
      progress: print progress and an estimate of the time left to stderr while sampling.

    Returns:
      :class:`TemperedDraws` with the draws and the energy n L_n at every draw.
    """
    v.model(model)
    key = v.prng_key(key)
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
    chain_method = resolve_chain_method(chain_method)
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
    run = _runner(model, num_warmup, num_samples, target_accept, max_tree_depth,
                  bool(dense_mass), chain_method, bool(progress))
    if progress:
        _PROGRESS.reset(b * c * (num_warmup + num_samples),
                        f"tempered NUTS ({b} targets x {c} chains, {chain_method})")
    out, step_size = run(keys, z0, chain_betas, chain_stats)
    w, energy, div, steps, acc = (np.asarray(a).reshape((b, c) + a.shape[1:])
                                  for a in jax.device_get(out))
    step_size = np.asarray(step_size).reshape(b, c)
    return TemperedDraws(
        betas=betas, n=n, w=w, energy=energy, diverging=div, num_steps=steps, accept_prob=acc,
        step_size=step_size, num_warmup=num_warmup,
        seconds=time.perf_counter() - t0, chain_method=chain_method)


__all__ = ["CHAIN_METHODS", "TemperedDraws", "resolve_chain_method", "tempered_draws"]
