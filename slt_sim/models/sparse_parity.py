r"""Multitask sparse parity (Michaud, Liu, Girit, Tegmark 2023, "The quantization model of
neural scaling"): many small capabilities, each learned in its own sudden jump.

Data. There are T tasks ("capabilities"). Task t owns a fixed random subset S_t of k of the n
data bits. A sample picks a task t with Zipf probability

    P(t) = t^{−(α+1)} / Σ_{s=1}^{T} s^{−(α+1)},      t = 1, …, T,

draws n uniform bits b ∈ {0, 1}^n, and presents x = (one-hot(t), b) ∈ {0, 1}^{T + n} (the T
"control bits" say which task is asked); the label is the parity of the task's bits,
y = Σ_{i ∈ S_t} b_i mod 2. Frequent tasks are learned first; each parity is learned abruptly
after a plateau at chance (Barak et al. 2022), so the mean loss over all tasks is a sum of
jumps at different times.

Network: a one-hidden-layer ReLU MLP with one output logit f(x; w),

    f(x; w) = a · ReLU(W₁ x + b₁) + c,     W₁ ∈ R^{H×(T+n)}, b₁, a ∈ R^H, c ∈ R,

w = (W₁ row by row, b₁, a, c), d = H(T + n + 2) + 1 parameters.

Noise convention: the per-sample loss is the logistic negative log-likelihood (cross-entropy of
a Bernoulli label with logit f),

    ℓ(w; x, y) = log(1 + exp(−s f(x; w))),     s = 2y − 1 ∈ {−1, +1},

≥ 0, equal to log 2 at chance. There is no true parameter (the truth is the parity rule), so
``true_param`` and ``population_loss`` are ``None``; the prior N(0, s² I) is the Gaussian of
the engines, and ``extra["init"]`` draws the usual scaled (He) initialisation for training.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from ._deferred import deferred
from .base import Data, Model

Array = jax.Array


def zipf_task_probs(num_tasks: int, alpha: float) -> np.ndarray:
    """P(t) ∝ t^{−(α+1)}, t = 1..T (Michaud et al. 2023), as a float64 array summing to 1."""
    T = v.as_int("num_tasks", num_tasks, lo=1)
    a = v.as_float("alpha", alpha, lo=0.0)
    p = np.arange(1, T + 1, dtype=np.float64) ** (-(a + 1.0))
    return p / p.sum()


def task_ids(x: Array, num_tasks: int) -> Array:
    """Task index of each input: the position of its one-hot control bit, shape ``x.shape[:-1]``."""
    return jnp.argmax(x[..., :num_tasks], axis=-1).astype(jnp.int32)


def multitask_sparse_parity(num_tasks: int = 5, n_bits: int = 16, k: int = 3,
                            alpha: float = 0.4, hidden: int = 64, *, subset_seed: int = 0,
                            prior_scale: float = 1.0) -> Model:
    r"""The multitask sparse-parity data model with a one-hidden-layer ReLU MLP.

    See the module docstring for the data, the network and the loss. Groups (capabilities) are
    the tasks: ``extra["groups"](batch)`` returns the task index of every sample and
    ``extra["num_groups"]`` is T, which is what the grouped objectives of
    :mod:`slt_sim.dynamics.objectives` and :func:`slt_sim.dynamics.train_capabilities` read.

    Args:
      num_tasks: T, the number of parity tasks (≥ 1).
      n_bits: n, the number of data bits (≥ k).
      k: bits per parity (≥ 1).
      alpha: Zipf exponent α of the task frequencies, P(t) ∝ t^{−(α+1)}.
      hidden: H, the hidden width.
      subset_seed: seed of the random bit subsets S_t (distinct subsets for distinct tasks).
      prior_scale: s of the N(0, s² I) prior on every weight.
    """
    T = v.as_int("num_tasks", num_tasks, lo=1, hi=1000)
    n = v.as_int("n_bits", n_bits, lo=1, hi=1000)
    k = v.as_int("k", k, lo=1, hi=n)
    a = v.as_float("alpha", alpha, lo=0.0)
    H = v.as_int("hidden", hidden, lo=1)
    s = v.as_float("prior_scale", prior_scale, lo=0.0, lo_open=True)
    if T > math.comb(n, k):
        raise ValueError(f"num_tasks must be <= C(n_bits, k) = {math.comb(n, k)} (distinct "
                         f"subsets), got {T}")
    rng = np.random.default_rng(v.as_int("subset_seed", subset_seed, lo=0))
    subsets: list[tuple[int, ...]] = []
    while len(subsets) < T:
        sub = tuple(sorted(int(i) for i in rng.choice(n, size=k, replace=False)))
        if sub not in subsets:
            subsets.append(sub)
    subsets_arr = np.asarray(subsets, dtype=np.int32)
    masks = np.zeros((T, n))
    masks[np.arange(T)[:, None], subsets_arr] = 1.0
    masks_j = jnp.asarray(masks)
    probs = zipf_task_probs(T, a)
    log_probs = jnp.asarray(np.log(probs))
    D_in = T + n
    shapes = {"W1": (H, D_in), "b1": (H,), "a": (H,), "c": ()}
    sizes = [int(np.prod(sh)) for sh in shapes.values()]
    offsets = np.cumsum([0] + sizes)
    dim = int(offsets[-1])

    def unpack(w):
        return {name: w[..., offsets[i]:offsets[i + 1]].reshape(w.shape[:-1] + sh)
                for i, (name, sh) in enumerate(shapes.items())}

    def predict(w, x):
        p = unpack(w)
        h = jax.nn.relu(p["W1"] @ x + p["b1"])
        return jnp.dot(p["a"], h) + p["c"]

    def loss(w, x, y):
        sign = 2.0 * y - 1.0
        return jax.nn.softplus(-sign * predict(w, x))

    def correct(w, x, y):
        return ((predict(w, x) > 0).astype(x.dtype) == y).astype(x.dtype)

    def sample(key, num, w=None):
        kt, kb = jax.random.split(key)
        t = jax.random.categorical(kt, log_probs, shape=(num,))
        return _sample_given_tasks(kb, t)

    def _sample_given_tasks(key, t):
        dtype = jnp.result_type(float)
        bits = jax.random.bernoulli(key, 0.5, (t.shape[0], n)).astype(dtype)
        y = jnp.mod(jnp.sum(bits * masks_j[t], axis=-1), 2.0)
        x = jnp.concatenate([jax.nn.one_hot(t, T, dtype=dtype), bits], axis=-1)
        return Data(x, y)

    def sample_balanced(key, per_task: int) -> Data:
        """``per_task`` samples of every task, task-major (an evaluation set)."""
        t = jnp.repeat(jnp.arange(T), v.as_int("per_task", per_task, lo=1))
        return _sample_given_tasks(key, t)

    def init(key):
        """He initialisation: W₁ ~ N(0, 2/(T+n)), a ~ N(0, 1/H), zero biases."""
        k1, k2 = jax.random.split(key)
        W1 = jax.random.normal(k1, (H, D_in)) * math.sqrt(2.0 / D_in)
        a_ = jax.random.normal(k2, (H,)) * math.sqrt(1.0 / H)
        return jnp.concatenate([W1.ravel(), jnp.zeros(H), a_, jnp.zeros(1)])

    def groups(batch):
        return task_ids(batch.x, T)

    return Model(
        name=f"multitask_sparse_parity(T={T}, n={n}, k={k}, alpha={a:g}, H={H})", dim=dim,
        prior=deferred("gaussian", dim, s), box=((-4.0 * s, 4.0 * s),) * dim, loss=loss,
        sample_inputs_targets=sample, true_param=None,
        noise="logistic cross-entropy ℓ = log(1 + exp(−(2y−1) f(x))) (log 2 at chance); "
              "x = (one-hot task t ~ Zipf, n uniform bits), y = parity of task t's k bits",
        extra={"num_tasks": T, "n_bits": n, "k": k, "alpha": a, "hidden": H,
               "subsets": subsets_arr, "task_probs": probs, "num_groups": T,
               "groups": groups, "predict": predict, "correct": correct, "unpack": unpack,
               "init": init, "sample_balanced": sample_balanced, "prior_scale": s})
