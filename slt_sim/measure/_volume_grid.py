r"""The "grid" volume engine for d ≤ 3: exact sublevel masses on lines, a graded grid across them.

V(ε) = ∫ φ(w) 1[K(w) < ε] dw is computed for a product prior φ = Π_j φ_j as

    V(ε) = Σ_cells Π_{j ≠ i} φ_j(cell_j) · ∫ φ_i(x) 1[K(x; y_cell) < ε] dx,

an outer tensor grid over the d − 1 axes j ≠ i and, along each line of the inner axis i through
the outer Gauss points y, the *exact* prior mass of the sublevel set {x : K(x, y) < ε}:

1. K and ∂K/∂x_i at graded nodes on the line; every sub-interval whose derivative changes sign is
   split at its critical point (bisection on ∂K/∂x_i to machine precision), so that K is monotone
   between consecutive points (assuming at most one critical point per sub-interval, which the
   graded nodes make true for the catalogue; a midpoint check counts the violations that would
   change a level's membership).
2. On a monotone piece the sublevel part is an interval ending at the crossing K = ε, found by
   safeguarded Newton steps on g(u) = log K − log ε in u = −log₂ t, t the distance from the
   piece's end inside the set (bisection whenever Newton leaves the bracket, e.g. at a region
   boundary where K jumps to +∞). A crossing 1e−12 of a piece's width from its end is located to
   rounding precision, so thin tubes {|f| < √ε} around a curved zero set are measured exactly,
   however small ε.

The outer axes are graded geometrically toward ``model.focus`` (the zero set's coordinates) with
``per_decade`` nodes per decade over ``decades`` decades, plus uniform nodes, and integrated with
two Gauss–Legendre points per cell. Where the outer integrand is smooth on a log scale this is
accurate to ~1e−5; where it has algebraic singularities at ε-dependent places (the cusp's
√(b³ − √ε)) the error is ~1e−3 and depends on where the singularity falls between nodes, which
is why the caller compares with an interleaved grid (``phase``).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._warnings import VolumeWarning, emit
from ._prior_axes import AxisPrior, density, interval_mass

_CHUNK = 512           # lines per kernel call (fixed shape: no recompilation per chunk)
_CRIT_ITERS = 64       # bisection steps for critical points (interval / 2^64: below ulp)
_CROSS_ITERS = 12      # safeguarded Newton steps for crossings in u = −log2 t, u ∈ [0, _U_MAX]
_U_MAX = 64.0          # (t ∈ [5e−20, 1]; smooth K: rounding level; worst case 64·2^−12 in u)
_LN2 = math.log(2.0)


def graded_nodes(lo: float, hi: float, focus, per_decade: int, decades: int,
                 n_uniform: int, phase: float = 0.0) -> np.ndarray:
    """Nodes on [lo, hi]: uniform ones plus geometric ones toward every focus point.

    ``phase`` ∈ [0, 1) shifts the geometric nodes by that fraction of a step (on a log scale)
    and the uniform ones by that fraction of their spacing: a second, interleaved grid.
    """
    u = np.linspace(lo, hi, n_uniform + 1)
    pts = [u, u[:-1] + phase * np.diff(u)] if phase else [u]
    k = np.arange(1, per_decade * decades + 1) + phase
    for f in focus:
        if not lo <= f <= hi:
            continue
        pts.append(np.array([f]))
        for side, dist in ((1.0, hi - f), (-1.0, f - lo)):
            if dist > 0:
                pts.append(f + side * dist * 10.0 ** (-k / per_decade))
    nodes = np.unique(np.clip(np.concatenate(pts), lo, hi))
    return nodes


def _gauss_points(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-point Gauss–Legendre nodes and weights in every cell [e_k, e_{k+1}]."""
    mid, half = 0.5 * (edges[:-1] + edges[1:]), 0.5 * np.diff(edges)
    off = half / np.sqrt(3.0)
    x = np.stack([mid - off, mid + off], axis=1).ravel()
    w = np.repeat(half, 2)
    return x, w


def _pow2(n: int) -> int:
    return 1 if n <= 1 else 1 << (int(n) - 1).bit_length()


def _first_true(mask, size: int):
    """Indices of the first ``size`` True entries along the last axis (n where missing)."""
    n = mask.shape[-1]
    score = jnp.where(mask, n - jnp.arange(n), -1)
    val, idx = jax.lax.top_k(score, size)
    return jnp.where(val > 0, idx, n)


