r"""Modular addition: the task on which networks memorise first and generalise later (grokking).

Task (Power et al. 2022; the MLP form of Nanda et al. 2023 and of the LLC study of modular
addition discussed in the source dialogue): inputs are all p² pairs (a, b) ∈ {0..p−1}², the label
is y = (a + b) mod p. A seeded random permutation of the p² pairs puts the first
round(f · p²) of them in the training set (f = ``train_frac``) and the rest in the test set, so
for one seed a smaller fraction's training set is a subset of a larger one's (what the
"ungrokking" experiment of Varma et al. 2023 needs).

Network: an embedding E ∈ R^{p×e} shared by both operands, one hidden layer and an unembedding,

    z(a, b) = [E_a, E_b] W + c,      f(a, b) = σ(z) U,      W ∈ R^{2e×h}, c ∈ R^h, U ∈ R^{h×p},

σ = GELU (or ReLU). d = p·e + 2e·h + h + h·p parameters (4,380 for p = 53, e = 12, h = 48), packed
in the flat vector w = (E, W, c, U), each flattened row by row.

Noise convention (written down once; it sets every n of the free-energy reading): the per-sample
loss is the cross-entropy, the negative log-likelihood of a categorical model,

    ℓ(w; (a, b), y) = −log softmax(f(a, b))_y,

so L_n is the mean cross-entropy on the training set and the tempered posterior is
p_n^β(w) ∝ φ(w) exp(−nβ L_n(w)) with n = the training-set size. Prior φ = N(0, s² I).

Random-label control (``random_labels=True``): the training labels are replaced by labels drawn
uniformly from {0..p−1} (seeded); nothing about them can generalise, so a network that fits them
is a pure memoriser (test labels stay the true ones, and test accuracy stays near 1/p).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from ._deferred import deferred
from .base import Data, Model

Array = jax.Array

ACTIVATIONS = {"gelu": jax.nn.gelu, "relu": jax.nn.relu}
#: offset of the random stream of the random labels (kept apart from the split's stream)
_LABEL_STREAM = 7919


def split_indices(p: int, train_frac: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices into the p² pairs (pair index i = a·p + b).

    The first ``round(train_frac · p²)`` entries of a seeded permutation are the training set
    (at least 1, at most p² − 1); for a fixed seed the sets are nested in ``train_frac``.
    """
    p = v.as_int("p", p, lo=3)
    f = v.as_float("train_frac", train_frac, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    seed = v.as_int("seed", seed, lo=0)
    total = p * p
    n = min(max(int(round(f * total)), 1), total - 1)
    perm = np.random.default_rng(seed).permutation(total)
    return np.sort(perm[:n]), np.sort(perm[n:])


def all_pairs(p: int) -> np.ndarray:
    """The p² pairs (a, b) as an int array (p², 2), pair index a·p + b."""
    a, b = np.divmod(np.arange(p * p), p)
    return np.stack([a, b], axis=1).astype(np.int32)


def true_labels(p: int) -> np.ndarray:
    """(a + b) mod p for all p² pairs."""
    pairs = all_pairs(p)
    return ((pairs[:, 0] + pairs[:, 1]) % p).astype(np.int32)


def random_labels_for(p: int, seed: int) -> np.ndarray:
    """Uniform random labels for all p² pairs (seeded; the control's training targets)."""
    rng = np.random.default_rng(_LABEL_STREAM + int(seed))
    return rng.integers(0, p, size=p * p).astype(np.int32)


def layout(p: int, embed_dim: int, hidden: int) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Names and shapes of the blocks of w, in order: E (p, e), W (2e, h), c (h,), U (h, p)."""
    return (("E", (p, embed_dim)), ("W", (2 * embed_dim, hidden)), ("c", (hidden,)),
            ("U", (hidden, p)))


def make_network(p: int, embed_dim: int, hidden: int, activation: str = "gelu"):
    """Pure functions of the flat parameter vector: ``(unpack, logits, dim)``.

    ``unpack(w) -> dict`` of the blocks; ``logits(w, x) -> (..., p)`` for pairs ``x`` of shape
    (..., 2) (integers).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    act = ACTIVATIONS[activation]
    blocks = layout(p, embed_dim, hidden)
    sizes = [math.prod(s) for _, s in blocks]
    offsets = np.cumsum([0] + sizes)

    def unpack(w):
        return {name: w[..., offsets[i]:offsets[i + 1]].reshape(w.shape[:-1] + shape)
                for i, (name, shape) in enumerate(blocks)}

    def logits(w, x):
        q = unpack(w)
        x = jnp.asarray(x)
        emb = jnp.concatenate([q["E"][x[..., 0]], q["E"][x[..., 1]]], axis=-1)
        return act(emb @ q["W"] + q["c"]) @ q["U"]

    return unpack, logits, int(offsets[-1])


@functools.lru_cache(maxsize=32)
def network_loss(p: int, embed_dim: int, hidden: int, activation: str = "gelu"):
    """``loss(w, batch) -> mean cross-entropy`` for a :class:`Data` batch; one function per
    network, so the LLC engines compile once for every split of the same network."""
    _, logits, _ = make_network(p, embed_dim, hidden, activation)

    def loss(w, batch):
        return jnp.mean(cross_entropy(logits(w, batch.x), batch.y))

    return loss


def init_params(key: Array, p: int, embed_dim: int, hidden: int, scale: float = 1.0) -> Array:
    """A standard initialisation: E ~ N(0, 1), W ~ N(0, 1/2e), c = 0, U ~ N(0, 1/h), × scale."""
    k1, k2, k3 = jax.random.split(key, 3)
    dtype = jnp.result_type(float)
    parts = [jax.random.normal(k1, (p * embed_dim,), dtype),
             jax.random.normal(k2, (2 * embed_dim * hidden,), dtype) / math.sqrt(2 * embed_dim),
             jnp.zeros((hidden,), dtype),
             jax.random.normal(k3, (hidden * p,), dtype) / math.sqrt(hidden)]
    return scale * jnp.concatenate(parts)


def cross_entropy(logits: Array, y: Array) -> Array:
    """−log softmax(logits)_y (per sample)."""
    return -jnp.take_along_axis(jax.nn.log_softmax(logits, axis=-1),
                                jnp.asarray(y)[..., None], axis=-1)[..., 0]


def modular_addition(p: int = 53, train_frac: float = 0.4, seed: int = 0, *,
                     embed_dim: int = 12, hidden: int = 48, activation: str = "gelu",
                     random_labels: bool = False, prior_scale: float = 1.0) -> Model:
    r"""(a + b) mod p with a one-hidden-layer network and a shared embedding (module docstring).

    Args:
      p: the modulus (≥ 3); p² pairs in all.
      train_frac: fraction f ∈ (0, 1) of the p² pairs in the training set.
      seed: seed of the train/test split (and of the random labels).
      embed_dim, hidden: e and h.
      activation: ``"gelu"`` or ``"relu"``.
      random_labels: replace the training labels by uniform random ones (memorisation control).
      prior_scale: s of the N(0, s² I) prior.

    Returns:
      a data :class:`Model` with the per-sample cross-entropy as ``loss``; ``extra`` holds
      ``train`` and ``test`` (:class:`Data` with x = pairs (n, 2), y = labels), ``train_index``,
      ``test_index``, ``labels`` (the p² training-target labels), ``logits(w, x)``,
      ``unpack(w)``, ``init(key, scale=1.0)`` and ``accuracy(w, data)``.
    """
    p = v.as_int("p", p, lo=3, hi=1000)
    train_idx, test_idx = split_indices(p, train_frac, seed)
    e = v.as_int("embed_dim", embed_dim, lo=1)
    h = v.as_int("hidden", hidden, lo=1)
    s = v.as_float("prior_scale", prior_scale, lo=0.0, lo_open=True)
    if not isinstance(random_labels, (bool, np.bool_)):
        raise TypeError(f"random_labels must be True or False, got {random_labels!r}")
    unpack, logits, dim = make_network(p, e, h, activation)
    pairs = all_pairs(p)
    truth = true_labels(p)
    labels = random_labels_for(p, seed) if random_labels else truth
    train = Data(jnp.asarray(pairs[train_idx]), jnp.asarray(labels[train_idx]))
    test = Data(jnp.asarray(pairs[test_idx]), jnp.asarray(truth[test_idx]))

    def loss(w, x, y):
        return cross_entropy(logits(w, x), y)

    def sample(key, n, w):
        idx = jax.random.randint(key, (n,), 0, p * p)
        return Data(jnp.asarray(pairs)[idx], jnp.asarray(labels)[idx])

    def accuracy(w, data: Data) -> float:
        pred = jnp.argmax(logits(jnp.asarray(w), data.x), axis=-1)
        return float(jnp.mean(pred == data.y))

    names = tuple(f"{name}[{i}]" for name, shape in layout(p, e, h)
                  for i in range(math.prod(shape)))
    tag = ", random_labels=True" if random_labels else ""
    return Model(
        name=f"modular_addition(p={p}, train_frac={float(train_frac):g}, seed={seed}{tag})",
        dim=dim, prior=deferred("gaussian", dim, s), box=((-4 * s, 4 * s),) * dim, loss=loss,
        sample_inputs_targets=sample, param_names=names,
        noise="categorical: ℓ = cross-entropy −log softmax(f(a, b))_y, n = training-set size",
        extra={"p": p, "embed_dim": e, "hidden": h, "activation": activation,
               "train_frac": float(train_frac), "seed": int(seed),
               "random_labels": bool(random_labels), "train": train, "test": test,
               "train_index": train_idx, "test_index": test_idx, "labels": labels,
               "logits": logits, "unpack": unpack, "accuracy": accuracy,
               "init": lambda key, scale=1.0: init_params(key, p, e, h, scale),
               "prior_scale": s})
