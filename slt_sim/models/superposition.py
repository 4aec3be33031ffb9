r"""The toy model of superposition (TMS) in the high-sparsity limit, with its k-gon phases.

Model (Elhage et al. 2022; Chen, Lau, Mendel, Wei, Murfet 2023, arXiv:2310.06301): a ReLU
autoencoder of c features through r hidden dimensions,

    f(x; W, b) = ReLU(WᵀW x + b),     W ∈ R^{r×c},  b ∈ R^c,   d = (r + 1) c parameters,

with the parameter vector w = (W flattened row by row, then b). Column W_i is the embedding of
feature i in the hidden plane.

Data (high-sparsity limit): exactly one feature is active, x = u e_j with j ~ Unif{1..c} and
u ~ U[0, 1]; the target is the input itself, y = x.

Noise convention (written down once; it sets the critical n): the per-sample loss is the squared
reconstruction error itself,

    ℓ(w; x, y) = ‖y − f(x; w)‖²,    L_n(w) = (1/n) Σ_i ℓ(w; x_i, y_i),

so the tempered posterior is p_n^β(w) ∝ φ(w) exp(−nβ L_n(w)). This is the Gibbs posterior of the
paper's loss, i.e. a Gaussian likelihood N(y | f(x; w), σ² I) with σ² = 1/2 up to a constant in w.
With another σ², multiply n by 1/(2σ²): critical data counts scale by 2σ².
``toy_superposition(c, likelihood="gaussian", sigma=σ)`` is that convention (ℓ scaled by 1/(2σ²));
σ = 1, the NumPyro ``Normal(·, 1)`` likelihood, doubles every critical n on the population loss.

Population loss (closed form, our derivation of the paper's Lemma 3.1): for input j the output i
is the ramp u ↦ ReLU(u G_ij + b_i) with G = WᵀW, so

    L(W, b) = (1/c) Σ_j [ ∫_0^1 (u − ReLU(u G_jj + b_j))² du
                          + Σ_{i≠j} ∫_0^1 ReLU(u G_ij + b_i)² du ],

a piecewise polynomial in (G, b): each integral runs over the interval of u ∈ [0, 1] where the
ramp is positive. A dead feature (W_i = 0, b_i ≤ 0) contributes exactly 1/(3c).

Critical points (r = 2): the k-gon has k columns at angles 2πi/k with common norm l* and bias b*
(optimised in closed form over the two numbers), the other c − k features dead (W_i = 0, b_i < 0).
At c = 6 the 5-gon has L = 0.06874 and the 6-gon L = 0.04819 (the paper's values). The k⁺ point
adds one dead feature with W_i = 0 and bias +1/(2c), which lowers the loss by exactly 1/(4c²).
Their local learning coefficients (when b* < 0, so that dead features are exactly flat and the
critical set is a Morse–Bott manifold: the O(2) rotation orbit times the flat dead features) are

    λ(k-gon) = (3k − 1)/2,        λ(k⁺ ... with p extra features) = (3k − 1)/2 + 3p/2,

e.g. 7 for the 5-gon and 17/2 for the 6-gon at c = 6 (the Hessian ranks 14 and 17 are checked in
the tests).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from ._deferred import deferred
from .base import Data, Model, Region

Array = jax.Array


# ---------------------------------------------------------------------------- closed form
def _ramp_moments(a, beta):
    """∫_0^1 ReLU(a u + β)² du and ∫_0^1 u ReLU(a u + β) du, elementwise.

    The integrals run over the sub-interval [u0, u1] ⊂ [0, 1] where a u + β > 0. The integrand
    vanishes at a moving end point, so (Leibniz) the end points carry no derivative: they are
    held fixed under autodiff, which keeps first and second derivatives exact and NaN-free at
    a = 0.
    """
    tiny = 1e-300 if jnp.result_type(a) == jnp.float64 else 1e-30
    steep = jnp.abs(a) > tiny
    a_safe = jnp.where(steep, a, 1.0)
    cross = jnp.clip(-beta / a_safe, 0.0, 1.0)
    flat_on = beta > 0
    u0 = jnp.where(steep, jnp.where(a > 0, cross, 0.0), jnp.where(flat_on, 0.0, 1.0))
    u1 = jnp.where(steep, jnp.where(a > 0, 1.0, cross), 1.0)
    u0 = jax.lax.stop_gradient(u0)
    u1 = jax.lax.stop_gradient(u1)
    d1 = u1 - u0
    d2 = u1 * u1 - u0 * u0
    d3 = u1 ** 3 - u0 ** 3
    sq = a * a * d3 / 3.0 + a * beta * d2 + beta * beta * d1
    first = a * d3 / 3.0 + beta * d2 / 2.0
    return sq, first


def tms_population_loss(W: Array, b: Array) -> Array:
    r"""Closed-form population loss L(W, b) = E‖x − ReLU(WᵀW x + b)‖² (high-sparsity data).

    Args:
      W: hidden embeddings, shape (r, c).
      b: biases, shape (c,).
    Returns:
      L(W, b) as a scalar (see the module docstring for the formula).
    """
    c = W.shape[-1]
    G = W.T @ W
    sq, first = _ramp_moments(G, b[:, None])  # [i, j]: output i when feature j is active
    own = jnp.diagonal(sq) - 2.0 * jnp.diagonal(first) + 1.0 / 3.0
    cross = jnp.sum(sq) - jnp.sum(jnp.diagonal(sq))
    return (jnp.sum(own) + cross) / c


def _unpack(w: Array, r: int, c: int) -> tuple[Array, Array]:
    return w[..., : r * c].reshape(w.shape[:-1] + (r, c)), w[..., r * c:]


def pack(W, b) -> Array:
    """The parameter vector w = (W row by row, b) of a TMS with embeddings W (r, c), biases b."""
    W = jnp.asarray(W, dtype=jnp.result_type(float))
    b = jnp.asarray(b, dtype=W.dtype)
    return jnp.concatenate([W.reshape(W.shape[:-2] + (-1,)), b], axis=-1)


# ---------------------------------------------------------------------------- k-gons
def _ramp_moments_np(a: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of :func:`_ramp_moments` (no autodiff needed)."""
    steep = np.abs(a) > 1e-300
    a_safe = np.where(steep, a, 1.0)
    cross = np.clip(-beta / a_safe, 0.0, 1.0)
    u0 = np.where(steep, np.where(a > 0, cross, 0.0), 0.0 if beta > 0 else 1.0)
    u1 = np.where(steep, np.where(a > 0, 1.0, cross), 1.0)
    d1, d2, d3 = u1 - u0, u1 * u1 - u0 * u0, u1 ** 3 - u0 ** 3
    return a * a * d3 / 3.0 + a * beta * d2 + beta * beta * d1, a * d3 / 3.0 + beta * d2 / 2.0


