r"""Stochastic-gradient MCMC on a localised, tempered posterior: small pure samplers over pytrees.

Every sampler targets the density

    π(w) ∝ exp(−U(w)),    U(w) = nβ · L(w) + (γ/2) ‖w − w*‖²,

with L the (minibatch) mean loss, nβ the inverse temperature times the data count and γ the
localisation strength that keeps the chain near the point w* whose local learning coefficient is
measured (Lau et al. 2023/2025). With a minibatch B of size b, L is replaced by the unbiased
estimate L_B(w) = (1/b) Σ_{i∈B} ℓ(w; x_i).

A sampler is a :class:`Sampler`, a NamedTuple of two pure functions (in the style of BlackJAX and
Optax):

* ``init(position, batch) -> state``
* ``step(key, state, batch) -> (state, StepInfo)``

so that chains are a ``jax.vmap`` and draws a ``jax.lax.scan``. The step size ε has the same
meaning in every sampler: ε is the step of the Euler–Maruyama discretisation of the Langevin
diffusion dw = −½∇U dt + dW, i.e. SGLD moves w ← w − (ε/2)∇U + √ε ξ (the convention of Welling &
Teh 2011 and of devinterp's ``lr``).

``mask`` (a pytree of 0/1 with the structure of the position) freezes the parameters where it is
0: their drift and noise are multiplied by the mask, so they stay at their initial value. This is
how restricted (weight-subset) LLCs are computed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

Array = jax.Array
Params = Any
Batch = Any
#: ``(position, batch) -> (U, loss)``: the potential U and the (minibatch) mean loss L it holds
PotentialFn = Callable[[Params, Batch], tuple[Array, Array]]


class StepInfo(NamedTuple):
    """What one step reports.

    loss: the mean loss L at the position the gradient was taken (SGLD family: the minibatch
      loss before the move; MALA: the full loss at the state after the accept/reject step).
    acceptance: Metropolis–Hastings acceptance probability min(1, α) of the proposal (MALA);
      1.0 for the unadjusted samplers.
    """

    loss: Array
    acceptance: Array


class Sampler(NamedTuple):
    """A sampler as two pure functions over pytrees."""

    init: Callable[[Params, Batch], Any]
    step: Callable[[Array, Any, Batch], tuple[Any, StepInfo]]


# ------------------------------------------------------------------------ shared pieces
def localized_potential(loss_fn: Callable[[Params, Batch], Array], w_star: Params,
                        nbeta, gamma) -> PotentialFn:
    r"""U(w) = nβ · L(w; batch) + (γ/2) ‖w − w*‖², returned together with L(w; batch)."""

    def potential(w, batch):
        loss = loss_fn(w, batch)
        sq = sum(jnp.sum((a - b) ** 2) for a, b in zip(jax.tree.leaves(w),
                                                        jax.tree.leaves(w_star)))
        return nbeta * loss + 0.5 * gamma * sq, loss

    return potential


def _value_and_grad(potential_fn: PotentialFn):
    return jax.value_and_grad(potential_fn, has_aux=True)


def _normal_like(key: Array, tree: Params) -> Params:
    leaves, treedef = jax.tree.flatten(tree)
    keys = jax.random.split(key, len(leaves))
    return jax.tree.unflatten(treedef, [jax.random.normal(k, jnp.shape(x), jnp.result_type(x))
                                        for k, x in zip(keys, leaves)])


def _masked(tree: Params, mask: Params | None) -> Params:
    return tree if mask is None else jax.tree.map(lambda t, m: t * m, tree, mask)


def _sum_sq(tree: Params) -> Array:
    return sum(jnp.sum(x ** 2) for x in jax.tree.leaves(tree))


def free_size(position: Params, mask: Params | None = None) -> Array:
    """Number of free (unmasked) real parameters."""
    if mask is None:
        return jnp.asarray(sum(jnp.size(x) for x in jax.tree.leaves(position)), float)
    return sum(jnp.sum(jnp.broadcast_to(m, jnp.shape(x)))
               for x, m in zip(jax.tree.leaves(position), jax.tree.leaves(mask)))


# ------------------------------------------------------------------------ SGLD
class SGLDState(NamedTuple):
    position: Params


def sgld(potential_fn: PotentialFn, step_size, mask: Params | None = None) -> Sampler:
    r"""Stochastic gradient Langevin dynamics (Welling & Teh 2011), constant step.

        w ← w − (ε/2) ∇U_B(w) + √ε ξ,    ξ ~ N(0, I).

    Unadjusted: the stationary law differs from π by O(ε) (and by the minibatch gradient
    noise); use :func:`mala` at the same ε to see how large that error is.
    """
    vg = _value_and_grad(potential_fn)
    eps = jnp.asarray(step_size)

    def init(position, batch=None):
        return SGLDState(position)

    def step(key, state, batch):
        (_, loss), grad = vg(state.position, batch)
        noise = _normal_like(key, state.position)
        delta = jax.tree.map(lambda g, z: -0.5 * eps * g + jnp.sqrt(eps) * z, grad, noise)
        position = jax.tree.map(jnp.add, state.position, _masked(delta, mask))
        return SGLDState(position), StepInfo(loss, jnp.ones_like(loss))

    return Sampler(init, step)


# ------------------------------------------------------------------------ RMSProp SGLD
class RMSPropSGLDState(NamedTuple):
    position: Params
    square_avg: Params
    count: Array


def rmsprop_sgld(potential_fn: PotentialFn, step_size, mask: Params | None = None, *,
                 decay: float = 0.999, eps_stability: float = 1.0) -> Sampler:
    r"""Preconditioned SGLD with an RMSProp diagonal preconditioner (Li et al. 2016, pSGLD).

        V ← a V + (1 − a) g⊙g,  V̂ = V / (1 − aᵗ),  G = 1 / (√V̂ + δ),
        w ← w − (ε/2) G⊙g + √(ε G) ⊙ ξ,    g = ∇U_B(w).

    Steep directions get smaller steps and flat ones larger, so one ε suits a badly
    conditioned posterior. The Γ(w) correction term of pSGLD (the derivative of G) is dropped,
    as is usual; it vanishes as the preconditioner settles. V̂ is bias-corrected as in Adam.

    With the default δ = 1 we have G ≤ 1: the preconditioner never takes a larger step than
    SGLD at the same ε, it only shortens the steps along stiff directions (where |∇U| ≫ 1). So
    the first steps from a minimum w* (where ∇U ≈ 0) are plain SGLD steps, and a step size that
    suits SGLD in the flat directions stays stable in the stiff ones. A smaller δ lengthens the
    steps in flat directions too (then ε must shrink accordingly).

    The preconditioner reacts to the chain's own fluctuations, which biases the sampled spread
    upwards, more with the common decay a = 0.99 than with the default a = 0.999 (measured on a
    Gaussian in docs/llc.md, sampler table; checked in tests/test_sgmcmc.py).
    """
    vg = _value_and_grad(potential_fn)
    eps = jnp.asarray(step_size)

    def init(position, batch=None):
        return RMSPropSGLDState(position, jax.tree.map(jnp.zeros_like, position),
                                jnp.zeros((), jnp.result_type(float)))

    def step(key, state, batch):
        (_, loss), grad = vg(state.position, batch)
        count = state.count + 1
        square_avg = jax.tree.map(lambda v, g: decay * v + (1 - decay) * g * g,
                                  state.square_avg, grad)
        correction = 1.0 - decay ** count
        noise = _normal_like(key, state.position)

        def move(v, g, z):
            precond = 1.0 / (jnp.sqrt(v / correction) + eps_stability)
            return -0.5 * eps * precond * g + jnp.sqrt(eps * precond) * z

        delta = jax.tree.map(move, square_avg, grad, noise)
        position = jax.tree.map(jnp.add, state.position, _masked(delta, mask))
        return RMSPropSGLDState(position, square_avg, count), StepInfo(loss, jnp.ones_like(loss))

    return Sampler(init, step)


# ------------------------------------------------------------------------ SGNHT
class SGNHTState(NamedTuple):
    position: Params
    momentum: Params
    thermostat: Array


def sgnht(potential_fn: PotentialFn, step_size, mask: Params | None = None, *,
          diffusion: float = 0.01) -> Sampler:
    r"""Stochastic gradient Nosé–Hoover thermostat (Ding et al. 2014), momentum form.

    With u the velocity, ξ the thermostat, A the diffusion (friction per step) and d the number
    of free parameters:

        u ← u − ξ u − (ε/2) ∇U_B(w) + √(A ε) η,
        w ← w + u,
        ξ ← ξ + ‖u‖²/d − ε/2,

    started at u = 0, ξ = A. The thermostat adapts the friction so that the kinetic energy
    matches the temperature, absorbing unknown minibatch-gradient noise. With ξ = A = 1 the step
    is exactly SGLD with step ε; smaller A keeps momentum (1 − A) and moves faster along flat
    valleys.
    """
    vg = _value_and_grad(potential_fn)
    eps = jnp.asarray(step_size)
    a = jnp.asarray(diffusion, jnp.result_type(float))

    def init(position, batch=None):
        return SGNHTState(position, jax.tree.map(jnp.zeros_like, position), a)

    def step(key, state, batch):
        (_, loss), grad = vg(state.position, batch)
        noise = _normal_like(key, state.position)
        xi = state.thermostat
        u = jax.tree.map(lambda p, g, z: p - xi * p - 0.5 * eps * g + jnp.sqrt(a * eps) * z,
                         state.momentum, grad, noise)
        u = _masked(u, mask)
        position = jax.tree.map(jnp.add, state.position, u)
        d = free_size(state.position, mask)
        xi = xi + _sum_sq(u) / d - 0.5 * eps
        return SGNHTState(position, u, xi), StepInfo(loss, jnp.ones_like(loss))

    return Sampler(init, step)


# ------------------------------------------------------------------------ MALA
class MALAState(NamedTuple):
    position: Params
    potential: Array
    grad: Params
    loss: Array


def mala(potential_fn: PotentialFn, step_size, mask: Params | None = None) -> Sampler:
    r"""Metropolis-adjusted Langevin algorithm (Roberts & Tweedie 1996), full batch.

    Proposal w' = w − (ε/2)∇U(w) + √ε ξ, accepted with probability min(1, α),

        log α = U(w) − U(w') + [‖w' − w + (ε/2)∇U(w)‖² − ‖w − w' + (ε/2)∇U(w')‖²] / (2ε).

    It samples π exactly for any ε, so it is the reference for the unadjusted samplers, and
    its acceptance rate at a given ε says whether that ε is small enough for SGLD (a rate well
    below 1 means the discretisation error of SGLD at that ε is large). Use it with the full
    data set (``batch`` = all data): with minibatches the accept test is not exact.
    """
    vg = _value_and_grad(potential_fn)
    eps = jnp.asarray(step_size)

    def init(position, batch=None):
        (u, loss), grad = vg(position, batch)
        return MALAState(position, u, grad, loss)

    def log_q(to, frm, grad_frm):
        diff = jax.tree.map(lambda t, f, g: t - f + 0.5 * eps * g, to, frm, grad_frm)
        return -_sum_sq(_masked(diff, mask)) / (2.0 * eps)

    def step(key, state, batch):
        k_noise, k_accept = jax.random.split(key)
        noise = _normal_like(k_noise, state.position)
        delta = jax.tree.map(lambda g, z: -0.5 * eps * g + jnp.sqrt(eps) * z, state.grad, noise)
        proposal = jax.tree.map(jnp.add, state.position, _masked(delta, mask))
        (u_new, loss_new), grad_new = vg(proposal, batch)
        log_alpha = (state.potential - u_new + log_q(state.position, proposal, grad_new)
                     - log_q(proposal, state.position, state.grad))
        log_alpha = jnp.where(jnp.isnan(log_alpha), -jnp.inf, log_alpha)
        accept = jnp.log(jax.random.uniform(k_accept, dtype=jnp.result_type(u_new))) < log_alpha
        new = MALAState(proposal, u_new, grad_new, loss_new)
        state = jax.tree.map(lambda a, b: jnp.where(accept, a, b), new, state)
        return state, StepInfo(state.loss, jnp.minimum(1.0, jnp.exp(log_alpha)))

    return Sampler(init, step)


#: sampler names accepted by :func:`build_sampler` (and by ``estimate_llc(sampler=...)``)
SAMPLERS: dict[str, Callable[..., Sampler]] = {
    "sgld": sgld,
    "rmsprop-sgld": rmsprop_sgld,
    "sgnht": sgnht,
    "mala": mala,
}


def build_sampler(name: str, potential_fn: PotentialFn, step_size, mask: Params | None = None,
                  **options) -> Sampler:
    """The sampler called ``name`` (one of :data:`SAMPLERS`)."""
    if name not in SAMPLERS:
        raise ValueError(f"sampler must be one of {sorted(SAMPLERS)}, got {name!r}")
    return SAMPLERS[name](potential_fn, step_size, mask, **options)


# ------------------------------------------------------------------------ running a chain
def _argsort_bits(bits: Array) -> Array:
    """``jnp.argsort(bits)`` (stable) of n 32-bit keys, as one single-operand sort.

    With 64-bit types on, each key is packed with its index into one uint64 (key in the high
    half, index in the low half), so a plain sort gives the same order as the stable argsort
    (ties broken by index) — about 1.8× faster on a CPU, where the per-epoch shuffle is much of
    an SGLD run's cost. Without 64-bit types it falls back to ``jnp.argsort``.
    """
    n = bits.shape[0]
    if not jax.config.jax_enable_x64 or n >= 2 ** 31:      # the indices come back as int32
        return jnp.argsort(bits)
    packed = (bits.astype(jnp.uint64) << 32) | jnp.arange(n, dtype=jnp.uint64)
    return (jnp.sort(packed) & 0xFFFFFFFF).astype(jnp.int32)


def run_chain(sampler: Sampler, key: Array, position: Params, data: Batch, num_steps: int,
              batch_size: int | None = None, batch_key: Array | None = None
              ) -> tuple[Any, StepInfo]:
    """Run one chain for ``num_steps`` steps with ``lax.scan``; returns (final state, infos).

    Minibatches: with ``batch_size`` b < n, every epoch draws one random permutation of the n
    samples and walks through it in n // b consecutive batches (the remainder of each epoch
    is skipped): an outer ``lax.scan`` over epochs draws the permutation, an inner one walks its
    batches, so the O(n log n) shuffle is paid once per epoch, not per step. With
    ``batch_size=None`` (or b ≥ n) every step uses the full ``data``. ``data`` may be ``None``
    (a potential: the loss takes no data) or any pytree of arrays with the sample index as its
    leading axis. Vectorise over chains with ``jax.vmap`` over ``key`` (and ``position``).

    ``batch_key``: key of the epoch permutations (default: derived from ``key``, so every chain
    has its own batch order). Pass one un-vmapped key to give all chains the same batch order
    (as devinterp does by default): the shuffles are then computed once for all chains, which
    is much cheaper with many chains, at the price of chains sharing their minibatch noise.
    A permutation is the stable argsort of n random 32-bit integers (one sort).
    """
    _, k_perm, k_steps = jax.random.split(key, 3)
    if batch_key is not None:
        k_perm = batch_key
    n = None if data is None else int(jax.tree.leaves(data)[0].shape[0])
    full = data is None or batch_size is None or batch_size >= n
    state = sampler.init(position, data)
    step_keys = jax.random.split(k_steps, num_steps)

    if full:
        def body(st, k):
            return sampler.step(k, st, data)

        return jax.lax.scan(body, state, step_keys)

    b = int(batch_size)
    per_epoch = n // b
    full_epochs, rest = divmod(num_steps, per_epoch)

    def epoch_batches(e):
        bits = jax.random.bits(jax.random.fold_in(k_perm, e), (n,), jnp.uint32)
        perm = _argsort_bits(bits)
        return perm[:per_epoch * b].reshape(per_epoch, b)

    def step_on(st, inputs):
        idx, k = inputs
        batch = jax.tree.map(lambda x: jnp.take(x, idx, axis=0), data)
        return sampler.step(k, st, batch)

    def epoch(st, inputs):
        e, keys = inputs
        return jax.lax.scan(step_on, st, (epoch_batches(e), keys))

    main = full_epochs * per_epoch
    state, infos = jax.lax.scan(
        epoch, state, (jnp.arange(full_epochs),
                       step_keys[:main].reshape((full_epochs, per_epoch) + step_keys.shape[1:])))
    infos = jax.tree.map(lambda x: x.reshape((main,) + x.shape[2:]), infos)
    if rest:
        idx = epoch_batches(full_epochs)[:rest]
        state, tail = jax.lax.scan(step_on, state, (idx, step_keys[main:]))
        infos = jax.tree.map(lambda a, c: jnp.concatenate([a, c]), infos, tail)
    return state, infos