@functools.lru_cache(maxsize=32)
def _line_kernel(kfun, dim: int, axis: int, kind: str):
    """Jitted kernel for one restricted loss ``kfun`` (cached: compiled once per model)."""
    e_i = jnp.zeros(dim).at[axis].set(1.0)

    def assemble(outer, x):
        # outer: (B, d−1); x: (B, ...) inner coordinates → points (B, ..., d)
        o = jnp.broadcast_to(outer.reshape((outer.shape[0],) + (1,) * (x.ndim - 1) + (-1,)),
                             x.shape + (dim - 1,))
        return jnp.concatenate([o[..., :axis], x[..., None], o[..., axis:]], axis=-1)

    def k_and_slope(w):
        return jax.jvp(kfun, (w,), (jnp.broadcast_to(e_i, w.shape),))

    @functools.partial(jax.jit, static_argnames=("s_max", "c_max"))
    def kernel(outer, nodes, levels, p1, p2, s_max, c_max):
        b, n1 = outer.shape[0], nodes.shape[0]
        x = jnp.broadcast_to(nodes, (b, n1))
        k, dk = k_and_slope(assemble(outer, x))
        # 1. split sub-intervals where ∂K/∂x changes sign at their critical point
        change = (dk[:, :-1] * dk[:, 1:]) < 0
        n_change = jnp.max(jnp.sum(change, axis=1))
        if s_max > 0:
            idx = _first_true(change, s_max)                  # (B, S), n1 − 1 when missing
            valid = idx < n1 - 1
            safe = jnp.minimum(idx, n1 - 2)
            left, right = nodes[safe], nodes[safe + 1]
            s_left = jnp.sign(jnp.take_along_axis(dk, safe, axis=1))

            def crit_step(_, carry):
                lo, hi = carry
                mid = 0.5 * (lo + hi)
                _, d = k_and_slope(assemble(outer, mid))
                same = jnp.sign(d) == s_left
                return jnp.where(same, mid, lo), jnp.where(same, hi, mid)

            lo, hi = jax.lax.fori_loop(0, _CRIT_ITERS, crit_step, (left, right))
            crit = jnp.where(valid, 0.5 * (lo + hi), nodes[0])
        else:
            crit = jnp.zeros((b, 0), dtype=nodes.dtype)
        pts, kpts = jax.lax.sort((jnp.concatenate([x, crit], axis=1),
                                  jnp.concatenate([k, kfun(assemble(outer, crit))], axis=1)),
                                 dimension=1, num_keys=1)
        a, c = pts[:, :-1], pts[:, 1:]
        ka, kc = kpts[:, :-1], kpts[:, 1:]
        lo_k, hi_k = jnp.minimum(ka, kc), jnp.maximum(ka, kc)
        mass = interval_mass(kind, p1, p2, a, c)
        # monotonicity check that matters: a piece midpoint on another side of some level
        kmid = kfun(assemble(outer, 0.5 * (a + c)))

        def n_below(val):
            return jnp.sum(levels[None, None, :] > val[..., None], axis=-1)

        n_bad = jnp.sum((c > a) & (((kmid < lo_k) & (n_below(kmid) != n_below(lo_k))) |
                                   ((kmid > hi_k) & (n_below(kmid) != n_below(hi_k)))))
        # 2. per level: whole pieces inside, plus the crossing in every straddling piece
        lev = levels[None, :, None]
        full = jnp.einsum("bp,blp->bl", mass, (hi_k[:, None, :] < lev).astype(mass.dtype))
        straddle = (lo_k[:, None, :] < lev) & (hi_k[:, None, :] >= lev)   # (B, L, P)
        n_cross = jnp.max(jnp.sum(straddle, axis=2))
        n_pieces = a.shape[1]
        sel = _first_true(straddle, c_max)                                # (B, L, C)
        ok = sel < n_pieces
        sel = jnp.minimum(sel, n_pieces - 1)

        def gather(arr):
            return jnp.take_along_axis(jnp.broadcast_to(arr[:, None, :], straddle.shape), sel,
                                       axis=2)

        pa, pc, ka_s = gather(a), gather(c), gather(ka)
        anchor = jnp.where(ka_s < lev, pa, pc)   # the end inside the sublevel set
        span = jnp.where(ka_s < lev, pc, pa) - anchor

        ka_sel = jnp.where(ka_s < lev, ka_s, gather(kc))
        ko_sel = jnp.where(ka_s < lev, gather(kc), ka_s)
        log_lev = jnp.log(lev)

        def g_and_slope(u):
            t = jnp.exp2(-u)
            k_u, dk_u = k_and_slope(assemble(outer, anchor + span * t))
            k_pos = jnp.maximum(k_u, 1e-300)
            return jnp.log(k_pos) - log_lev, -_LN2 * span * t * dk_u / k_pos

        def cross_step(_, carry):
            # safeguarded Newton on g(u) = log K(anchor + span 2^−u) − log ε: g ≥ 0 at u_out
            # (toward the far end), g < 0 at u_in (toward the anchor); bisect when Newton
            # leaves the bracket (non-smooth K, e.g. a region boundary)
            u, u_out, u_in, best, best_g = carry
            g, dg = g_and_slope(u)
            better = jnp.abs(g) < best_g
            best, best_g = jnp.where(better, u, best), jnp.where(better, jnp.abs(g), best_g)
            u_out = jnp.where(g >= 0, u, u_out)
            u_in = jnp.where(g >= 0, u_in, u)
            step = u - g / dg
            good = jnp.isfinite(step) & (step >= u_out) & (step <= u_in)
            return jnp.where(good, step, 0.5 * (u_out + u_in)), u_out, u_in, best, best_g

        # start from the crossing of a quadratic K − K_anchor ∝ t² through the far end's value
        ratio = (lev - ka_sel) / jnp.maximum(ko_sel - ka_sel, 1e-300)
        u_start = jnp.clip(-0.5 * jnp.log2(jnp.clip(ratio, 1e-300, 1.0)), 0.0, _U_MAX)
        zero = jnp.zeros_like(anchor)
        _, u_out, u_in, best, best_g = jax.lax.fori_loop(
            0, _CROSS_ITERS, cross_step, (u_start, zero, zero + _U_MAX, u_start, zero + jnp.inf))
        # the best Newton iterate or the bracket's midpoint, whichever is closer to K = ε (|g|
        # cannot go below the rounding of the position: ~1e−4 for a tube 1e−12 wide at x ≈ 1)
        mid = 0.5 * (u_out + u_in)
        g_mid, _ = g_and_slope(mid)
        u_fin = jnp.where(best_g <= jnp.abs(g_mid), best, mid)
        cross = anchor + span * jnp.exp2(-u_fin)
        part = interval_mass(kind, p1, p2, jnp.minimum(anchor, cross),
                             jnp.maximum(anchor, cross))
        total = full + jnp.sum(jnp.where(ok, part, 0.0), axis=2)
        return total, n_bad, n_change, n_cross

    @jax.jit
    def sizes(outer, nodes):
        """Largest number of sign changes of ∂K/∂x (and of monotone runs) on these lines."""
        x = jnp.broadcast_to(nodes, (outer.shape[0], nodes.shape[0]))
        k, dk = k_and_slope(assemble(outer, x))
        finite = jnp.isfinite(k)
        sgn = jnp.where(finite, jnp.sign(dk), 0.0)
        both = finite[:, :-1] & finite[:, 1:]
        n_change = jnp.sum(both & (sgn[:, :-1] * sgn[:, 1:] < 0), axis=1)
        # run boundaries: sign changes, interior zero slopes, region boundaries (finite ↔ ∞)
        n_runs = (1 + jnp.sum(both & (sgn[:, :-1] != sgn[:, 1:]), axis=1)
                  + jnp.sum(finite & (sgn == 0), axis=1)
                  + jnp.sum(finite[:, :-1] != finite[:, 1:], axis=1))
        return jnp.max(n_change), jnp.max(n_runs), jnp.sum(n_change)

    return kernel, sizes