def kgon_loss(c: int, k: int, norm: float, bias: float) -> float:
    r"""Loss of the k-gon with common norm l and bias b, the other c − k features dead.

    By symmetry every live feature sees the same outputs, so

        L = (1/c) [ k ( ∫(u − ReLU(u l² + b))² du + Σ_{m=1}^{k−1} ∫ ReLU(u l² cos(2πm/k) + b)² du )
                    + (c − k)/3 ].
    """
    slopes = norm * norm * np.cos(2.0 * np.pi * np.arange(k) / k)
    sq, first = _ramp_moments_np(slopes, bias)
    own = sq[0] - 2.0 * first[0] + 1.0 / 3.0
    return float((k * (own + np.sum(sq[1:])) + (c - k) / 3.0) / c)


@functools.lru_cache(maxsize=256)
def kgon_norm_bias(c: int, k: int) -> tuple[float, float, float]:
    """Optimal common norm l*, bias b* and the loss of the k-gon for c features.

    Minimises the closed-form k-gon loss (:func:`kgon_loss`) over the two numbers (l, b) from
    several starts (Nelder–Mead to 1e-12 in l and b). For k ≤ 4 the optimum is l* = 1, b* = 0
    (the columns do not interfere); for k ≥ 5 the bias is negative.
    """
    from scipy.optimize import minimize

    c = v.as_int("c", c, lo=2)
    k = v.as_int("k", k, lo=1, hi=c)

    def fun(p):
        return kgon_loss(c, k, p[0], p[1])

    best = None
    for start in ((1.0, 0.0), (1.2, -0.3), (1.4, -0.7), (1.6, -1.0)):
        res = minimize(fun, np.asarray(start), method="Nelder-Mead",
                       options={"xatol": 1e-12, "fatol": 1e-16, "maxiter": 4000})
        if best is None or res.fun < best.fun - 1e-15:
            best = res
    l_star, b_star = (float(x) for x in best.x)
    if abs(b_star) < 1e-7:  # k ≤ 4: exactly l = 1, b = 0
        l_star, b_star = float(round(l_star, 6)), 0.0
    return l_star, b_star, kgon_loss(c, k, l_star, b_star)


