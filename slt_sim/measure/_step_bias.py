r"""How much unadjusted SGLD's step size biases λ̂, from the curvature of the loss at w*.

SGLD samples the localised potential U(w) = nβ L_n(w) + (γ/2)‖w − w*‖² with the update
w ← w − (ε/2)∇U(w) + √ε ξ. Along an eigendirection of ∇²U(w*) with curvature h = nβ μ + γ
(μ an eigenvalue of ∇²L_n(w*)) this is the linear recursion w ← (1 − εh/2) w + √ε ξ. Its
stationary variance is

    1 / (h (1 − εh/4))      instead of the target's 1/h,

finite only for εh < 4 (Roberts & Tweedie 1996 give the same condition for the unadjusted
Langevin algorithm on a Gaussian). The direction's share of λ̂ = nβ (E[L_n] − L_n(w*)) is
nβ μ / (2h) under the target, and SGLD inflates it by 1/(1 − εh/4). Its bias is therefore

    b_i = (nβ μ_i / (2 h_i)) · x_i / (1 − x_i),      x_i = ε h_i / 4.

The sum over the k sharpest directions is what :func:`sgld_bias` reports. It is exact for a
quadratic loss. Elsewhere it is the leading-order effect of the directions where the step
matters most: the remaining, flatter directions add less, and minibatch gradient noise adds
more on top. It says nothing about singular (flat) directions, whose error is mixing, not
discretisation.

Curvatures come from the Hessian of the loss at w* over the free parameters, taken reverse
over reverse. For up to :data:`DENSE_LIMIT` free parameters the Hessian is formed densely (one
compiled program); above that, SciPy's Lanczos solver (``eigsh``) gets the largest eigenvalues
from Hessian-vector products, and the Hessian itself is never formed. Used by
:func:`~slt_sim.measure.llc.estimate_llc`, :func:`~slt_sim.dynamics.llc_trajectory` (every
checkpoint) and :func:`~slt_sim.measure.calibrate.calibrate_llc` (every ε, γ) for SGLD.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _llc_engine as engine

#: free parameters up to which the Hessian is formed densely
DENSE_LIMIT = 400
#: the number of sharpest directions whose bias is summed
NUM_DIRECTIONS = 8
#: warn when the predicted bias exceeds this fraction of the estimate's size
BIAS_LIMIT = 0.1
#: a step size is suggested where the predicted bias is this fraction of it
BIAS_TARGET = 0.03


# Reverse over reverse (not JAX's forward-over-reverse ``jax.hessian``): a loss written with
# ``jax.custom_vjp`` has no forward mode, and the samplers only ever take its gradient.
def _hessian_program(loss_fn):
    """(w*, data) -> ∇²L_n(w*) over the flattened parameters, jitted (one per loss function)."""
    def hessian(w_star, data):
        flat, unravel = ravel_pytree(w_star)
        return jax.jacrev(jax.grad(lambda x: loss_fn(unravel(x), data)))(flat)
    return jax.jit(hessian)


def _hvp_program(loss_fn):
    """(w*, data, v) -> ∇²L_n(w*) v over the flattened parameters, jitted."""
    def hvp(w_star, data, v):
        flat, unravel = ravel_pytree(w_star)
        grad = jax.grad(lambda x: loss_fn(unravel(x), data))
        return jax.grad(lambda x: jnp.vdot(grad(x), v.astype(flat.dtype)))(flat)
    return jax.jit(hvp)


def _top_eigenvalues(hessian: np.ndarray, k: int) -> np.ndarray:
    """The k largest eigenvalues of a (numerically) symmetric matrix, descending."""
    return np.linalg.eigvalsh(0.5 * (hessian + hessian.T))[::-1][:k].copy()


def prepare_curvatures(loss_fn, w_star, data, mask=None, k: int = NUM_DIRECTIONS
                       ) -> Callable[[], np.ndarray]:
    """Compile the curvature program now; the returned function runs it.

    It returns the k largest eigenvalues μ of ∇²L_n(w*) over the free parameters, in
    descending order. ``mask`` (a pytree like ``w_star`` of 0/1, or None) marks the free
    parameters; frozen ones are left out, since the sampler never moves them.
    The split lets :func:`~slt_sim.measure.llc.estimate_llc` trace and compile while the
    chains run (JAX dispatches them asynchronously), so the check costs little wall time.
    Compiled programs are kept with the LLC engine's, per loss function and shapes.
    """
    flat = np.asarray(ravel_pytree(w_star)[0])
    free = np.ones(flat.size, bool) if mask is None else \
        np.asarray(ravel_pytree(mask)[0]) > 0.5
    d_free = int(free.sum())
    k = max(1, min(k, d_free))
    if d_free <= DENSE_LIMIT:
        hessian, _ = engine.compiled((loss_fn,), (w_star, data), _hessian_program)

        def dense() -> np.ndarray:
            return _top_eigenvalues(np.asarray(hessian(w_star, data))[np.ix_(free, free)], k)
        return dense

    idx = np.flatnonzero(free)
    probe = jnp.zeros(flat.size, flat.dtype)
    hvp, _ = engine.compiled((loss_fn,), (w_star, data, probe), _hvp_program)

    def lanczos() -> np.ndarray:
        from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

        def matvec(v):
            full = np.zeros(flat.size)
            full[idx] = np.ravel(v)
            return np.asarray(hvp(w_star, data, jnp.asarray(full, flat.dtype)))[idx]

        op = LinearOperator((d_free, d_free), matvec=matvec, dtype=float)
        try:
            mu = eigsh(op, k=min(k, d_free - 1), which="LA", tol=1e-3, maxiter=50 * d_free,
                       return_eigenvectors=False)
        except ArpackNoConvergence as err:      # rough eigenvalues are enough for a warning
            mu = err.eigenvalues
        return np.sort(np.asarray(mu, float))[::-1]
    return lanczos


def _hessians_program(loss_fn):
    """(stacked w*, data) -> the Hessian at each w* (a batch of checkpoints), jitted."""
    one = _hessian_program(loss_fn)
    return jax.jit(jax.vmap(one, in_axes=(0, None)))


def prepare_curvatures_many(loss_fn, stacked, data, k: int = NUM_DIRECTIONS
                            ) -> Callable[[], list[np.ndarray]]:
    """:func:`prepare_curvatures` for a batch of points (a pytree with a leading checkpoint
    axis, as :func:`~slt_sim.dynamics.llc_trajectory` takes): one batched Hessian program for
    up to :data:`DENSE_LIMIT` parameters, else one Lanczos run per point."""
    count = int(jax.tree_util.tree_leaves(stacked)[0].shape[0])
    first = jax.tree_util.tree_map(lambda x: x[0], stacked)
    d = int(ravel_pytree(first)[0].size)
    if d > DENSE_LIMIT:
        runs = [prepare_curvatures(loss_fn, jax.tree_util.tree_map(lambda x, i=i: x[i], stacked),
                                   data, None, k) for i in range(count)]
        return lambda: [run() for run in runs]
    hessians, _ = engine.compiled((loss_fn,), (stacked, data), _hessians_program)
    k = max(1, min(k, d))

    def dense() -> list[np.ndarray]:
        return [_top_eigenvalues(h, k) for h in np.asarray(hessians(stacked, data))]
    return dense


def _reason(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {text}"


def _fail_soft(prepare: Callable, *args) -> Callable:
    """``prepare(*args)`` and then its run, with any failure turned into its reason (a str):
    a loss that cannot be differentiated twice (e.g. a ``custom_vjp`` whose backward pass is
    not differentiable) skips the check instead of failing after the chains have run."""
    try:
        run = prepare(*args)
    except Exception as err:                    # any failure: the check is skipped
        reason = _reason(err)
        return lambda: reason

    def probe():
        try:
            return run()
        except Exception as err:
            return _reason(err)
    return probe


def curvature_probe(loss_fn, w_star, data, mask=None) -> Callable[[], np.ndarray | str]:
    """:func:`prepare_curvatures` for the samplers' own use, failing soft (:func:`_fail_soft`)."""
    return _fail_soft(prepare_curvatures, loss_fn, w_star, data, mask)


