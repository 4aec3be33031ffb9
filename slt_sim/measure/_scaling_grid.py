r"""The coarse grid search of a broken-power-law fit, as one chunked JAX computation.

A grid is a list of P one-dimensional axes (the constants a, b, c0 and, per break, c_i, d_i,
f_i); its points are the Cartesian product, N = Π_p size_p of them. Points are numbered
0 … N − 1 in C order and decoded on the fly (flat index → per-axis index → value), so the grid is
never materialised: a ``lax.map`` walks over chunks of ``chunk_size`` points, each chunk
evaluates the log-space loss of all its points on all data at once (a (chunk, data) array, the
only memory that grows) and keeps its ``top`` best points; a final ``top_k`` merges them.
Points whose break locations are not increasing (d_1 < d_2 < …) are skipped: they repeat others.
One compilation per (axis sizes, padded number of data points, chunk size, top): data are
padded with zero weight to a power of two ≥ 16.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np


def log_shape(log_x, c0, c, log_d, f):
    r"""log of x^(−c0) Π_i (1 + (x/d_i)^(1/f_i))^(−c_i f_i), stably.

    (1 + (x/d)^(1/f))^(−c f) = exp(−c f · softplus((log x − log d)/f)) with
    softplus(z) = log(1 + e^z) = logaddexp(0, z), which neither overflows for small f (large z)
    nor loses the small-z tail. ``c``, ``log_d``, ``f`` have a trailing axis of length k
    (k = 0 allowed); everything broadcasts against ``log_x``.
    """
    z = (log_x[..., None] - log_d) / f
    return -c0 * log_x - jnp.sum(c * f * jnp.logaddexp(0.0, z), axis=-1)


def msle_log1p(y_hat, log1p_y, weight=None):
    """Mean squared error of log(y + 1), +inf where a prediction is ≤ −1 or not finite.

    ``weight`` (0 or 1 per data point) masks padding: the mean is over points of weight 1.
    """
    if weight is None:
        weight = jnp.ones_like(log1p_y)
    ok = jnp.all(((y_hat > -1.0) & jnp.isfinite(y_hat)) | (weight == 0), axis=-1)
    r = jnp.log1p(jnp.where(y_hat > -1.0, y_hat, 0.0)) - log1p_y
    mse = jnp.sum(weight * jnp.where(weight > 0, r * r, 0.0), axis=-1) / jnp.sum(weight)
    return jnp.where(ok, mse, jnp.inf)


def pad_length(n: int) -> int:
    """Data are padded (with weight 0) to a power of two ≥ 16, so one compilation serves many
    curve lengths."""
    return max(16, 1 << (int(n) - 1).bit_length())


def padded(x: np.ndarray, y: np.ndarray):
    """(log x, log(y + 1), weight) padded to :func:`pad_length` (padding repeats the last point)."""
    n, m = len(x), pad_length(len(x))
    idx = np.minimum(np.arange(m), n - 1)
    weight = (np.arange(m) < n).astype(np.float64)
    return (jnp.log(jnp.asarray(x[idx], dtype=jnp.float64)),
            jnp.log1p(jnp.asarray(y[idx], dtype=jnp.float64)), jnp.asarray(weight))


def split_vector(theta, breaks: int):
    """(a, b, c0, c, log d, f) from a flat vector laid out as a, b, c0, c_1, d_1, f_1, c_2, …"""
    a, b, c0 = theta[..., 0], theta[..., 1], theta[..., 2]
    per = theta[..., 3:3 + 3 * breaks].reshape(theta.shape[:-1] + (breaks, 3))
    return a, b, c0, per[..., 0], jnp.log(per[..., 1]), per[..., 2]


@functools.partial(jax.jit, static_argnames=("breaks", "chunk_size", "top"))
def _search(axes, log_x, log1p_y, weight, *, breaks: int, chunk_size: int, top: int):
    sizes = np.array([ax.shape[0] for ax in axes], dtype=np.int64)
    total = int(np.prod(sizes))
    strides = np.concatenate([np.cumprod(sizes[::-1])[::-1][1:], [1]]).astype(np.int64)
    n_chunks = -(-total // chunk_size)

    def one_chunk(start):
        idx = start + jnp.arange(chunk_size, dtype=jnp.int64)
        cols = [ax[(idx // s) % n] for ax, s, n in zip(axes, strides, sizes)]
        theta = jnp.stack(cols, axis=-1)
        a, b, c0, c, log_d, f = split_vector(theta, breaks)
        g = log_shape(log_x[None, :], c0[:, None], c[:, None, :], log_d[:, None, :],
                      f[:, None, :])
        loss = msle_log1p(a[:, None] + b[:, None] * jnp.exp(g), log1p_y, weight)
        ordered = jnp.all(jnp.diff(log_d, axis=-1) > 0, axis=-1)     # d_1 < d_2 < … only
        loss = jnp.where((idx < total) & ordered, loss, jnp.inf)
        neg, pos = jax.lax.top_k(-loss, top)
        return -neg, idx[pos]

    starts = jnp.arange(n_chunks, dtype=jnp.int64) * chunk_size
    losses, idxs = jax.lax.map(one_chunk, starts)
    neg, pos = jax.lax.top_k(-losses.reshape(-1), top)
    return -neg, idxs.reshape(-1)[pos]


def grid_search(axes: list[np.ndarray], x: np.ndarray, y: np.ndarray, breaks: int, *,
                chunk_size: int, top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``top`` best grid points: (losses, flat indices, per-axis indices), best first."""
    total = math.prod(len(ax) for ax in axes)
    chunk = int(min(chunk_size, total))
    top = int(min(top, chunk))
    losses, flat = _search(tuple(jnp.asarray(ax, dtype=jnp.float64) for ax in axes),
                           *padded(x, y), breaks=breaks, chunk_size=chunk, top=top)
    flat = np.asarray(flat)
    per_axis = np.stack(np.unravel_index(flat, [len(ax) for ax in axes]), axis=-1)
    return np.asarray(losses), flat, per_axis