def kgon(c: int, k: int, *, r: int = 2, norm: float | None = None, bias: float | None = None,
         dead_bias: float = -0.5, angle: float = 0.0, order=None) -> Array:
    r"""The k-gon critical point of the TMS with c features as a parameter vector w (shape (d,)).

    Columns W_i = l (cos(θ + 2πi/k), sin(θ + 2πi/k)) for the k live features (in the first two
    hidden dimensions), common bias b on them; the other c − k features are dead: W_i = 0 and
    bias ``dead_bias`` < 0 (any negative value gives the same loss).

    Args:
      c: number of features.
      k: number of live features, 1 ≤ k ≤ c.
      r: hidden dimensions (≥ 2; the polygon lies in the first two).
      norm, bias: l and b; default: the optimal l*, b* (:func:`kgon_norm_bias`).
      dead_bias: bias of the dead features (must be ≤ 0).
      angle: rotation θ of the polygon (the loss is O(2)-invariant).
      order: which features are live, in polygon order (default 0, 1, …, k − 1).
    """
    c = v.as_int("c", c, lo=2)
    k = v.as_int("k", k, lo=1, hi=c)
    r = v.as_int("r", r, lo=2)
    dead_bias = v.as_float("dead_bias", dead_bias, hi=0.0)
    theta = v.as_float("angle", angle)
    if norm is None or bias is None:
        l_opt, b_opt, _ = kgon_norm_bias(c, k)
        norm = l_opt if norm is None else norm
        bias = b_opt if bias is None else bias
    l_ = v.as_float("norm", norm, lo=0.0)
    b_ = v.as_float("bias", bias)
    live = list(range(k)) if order is None else list(v.int_tuple("order", order, lo=0, length=k))
    if len(set(live)) != k or max(live) >= c:
        raise ValueError(f"order must list {k} distinct features in 0..{c - 1}, got {order!r}")
    W = np.zeros((r, c))
    b = np.full(c, dead_bias)
    for pos, i in enumerate(live):
        phi = theta + 2.0 * math.pi * pos / k
        W[0, i], W[1, i] = l_ * math.cos(phi), l_ * math.sin(phi)
        b[i] = b_
    return pack(W, b)


def kgon_plus(c: int, k: int, plus: int = 1, **kgon_kwargs) -> Array:
    r"""The k⁺ point: the k-gon with ``plus`` dead features switched to bias +1/(2c) (W_i = 0).

    Such a feature outputs the constant 1/(2c), the best constant guess, and lowers the loss by
    exactly 1/(4c²) each: L(k⁺) = L(k) − p/(4c²) for p = ``plus``.
    """
    c = v.as_int("c", c, lo=2)
    k = v.as_int("k", k, lo=1, hi=c)
    plus = v.as_int("plus", plus, lo=1, hi=c - k)
    w = kgon(c, k, **kgon_kwargs)
    r = kgon_kwargs.get("r", 2)
    live = kgon_kwargs.get("order") or range(k)
    dead = [i for i in range(c) if i not in set(live)][:plus]
    return w.at[r * c + jnp.asarray(dead)].set(1.0 / (2.0 * c))


