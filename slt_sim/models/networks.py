"""Data models: reduced-rank regression, deep linear networks and small tanh networks.

All are Gaussian regressions with unit noise, σ = 1. For an output y ∈ R^N the per-sample loss
is the negative log-likelihood

    ℓ(w; x, y) = ½ ‖y − f(x, w)‖² + (N/2) log 2π,

so K(w) = L(w) − L(w0) = ½ E_x ‖f(x, w) − f(x, w0)‖², and L(w0) = N/2 · (1 + log 2π).
Inputs are standard Gaussian, x ~ N(0, I_M). Priors are N(0, s² I) on every weight.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .. import theory
from ._deferred import deferred
from .base import Data, Model

_LOG_2PI = math.log(2.0 * math.pi)


def _gaussian_regression_sampler(predict, in_dim: int):
    def sample(key, n, w):
        kx, ke = jax.random.split(key)
        x = jax.random.normal(kx, (n, in_dim))
        f = jax.vmap(predict, in_axes=(None, 0))(w, x)
        return Data(x, f + jax.random.normal(ke, f.shape))
    return sample


def _gaussian_nll(predict):
    def loss(w, x, y):
        r = y - predict(w, x)
        return 0.5 * jnp.sum(r ** 2) + 0.5 * r.size * _LOG_2PI
    return loss


def _embedded_identity(rows: int, cols: int, r: int) -> np.ndarray:
    out = np.zeros((rows, cols))
    out[np.arange(r), np.arange(r)] = 1.0
    return out


def deep_linear_network(widths=(4, 3, 4), rank: int = 1, prior_scale: float = 1.0,
                        true_matrices=None) -> Model:
    r"""Deep linear network x ↦ W_L ⋯ W_1 x with widths H_1 (input), …, H_{L+1} (output).

    W_l has shape (H_{l+1}, H_l); w is all matrices flattened in order W_1, …, W_L. The truth is a
    product of rank r: by default each W_l^0 is the r×r identity embedded in the top-left corner.
    Unit-noise Gaussian regression (module docstring). λ and m from Aoyagi (2024).

    Args:
      widths: layer widths, at least 2 (two widths = one matrix, a regular linear model).
      rank: rank r of the true product, 0 ≤ r ≤ min(widths).
      prior_scale: s in the N(0, s²) prior on every weight.
      true_matrices: optional list of arrays (the W_l^0) replacing the default truth.
    """
    widths = v.int_tuple("widths", widths, lo=1, min_length=2)
    r = v.as_int("rank", rank, lo=0)
    if r > min(widths):
        raise ValueError(f"rank must be <= min(widths) = {min(widths)} for widths {widths}, "
                         f"got {r}")
    s = v.as_float("prior_scale", prior_scale, lo=0.0, lo_open=True)
    shapes = [(widths[i + 1], widths[i]) for i in range(len(widths) - 1)]
    sizes = [a * b for a, b in shapes]
    offsets = np.cumsum([0] + sizes)
    dim = int(offsets[-1])

    if true_matrices is None:
        mats = [_embedded_identity(a, b, r) for a, b in shapes]
    else:
        mats = [np.asarray(t, dtype=float) for t in true_matrices]
        if [m.shape for m in mats] != shapes:
            raise ValueError(f"true_matrices must have shapes {shapes}, "
                             f"got {[m.shape for m in mats]}")
        prod = mats[0]
        for m_ in mats[1:]:
            prod = m_ @ prod
        r_true = int(np.linalg.matrix_rank(prod))
        if r_true != r:
            raise ValueError(f"rank={r} but true_matrices multiply to rank {r_true}")
    w0 = jnp.asarray(np.concatenate([m_.ravel() for m_ in mats]))

    def unpack(w):
        return [w[..., offsets[i]:offsets[i + 1]].reshape(w.shape[:-1] + shapes[i])
                for i in range(len(shapes))]

    def product(w):
        ms = unpack(w)
        p = ms[0]
        for m_ in ms[1:]:
            p = m_ @ p
        return p

    def predict(w, x):
        return product(w) @ x

    p0 = mats[0]                        # the true product, in NumPy (no eager JAX programs)
    for m_ in mats[1:]:
        p0 = m_ @ p0
    p0 = jnp.asarray(p0)

    def population_loss(w):
        return 0.5 * jnp.sum((product(w) - p0) ** 2, axis=(-2, -1))

    lc = theory.deep_linear_network(widths, r)
    names = tuple(f"W{k + 1}[{i},{j}]" for k, (a, b) in enumerate(shapes)
                  for i in range(a) for j in range(b))
    return Model(
        name=f"deep_linear_network(widths={widths}, rank={r})", dim=dim,
        prior=deferred("gaussian", dim, s), box=((-4 * s, 4 * s),) * dim,
        loss=_gaussian_nll(predict),
        population_loss=population_loss,
        sample_inputs_targets=_gaussian_regression_sampler(predict, widths[0]),
        true_param=w0, focus=tuple(tuple(sorted({0.0, float(x)})) for x in np.asarray(w0)),
        lam=lc.lam, m=lc.m, param_names=names,
        noise="Gaussian regression, σ = 1: ℓ = ½‖y − W_L⋯W_1 x‖² + (N/2) log 2π, x ~ N(0, I)",
        extra={"widths": widths, "rank": r, "shapes": shapes, "unpack": unpack,
               "product": product, "prior_scale": s})


def reduced_rank_regression(M: int = 3, N: int = 3, H: int = 2, r: int = 1,
                            prior_scale: float = 1.0) -> Model:
    r"""Reduced-rank regression y = B A x + ε, A: H×M, B: N×H, ε ~ N(0, I_N) (σ = 1).

    The true product B0 A0 has rank r (identity block). d = H(M + N) parameters, w = (A, B)
    flattened. λ and m from Aoyagi & Watanabe (2005): it is the two-matrix deep linear network
    with widths (M, H, N).
    """
    M = v.as_int("M", M, lo=1)
    N = v.as_int("N", N, lo=1)
    H = v.as_int("H", H, lo=1)
    r = v.as_int("r", r, lo=0)
    if r > min(M, N, H):
        raise ValueError(f"r must be <= min(M, N, H) = {min(M, N, H)}, got {r}")
    base = deep_linear_network((M, H, N), r, prior_scale=prior_scale)
    lc = theory.reduced_rank_regression(M, N, H, r)
    names = tuple(f"A[{i},{j}]" for i in range(H) for j in range(M)) + \
        tuple(f"B[{i},{j}]" for i in range(N) for j in range(H))
    extra = dict(base.extra, M=M, N=N, H=H, r=r)
    return Model(
        name=f"reduced_rank_regression(M={M}, N={N}, H={H}, r={r})", dim=base.dim,
        prior=deferred("gaussian", base.dim, base.extra["prior_scale"]), box=base.box,
        loss=base.loss, population_loss=base.population_loss,
        sample_inputs_targets=base.sample_inputs_targets, true_param=base.true_param,
        focus=base.focus, lam=lc.lam, m=lc.m, param_names=names,
        noise="Gaussian regression, σ = 1: ℓ = ½‖y − BAx‖² + (N/2) log 2π, x ~ N(0, I_M)",
        extra=extra)


# Gauss–Hermite rule for E_{x~N(0,1)}[g(x)] used for the tanh network's population loss.
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(96)
_GH_W = _GH_W / _GH_W.sum()


def tanh_network(H: int = 1, prior_scale: float = 1.0) -> Model:
    r"""Two-layer tanh network without biases, y = Σ_{j=1}^H a_j tanh(b_j x) + ε, truth f ≡ 0.

    x ~ N(0, 1), ε ~ N(0, 1). w = (a_1..a_H, b_1..b_H). K(w) = ½ E_x f(x, w)², evaluated with a
    96-point Gauss–Hermite rule (exact to machine precision for these smooth integrands).
    λ = (H + i² + i)/(4i + 2), i = ⌊√H⌋ (Aoyagi & Watanabe 2005; Aoyagi 2013).
    """
    H = v.as_int("H", H, lo=1)
    s = v.as_float("prior_scale", prior_scale, lo=0.0, lo_open=True)
    dim = 2 * H

    def predict(w, x):
        a, b = w[..., :H], w[..., H:]
        return jnp.sum(a * jnp.tanh(b * x[..., None]), axis=-1, keepdims=True)

    gx, gw = jnp.asarray(_GH_X), jnp.asarray(_GH_W)

    def population_loss(w):
        a, b = w[..., None, :H], w[..., None, H:]
        f = jnp.sum(a * jnp.tanh(b * gx[:, None]), axis=-1)
        return 0.5 * jnp.sum(gw * f ** 2, axis=-1)

    def batch_loss(w, x, y):
        # Σ_i ℓ(w; x_i, y_i) over a whole data set x (n, 1), y (n, 1, 1) as one (n × H) tanh
        # matrix times a: the energy route of slt_sim.posterior.energy (checked against the
        # per-sample sum there)
        a, b = w[:H], w[H:]
        r = jnp.reshape(y, (-1,)) - jnp.tanh(jnp.reshape(x, (-1, 1)) * b) @ a
        return 0.5 * jnp.sum(r * r) + 0.5 * r.size * _LOG_2PI

    lc = theory.tanh_network(H)
    return Model(
        name=f"tanh_network(H={H})", dim=dim, prior=deferred("gaussian", dim, s),
        box=((-4 * s, 4 * s),) * dim, loss=_gaussian_nll(predict),
        population_loss=population_loss,
        sample_inputs_targets=_gaussian_regression_sampler(predict, 1),
        true_param=jnp.zeros(dim), focus=((0.0,),) * dim, lam=lc.lam, m=lc.m,
        param_names=tuple(f"a{j + 1}" for j in range(H)) + tuple(f"b{j + 1}" for j in range(H)),
        noise="Gaussian regression, σ = 1: ℓ = ½(y − Σ a_j tanh(b_j x))² + ½ log 2π, x ~ N(0,1)",
        extra={"H": H, "prior_scale": s, "batch_loss": batch_loss})
