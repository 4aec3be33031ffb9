r"""Region occupancy of the posterior along a ladder of n, by replica exchange (d > 3 models).

For models too large for the exact grid engine (e.g. the 18-parameter toy model of
superposition) the posterior mass of each region W_α,

    P_n(W_α) = ∫_{W_α} φ(w) e^{−nβ L(w)} dw / ∫ φ(w) e^{−nβ L(w)} dw,

is estimated by *parallel tempering over n*: J chains sit on a geometric ladder n_1 < … < n_J (n_1
small, where the posterior is nearly the prior and chains cross between regions freely); each runs
Metropolis-adjusted Langevin (MALA) on U_j(w) = n_j β L(w) − log φ(w), and every ``swap_every``
steps (default 2) neighbouring rungs propose to exchange their states, accepted with probability
min(1, exp((n_i − n_j) β (L(w_i) − L(w_j)))) (the prior cancels). Swaps carry configurations found
at small n up to large n, so a high rung is not stuck in the basin it first fell into. R
independent ladders (replicas) give the standard errors.

L is the model's population loss (the closed-form L(w) of the toy model of superposition, or a
potential K): the "infinite-data" posterior, with the O(√n) fluctuation of an empirical L_n
removed. This is the quantity the free-energy formula F_n(W_α) ≈ nβL_α + λ_α log n + c_α
predicts. With ``data`` (N samples) L is the empirical L_N of that data set instead, and the
top rung n_J = N is the Bayes posterior given the data: with ``keep_draws=True`` its recorded
states are posterior draws (:meth:`RegionOccupancy.to_datatree`).

Why: on a *singular cross* — sets of minima meeting at a point, e.g. y = a·tanh(bx) with truth
a = b = 0, whose zero set is the two axes — NUTS enters the arms unevenly from where it starts
and rarely crosses the junction, so its marginal variances come out too small even with R̂ and
divergence warnings (sd(a) 0.27 against the exact 0.52 for that model at n = 1,000). Swaps
through the low rungs, where the posterior is nearly the prior, repopulate every arm.

Limits, stated plainly: the estimate is only as good as the mixing. Check that swap acceptance
is not near 0 anywhere on the ladder (``swap_acceptance``), that the replicas agree
(``occupancy_se``), and that the answer does not move with more steps. MALA step sizes are
adapted per rung during burn-in (target acceptance 0.57) and then frozen.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._results import fields_dict
from ..models.base import Data, Model


def last_crossing(ns, d) -> float | None:
    """Largest n where ``d`` (sampled at ``ns``) changes sign, interpolated linearly in log n;
    None when it never does."""
    ns, d = np.asarray(ns, float), np.asarray(d, float)
    idx = np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0)
    if idx.size == 0:
        return None
    j = idx[-1]
    t = d[j] / (d[j] - d[j + 1])
    return float(np.exp(np.log(ns[j]) + t * (np.log(ns[j + 1]) - np.log(ns[j]))))


@dataclass(frozen=True)
class RegionOccupancy:
    """Posterior region occupancy along an n ladder (replica exchange).

    Attributes:
      ns: the ladder n_1 < … < n_J.
      region_names: the model's regions (plus ``"none"`` for points in none of them).
      occupancy: {name: fraction of kept states in the region at each rung, shape (J,)}.
      occupancy_se: {name: standard error over replicas, shape (J,)}.
      swap_acceptance: mean acceptance of swaps between rungs j and j + 1, shape (J − 1,).
      mala_acceptance: mean MALA acceptance per rung, shape (J,).
      step_size: adapted MALA step size per rung (mean over replicas), shape (J,).
      mean_loss: posterior mean of L per rung, shape (J,).
      settings: the run settings; seconds: wall time.
      draws: with ``keep_draws=True`` the recorded states, shape (R, records, J, d)
        (replica, record, rung, parameter); else None.
      param_names: parameter names (for :meth:`to_datatree`).
    """

    ns: np.ndarray
    region_names: tuple[str, ...]
    occupancy: dict[str, np.ndarray]
    occupancy_se: dict[str, np.ndarray]
    swap_acceptance: np.ndarray
    mala_acceptance: np.ndarray
    step_size: np.ndarray
    mean_loss: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    draws: np.ndarray | None = None
    param_names: tuple[str, ...] = ()

    def as_dict(self, draws: bool = False) -> dict:
        """The fields as plain Python (for JSON); ``draws=True`` keeps the recorded states (left
        out by default)."""
        return fields_dict(self, skip=() if draws else ("draws",))

    def rung_draws(self, rung: int = -1) -> np.ndarray:
        """Recorded states of one rung (default the top, n_J), shape (R, records, d)."""
        if self.draws is None:
            raise ValueError("no draws were kept: run replica_exchange(..., keep_draws=True)")
        J = len(self.ns)
        rung = v.as_int("rung", rung, lo=-J, hi=J - 1)
        return self.draws[:, :, rung, :]

    def to_datatree(self, rung: int = -1):
        """The draws of one rung as an ArviZ DataTree (replicas as chains), so ``az.summary``,
        ``az.rhat`` and ``az.ess`` work on them as on NUTS output."""
        import arviz as az

        w = self.rung_draws(rung)
        names = list(self.param_names) if len(self.param_names) == w.shape[-1] else \
            [f"w{i + 1}" for i in range(w.shape[-1])]
        tree = az.from_dict({"posterior": {"w": w}}, dims={"w": ["w_dim"]},
                            coords={"w_dim": names})
        tree["posterior"].attrs.update({"n": float(self.ns[rung]), "sampler":
                                        "replica exchange (MALA + swaps over n)"})
        return tree

    def crossing(self, a: str, b: str) -> float | None:
        """Largest n where occupancy(a) − occupancy(b) changes sign (log-linear interpolation)."""
        return last_crossing(self.ns, self.occupancy[a] - self.occupancy[b])


@functools.lru_cache(maxsize=8)
def _sampler(loss_fn, log_prior, swap_every: int):
    """Compile the ladder sampler for one configuration (cached)."""

    def parts(w):
        (loss, lp), (gl, glp) = (loss_fn(w), log_prior(w)), (jax.grad(loss_fn)(w),
                                                               jax.grad(log_prior)(w))
        return loss, lp, gl, glp

    vparts = jax.vmap(jax.vmap(parts))

    def mala(key, state, nb, h):
        w, loss, lp, gl, glp = state
        u, g = nb * loss - lp, nb[..., None] * gl - glp
        noise = jax.random.normal(key[0], w.shape, w.dtype)
        prop = w - h[..., None] * g + jnp.sqrt(2.0 * h)[..., None] * noise
        loss2, lp2, gl2, glp2 = vparts(prop)
        u2, g2 = nb * loss2 - lp2, nb[..., None] * gl2 - glp2
        fwd = -jnp.sum((prop - w + h[..., None] * g) ** 2, -1) / (4 * h)
        bwd = -jnp.sum((w - prop + h[..., None] * g2) ** 2, -1) / (4 * h)
        log_a = -u2 + u + bwd - fwd
        log_a = jnp.where(jnp.isfinite(log_a), log_a, -jnp.inf)
        acc = jnp.log(jax.random.uniform(key[1], u.shape)) < log_a
        pick = lambda a, b: jnp.where(acc.reshape(acc.shape + (1,) * (a.ndim - acc.ndim)), a, b)
        new = tuple(pick(a, b) for a, b in zip((prop, loss2, lp2, gl2, glp2), state))
        return new, jnp.minimum(1.0, jnp.exp(log_a))

    def swap(key, state, nb, parity):
        loss = state[1]
        J = nb.shape[-1]
        j = jnp.arange(J)
        lower = (j % 2 == parity) & (j < J - 1)  # rung j proposes with j + 1
        partner_loss = jnp.roll(loss, -1, axis=-1)
        partner_nb = jnp.roll(nb, -1, axis=-1)
        log_a = (nb - partner_nb) * (loss - partner_loss)
        u = jax.random.uniform(key, loss.shape)
        do = lower & (jnp.log(u) < log_a)
        # permutation: j <-> j + 1 where do[j]
        up = jnp.roll(do, 1, axis=-1)  # rung j + 1 takes from j
        perm = jnp.where(do, j + 1, jnp.where(up, j - 1, j))
        new = tuple(jnp.take_along_axis(x, perm.reshape(perm.shape + (1,) * (x.ndim - 2)),
                                        axis=1) for x in state)
        # per (replica, rung): `lower` alone has shape (J,) and would be summed over rungs
        return new, jnp.where(lower, jnp.minimum(1.0, jnp.exp(log_a)), 0.0), \
            jnp.broadcast_to(lower, loss.shape)

    def run(key, w0, nb, logh, adapt, num_blocks):
        """``num_blocks`` blocks of ``swap_every`` MALA steps then one swap round.

        Returns the final positions, log step sizes and per-rung sums over the blocks of:
        MALA acceptance, swap acceptance, swap proposals, loss.
        """
        state = (w0, *vparts(w0))
        R, J = nb.shape

        def block(b, carry):
            state, logh, sums = carry
            kb, ks = jax.random.split(jax.random.fold_in(key, b))

            def step(i, c):
                st, lh, acc_sum = c
                k = jax.random.split(jax.random.fold_in(kb, i), 2)
                st, acc = mala(k, st, nb, jnp.exp(lh))
                lh = jnp.where(adapt, lh + 0.05 * (acc - 0.57), lh)
                return st, lh, acc_sum + acc

            state, logh, acc_sum = jax.lax.fori_loop(0, swap_every, step,
                                                     (state, logh, jnp.zeros((R, J))))
            state, sacc, lower = swap(ks, state, nb, b % 2)
            new = (acc_sum / swap_every, sacc, lower.astype(sacc.dtype), state[1])
            return state, logh, tuple(x + y.sum(axis=0) for x, y in zip(sums, new))

        zeros = tuple(jnp.zeros(J, w0.dtype) for _ in range(4))
        state, logh, sums = jax.lax.fori_loop(0, num_blocks, block, (state, logh, zeros))
        return state[0], logh, sums

    return jax.jit(run)


def replica_exchange(model: Model, ns, *, key, beta: float = 1.0, num_replicas: int = 8,
                     num_steps: int = 20_000, num_burnin: int = 5_000, swap_every: int = 2,
                     record_every: int = 100, init=None, data: Data | None = None,
                     keep_draws: bool = False) -> RegionOccupancy:
    r"""Posterior region occupancy at every n of a ladder, by parallel tempering over n.

    Args:
      model: a Model with a population loss (or a potential), or with ``data``; without
        regions every state counts as ``"none"``.
      ns: the ladder, increasing; start it low (n ≈ 1) so that the bottom rung mixes.
      key: ``jax.random`` key.
      beta: inverse temperature β.
      num_replicas: R independent ladders (standard errors come from their spread).
      num_steps, num_burnin: MALA steps per chain, and how many of them adapt the step size
        and are discarded.
      swap_every: MALA steps between swap attempts (even and odd pairs alternate).
      record_every: MALA steps between the recorded states (after burn-in) that are classified.
      init: starting points, shape (R, J, d) or (d,); default: prior draws.
      data: a data set for a data model: L is then its empirical loss L_N (not the population
        loss) and the rung n = N is the Bayes posterior given the data.
      keep_draws: keep every recorded state (``draws``; :meth:`RegionOccupancy.to_datatree`).

    Example (posterior draws on a singular cross, agreeing with the exact engine)::

        m = models.tanh_network(1)
        data = m.sample_data(jax.random.key(1), 1000)
        occ = replica_exchange(m, np.geomspace(1, 1000, 12), key=jax.random.key(0),
                               data=data, keep_draws=True)
        az.summary(occ.to_datatree())      # sd(a), sd(b) as exact_posterior's

    Returns:
      :class:`RegionOccupancy`.
    """
    t0 = time.perf_counter()
    v.model(model)
    key = v.prng_key(key)
    if data is not None:
        if model.is_potential:
            raise ValueError(f"data must be None for the potential {model.name} (it has no data)")
        if not isinstance(data, Data):
            raise TypeError(f"data must be slt_sim.Data(x, y), got {type(data).__name__}")
        loss_fn = _EmpiricalLoss(model, data)
    else:
        loss_fn = model.potential if model.is_potential else model.population_loss
    if loss_fn is None:
        raise ValueError(f"model {model.name} has no population loss in closed form: pass "
                         f"data (a data set) to sample its empirical posterior")
    ns = v.data_counts("ns", ns)
    if len(ns) < 2 or np.any(np.diff(ns) <= 0):
        raise ValueError(f"ns must be an increasing ladder of at least 2 values, got {ns}")
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
    R = v.as_int("num_replicas", num_replicas, lo=2)
    swap_every = v.as_int("swap_every", swap_every, lo=1)
    num_steps = v.as_int("num_steps", num_steps, lo=swap_every)
    num_burnin = v.as_int("num_burnin", num_burnin, lo=0, hi=num_steps - swap_every)
    record_every = v.as_int("record_every", record_every, lo=swap_every)
    rec_blocks = max(1, record_every // swap_every)
    num_blocks = num_steps // swap_every
    burn_blocks = num_burnin // swap_every
    J = len(ns)
    k_init, k_run = jax.random.split(key)
    if init is None:
        w0 = model.sample_prior(k_init, (R, J))
    else:
        w0 = jnp.broadcast_to(model.check_param(init, "init"), (R, J, model.dim))
    nb = jnp.broadcast_to(jnp.asarray(ns * beta), (R, J))

    # burn-in (step sizes adapt), then segments of `record_every` steps with frozen step sizes;
    # the state at the end of each segment is classified, so positions are never stored
    region_fn = model.extra.get("region_index") or model.region_index
    keep = []
    classify = jax.jit(jax.vmap(lambda x: jnp.asarray(region_fn(x), jnp.int32)))
    logh = jnp.log(0.05 / (1.0 + nb))
    run = _sampler(loss_fn, model.log_prior, swap_every)
    w = w0
    if burn_blocks:
        w, logh, _ = run(jax.random.fold_in(k_run, 0), w, nb, logh, True, burn_blocks)
    n_regions = len(model.regions)
    counts = np.zeros((R, n_regions + 1, J))
    acc_sum, sacc_sum, lower_sum, loss_sum = (np.zeros(J) for _ in range(4))
    n_rec = (num_blocks - burn_blocks) // rec_blocks
    if n_rec < 1:
        raise ValueError(f"num_steps − num_burnin = {num_steps - num_burnin} must allow at least "
                         f"one record (record_every = {record_every})")
    for k in range(n_rec):
        w, _, sums = run(jax.random.fold_in(k_run, k + 1), w, nb, logh, False, rec_blocks)
        if keep_draws:
            keep.append(np.asarray(w))
        idx = np.asarray(classify(w.reshape(-1, model.dim))).reshape(R, J)
        idx = np.where(idx < 0, n_regions, idx)
        for r_ in range(n_regions + 1):
            counts[:, r_, :] += idx == r_
        acc, sacc, lower, loss = (np.asarray(x) for x in sums)
        acc_sum += acc / (R * rec_blocks)
        sacc_sum += sacc
        lower_sum += lower
        loss_sum += loss / (R * rec_blocks)
    h = jnp.exp(logh)
    names = (*model.region_names, "none")
    frac = counts / n_rec  # (R, regions, J)
    occupancy = {nm: frac[:, i].mean(axis=0) for i, nm in enumerate(names)}
    se = {nm: frac[:, i].std(axis=0, ddof=1) / np.sqrt(R) for i, nm in enumerate(names)}
    swap_rate = (sacc_sum / np.maximum(lower_sum, 1))[:-1]
    return RegionOccupancy(
        ns=ns, region_names=names, occupancy=occupancy, occupancy_se=se,
        swap_acceptance=swap_rate, mala_acceptance=acc_sum / max(n_rec, 1),
        step_size=np.asarray(h).mean(axis=0), mean_loss=loss_sum / max(n_rec, 1),
        settings={"beta": beta, "num_replicas": R, "num_steps": num_steps,
                  "num_burnin": num_burnin, "swap_every": swap_every,
                  "record_every": record_every, "model": model.name,
                  "loss": "potential" if model.is_potential else
                  "population" if data is None else f"empirical (N = {data.n})"},
        seconds=time.perf_counter() - t0,
        draws=np.stack(keep, axis=1) if keep_draws else None,
        param_names=tuple(model.param_names))


class _EmpiricalLoss:
    """w ↦ L_N(w) on one data set, hashable by (model, data) identity for the sampler cache."""

    def __init__(self, model: Model, data: Data):
        self.model, self.data = model, Data(jnp.asarray(data.x), jnp.asarray(data.y))

    def __call__(self, w):
        return self.model.empirical_loss(w, self.data)