def kgon_lambda(c: int, k: int, plus: int = 0) -> Fraction | None:
    r"""Local learning coefficient of the k-gon (with ``plus`` k⁺ features), when it is known.

    λ = (3k − 1)/2 + 3p/2 when the k-gon's bias b* < 0: then the critical set near the point is a
    manifold (the O(2) rotation orbit times the exactly flat dead features) and the Hessian is
    non-degenerate across it (Morse–Bott), so λ = rank(Hessian)/2. For k ≤ 4 (b* = 0, a kink of
    the ReLU sits on the point) the value is not known in closed form: ``None``.
    """
    _, b_star, _ = kgon_norm_bias(c, k)
    if b_star >= 0.0:
        return None
    return Fraction(3 * k - 1, 2) + Fraction(3 * plus, 2)


# ---------------------------------------------------------------------------- phases
def _flat_params(w, c, r):
    """Checked (c, r), ``w`` as an array and its rows flattened to (batch, (r + 1)·c)."""
    c = v.as_int("c", c, lo=2)
    r = v.as_int("r", r, lo=2)
    w = jnp.asarray(w)
    if w.ndim == 0 or w.shape[-1] != (r + 1) * c:
        raise ValueError(f"w must have last dimension (r + 1)·c = {(r + 1) * c}, "
                         f"got shape {tuple(w.shape)}")
    return c, r, w, w.reshape(-1, w.shape[-1])


def _hull_vertex_mask(P: Array, live: Array, tol: float) -> Array:
    """For 2-D points P (c, 2): live points that are vertices of the hull of the live points.

    A live point is not a vertex iff it lies in a (non-degenerate) triangle of three other live
    points (Carathéodory in the plane). O(c⁴) comparisons: fine for the c ≤ 32 of a toy model.
    """
    c = P.shape[0]
    triples = np.array([(a, b_, e) for a in range(c) for b_ in range(a + 1, c)
                        for e in range(b_ + 1, c)], dtype=np.int32).reshape(-1, 3)
    if triples.size == 0:
        return live
    A, B, C = P[triples[:, 0]], P[triples[:, 1]], P[triples[:, 2]]

    def cross(o, p, q):
        return (p[..., 0] - o[..., 0]) * (q[..., 1] - o[..., 1]) - \
            (p[..., 1] - o[..., 1]) * (q[..., 0] - o[..., 0])

    area = cross(A, B, C)  # (T,)
    sgn = jnp.sign(area)
    scale = jnp.max(jnp.sum(P ** 2, axis=-1)) + 1e-30
    X = P[:, None, :]  # (c, 1, 2) against every triangle
    s1 = cross(A[None], B[None], X) * sgn
    s2 = cross(B[None], C[None], X) * sgn
    s3 = cross(C[None], A[None], X) * sgn
    inside = (s1 >= -tol * scale) & (s2 >= -tol * scale) & (s3 >= -tol * scale)
    proper = jnp.abs(area) > tol * scale
    tri_live = live[triples[:, 0]] & live[triples[:, 1]] & live[triples[:, 2]]
    member = np.zeros((c, triples.shape[0]), dtype=bool)
    for col in range(3):
        member[triples[:, col], np.arange(triples.shape[0])] = True
    covered = jnp.any(inside & proper[None] & tri_live[None] & ~jnp.asarray(member), axis=1)
    return live & ~covered


