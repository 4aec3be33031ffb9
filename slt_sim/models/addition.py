r"""Digit addition: a small MLP that adds two D-digit numbers, one output token per sum digit.

The task of the hidden-breakthroughs study (Kangaslahti, Rosenfeld & Saphra 2025, "Hidden
breakthroughs in language model training", arXiv:2506.15872), small enough for exact per-example
curvature. An example is a pair of numbers a, b uniform on {0, …, 10^D − 1}; the input is their
2D digits, most significant first,

    x = (a_{D−1}, …, a_0, b_{D−1}, …, b_0) ∈ {0..9}^{2D},

and the target the D + 1 digits of the sum s = a + b, most significant first,
y = (s_D, …, s_0) ∈ {0..9}^{D+1} (s_D ∈ {0, 1} is the final carry). Output position j of y is a
*token*; its per-token loss is the cross-entropy of a softmax over the 10 digits,

    ℓ_j(w; x, y) = −log softmax(f_j(x; w))[y_j],

and the per-sample loss (the negative log-likelihood of the D + 1 tokens, independent given x) is
their sum, ℓ(w; x, y) = Σ_j ℓ_j(w; x, y), so L_n is the mean over samples of that sum.

Network: the 2D one-hot digit vectors are concatenated (20D inputs), then hidden tanh layers of
the given widths, then a linear read-out of (D + 1)·10 logits. w is every layer's weight matrix
(row-major, shape (out, in)) followed by its bias, layer by layer. Prior N(0, diag(s_i²)) with
s_i = prior_scale/√fan_in for the weights *and* biases of a layer: draws from it are the usual
LeCun initialisation, so ``train_sgd(..., init="prior")`` starts from a sensible network.

Carry labels (for evaluation): token j of y *involves a carry* when a carry enters its column from
the column to its right, c_j = 1 with c_0 = 0 (the units digit never has one) and
c_{j+1} = ⌊(a_j + b_j + c_j)/10⌋; the leading token s_D equals its carry c_D. For uniform
3-digit numbers about 45% of the tens, hundreds and thousands tokens carry, ≈ 34% of all tokens.
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


def addition_digits(a, b, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x (n, 2D) and targets y (n, D + 1) of the sums a + b, digits most significant first.

    Args:
      a, b: integer arrays of the same shape (n,), each in [0, 10^D).
      digits: D.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    pw = 10 ** np.arange(digits - 1, -1, -1)
    x = np.concatenate([(a[:, None] // pw) % 10, (b[:, None] // pw) % 10], axis=1)
    pw_s = 10 ** np.arange(digits, -1, -1)
    y = ((a + b)[:, None] // pw_s) % 10
    return x.astype(np.int32), y.astype(np.int32)


def addition_carries(x, digits: int | None = None) -> np.ndarray:
    """Carry label of every output token: True where a carry enters that token's column.

    Args:
      x: inputs, shape (n, 2D) (digits of a then b, most significant first).
      digits: D (default: half the width of x).
    Returns:
      bool array (n, D + 1), output positions most significant first like y; the last (units)
      column is always False.
    """
    x = np.asarray(x)
    D = x.shape[-1] // 2 if digits is None else int(digits)
    a, b = x[..., :D][..., ::-1], x[..., D:][..., ::-1]  # least significant first
    carry = np.zeros(x.shape[:-1] + (D + 1,), dtype=bool)
    c = np.zeros(x.shape[:-1], dtype=np.int64)
    for j in range(D):
        c = (a[..., j] + b[..., j] + c) // 10
        carry[..., j + 1] = c > 0
    return carry[..., ::-1]


def _layer_shapes(digits: int, hidden: tuple[int, ...]) -> list[tuple[int, int]]:
    widths = (20 * digits, *hidden, 10 * (digits + 1))
    return [(widths[i + 1], widths[i]) for i in range(len(widths) - 1)]


def digit_addition(digits: int = 3, hidden=(128,), prior_scale: float = 1.0) -> Model:
    r"""MLP over one-hot digit tokens that adds two ``digits``-digit numbers (module docstring).

    Per-sample loss ℓ = Σ_j ℓ_j, the summed cross-entropy of the D + 1 output tokens (the
    negative log-likelihood of independent categorical tokens); ``model.extra["token_loss"]`` is
    the vector (ℓ_0, …, ℓ_D) of one sample, what POLCA decomposes. Data: a, b uniform on
    {0, …, 10^D − 1} (``model.sample_data(key, n)``; the network parameter is not used).

    Args:
      digits: D, the number of digits of each summand (1 to 6).
      hidden: widths of the tanh hidden layers (one int or a sequence, each ≥ 1).
      prior_scale: s: weights and biases of a layer with fan-in m are N(0, s²/m) a priori.

    Extra entries: ``token_loss(w, x, y) -> (D + 1,)``, ``logits(w, x) -> (D + 1, 10)``,
    ``accuracy(w, data) -> (D + 1,)`` per-position exact-match rate, ``carries(x)`` (see
    :func:`addition_carries`), ``unpack(w)`` → list of (W, b), ``digits``, ``hidden``.
    """
    D = v.as_int("digits", digits, lo=1, hi=6)
    hidden = v.int_tuple("hidden", hidden, lo=1)
    s = v.as_float("prior_scale", prior_scale, lo=0.0, lo_open=True)
    shapes = _layer_shapes(D, hidden)
    sizes = [o * i + o for o, i in shapes]
    offsets = np.cumsum([0] + sizes)
    dim = int(offsets[-1])
    scales = np.concatenate([np.full(size, s / math.sqrt(i)) for (o, i), size in
                             zip(shapes, sizes)])

    def unpack(w):
        out = []
        for k, (o, i) in enumerate(shapes):
            seg = w[offsets[k]:offsets[k + 1]]
            out.append((seg[:o * i].reshape(o, i), seg[o * i:]))
        return out

    def logits(w, x):
        h = jax.nn.one_hot(x, 10, dtype=w.dtype).reshape(-1)
        layers = unpack(w)
        for W, b in layers[:-1]:
            h = jnp.tanh(W @ h + b)
        W, b = layers[-1]
        return (W @ h + b).reshape(D + 1, 10)

    def token_loss(w, x, y):
        logp = jax.nn.log_softmax(logits(w, x), axis=-1)
        return -jnp.take_along_axis(logp, y[:, None], axis=-1)[:, 0]

    def loss(w, x, y):
        return jnp.sum(token_loss(w, x, y))

    def sample(key, n, w=None):
        ka, kb = jax.random.split(key)
        a = jax.random.randint(ka, (n,), 0, 10 ** D)
        b = jax.random.randint(kb, (n,), 0, 10 ** D)
        pw = 10 ** jnp.arange(D, -1, -1)  # traceable twin of addition_digits
        x = jnp.concatenate([(a[:, None] // pw[1:]) % 10, (b[:, None] // pw[1:]) % 10], axis=1)
        y = ((a + b)[:, None] // pw) % 10
        return Data(x.astype(jnp.int32), y.astype(jnp.int32))

    batched_logits = jax.jit(jax.vmap(logits, in_axes=(None, 0)))

    def accuracy(w, data: Data) -> np.ndarray:
        pred = np.argmax(np.asarray(batched_logits(jnp.asarray(w), data.x)), axis=-1)
        return np.mean(pred == np.asarray(data.y), axis=0)

    width_text = ", ".join(str(h) for h in hidden)
    return Model(
        name=f"digit_addition(digits={D}, hidden=({width_text},))", dim=dim,
        prior=deferred("gaussian", dim, np.asarray(scales)),
        box=tuple((-4.0 * float(c), 4.0 * float(c)) for c in scales), loss=loss,
        sample_inputs_targets=sample, true_param=None,
        noise=f"categorical tokens: ℓ = Σ_j −log softmax(f_j(x))[y_j] over the {D + 1} sum "
              f"digits, a, b ~ Unif{{0..10^{D} − 1}}",
        extra={"digits": D, "hidden": hidden, "prior_scale": s, "token_loss": token_loss,
               "logits": logits, "accuracy": accuracy, "unpack": unpack,
               "carries": lambda x: addition_carries(x, D), "shapes": shapes})