def line_masses(kfun, dim: int, axis: int, prior: AxisPrior, outer_points: np.ndarray,
                inner_nodes: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, dict]:
    """Prior mass of {x : K(x, y) < ε} along the inner axis for every line y and level ε."""
    kernel, sizes = _line_kernel(kfun, dim, axis, prior.kind)
    p1, p2 = jnp.asarray(prior.p1[axis]), jnp.asarray(prior.p2[axis])
    x = jnp.asarray(inner_nodes)
    lev = jnp.asarray(levels)
    n_lines = outer_points.shape[0]
    out = np.empty((n_lines, len(levels)))
    stats = {"evaluations": 0, "nonmonotone_pieces": 0, "max_crossings": 0, "max_critical": 0}
    blocks = []
    s_need, c_need = 0, 1
    for start in range(0, n_lines, _CHUNK):
        block = outer_points[start:start + _CHUNK]
        b = block.shape[0]
        if b < _CHUNK:
            block = np.concatenate([block, np.repeat(block[-1:], _CHUNK - b, axis=0)], axis=0)
        outer = jnp.asarray(block.reshape(_CHUNK, dim - 1))
        n_change, n_runs, _ = sizes(outer, x)
        s_need, c_need = max(s_need, int(n_change)), max(c_need, int(n_runs))
        blocks.append((start, b, outer))
    # the kernel is compiled for the sizes this model needs (powers of two, so few variants)
    n_pieces = len(inner_nodes) - 1 + (_pow2(s_need) if s_need else 0)
    s_max = min(_pow2(s_need), len(inner_nodes) - 1) if s_need else 0
    c_max = min(_pow2(c_need), n_pieces)
    for start, b, outer in blocks:
        while True:
            res, n_bad, n_change, n_cross = kernel(outer, x, lev, p1, p2, s_max=s_max,
                                                   c_max=c_max)
            n_change, n_cross = int(n_change), int(n_cross)
            if n_change <= s_max and n_cross <= c_max:
                break
            s_max = min(max(s_max, _pow2(n_change)), len(inner_nodes) - 1)
            c_max = min(max(c_max, _pow2(n_cross)), len(inner_nodes) - 1 + s_max)
            emit(f"volume grid: recompiling the line kernel for {s_max} critical points"
                 f" and {c_max} crossings per line", VolumeWarning, stacklevel=2)
        out[start:start + b] = np.asarray(res)[:b]
        n = len(inner_nodes)
        stats["evaluations"] += _CHUNK * (2 * n + s_max * (2 * _CRIT_ITERS + 1) + (n + s_max)
                                          + len(levels) * c_max * 2 * (_CROSS_ITERS + 1))
        stats["nonmonotone_pieces"] += int(n_bad)
        stats["max_crossings"] = max(stats["max_crossings"], n_cross)
        stats["max_critical"] = max(stats["max_critical"], n_change)
    return out, stats