def phase_counts(w: Array, c: int, *, r: int = 2, live_norm: float = 0.5,
                 plus_bias: float | None = None, tol: float = 1e-9) -> tuple[Array, Array, Array]:
    """JAX-traceable phase statistics of one TMS parameter ``w`` (see :func:`classify_phase`).

    Returns (k, p, q): live columns on the convex hull, near-zero columns with positive bias,
    and live columns strictly inside the hull.
    """
    W, b = _unpack(w, r, c)
    P = W[:2].T  # (c, 2)
    norms = jnp.sqrt(jnp.sum(W ** 2, axis=0))
    live = norms > live_norm
    thr = 1.0 / (4.0 * c) if plus_bias is None else plus_bias
    vertex = _hull_vertex_mask(P, live, tol)
    k = jnp.sum(vertex)
    p = jnp.sum(~live & (b > thr))
    q = jnp.sum(live & ~vertex)
    return k, p, q


@functools.lru_cache(maxsize=32)
def _batched_counts(c: int, r: int, live_norm: float, plus_bias):
    return jax.jit(jax.vmap(lambda x: phase_counts(x, c, r=r, live_norm=live_norm,
                                                   plus_bias=plus_bias)))


def phase_name(k: int, p: int = 0, q: int = 0) -> str:
    """'5', '5+', '4++', '5(1 in)': k hull vertices, p positive-bias dead features, q inside."""
    name = f"{int(k)}" + "+" * int(p)
    return name + (f"({int(q)} in)" if q else "")


def classify_phase(w, c: int, *, r: int = 2, live_norm: float = 0.5,
                   plus_bias: float | None = None) -> np.ndarray | str:
    r"""Name the phase of TMS parameters: k-gon, k⁺, … by the convex hull of the columns.

    A feature is *live* when its column has norm > ``live_norm``. The name is k (the number of
    live columns that are vertices of the convex hull of the live columns), then one ``+`` for
    each non-live feature with bias > ``plus_bias`` (default 1/(4c), half the k⁺ bias), then
    ``(q in)`` when q live columns lie strictly inside the hull. So the k-gon is ``"k"`` and the
    k⁺ point ``"k+"``. (Our notation; it agrees with the paper's for k-gons and k⁺.) Only the
    first two hidden dimensions are used (r = 2 is the studied case).

    Args:
      w: parameters, shape (d,) or (..., d) with d = (r + 1) c.
      c: number of features.
      r: hidden dimensions.
      live_norm: column-norm threshold for a live feature.
      plus_bias: bias threshold for a '+' feature.
    Returns:
      a string for one parameter, else an array of strings with the batch shape.
    """
    c, r, w, flat = _flat_params(w, c, r)
    k, p, q = (np.asarray(a) for a in _batched_counts(c, r, float(live_norm),
                                                        plus_bias)(flat))
    names = np.array([phase_name(*t) for t in zip(k, p, q)], dtype=object)
    if w.ndim == 1:
        return str(names[0])
    return names.reshape(w.shape[:-1])


# ---------------------------------------------------------------------------- the model
def _sampler(c: int):
    def sample(key, n, w=None):
        kj, ku = jax.random.split(key)
        j = jax.random.randint(kj, (n,), 0, c)
        u = jax.random.uniform(ku, (n,))
        x = jax.nn.one_hot(j, c, dtype=u.dtype) * u[:, None]
        return Data(x, x)
    return sample


LIKELIHOODS = ("gibbs", "gaussian")