def curvature_probe_many(loss_fn, stacked, data) -> Callable[[], list[np.ndarray] | str]:
    """:func:`prepare_curvatures_many`, failing soft (:func:`_fail_soft`)."""
    return _fail_soft(prepare_curvatures_many, loss_fn, stacked, data)


def loss_curvatures(loss_fn, w_star, data, mask=None, k: int = NUM_DIRECTIONS) -> np.ndarray:
    """The k largest eigenvalues μ of ∇²L_n(w*) over the free parameters, in descending order
    (:func:`prepare_curvatures`, run at once)."""
    return prepare_curvatures(loss_fn, w_star, data, mask, k)()


def sgld_bias(mu: np.ndarray, step_size: float, nbeta: float, localization: float) -> float:
    """Σ_i b_i over the curvatures μ (module docstring); ``inf`` when εh ≥ 4 somewhere."""
    mu = np.asarray(mu, float)
    h = nbeta * mu + localization
    keep = h > 0
    h, curv = h[keep], nbeta * mu[keep]
    x = step_size * h / 4
    if np.any(x >= 1):
        return math.inf
    return float(np.sum(curv / (2 * h) * x / (1 - x)))


def unchecked_warning(reason: str) -> str:
    """What to say when the Hessian could not be taken (``reason``: the error)."""
    return (f"the SGLD step-size check could not take the Hessian of the loss at w* ({reason}), "
            "so SGLD's step-size bias is unchecked: compare with sampler='mala' at the same ε.")