def _outer_grid(dim, axis, prior, box, focus, per_decade, decades, n_uniform, phase=0.0):
    """Gauss points of the graded tensor grid over the axes ≠ ``axis``, with their weights."""
    outer_axes = [j for j in range(dim) if j != axis]
    if not outer_axes:
        return np.zeros((1, 0)), np.ones(1)
    mids, weights = [], []
    for j in outer_axes:
        lo, hi = prior.support(j, box[j])
        edges = graded_nodes(lo, hi, focus[j], per_decade, decades, n_uniform, phase)
        x, w = _gauss_points(edges)
        mids.append(x)
        weights.append(w * density(prior.kind, prior.p1[j], prior.p2[j], x, xp=np))
    points = np.stack([g.ravel() for g in np.meshgrid(*mids, indexing="ij")], axis=1)
    weight = np.prod(np.stack([g.ravel() for g in np.meshgrid(*weights, indexing="ij")], 1), 1)
    return points, weight


def _inner_nodes(axis, prior, box, focus, decades, inner_per_decade, n_uniform):
    lo, hi = prior.support(axis, box[axis])
    return graded_nodes(lo, hi, focus[axis], inner_per_decade, decades, n_uniform)


def choose_inner_axis(kfun, dim: int, prior: AxisPrior, box, focus, *, decades: int,
                      inner_per_decade: int = 3, n_uniform: int = 16) -> int:
    """The axis whose lines cross the fewest critical points of K (max, then mean, then index).

    Fewer critical points on a line means fewer changes of the sublevel set's shape across
    lines, i.e. a smoother outer integrand (for the cusp (a² − b³)², lines along b).
    """
    if dim == 1:
        return 0
    scores = []
    for axis in range(dim):
        _, sizes = _line_kernel(kfun, dim, axis, prior.kind)
        points, _ = _outer_grid(dim, axis, prior, box, focus, 2, decades, n_uniform)
        x = jnp.asarray(_inner_nodes(axis, prior, box, focus, decades, inner_per_decade,
                                     n_uniform))
        worst, total = 0, 0
        for start in range(0, points.shape[0], _CHUNK):
            block = points[start:start + _CHUNK]
            block = np.concatenate([block, np.repeat(block[-1:], _CHUNK - len(block), 0)], 0)
            n_change, _, n_sum = sizes(jnp.asarray(block), x)
            worst, total = max(worst, int(n_change)), total + int(n_sum)
        scores.append((worst, total / points.shape[0], axis))
    return min(scores)[2]


def grid_volume(kfun, dim: int, prior: AxisPrior, box, focus, levels: np.ndarray, *,
                axis: int = 0, per_decade: int = 8, decades: int = 14,
                inner_per_decade: int = 3, n_uniform: int = 16,
                phase: float = 0.0) -> tuple[np.ndarray, dict]:
    """V(ε) for every ε in ``levels`` (see module docstring); returns (volumes, stats)."""
    inner = _inner_nodes(axis, prior, box, focus, decades, inner_per_decade, n_uniform)
    outer_points, line_weight = _outer_grid(dim, axis, prior, box, focus, per_decade, decades,
                                            n_uniform, phase)
    masses, stats = line_masses(kfun, dim, axis, prior, outer_points, inner, levels)
    stats.update(lines=int(outer_points.shape[0]), inner_nodes=int(len(inner)))
    return line_weight @ masses, stats


def default_decades(eps_min_over_scale: float) -> int:
    """Decades of grading toward the zero set: enough for the √ε scale of a crossing, + 2."""
    return int(min(18, max(4, math.ceil(-0.5 * math.log10(eps_min_over_scale)) + 2)))