def likelihood_scale(likelihood: str = "gibbs", sigma: float = 1.0) -> float:
    r"""The factor s in the per-sample loss s·‖y − f(x)‖² of a likelihood convention.

    ``"gibbs"`` (ours): s = 1, the posterior exp(−n L_n) of the squared error itself (a Gaussian
    of variance 1/2). ``"gaussian"``: the likelihood N(y | f(x), σ² I), s = 1/(2σ²); σ = 1 (the
    NumPyro ``Normal(·, 1)`` likelihood of the NUTS demos) gives s = 1/2, i.e. exp(−n L_n/2), so
    on the population loss every critical n doubles (the posterior at n is ours at n/2).
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {list(LIKELIHOODS)}, got {likelihood!r}")
    sigma = v.as_float("sigma", sigma, lo=0.0, lo_open=True)
    return 1.0 if likelihood == "gibbs" else 1.0 / (2.0 * sigma * sigma)


def prior_term(c: int, k: int, *, dead_bias: float = 0.0, prior_scale: float = 1.0) -> float:
    r"""−log φ(w*) up to its constant: ‖w*‖²/(2s²) at the optimal k-gon (dead features W = 0).

    Chen et al.'s (2023) constant gap c(6) − c(5) = 2.7535 at c = 6 is exactly
    prior_term(6, 6) − prior_term(6, 5) = 6.37767 − 3.62417 with dead bias 0: the N(0, 1) prior
    density at each k-gon, with no local-volume (Hessian, orbit, flat-direction) term.
    """
    w = np.asarray(kgon(c, k, dead_bias=dead_bias))
    s = v.as_float("prior_scale", prior_scale, lo=0.0, lo_open=True)
    return float(np.sum(w * w) / (2.0 * s * s))


def hull_vertex_count(w, c: int, *, r: int = 2, tol: float = 1e-9) -> np.ndarray | int:
    r"""Number of vertices of the convex hull of all c columns of W (first two hidden dims).

    The classifier of the NUTS demos of the TMS (Chen et al. 2023 and its workshop notebook):
    no live-norm threshold, no bias test, columns inside the hull ignored. A k-gon, a k⁺ point
    and a k-gon with a short column inside all count k. Compare :func:`classify_phase`, which
    also names the '+' features and sends points with live columns inside the hull to no phase.

    Args:
      w: parameters, shape (d,) or (..., d).
      c: number of features.
    Returns:
      an int for one parameter, else an int array with the batch shape.
    """
    c, r, w, flat = _flat_params(w, c, r)
    k = np.asarray(_batched_counts(c, r, 0.0, None)(flat)[0]).astype(int)
    return int(k[0]) if w.ndim == 1 else k.reshape(w.shape[:-1])


def toy_superposition(c: int = 6, r: int = 2, prior_scale: float = 1.0,
                      live_norm: float = 0.5, likelihood: str = "gibbs",
                      sigma: float = 1.0) -> Model:
    r"""The toy model of superposition f(x) = ReLU(WᵀW x + b) in the high-sparsity limit.

    d = (r + 1) c parameters w = (W row by row, b); data x = u e_j (one active feature, uniform
    magnitude), target y = x; per-sample loss ℓ = ‖y − f(x)‖² (the Gibbs posterior exp(−nβL_n);
    Gaussian likelihood with σ² = 1/2). Prior N(0, s² I). See the module docstring for the
    closed-form population loss, the k-gons and the noise convention.

    ``likelihood="gaussian"`` with ``sigma`` σ switches to the likelihood N(y | f(x), σ² I):
    ℓ = ‖y − f(x)‖²/(2σ²) (and the population loss and region losses scaled alike), the
    convention of NumPyro NUTS demos with ``Normal(·, 1)``, whose posterior exp(−n L_n/2) at n is
    ours at n/2 (:func:`likelihood_scale`).

    ``population_loss`` is the closed-form L(w) itself (the model is not realisable and the
    global minimum is not known in closed form for every c, so L is not shifted to K = L − L₀).
    Regions are the phases ``"k"`` and ``"k+"…`` named by :func:`classify_phase` (k hull
    vertices, p positive-bias dead features); each carries the loss of its critical point
    L(k-gon) − p/(4c²) and, when known, λ from :func:`kgon_lambda`. Points in no named phase
    (e.g. with live columns inside the hull) get region index −1.

    Args:
      c: number of features (≥ 2).
      r: hidden dimensions (≥ 1; phases need r ≥ 2).
      prior_scale: s in the N(0, s²) prior on every parameter.
      live_norm: column-norm threshold of a live feature in the phase regions.
      likelihood: ``"gibbs"`` (ℓ = ‖y − f‖², ours) or ``"gaussian"`` (ℓ = ‖y − f‖²/(2σ²)).
      sigma: σ of the ``"gaussian"`` likelihood (ignored for ``"gibbs"``).
    """
    scale = likelihood_scale(likelihood, sigma)
    c = v.as_int("c", c, lo=2, hi=32)
    r = v.as_int("r", r, lo=1, hi=16)
    s = v.as_float("prior_scale", prior_scale, lo=0.0, lo_open=True)
    live_norm = v.as_float("live_norm", live_norm, lo=0.0, lo_open=True)
    dim = (r + 1) * c

    def predict(w, x):
        W, b = _unpack(w, r, c)
        return jax.nn.relu(W.T @ (W @ x) + b)

    def loss(w, x, y):
        return scale * jnp.sum((y - predict(w, x)) ** 2)

    def population_loss(w):
        W, b = _unpack(w, r, c)
        if w.ndim == 1:
            return scale * tms_population_loss(W, b)
        flatW = W.reshape((-1, r, c))
        flatb = b.reshape((-1, c))
        return scale * jax.vmap(tms_population_loss)(flatW, flatb).reshape(w.shape[:-1])

    regions: tuple[Region, ...] = ()
    fast_index = None
    if r >= 2:
        regions = _phase_regions(c, r, live_norm, scale)
        # (k, p) -> index into regions, so one hull computation names the region
        table = np.full((c + 1, c + 1), -1, dtype=np.int32)
        for idx, (kk, pp) in enumerate((a, b) for a in range(c, -1, -1) for b in range(c - a + 1)):
            table[kk, pp] = idx
        table_j = jnp.asarray(table)

        def fast_index(w):
            """Same as Model.region_index (first region containing w, −1 if none), one pass."""
            k, p, q = phase_counts(w, c, r=r, live_norm=live_norm)
            return jnp.where(q == 0, table_j[k, p], -1)
    names = tuple(f"W[{a},{i}]" for a in range(r) for i in range(c)) + \
        tuple(f"b[{i}]" for i in range(c))
    if likelihood == "gibbs":
        tag, noise = "", ("squared error ℓ = ‖x − ReLU(WᵀWx + b)‖² (Gibbs posterior; Gaussian "
                          "σ² = 1/2)")
    else:
        tag = f", gaussian σ={sigma:g}"
        noise = (f"Gaussian likelihood N(x | ReLU(WᵀWx + b), σ² I), σ = {sigma:g}: "
                 f"ℓ = ‖x − ReLU(WᵀWx + b)‖²/(2σ²) = {scale:g}·‖x − ReLU(WᵀWx + b)‖²")
    return Model(
        name=f"toy_superposition(c={c}, r={r}{tag})", dim=dim, prior=deferred("gaussian", dim, s),
        box=((-4.0 * s, 4.0 * s),) * dim, loss=loss, population_loss=population_loss,
        sample_inputs_targets=_sampler(c), true_param=None, regions=regions,
        param_names=names,
        noise=noise + ", x = u e_j, j ~ Unif{1..c}, u ~ U[0,1]",
        extra={"c": c, "r": r, "prior_scale": s, "live_norm": live_norm, "predict": predict,
               "likelihood": likelihood, "sigma": float(sigma), "likelihood_scale": scale,
               "unpack": lambda w: _unpack(w, r, c), "region_index": fast_index})


def _phase_regions(c: int, r: int, live_norm: float, scale: float = 1.0) -> tuple[Region, ...]:
    out = []
    for k in range(c, -1, -1):
        base = kgon_norm_bias(c, k)[2] if k >= 1 else c / (3.0 * c)
        for p in range(c - k + 1):
            lam = kgon_lambda(c, k, p) if k >= 1 else None

            def contains(w, k=k, p=p):
                kk, pp, qq = phase_counts(w, c, r=r, live_norm=live_norm)
                return (kk == k) & (pp == p) & (qq == 0)

            out.append(Region(phase_name(k, p), contains,
                              loss=scale * (base - p / (4.0 * c * c)),
                              lam=lam, m=1 if lam is not None else None))
    return tuple(out)
