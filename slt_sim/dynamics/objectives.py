r"""Training objectives over per-sample losses: mean, grouped, gradient-clustered, SVD-grouped,
group DRO — small pieces with explicit state, in the init/update style of Optax.

Every objective turns the per-sample losses ℓ(x), x ∈ B, of a minibatch into one scalar whose
gradient the optimiser follows. An :class:`Objective` is three pure functions:

    state = init(params, batch, key)                  # once per run (shapes from a batch)
    state = update(state, params, batch, per_sample)  # every step, before the gradient
    L     = value(losses, state, batch)               # losses = per_sample(params, batch), (B,)

``per_sample(params, batch) -> (B,)`` is the model's per-sample loss. Whatever ``update`` puts in
the state (group ids from clustering, singular directions, group weights) is a constant for the
gradient: only ``losses`` carries the parameters, so the stop-gradients of the definitions below
hold by construction. :func:`~slt_sim.dynamics.train_sgd` takes an objective (``objective=``).

The objectives (ℓ_g = mean loss of the samples of group g in the batch, n_g their number):

* :func:`mean` — ERM, L = (1/|B|) Σ_x ℓ(x).
* :func:`grouped` — L = Σ_{g: n_g > 0} ℓ_g^p with given group ids (p = 2: the proposal of the
  grouped-loss note in the project's source documents; q-FFL of Li et al. 2020 with q = p − 1).
  Its gradient is Σ_g p ℓ_g^{p−1} ∇ℓ_g: a mean loss whose groups are weighted by p ℓ_g^{p−1}, so
  the worst group gets the largest weight. Groups absent from a batch are masked (weight 0).
* :func:`gradient_clustered` — the same grouped loss with groups found by clustering the
  per-example gradients ∇ℓ(x) (unit-normalised, k-means on the sphere). The centroids are
  re-fitted every ``refresh_every`` steps on that step's batch; at every step each example
  joins the group of the nearest centroid (cosine). k-means runs jitted on the device, inside
  the training scan (Lloyd iterations from a k-means++ start): the points are one minibatch of
  at most a few hundred vectors, so it costs a few small matrix products, where a host call
  (scikit-learn) would break the compiled, seed-vmapped loop at every refresh.
* :func:`svd_grouped` — L = Σ_{i ≤ r} (σ_i Σ_x ℓ(x) α̂_i(x))² from the SVD G = U Σ Wᵀ of the
  per-example gradient matrix G (|B| × D): α_i(x) = ⟨∇ℓ(x), w_i⟩ are the coordinates of an
  example's gradient on the right singular vectors and α̂_i(x) = α_i(x)/‖∇ℓ(x)‖ (for the
  examples of the SVD batch ‖∇ℓ(x)‖² = Σ_i α_i(x)², the normalisation of the proposal).
  σ_i and w_i are refreshed every ``refresh_every`` steps; α̂ of the current batch is computed
  at every step from the current gradients (examples of a new minibatch have no stored
  α̂); all three are constants for the gradient. The value is divided by the constant (|B| σ_1)²
  of the refresh, which changes the scale of L and not the direction of its gradient.
* :func:`group_dro` — online group DRO (Sagawa, Koh, Hashimoto, Liang 2020, Algorithm 1):
  q_g ← q_g exp(η_q ℓ_g) for the groups present, q ← q/Σ q, then L = Σ_g q_g ℓ_g.

Per-example gradients for large D: ``param_indices`` restricts them to some coordinates (e.g.
the last layer), ``sketch_dim`` maps them to D' coordinates by a count sketch (feature hashing,
Weinberger et al. 2009: coordinate j goes to bucket h(j) with sign s(j), so inner products are
kept in expectation), and ``chunk`` computes them ``chunk`` examples at a time: memory
O(chunk · D + |B| · D').
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .. import _validate as v

GroupFn = Callable[[Any], jax.Array]


@dataclass(frozen=True, eq=False)
class Objective:
    """A training objective over per-sample losses, as three pure functions (module docstring).

    Attributes:
      name: short name (``"mean"``, ``"grouped"``, ``"clustered"``, ``"svd"``, ``"dro"``).
      init: ``(params, batch, key) -> state``.
      update: ``(state, params, batch, per_sample) -> state``, called every step.
      value: ``(losses, state, batch) -> scalar``, differentiated through ``losses`` only.
      settings: the objective's settings (JSON-ready), recorded with the runs.
    """

    name: str
    init: Callable
    update: Callable
    value: Callable
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, losses, state, batch):
        return self.value(losses, state, batch)


# ----------------------------------------------------------------------------- pieces
def group_means(losses: jax.Array, ids: jax.Array, num_groups: int
                ) -> tuple[jax.Array, jax.Array]:
    """Mean loss ℓ_g and count n_g of every group in a batch; ℓ_g = 0 where n_g = 0 (no NaN)."""
    counts = jax.ops.segment_sum(jnp.ones_like(losses), ids, num_segments=num_groups)
    sums = jax.ops.segment_sum(losses, ids, num_segments=num_groups)
    return sums / jnp.maximum(counts, 1.0), counts


def grouped_loss(losses: jax.Array, ids: jax.Array, num_groups: int, power: float = 2.0
                 ) -> jax.Array:
    r"""L = Σ_{g: n_g > 0} ℓ_g^p, ℓ_g the mean of ``losses`` over group g (empty groups masked)."""
    means, counts = group_means(losses, ids, num_groups)
    return jnp.sum(jnp.where(counts > 0, means, 0.0) ** power)


def svd_grouped_loss(losses: jax.Array, sigma: jax.Array, alpha_hat: jax.Array) -> jax.Array:
    r"""L = Σ_i (σ_i Σ_x ℓ(x) α̂_i(x))² with σ (r,) and α̂ (|B|, r) held constant (stop-gradient)."""
    sigma = jax.lax.stop_gradient(sigma)
    alpha_hat = jax.lax.stop_gradient(alpha_hat)
    return jnp.sum((sigma * (losses @ alpha_hat)) ** 2)


def dro_weights(q: jax.Array, group_losses: jax.Array, counts: jax.Array, step_size: float
                ) -> jax.Array:
    r"""One exponentiated-gradient step of group DRO: q_g ← q_g e^{η ℓ_g} (g present), then
    q ← q/Σq."""
    logits = jnp.log(q) + step_size * jnp.where(counts > 0, group_losses, 0.0)
    return jax.nn.softmax(logits)


def count_sketch(key, dim: int, sketch_dim: int) -> tuple[jax.Array, jax.Array]:
    """Buckets h(j) ∈ [0, D') and signs s(j) = ±1 of a count sketch R^D → R^{D'}."""
    kb, ks = jax.random.split(key)
    return (jax.random.randint(kb, (dim,), 0, sketch_dim),
            jax.random.rademacher(ks, (dim,), dtype=jnp.result_type(float)))


def per_example_gradients(per_sample: Callable, params, batch, *, param_indices=None,
                          sketch: tuple[jax.Array, jax.Array, int] | None = None,
                          chunk: int | None = None) -> jax.Array:
    r"""The per-example gradient matrix G, row x = ∇_w ℓ(x) flattened, shape (|B|, D).

    Args:
      per_sample: ``(params, batch) -> (B,)`` per-sample losses.
      params: a parameter pytree (flattened with ``ravel_pytree``).
      batch: a pytree of arrays with the sample index as leading axis.
      param_indices: only these coordinates of the flat parameter vector (D = their number).
      sketch: ``(buckets, signs, D')`` of :func:`count_sketch`: rows become the sketched
        gradients (D = D').
      chunk: compute ``chunk`` examples at a time (``lax.map``) to bound memory.
    """
    flat, unravel = ravel_pytree(params)
    idx = None if param_indices is None else jnp.asarray(param_indices)

    def one(example):
        ex = jax.tree_util.tree_map(lambda a: a[None], example)
        if idx is None:
            g = jax.grad(lambda z: per_sample(unravel(z), ex)[0])(flat)
        else:
            g = jax.grad(lambda s: per_sample(unravel(flat.at[idx].set(s)), ex)[0])(flat[idx])
        if sketch is not None:
            buckets, signs, dim = sketch
            g = jax.ops.segment_sum(signs * g, buckets, num_segments=dim)
        return g

    if chunk is None:
        return jax.vmap(one)(batch)
    return jax.lax.map(one, batch, batch_size=chunk)


def top_singular(G: jax.Array, r: int) -> tuple[jax.Array, jax.Array]:
    r"""Top r singular values σ (r,) and right singular vectors Wᵀ (r, D) of G (N, D).

    From the eigendecomposition of the smaller Gram matrix (G Gᵀ = U Σ² Uᵀ, Wᵀ = Σ⁻¹ Uᵀ G when
    N ≤ D): much cheaper than a full SVD of a wide matrix (timed in docs/grouped.md),
    and exact for the well-separated leading directions that are kept.
    """
    N, D = G.shape
    if N <= D:
        evals, U = jnp.linalg.eigh(G @ G.T)
        s = jnp.sqrt(jnp.maximum(evals[::-1][:r], 0.0))
        vt = (U[:, ::-1][:, :r].T @ G) / jnp.maximum(s, 1e-30)[:, None]
    else:
        evals, V = jnp.linalg.eigh(G.T @ G)
        s = jnp.sqrt(jnp.maximum(evals[::-1][:r], 0.0))
        vt = V[:, ::-1][:, :r].T
    return s, vt


def _unit_rows(x: jax.Array) -> jax.Array:
    return x / jnp.maximum(jnp.linalg.norm(x, axis=-1, keepdims=True), 1e-30)


def spherical_kmeans(points: jax.Array, num_clusters: int, key, iters: int = 25
                     ) -> tuple[jax.Array, jax.Array]:
    r"""k-means on the unit sphere (cosine similarity), jitted: (centroids (k, D), labels (N,)).

    Start: k-means++ (each new centre drawn with probability ∝ squared distance to the nearest
    centre so far); then ``iters`` Lloyd iterations (assign to the most similar centroid, centroid
    = normalised mean of its points; an empty cluster keeps its centroid).
    """
    u = _unit_rows(points)
    N = u.shape[0]
    k0, kr = jax.random.split(key)
    first = u[jax.random.randint(k0, (), 0, N)]
    cents = jnp.zeros((num_clusters, u.shape[1]), u.dtype).at[0].set(first)

    def plus(i, carry):
        c, k = carry
        k, kk = jax.random.split(k)
        d2 = jnp.min(jnp.sum((u[:, None] - c[None]) ** 2, -1)
                     + jnp.where(jnp.arange(num_clusters) < i, 0.0, jnp.inf)[None], axis=1)
        p = jnp.where(jnp.sum(d2) > 0, d2 / jnp.maximum(jnp.sum(d2), 1e-300), 1.0 / N)
        return c.at[i].set(u[jax.random.choice(kk, N, p=p)]), k

    cents, _ = jax.lax.fori_loop(1, num_clusters, plus, (cents, kr))

    def lloyd(_, c):
        lab = jnp.argmax(u @ c.T, axis=1)
        sums = jax.ops.segment_sum(u, lab, num_segments=num_clusters)
        cnt = jax.ops.segment_sum(jnp.ones(N, u.dtype), lab, num_segments=num_clusters)
        return jnp.where(cnt[:, None] > 0, _unit_rows(sums), c)

    cents = jax.lax.fori_loop(0, iters, lloyd, cents)
    return cents, jnp.argmax(u @ cents.T, axis=1).astype(jnp.int32)


# ----------------------------------------------------------------------------- objectives
def _no_update(state, params, batch, per_sample):
    return state


def mean() -> Objective:
    """ERM: L = (1/|B|) Σ_x ℓ(x) (what :func:`train_sgd` minimises without an objective)."""
    return Objective("mean", lambda params, batch, key: (),
                     _no_update, lambda losses, state, batch: jnp.mean(losses),
                     {"name": "mean"})


def _check_groups(num_groups, groups):
    G = v.as_int("num_groups", num_groups, lo=1)
    if not callable(groups):
        raise TypeError(f"groups must be a function batch -> group ids (B,), got "
                        f"{type(groups).__name__}")
    return G


def grouped(num_groups: int, groups: GroupFn, power: float = 2.0) -> Objective:
    r"""Grouped loss L = Σ_{g: n_g > 0} ℓ_g^p with given group ids (module docstring).

    Args:
      num_groups: number of groups G; ids are in 0..G−1.
      groups: ``batch -> (B,)`` integer group id of every sample (e.g. the task of a
        multitask sparse-parity sample, ``model.extra["groups"]``).
      power: p ≥ 1 (2 is the proposal; 1 with equal-size groups is the mean loss times G).
        Losses are assumed ≥ 0 (a cross-entropy), so ℓ_g^p is increasing in ℓ_g.
    """
    G = _check_groups(num_groups, groups)
    p = v.as_float("power", power, lo=1.0)
    return Objective("grouped", lambda params, batch, key: (), _no_update,
                     lambda losses, state, batch: grouped_loss(losses, groups(batch), G, p),
                     {"name": "grouped", "num_groups": G, "power": p, "groups": "given"})


class _GradState(NamedTuple):
    count: jax.Array         # steps taken (refresh when count % refresh_every == 0)
    key: jax.Array
    sketch: Any               # (buckets, signs) or ()
    basis: jax.Array          # centroids (G, D') or right singular vectors (r, D')
    sigma: jax.Array          # singular values (r,) (clustering: unused, zeros)
    scale: jax.Array          # 1/(|B| σ_1)² of the last refresh (clustering: 1)
    weights: jax.Array        # group ids (B,) or α̂ (B, r) of the current batch


def _feature_setup(params, batch, key, sketch_dim, param_indices):
    flat, _ = ravel_pytree(params)
    D = flat.shape[0] if param_indices is None else len(param_indices)
    if sketch_dim is None or sketch_dim >= D:
        return D, ()
    return sketch_dim, count_sketch(jax.random.fold_in(key, 1), D, sketch_dim)


def _features(state, params, batch, per_sample, dim, param_indices, chunk):
    sk = None if state.sketch == () else (state.sketch[0], state.sketch[1], dim)
    return per_example_gradients(per_sample, params, batch, param_indices=param_indices,
                                 sketch=sk, chunk=chunk)


def _check_grad_options(refresh_every, sketch_dim, param_indices, chunk):
    K = v.as_int("refresh_every", refresh_every, lo=1)
    sd = None if sketch_dim is None else v.as_int("sketch_dim", sketch_dim, lo=1)
    idx = None if param_indices is None else tuple(
        v.as_int(f"param_indices[{i}]", j, lo=0) for i, j in enumerate(param_indices))
    ch = None if chunk is None else v.as_int("chunk", chunk, lo=1)
    return K, sd, idx, ch


def gradient_clustered(num_groups: int, refresh_every: int = 100, power: float = 2.0, *,
                       kmeans_iters: int = 25, sketch_dim: int | None = None,
                       param_indices=None, chunk: int | None = None) -> Objective:
    r"""Grouped loss with groups found by clustering per-example gradients (module docstring).

    Args:
      num_groups: number of clusters G.
      refresh_every: re-fit the centroids (k-means on that step's batch) every K steps,
        starting at step 0; between refreshes each example joins its nearest centroid.
      power: p of the grouped loss.
      kmeans_iters: Lloyd iterations per refresh.
      sketch_dim, param_indices, chunk: bounded-memory per-example gradients (module docstring).
    """
    G = v.as_int("num_groups", num_groups, lo=1)
    p = v.as_float("power", power, lo=1.0)
    iters = v.as_int("kmeans_iters", kmeans_iters, lo=1)
    K, sd, idx, ch = _check_grad_options(refresh_every, sketch_dim, param_indices, chunk)
    def init(params, batch, key):
        dim, sketch = _feature_setup(params, batch, key, sd, idx)
        B = jax.tree_util.tree_leaves(batch)[0].shape[0]
        if G > B:
            raise ValueError(f"num_groups must be <= the batch size {B}, got {G}")
        dt = jnp.result_type(float)
        return _GradState(jnp.zeros((), jnp.int32), key, sketch, jnp.zeros((G, dim), dt),
                          jnp.zeros((0,), dt), jnp.ones((), dt), jnp.zeros((B,), jnp.int32))

    def update(state, params, batch, per_sample):
        u = _unit_rows(_features(state, params, batch, per_sample, state.basis.shape[1], idx, ch))
        cents = jax.lax.cond(
            state.count % K == 0,
            lambda: spherical_kmeans(u, G, jax.random.fold_in(state.key, state.count), iters)[0],
            lambda: state.basis)
        ids = jnp.argmax(u @ cents.T, axis=1).astype(jnp.int32)
        return state._replace(count=state.count + 1, basis=cents, weights=ids)

    def value(losses, state, batch):
        return grouped_loss(losses, state.weights, G, p)

    return Objective("clustered", init, update, value,
                     {"name": "clustered", "num_groups": G, "power": p, "refresh_every": K,
                      "clustering": "spherical k-means (k-means++ start) of per-example "
                                    "gradients, jitted, on the batch of every K-th step",
                      "kmeans_iters": iters, "sketch_dim": sd,
                      "param_indices": None if idx is None else len(idx)})


def svd_grouped(rank: int, refresh_every: int = 100, *, signed: bool = True,
                sketch_dim: int | None = None, param_indices=None,
                chunk: int | None = None) -> Objective:
    r"""SVD-grouped loss L = Σ_{i ≤ r} (σ_i Σ_x ℓ(x) α̂_i(x))² / (|B| σ_1)² (module docstring).

    Args:
      rank: r, the number of singular directions kept (≤ min(|B|, D)).
      refresh_every: recompute σ and the singular directions every K steps (from step 0).
      signed: use α̂ as defined (True). False uses |α̂| — a variant, not the proposal: every
        example then counts with a non-negative weight in each direction, like a soft group
        membership, whereas signed coordinates let examples whose gradients point opposite
        ways along w_i cancel in Σ_x ℓ(x) α̂_i(x).
      sketch_dim, param_indices, chunk: bounded-memory per-example gradients.
    """
    r = v.as_int("rank", rank, lo=1)
    K, sd, idx, ch = _check_grad_options(refresh_every, sketch_dim, param_indices, chunk)
    def init(params, batch, key):
        dim, sketch = _feature_setup(params, batch, key, sd, idx)
        B = jax.tree_util.tree_leaves(batch)[0].shape[0]
        if r > min(B, dim):
            raise ValueError(f"rank must be <= min(batch size, gradient dimension) = "
                             f"{min(B, dim)}, got {r}")
        dt = jnp.result_type(float)
        return _GradState(jnp.zeros((), jnp.int32), key, sketch, jnp.zeros((r, dim), dt),
                          jnp.zeros((r,), dt), jnp.ones((), dt), jnp.zeros((B, r), dt))

    def refresh(G, B):
        s, vt = top_singular(G, r)
        return vt, s, 1.0 / jnp.maximum(B * s[0], 1e-30) ** 2

    def update(state, params, batch, per_sample):
        G = _features(state, params, batch, per_sample, state.basis.shape[1], idx, ch)
        B = G.shape[0]
        basis, sigma, scale = jax.lax.cond(state.count % K == 0, lambda: refresh(G, B),
                                           lambda: (state.basis, state.sigma, state.scale))
        norms = jnp.maximum(jnp.linalg.norm(G, axis=1, keepdims=True), 1e-30)
        alpha_hat = (G @ basis.T) / norms
        return state._replace(count=state.count + 1, basis=basis, sigma=sigma, scale=scale,
                              weights=alpha_hat if signed else jnp.abs(alpha_hat))

    def value(losses, state, batch):
        return state.scale * svd_grouped_loss(losses, state.sigma, state.weights)

    return Objective("svd", init, update, value,
                     {"name": "svd", "rank": r, "signed": bool(signed), "refresh_every": K,
                      "sketch_dim": sd,
                      "param_indices": None if idx is None else len(idx),
                      "normalisation": "divided by (|B| sigma_1)^2 of the refresh"})


class DROState(NamedTuple):
    """Group weights q (G,) of group DRO, on the simplex."""

    q: jax.Array


def group_dro(num_groups: int, groups: GroupFn, step_size: float = 0.01) -> Objective:
    r"""Online group DRO (Sagawa et al. 2020): q_g ← q_g e^{η_q ℓ_g}, q ← q/Σq; L = Σ_g q_g ℓ_g.

    q starts uniform; groups absent from a batch keep their weight before normalisation and
    contribute 0 to L.

    Args:
      num_groups: number of groups G.
      groups: ``batch -> (B,)`` group ids.
      step_size: η_q of the exponentiated-gradient step on q.
    """
    G = _check_groups(num_groups, groups)
    eta = v.as_float("step_size", step_size, lo=0.0)

    def init(params, batch, key):
        return DROState(jnp.full((G,), 1.0 / G, jnp.result_type(float)))

    def update(state, params, batch, per_sample):
        means, counts = group_means(per_sample(params, batch), groups(batch), G)
        return DROState(dro_weights(state.q, means, counts, eta))

    def value(losses, state, batch):
        means, counts = group_means(losses, groups(batch), G)
        return jnp.sum(jax.lax.stop_gradient(state.q) * jnp.where(counts > 0, means, 0.0))

    return Objective("dro", init, update, value,
                     {"name": "dro", "num_groups": G, "step_size": eta, "groups": "given"})


#: names accepted by :func:`objective_by_name` (and ``slt-sim grouped --objective``)
OBJECTIVE_NAMES = ("mean", "grouped", "clustered", "svd", "dro")


def objective_by_name(name: str, *, num_groups: int, groups: GroupFn | None = None,
                      refresh_every: int = 100, power: float = 2.0, dro_step_size: float = 0.01,
                      **grad_options) -> Objective:
    """The objective called ``name`` (one of :data:`OBJECTIVE_NAMES`) with G groups / rank G.

    ``groups`` (given group ids) is needed by ``"grouped"`` and ``"dro"``; ``grad_options``
    (``sketch_dim``, ``param_indices``, ``chunk``) go to the gradient-based ones.
    """
    if name == "mean":
        return mean()
    if name == "grouped":
        return grouped(num_groups, groups, power)
    if name == "clustered":
        return gradient_clustered(num_groups, refresh_every, power, **grad_options)
    if name == "svd":
        return svd_grouped(num_groups, refresh_every, **grad_options)
    if name == "svd_abs":
        return svd_grouped(num_groups, refresh_every, signed=False, **grad_options)
    if name == "dro":
        return group_dro(num_groups, groups, dro_step_size)
    raise ValueError(f"objective must be one of {', '.join(OBJECTIVE_NAMES)} (or 'svd_abs'), "
                     f"got {name!r}")