def step_bias_check(mu: np.ndarray | str, step_size: float, nbeta: float, localization: float,
                    llc_mean: float) -> tuple[dict, tuple[str, ...]]:
    """The numbers of the step-size check and its warning (none when the bias is small).

    The bias is compared with the estimate's size, taken as the larger of λ̂ minus the bias
    and the target's share of the directions summed (about ½ each).
    """
    if isinstance(mu, str):                     # the loss could not be differentiated twice
        return {"step_bias": None, "step_bias_unchecked": mu}, (unchecked_warning(mu),)
    mu = np.asarray(mu, float)
    h_max = float(nbeta * mu.max() + localization) if mu.size else float("nan")
    bias = sgld_bias(mu, step_size, nbeta, localization)
    numbers = {"max_curvature": h_max, "step_bias": bias, "step_bias_directions": int(mu.size)}
    if not math.isfinite(bias):
        return numbers, ()      # εh ≥ 4: the chains diverge, and the divergence check says so
    pos = mu[nbeta * mu + localization > 0]
    share = float(np.sum(nbeta * pos / (2 * (nbeta * pos + localization))))
    size = max(llc_mean - bias if math.isfinite(llc_mean) else 0.0, share, 1e-12)
    if bias <= BIAS_LIMIT * size:
        return numbers, ()
    lo, hi = math.log(step_size) - 40.0, math.log(step_size)
    for _ in range(60):                         # the largest ε with bias(ε) ≤ BIAS_TARGET·size
        mid = 0.5 * (lo + hi)
        if sgld_bias(mu, math.exp(mid), nbeta, localization) <= BIAS_TARGET * size:
            lo = mid
        else:
            hi = mid
    suggested = math.exp(lo)
    numbers["suggested_step_size"] = suggested
    x = step_size * h_max / 4
    which = "the sharpest direction" if mu.size == 1 else f"the {mu.size} sharpest directions"
    return numbers, (
        f"the SGLD step ε = {step_size:g} is large for the sharpest directions at w*: the "
        f"largest curvature of the localised potential is h = {h_max:.3g} (εh/4 = {x:.2f}), "
        f"where unadjusted Langevin inflates the variance {1 / (1 - x):.2f}-fold. From {which} "
        f"λ̂ = {llc_mean:.3g} is biased up by about {bias:.2g} "
        f"(λ̂ − bias ≈ {llc_mean - bias:.3g}). Use step_size ≈ {suggested:.2g} with "
        f"{step_size / suggested:.2g}× more burn-in and draws, or sampler='mala'.",)
