r"""Exact posterior by quadrature (d ≤ 3), float64, for a whole sweep of n in one call.

Two integrators share this entry point. The tensor grid below is the fast path and exact to
rounding on landscapes whose zero set is axis-parallel through the grid's focus points (the
catalogue). Every result carries an estimate of its own quadrature error (null rules on the
grid's 1-D marginals, :func:`~slt_sim.posterior.grid.marginal_null_error`); when it exceeds
``tol`` on the default grid of a potential — a slanted, crossing or curved zero set, a minimum off
the axes — the sums are redone by the adaptive cubature of :mod:`slt_sim.posterior.adaptive`,
whose cells are refined by the integrand itself and which estimates the error of log Z, masses,
mean and covariance cell by cell. Above ``tol`` the result warns (:class:`QuadratureWarning`).

For each n in the sweep the engine integrates the tempered posterior

    p_n^β(w) = φ(w) exp(−n β L_n(w)) / Z_n,     Z_n = ∫_box φ(w) exp(−n β L_n(w)) dw,

on a tensor-product quadrature grid (see :mod:`slt_sim.posterior.grid`). Everything is computed
in log space (streaming log-sum-exp over blocks of the grid), so n = 1e9 or a tiny loss scale stays
finite. The prior is renormalised on the box, so Z_0 = 1 and the free energy

    F_n = −log Z_n

is the Bayes free energy of Watanabe (2009) with the prior restricted to the box (the box's prior
mass is reported as ``log_prior_mass``; for the catalogue it is 1 up to ~1e−20).

Memory stays bounded for any grid size: the grid is processed in blocks of rows of the first axis
(``jax.lax.map`` inside one jitted function) and the n-sweep in chunks; only reductions
(log Z, region masses, moments, 1-D/2-D marginals) are kept, plus the full log density when it is
small enough or asked for.

A product prior φ(w) = Π φ_i(w_i) (NumPyro ``Independent`` over the coordinates, or a prior with
``log_prob_axes``) is folded in per axis, like the quadrature weights, as traced arrays: a new
prior of that kind reuses the compiled sweep. Other priors are evaluated at every point.

Work per (n, grid point) is one exp, shifted in log space so that every value is ≤ 1 and each
region is summed relative to its own shift; blocks where the cheap shift bound was loose are
redone with exact maxima, so every result is exact to rounding (the algorithm is described once,
in ``_sweep_chunk``).

Data models: the sweep uses nested data — the posterior at n conditions on the first n samples of
one data set (sampled from the truth with ``key`` when ``data`` is not given).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._numpyro import dist
from .._warnings import QuadratureWarning, emit
from ..models.base import Data, Model
from . import adaptive
from .grid import QuadratureGrid, default_grid, marginal_null_error

#: largest block of grid points × n values held at once (floats); None: by backend — 2^20 on
#: CPU (cache-sized, fastest there), 2^24 on accelerators (fewer, larger kernels)
_BLOCK_VALUES: int | None = None
#: default ceilings
MAX_GRID_POINTS = 2_000_000_000
MAX_DENSITY_VALUES = 50_000_000
#: default tolerance of the estimated quadrature error (log Z, masses; moments at 10·tol)
TOL = 1e-3


@dataclass(frozen=True)
class ExactPosterior:
    """Exact posterior summaries for every n of a sweep (arrays have n as leading axis).

    Attributes:
      ns: the data counts n.
      beta: inverse temperature β.
      grid: the quadrature grid.
      log_z: log Z_n with the prior normalised on the box.
      free_energy: F_n = −log Z_n.
      log_prior_mass: log of the prior mass inside the box (by the same quadrature).
      region_names, region_log_masses: posterior log-mass of each model region, shape (R, n).
      mean, cov: posterior mean (n, d) and covariance (n, d, d).
      log_marginals: per axis, the log marginal density at the grid nodes, shape (n, size_i).
      log_marginals_2d: {(i, j): log joint density of (w_i, w_j), shape (n, size_i, size_j)}.
      log_density: log posterior density at every grid point, shape (n, *grid.shape), or None
        when not kept (large grid × sweep).
      loss_min: min of L_n over the grid per n (for free-energy slopes), shape (n,).
      data: the data used (data models) or None.
      seconds: wall time of the computation.
      method: "grid" (the tensor grid) or "adaptive" (cells refined by the integrand, when the
        grid's own error estimate exceeded ``tol``).
      err_log_z: estimated absolute error of log Z_n (= of F_n), shape (n,) — like
        ``scipy.integrate.quad``'s abserr.
      err_region_masses: estimated absolute error of each region mass, shape (R, n).
      err_mean, err_cov: estimated absolute errors of mean (n, d) and cov (n, d, d).
      tol: the tolerance the estimates were checked against.
      warnings: plain-language diagnostics (also emitted as :class:`QuadratureWarning`).
      settings: how the result was computed (method, cells, grid size, tol).
    """

    model_name: str
    ns: np.ndarray
    beta: float
    grid: QuadratureGrid
    log_z: np.ndarray
    free_energy: np.ndarray
    log_prior_mass: float
    region_names: tuple[str, ...]
    region_log_masses: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    log_marginals: tuple[np.ndarray, ...]
    log_marginals_2d: dict = field(default_factory=dict)
    log_density: np.ndarray | None = None
    loss_min: np.ndarray | None = None
    data: Data | None = None
    seconds: float = 0.0
    method: str = "grid"
    err_log_z: np.ndarray | None = None
    err_region_masses: np.ndarray | None = None
    err_mean: np.ndarray | None = None
    err_cov: np.ndarray | None = None
    tol: float = TOL
    warnings: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)

    @property
    def err_free_energy(self) -> np.ndarray | None:
        """Estimated absolute error of F_n (the same as of log Z_n)."""
        return self.err_log_z

    def as_dict(self) -> dict:
        """Scalars and per-n summaries, JSON-ready (no marginals or density)."""
        def lst(a):
            return None if a is None else np.asarray(a).tolist()
        return {"model": self.model_name, "ns": lst(self.ns), "beta": self.beta,
                "method": self.method, "free_energy": lst(self.free_energy),
                "err_free_energy": lst(self.err_log_z),
                "region_masses": {r: lst(m) for r, m in self.region_masses.items()},
                "err_region_masses": lst(self.err_region_masses),
                "mean": lst(self.mean), "err_mean": lst(self.err_mean), "cov": lst(self.cov),
                "err_cov": lst(self.err_cov), "tol": self.tol,
                "warnings": list(self.warnings), "settings": dict(self.settings),
                "seconds": self.seconds}

    @property
    def region_masses(self) -> dict[str, np.ndarray]:
        """{region name: posterior mass per n}."""
        return {r: np.exp(lm) for r, lm in zip(self.region_names, self.region_log_masses)}

    def region_free_energy(self, name: str) -> np.ndarray:
        """Local free energy F_n(W_α) = −log ∫_{W_α} φ e^{−nβL_n} = F_n − log mass_α."""
        i = self._region_index(name)
        return self.free_energy - self.region_log_masses[i]

    @property
    def dominant_region(self) -> list[str | None]:
        """Name of the region holding most posterior mass, per n."""
        if not self.region_names:
            return [None] * len(self.ns)
        return [self.region_names[i] for i in np.argmax(self.region_log_masses, axis=0)]

    def marginal(self, axis: int) -> tuple[np.ndarray, np.ndarray]:
        """(nodes, density per n) of the 1-D marginal of parameter ``axis``."""
        return self.grid.nodes[axis], np.exp(self.log_marginals[axis])

    @property
    def density(self) -> np.ndarray | None:
        return None if self.log_density is None else np.exp(self.log_density)

    def _region_index(self, name: str) -> int:
        if name not in self.region_names:
            raise ValueError(f"region must be one of {list(self.region_names)}, got {name!r}")
        return self.region_names.index(name)


# --------------------------------------------------------------------------------- engine
def _check_x64() -> None:
    if not jax.config.jax_enable_x64:
        raise RuntimeError("the exact posterior needs float64: import slt_sim without "
                           "SLT_SIM_X64=0, or call jax.config.update('jax_enable_x64', True)")


def _plan(grid: QuadratureGrid, n_chunk_max: int, values: int) -> tuple[int, int, int]:
    """Rows of axis 0 per block, number of blocks and n values per chunk."""
    rest = int(np.prod(grid.shape[1:], dtype=np.int64)) if grid.dim > 1 else 1
    rows = max(1, min(grid.shape[0], (values // max(1, n_chunk_max)) // rest))
    blocks = -(-grid.shape[0] // rows)
    chunk = max(1, min(n_chunk_max, values // (rows * rest)))
    return rows, blocks, chunk


#: a block whose sum (of a region, or of all its points) falls below this relative to its shift
#: bound is recomputed with the exact maximum (the bound was loose, e.g. a sharp prior)
_LOOSE = float(np.exp(-200.0))


class _BlockStats(NamedTuple):
    """Sums of one block of grid rows for C values of n, relative to the block's shift ``m``.

    Shapes are for one block (``jax.lax.map`` over blocks adds a leading axis); d = dim,
    ``rows`` = grid rows of axis 0 per block, size_i = nodes on axis i, R = regions.
    """

    m: jax.Array            # (C,) the block's common shift M (0 where the block is empty)
    s0: jax.Array           # (C,) Σ e: the block's share of Z_n, times e^{−M}
    s1: jax.Array           # (C, d) Σ e·w_i (first moments)
    s2: jax.Array           # (C, d, d) Σ e·w_i w_j (second moments)
    ax: tuple               # d arrays: log Σ e over all axes but i; (C, rows), (C, size_1), ...
    pairs: tuple            # one per (i, j) in ``pairs``: log 2-D sums, (C, rows or size_i, size_j)
    lreg: jax.Array | None  # (C, R) log of each region's sum (None without regions)
    flag: jax.Array         # () True: recompute this block with exact maxima
    lmin: jax.Array         # (C,) min L over the block's points
    prior: jax.Array        # () log Σ φ·q (the box's prior mass)
    u: jax.Array | None     # (C, rows, size_1, ...) log φ − nβL (keep_density only)


def _pick(seg, table, n_seg):
    """table[..., seg_i] for every point i, by a chain of selects (seg: (B,) ints < n_seg)."""
    out = table[..., n_seg - 1:n_seg]
    for s in range(n_seg - 2, -1, -1):
        out = jnp.where(seg == s, table[..., s:s + 1], out)
    return out


@partial(jax.jit, static_argnames=("energy", "log_prior", "regions", "rows", "exact",
                                   "keep_density", "pairs"))
def _sweep_chunk(ns, beta, nodes, logw, lpax, data, block_ids, *, energy, log_prior, regions,
                 rows, exact, keep_density, pairs):
    """:class:`_BlockStats` of the blocks ``block_ids`` (rows of axis 0) for one chunk of n.

    The log-space shift (the one description of it). Layout: (n values, grid points). The
    points of a block fall into segments — the first region that contains the point, or none —
    and each segment s has its own shift M_s, so that

        e = exp(log φ + log q − nβL − M_s) ≤ 1

    is one exp per (n, point): no overflow, and every region's sum is taken relative to its own
    shift (a region e^-2000 below another stays finite). With ``exact=False`` the shift is an
    upper bound that costs O(points + n): max(log φ + log q) − nβ·min K over the segment for
    potentials, with K and the prior folded into per-point terms α = c − max c ≤ 0 and
    κ = K − min K ≥ 0 (materialised once, not per n), so the exp needs no max pass; for data
    models the min of nβL_n over the segment. ``flag`` marks blocks where a sum fell below
    e^-200 of its bound (a loose bound, e.g. a sharp prior) or regions overlap; the caller
    recomputes those with ``exact=True``: exact per-segment maxima and a log-sum-exp per region,
    so every result is exact to rounding.

    Rescaled by exp(M_s − max_s M_s) to the block's common shift M, the same e give log Z,
    moments and marginals: row sums, coordinate-weighted row sums and column sums of the
    tensor-grid block (no dense feature matrix), combined with the nodes afterwards;
    :func:`_combine` brings the blocks to one shift per n.
    """
    dim = len(nodes)
    size0 = nodes[0].shape[0]
    rest_shape = tuple(x.shape[0] for x in nodes[1:])
    n_reg = len(regions)
    n_seg = n_reg + 1
    bn = beta * ns                                                          # (C,)

    def log_of_sums(x, shift):
        return jnp.where(x > 0, jnp.log(jnp.where(x > 0, x, 1.0)) + shift, -jnp.inf)

    def one_block(b):
        idx = b * rows + jnp.arange(rows)
        valid = idx < size0
        idx = jnp.minimum(idx, size0 - 1)
        x0 = nodes[0][idx]
        axes_nodes = (x0,) + tuple(nodes[1:])
        axes_logw = (jnp.where(valid, logw[0][idx], -jnp.inf),) + tuple(logw[1:])
        coords = [m.reshape(-1) for m in jnp.meshgrid(*axes_nodes, indexing="ij")]
        pts = jnp.stack(coords, axis=-1)                                    # (B, d)
        pts_t = jnp.stack(coords, axis=0)       # (d, B): per-point functions vmap over axis 1
        lq = sum(jnp.meshgrid(*axes_logw, indexing="ij")).reshape(-1)     # (B,)
        if lpax is None:                        # a general prior: evaluated at every point
            lp = log_prior(pts)                                             # (B,)
        else:                                   # a product prior: per-axis terms, traced
            lp = sum(jnp.meshgrid(lpax[0][idx], *lpax[1:], indexing="ij")).reshape(-1)
        c = lp + lq
        c = jnp.where(jnp.isnan(c), -jnp.inf, c)
        live = c > -jnp.inf
        en, lmin = energy(pts, pts_t, ns, data)  # potentials: K (B,); data: n L_n (C, B)
        potential = en.ndim == 1
        nbl = bn[:, None] * en[None, :] if potential else beta * en        # nβL (C, B)

        if regions:
            masks = jnp.stack([jnp.broadcast_to(jax.vmap(r, in_axes=1)(pts_t), pts.shape[:1])
                               for r in regions], axis=-1)                  # (B, R)
            seg = jnp.where(jnp.any(masks, axis=1), jnp.argmax(masks, axis=1), n_reg)
        else:
            seg = jnp.zeros(pts.shape[:1], jnp.int32)
        c, en, seg = jax.lax.optimization_barrier((c, en, seg))
        in_seg = [seg == s for s in range(n_seg)]

        def log_terms():                        # log φ + log q − nβL per (n, point), NaN → −inf
            a = c[None, :] - nbl
            return jnp.where(jnp.isnan(a), -jnp.inf, a)

        if exact:
            a = log_terms()
            mseg = jnp.stack([jnp.max(jnp.where(m[None, :], a, -jnp.inf), axis=1)
                              for m in in_seg], axis=1)                     # (C, S)
            e = jnp.exp(a - _pick(seg, jnp.where(jnp.isfinite(mseg), mseg, 0.0), n_seg))
        else:
            cmax = jnp.stack([jnp.max(jnp.where(m & live, c, -jnp.inf)) for m in in_seg])
            if potential:
                kmin = jnp.stack([jnp.min(jnp.where(m & live, en, jnp.inf)) for m in in_seg])
                ok = jnp.isfinite(cmax) & jnp.isfinite(kmin)               # (S,)
                cm, km = jnp.where(ok, cmax, 0.0), jnp.where(ok, kmin, 0.0)
                mseg = jnp.where(ok[None, :], cm[None, :] - bn[:, None] * km[None, :],
                                 -jnp.inf)
                ok_pt = _pick(seg, ok, n_seg)
                alpha = jnp.where(ok_pt & live, c - _pick(seg, cm, n_seg), -jnp.inf)   # ≤ 0
                kappa = jnp.where(ok_pt & (en < jnp.inf), en - _pick(seg, km, n_seg),
                                  jnp.inf)                                             # ≥ 0
                alpha, kappa = jax.lax.optimization_barrier((alpha, kappa))
                e = jnp.exp(alpha[None, :] - bn[:, None] * kappa[None, :])
            else:
                emin = jnp.stack([jnp.min(jnp.where((m & live)[None, :], nbl, jnp.inf),
                                          axis=1) for m in in_seg], axis=1)   # (C, S)
                mseg = cmax[None, :] - emin
                mseg = jnp.where(jnp.isfinite(mseg), mseg, -jnp.inf)
                a = log_terms()
                e = jnp.exp(a - _pick(seg, jnp.where(jnp.isfinite(mseg), mseg, 0.0), n_seg))

        m = jnp.max(mseg, axis=1)
        m_safe = jnp.where(jnp.isfinite(m), m, 0.0)
        if n_seg > 1:
            sig = jnp.where(jnp.isfinite(mseg), jnp.exp(mseg - m_safe[:, None]), 0.0)
            ec = e * _pick(seg, sig, n_seg)                                 # common shift
        else:
            ec = e
        g = ec.reshape((-1, rows) + rest_shape)                              # (C, rows, ...)
        x = jnp.where(valid, x0, 0.0)
        if dim == 1:
            r = [g]
        else:
            rest_nodes = [nodes[i].reshape((-1,) + (1,) * (dim - 1 - i)) for i in range(1, dim)]
            inner = tuple(range(2, dim + 1))
            r = [jnp.sum(g, axis=inner)] + [jnp.sum(g * w, axis=inner) for w in rest_nodes]
            r = jax.lax.optimization_barrier(r)   # keeps XLA from redoing sum(r) as a full pass
        s0 = jnp.sum(r[0], axis=1)
        s1 = [r[0] @ x] + [jnp.sum(ri, axis=1) for ri in r[1:]]
        s2 = [[None] * dim for _ in range(dim)]
        s2[0][0] = r[0] @ (x * x)
        for i in range(1, dim):
            s2[0][i] = s2[i][0] = r[i] @ x
        ax = [log_of_sums(r[0], m_safe[:, None])]
        if dim == 2:
            q1 = jax.lax.optimization_barrier(jnp.sum(g, axis=1))          # (C, n1)
            s2[1][1] = q1 @ (nodes[1] * nodes[1])
            ax.append(log_of_sums(q1, m_safe[:, None]))
        elif dim == 3:
            p = jax.lax.optimization_barrier(jnp.sum(g, axis=1))           # (C, n1, n2)
            q1, q2 = jnp.sum(p, axis=2), jnp.sum(p, axis=1)
            s2[1][1] = q1 @ (nodes[1] * nodes[1])
            s2[2][2] = q2 @ (nodes[2] * nodes[2])
            s2[1][2] = s2[2][1] = jnp.einsum("cjk,j,k->c", p, nodes[1], nodes[2])
            ax += [log_of_sums(q1, m_safe[:, None]), log_of_sums(q2, m_safe[:, None])]
        pair_sums = []
        for i, j in pairs:
            if dim == 2:
                pair_sums.append(jnp.where(g > 0, log_terms().reshape(g.shape), -jnp.inf))
            else:
                other = 4 - i - j                                           # axis of g summed
                sm = p if other == 1 else jnp.sum(g, axis=other)
                pair_sums.append(log_of_sums(sm, m_safe.reshape(-1, 1, 1)))
        flag = jnp.any(jnp.isfinite(m) & (s0 < _LOOSE))
        lreg = None
        if regions and exact:
            lreg = jax.scipy.special.logsumexp(                                 # (C, R), exact
                jnp.where(masks.T[None], log_terms()[:, None, :], -jnp.inf), axis=2)
        elif regions:
            onehot = jnp.stack(in_seg[:n_reg], axis=1).astype(e.dtype)     # (B, R)
            zreg = jnp.dot(e, onehot, precision="highest")                  # (C, R)
            lreg = log_of_sums(zreg, mseg[:, :n_reg])
            flag = flag | jnp.any(jnp.isfinite(mseg[:, :n_reg]) & (zreg < _LOOSE)) \
                | jnp.any(jnp.sum(masks, axis=1) > 1)                       # regions overlap
        return _BlockStats(
            m=m_safe, s0=s0, s1=jnp.stack(s1, axis=-1),
            s2=jnp.stack([jnp.stack(row, axis=-1) for row in s2], axis=-2),
            ax=tuple(ax), pairs=tuple(pair_sums), lreg=lreg, flag=flag, lmin=lmin,
            prior=jax.scipy.special.logsumexp(lp + lq),
            u=(lp[None, :] - nbl).reshape((-1, rows) + rest_shape) if keep_density else None)

    return jax.lax.map(one_block, block_ids)


def _potential_energy(potential):
    def energy(pts, pts_t, ns, data):
        k = jax.vmap(potential, in_axes=1)(pts_t)
        k = jnp.where(jnp.isnan(k), jnp.inf, k)
        return k, jnp.broadcast_to(jnp.min(k), ns.shape)
    return energy


def _data_energy(loss, chunk):
    """n L_n(w) for nested prefixes of the data, by a scan over data chunks."""
    def energy(pts, pts_t, ns, data):
        x, y = data
        n_data = x.shape[0]
        steps = -(-n_data // chunk)
        pad = steps * chunk - n_data
        xp = jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)]).reshape((steps, chunk)
                                                                           + x.shape[1:])
        yp = jnp.concatenate([y, jnp.repeat(y[-1:], pad, axis=0)]).reshape((steps, chunk)
                                                                           + y.shape[1:])
        per_point = jax.vmap(jax.vmap(loss, in_axes=(None, 0, 0)), in_axes=(0, None, None))
        ns_int = ns.astype(jnp.int64)

        def step(acc, inp):
            s, xc, yc = inp
            ls = per_point(pts, xc, yc)                                     # (B, chunk)
            csum = jnp.concatenate([jnp.zeros((ls.shape[0], 1)), jnp.cumsum(ls, axis=1)], 1)
            take = jnp.clip(ns_int - s * chunk, 0, chunk)                  # (C,)
            return acc + csum[:, take], None

        acc0 = jnp.zeros((pts.shape[0], ns.shape[0]))
        acc, _ = jax.lax.scan(step, acc0, (jnp.arange(steps), xp, yp))
        acc = jnp.where(jnp.isnan(acc), jnp.inf, acc)
        return acc.T, jnp.min(acc, axis=0) / ns
    return energy


#: energy closures and potential gradients kept (least recently used dropped first)
_ENERGY_CACHE_SIZE = 32


@functools.lru_cache(maxsize=_ENERGY_CACHE_SIZE)
def _energy_closure(fn: Callable, is_potential: bool, data_chunk: int):
    """The energy closure of a potential or per-sample loss ``fn``. Keyed on ``fn``, not on the
    model: the same closure object lets jit reuse its compiled sweep — across calls, and across
    models that differ only in their prior (a PhaseExplorer prior move)."""
    return _potential_energy(fn) if is_potential else _data_energy(fn, data_chunk)


def _energy_for(model: Model, data_chunk: int):
    fn = model.potential if model.is_potential else model.loss
    return _energy_closure(fn, model.is_potential, data_chunk)


def _axis_log_prior(prior, grid: QuadratureGrid):
    """Per-axis log densities (log φ_i at the nodes of axis i) when φ is a product, else None.

    A product prior — NumPyro's ``Independent`` over d independent coordinates (``Uniform``,
    ``Normal``, … ``.to_event(1)``), or a prior with a ``log_prob_axes`` method — enters the
    sweep as traced arrays, like the quadrature weights: a new prior then needs no
    recompilation, and log φ costs nothing per point.
    """
    d = grid.dim
    if hasattr(prior, "log_prob_axes"):
        per_coord = prior.log_prob_axes
    elif isinstance(prior, dist.Independent) and prior.reinterpreted_batch_ndims == 1 \
            and tuple(prior.base_dist.batch_shape) == (d,) and not prior.base_dist.event_shape:
        per_coord = prior.base_dist.log_prob
    else:
        return None
    out = []
    for i, x in enumerate(grid.nodes):
        pts = jnp.zeros((len(x), d)).at[:, i].set(jnp.asarray(x))
        out.append(jnp.asarray(per_coord(pts))[:, i])
    return tuple(out)


def exact_posterior(model: Model, ns, *, beta: float = 1.0, data: Data | None = None,
                    key: jax.Array | None = None, grid: QuadratureGrid | None = None,
                    keep_density: bool | None = None, marginals_2d: bool | None = None,
                    max_points: int = MAX_GRID_POINTS,
                    max_density_values: int = MAX_DENSITY_VALUES, tol: float = TOL,
                    method: str = "auto", max_cells: int | None = None) -> ExactPosterior:
    r"""Exact tempered posterior p_n^β(w) ∝ φ(w) e^{−nβ L_n(w)} on a grid, for every n in ``ns``.

    Args:
      model: a catalogue :class:`~slt_sim.models.Model` with ``dim ≤ 3``.
      ns: data counts n (a number or a sequence; any positive reals for potentials — n = 1e12 is
        fine — and whole numbers ≤ the data size for data models).
      beta: inverse temperature β > 0 (β = 1: Bayes; β = 1/log n: WBIC).
      data: for data models, the data set (the posterior at n uses its first n samples).
        When omitted, ``max(ns)`` samples are drawn from the truth with ``key``.
      key: ``jax.random`` key for sampling data (data models without ``data``).
      grid: quadrature grid (default: :func:`~slt_sim.posterior.grid.default_grid`, graded
        toward the model's zero set).
      keep_density: keep the full log density (n, *grid.shape); default: when it has at most
        ``max_density_values`` values.
      marginals_2d: compute 2-D marginals of every pair of parameters (default: when small).
      max_points: refuse grids with more points than this (time, not memory, is the limit).
      tol: tolerance of the estimated quadrature error: absolute in log Z_n (≈ relative in Z_n)
        and in region masses; the mean (relative to the posterior sd) and the covariance
        (relative to the variances) are checked at 10·tol. Results above it carry a warning.
      method: "auto" (default): the tensor grid, and — for potentials on the default grid —
        the adaptive cubature of :mod:`slt_sim.posterior.adaptive` whenever the grid's own
        error estimate exceeds ``tol`` (a zero set that is slanted, curved or off the axes);
        "grid": the tensor grid only; "adaptive": always refine adaptively (potentials).
      max_cells: cap on the cells the adaptive cubature evaluates (default by dimension:
        ``adaptive.MAX_CELLS``); past it the result carries its (large) error and a warning.

    Returns:
      :class:`ExactPosterior` with log Z_n, F_n, region masses, mean, covariance, marginals,
      and the estimated error of each (``err_log_z``, ``err_region_masses``, ``err_mean``,
      ``err_cov``).
    """
    _check_x64()
    v.model(model)
    if model.dim > 3:
        raise ValueError(
            f"the exact posterior uses grid quadrature and supports dim <= 3; {model.name} has "
            f"{model.dim} parameters: use sample_posterior (NUTS) or estimate_llc (SGLD)")
    ns = v.data_counts("ns", ns)
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
    tol = v.as_float("tol", tol, lo=0.0, lo_open=True)
    if method not in ("auto", "grid", "adaptive"):
        raise ValueError(f"method must be 'auto', 'grid' or 'adaptive', got {method!r}")
    if method == "adaptive" and not model.is_potential:
        raise ValueError(f"method='adaptive' supports potentials; {model.name} is a data model: "
                         f"use method='grid' or 'auto'")
    if max_cells is not None:
        max_cells = v.as_int("max_cells", max_cells, lo=1)
    default = grid is None
    grid = default_grid(model) if grid is None else grid
    if not isinstance(grid, QuadratureGrid):
        raise TypeError(f"grid must be a QuadratureGrid, got {type(grid).__name__}")
    if grid.dim != model.dim:
        raise ValueError(f"grid has {grid.dim} axes but {model.name} has {model.dim} parameters")
    max_points = v.as_int("max_points", max_points, lo=1)
    if grid.size > max_points:
        raise ValueError(f"grid has {grid.size:,} points, more than max_points={max_points:,}: "
                         f"use fewer points per axis (or raise max_points)")
    if keep_density is None:
        keep_density = grid.size * len(ns) <= max_density_values
    elif keep_density and grid.size * len(ns) > max_density_values:
        raise ValueError(
            f"keep_density=True needs {grid.size * len(ns):,} values "
            f"({grid.size * len(ns) * 8 / 2**30:.1f} GiB) for {grid.size:,} grid points × "
            f"{len(ns)} n values, more than max_density_values={max_density_values:,}: use fewer "
            f"n values or grid points, or keep_density=False")
    pairs = tuple(combinations(range(model.dim), 2))
    if marginals_2d is None:
        marginals_2d = sum(grid.shape[i] * grid.shape[j] for i, j in pairs) * len(ns) \
            <= max_density_values
    pairs = pairs if marginals_2d else ()

    if model.is_potential:
        data_arg = None
        data_chunk = 0
    else:
        if np.any(ns != np.round(ns)):
            raise ValueError(f"ns must be whole numbers for the data model {model.name}, "
                             f"got {ns[ns != np.round(ns)][0]:g}")
        if data is None:
            if key is None:
                raise ValueError(f"{model.name} is a data model: pass data, or key to sample "
                                 f"max(ns) = {int(ns.max())} samples from the truth")
            data = model.sample_data(key, int(ns.max()))
        if not isinstance(data, Data):
            data = Data(*data)
        if ns.max() > data.n:
            raise ValueError(f"ns must be <= the number of samples in data ({data.n}), "
                             f"got {ns.max():g}")
        data_arg = (jnp.asarray(data.x), jnp.asarray(data.y))

    t0 = time.perf_counter()
    values = _BLOCK_VALUES or (1 << 20 if jax.default_backend() == "cpu" else 1 << 24)
    rows, blocks, chunk = _plan(grid, min(len(ns), 64), values)
    if not model.is_potential:
        data_chunk = max(1, values // (rows * int(np.prod(grid.shape[1:], dtype=np.int64))))
        data_chunk = min(data_chunk, data.n)
    energy = _energy_for(model, data_chunk)
    regions = tuple(r.contains for r in model.regions)
    nodes = tuple(jnp.asarray(x) for x in grid.nodes)
    logw = tuple(jnp.asarray(x) for x in grid.log_weights)
    lpax = _axis_log_prior(model.prior, grid)
    log_prior = None if lpax is not None else model.log_prior

    parts = []
    for start in range(0, len(ns), chunk):
        ns_c = ns[start:start + chunk]
        padded = np.concatenate([ns_c, np.full(chunk - len(ns_c), ns_c[-1])])
        sweep = partial(_sweep_chunk, jnp.asarray(padded), beta, nodes, logw, lpax, data_arg,
                        energy=energy, log_prior=log_prior, regions=regions, rows=rows,
                        keep_density=keep_density, pairs=pairs)
        stats = jax.tree_util.tree_map(np.asarray, sweep(jnp.arange(blocks), exact=False))
        redo = np.flatnonzero(stats.flag)
        if redo.size:           # loose shift bound or overlapping regions: exact maxima there
            ids = np.resize(redo, 1 << int(np.ceil(np.log2(redo.size))))   # few shapes
            fixed = sweep(jnp.asarray(ids), exact=True)
            stats = jax.tree_util.tree_map(partial(_replace_blocks, ids), stats, fixed)
        parts.append(_combine(stats, len(ns_c), grid, pairs, keep_density))
    res = {k: (np.concatenate([p[k] for p in parts], axis=0) if k != "prior" else parts[0][k])
           for k in parts[0] if k not in ("pairs",)}
    pair_out = {pq: np.concatenate([p["pairs"][pq] for p in parts], axis=0) for pq in pairs}

    log_prior_mass = float(res["prior"])
    log_z = res["log_z_raw"] - log_prior_mass
    marg = tuple(res[f"ax{i}"] for i in range(model.dim))
    out = dict(log_z=log_z, log_prior_mass=log_prior_mass, mean=res["mean"], cov=res["cov"],
               reg=res["reg"].T if model.regions else np.zeros((0, len(ns))),
               marg=marg, pairs=pair_out, density=res.get("u"))
    err = _grid_errors(grid, marg, res["mean"], res["cov"], len(model.regions))
    used, cells, capped = "grid", 0, False
    if method == "adaptive" or (method == "auto" and default and model.is_potential
                                and np.any(err["log_z"] > tol)):
        used = "adaptive"
        ad = adaptive.integrate(energy, model.log_prior, regions, grid.box, ns, beta, None,
                                tol=0.5 * tol, grad=_potential_grad(model.potential),
                                max_cells=max_cells)
        cells, capped = ad.cells_evaluated, ad.capped
        out, err = _from_adaptive(ad, out, res, grid, model, ns, beta, energy, pairs)
        res["lmin"] = np.minimum(res["lmin"], _polish_min(model, ad))
    msgs = _error_messages(err, out, ns, tol, used, capped, default, model, cells, max_cells)
    emit(msgs, QuadratureWarning, stacklevel=2)
    return ExactPosterior(
        model_name=model.name, ns=ns, beta=beta, grid=grid, log_z=out["log_z"],
        free_energy=-out["log_z"], log_prior_mass=out["log_prior_mass"],
        region_names=model.region_names, region_log_masses=out["reg"],
        mean=out["mean"], cov=out["cov"], log_marginals=out["marg"],
        log_marginals_2d=out["pairs"], log_density=out["density"], loss_min=res["lmin"],
        data=None if model.is_potential else data, seconds=time.perf_counter() - t0,
        method=used, err_log_z=err["log_z"], err_region_masses=err["reg"],
        err_mean=err["mean"], err_cov=err["cov"], tol=tol, warnings=tuple(msgs),
        settings={"method": used, "requested": method, "grid_shape": list(grid.shape),
                  "cells_evaluated": cells, "capped": capped, "tol": tol})


def _grid_errors(grid, marg, mean, cov, n_reg) -> dict:
    """Error estimates of the tensor grid from null rules on its 1-D marginals (see
    :func:`~slt_sim.posterior.grid.marginal_null_error`): log Z gets the sum over axes; the
    mean and variance of axis i the null rule of (x − mean_i)·mass and (x − mean_i)²·mass along
    it plus their share of the error of Z; off-diagonal covariances √(err_ii err_jj)."""
    d = grid.dim
    mass = [np.exp(marg[i] + grid.log_weights[i][None, :]) for i in range(d)]   # (n, size)
    e_z = [marginal_null_error(grid, i, mass[i]) for i in range(d)]
    err_z = np.sum(e_z, axis=0)
    err_mean = np.zeros_like(mean)
    err_var = np.zeros_like(mean)
    for i in range(d):
        x = grid.nodes[i][None, :] - mean[:, i:i + 1]
        err_mean[:, i] = marginal_null_error(grid, i, mass[i] * x)
        err_var[:, i] = marginal_null_error(grid, i, mass[i] * x * x) \
            + err_z * np.abs(cov[:, i, i])
    err_cov = np.sqrt(err_var[:, :, None] * err_var[:, None, :])
    err_reg = np.broadcast_to(err_z, (n_reg, len(err_z))).copy()
    return {"log_z": err_z, "mean": err_mean, "cov": err_cov, "reg": err_reg}


@functools.lru_cache(maxsize=_ENERGY_CACHE_SIZE)
def _potential_grad(potential: Callable):
    """∇K for the adaptive hidden-minimum test, one function per potential so jit reuses its
    compiled cell kernel."""
    return jax.grad(potential)


def _polish_min(model: Model, ad) -> float:
    """min K: the adaptive cells' best node, polished by a bounded quasi-Newton descent (the
    zero set lies between nodes; n·min K enters free-energy slopes at n up to 1e8 and more)."""
    if ad.argmin is None or not np.isfinite(ad.k_min):
        return float(ad.k_min)
    from scipy.optimize import minimize
    fn = jax.jit(jax.value_and_grad(model.potential))

    def f(w):
        val, g = fn(jnp.asarray(w))
        return float(val), np.asarray(g, dtype=float)

    try:
        opt = minimize(f, np.asarray(ad.argmin, dtype=float), jac=True, method="L-BFGS-B",
                       bounds=list(model.box), options={"ftol": 1e-300, "gtol": 1e-300,
                                                        "maxiter": 200})
        return float(min(ad.k_min, opt.fun)) if np.isfinite(opt.fun) else float(ad.k_min)
    except (ValueError, FloatingPointError):
        return float(ad.k_min)


def _from_adaptive(ad, out, res, grid, model, ns, beta, energy, pairs):
    """Replace the grid's sums by the adaptive cubature's; the display marginals are the
    adaptive masses binned onto the grid's cells and the density on the grid nodes is the
    pointwise φ e^{−nβL} renormalised by the adaptive Z_n."""
    log_z_raw = ad.log_z[1:]
    new = dict(out)
    new["log_prior_mass"] = float(ad.log_z[0])
    new["log_z"] = log_z_raw - ad.log_z[0]
    new["mean"], new["cov"] = ad.mean[1:], ad.cov[1:]
    with np.errstate(divide="ignore"):
        new["reg"] = np.log(np.clip(ad.reg[1:], 0.0, None)).T
        edges = [grid.cell_edges(i) for i in range(grid.dim)]
        axes, two = adaptive.binned_masses(ad, energy, model.log_prior, ns, beta, None, edges,
                                           pairs)
        new["marg"] = tuple(np.log(a) - grid.log_weights[i][None, :]
                            for i, a in enumerate(axes))
        new["pairs"] = {(i, j): np.log(two[(i, j)]) - grid.log_weights[i][None, :, None]
                        - grid.log_weights[j][None, None, :] for i, j in pairs}
    if out["density"] is not None:
        shift = (res["log_z_raw"] - log_z_raw).reshape((-1,) + (1,) * grid.dim)
        new["density"] = out["density"] + shift
    err = {"log_z": ad.err_log_z[1:], "mean": ad.err_mean[1:], "cov": ad.err_cov[1:],
           "reg": ad.err_reg[1:].T}
    return new, err


#: moments are checked at this multiple of tol (relative to sd and variance): their estimates
#: bound the integrands cell by cell and are looser than that of Z
_MOMENT_TOL_FACTOR = 10.0


def _error_messages(err, out, ns, tol, used, capped, default, model, cells, max_cells):
    """Plain-language warnings where an estimated error exceeds ``tol``."""
    msgs = []
    sd = np.sqrt(np.clip(np.diagonal(out["cov"], axis1=1, axis2=2), 0.0, None))   # (n, d)
    var = sd[:, :, None] * sd[:, None, :]
    bad_z = err["log_z"] > tol
    mtol = _MOMENT_TOL_FACTOR * tol
    bad_m = np.any(err["mean"] > mtol * np.maximum(sd, 1e-300), axis=1) \
        | np.any(err["cov"] > mtol * np.maximum(var, 1e-300), axis=(1, 2))
    bad_r = np.any(err["reg"] > tol, axis=0) if err["reg"].size else np.zeros(len(ns), bool)
    what = [(bad_z, "log Z_n (F_n)"), (bad_r, "region masses"), (bad_m, "mean/covariance")]
    parts = [f"{name} at n = {', '.join(f'{n:g}' for n in ns[bad][:4])}"
             + (" …" if bad.sum() > 4 else "") for bad, name in what if np.any(bad)]
    if not parts:
        return msgs
    worst = float(np.max(err["log_z"]))
    if used == "adaptive":
        cap = max_cells or adaptive.MAX_CELLS.get(model.dim)
        advice = (f"the adaptive cubature stopped at its cell cap after {cells:,} cells "
                  f"(max_cells={cap:,}): raise max_cells (memory grows with it), use a "
                  "smaller range of n, or a looser tol" if capped else
                  "raise max_cells or loosen tol")
    elif default and model.is_potential:
        advice = "pass method='adaptive'"
    elif not model.is_potential:
        advice = ("use a finer grid (graded_grid with a smaller min_width or more panels) or "
                  "a smaller range of n")
    else:
        advice = ("use a finer grid (more points per axis, or graded_grid toward the zero "
                  "set), drop the grid argument (the default switches to adaptive cubature), "
                  "or pass method='adaptive'")
    msgs.append(f"{model.name}: the estimated quadrature error exceeds tol={tol:g} for "
                f"{'; '.join(parts)} (largest error of log Z: {worst:.2g}, method "
                f"{used!r}); the numbers may be off by that much: {advice}")
    return msgs


def _replace_blocks(ids: np.ndarray, old: np.ndarray, new) -> np.ndarray:
    """``old`` with the blocks ``ids`` (leading axis) replaced by ``new``."""
    out = np.array(old)
    out[ids] = np.asarray(new)
    return out


def _combine(out: _BlockStats, k: int, grid: QuadratureGrid, pairs, keep_density: bool) -> dict:
    """Reduce per-block statistics of one n-chunk to per-n results (first k columns).

    Every field of ``out`` has a leading block axis: (blocks, C, ...), C values of n.
    """
    dim = grid.dim
    m = out.m[:, :k]                                           # (blocks, C)
    s0 = out.s0[:, :k]
    m_eff = np.where(s0 > 0, m, -np.inf)
    big = np.max(m_eff, axis=0)                                # (C,)
    big = np.where(np.isfinite(big), big, 0.0)
    scale = np.where(s0 > 0, np.exp(m - big), 0.0)            # (blocks, C)
    z = np.sum(s0 * scale, axis=0)
    with np.errstate(divide="ignore"):
        log_z_raw = big + np.log(z)
    mean = np.einsum("bc,bci->ci", scale, out.s1[:, :k]) / z[:, None]
    second = np.einsum("bc,bcij->cij", scale, out.s2[:, :k]) / z[:, None, None]
    cov = second - mean[:, :, None] * mean[:, None, :]
    res = {"log_z_raw": log_z_raw, "mean": mean, "cov": cov,
           "lmin": np.min(out.lmin[:, :k], axis=0),
           "prior": _lse(out.prior, axis=0)}
    if out.lreg is not None:
        res["reg"] = _lse(out.lreg[:, :k], axis=0) - log_z_raw[:, None]        # (C, R)
    size0 = grid.shape[0]
    lz = log_z_raw[:, None]
    # axis 0: rows are spread over blocks -> concatenate; other axes: log-sum-exp over blocks
    ax0 = np.moveaxis(out.ax[0][:, :k], 1, 0).reshape(k, -1)[:, :size0]     # (C, size0)
    res["ax0"] = ax0 - grid.log_weights[0][None, :] - lz
    for i in range(1, dim):
        axi = _lse(out.ax[i][:, :k], axis=0)                                 # (C, size_i)
        res[f"ax{i}"] = axi - grid.log_weights[i][None, :] - lz
    pair_res = {}
    for (i, j), arr in zip(pairs, out.pairs):
        arr = arr[:, :k]                                                     # (blocks, C, ., .)
        if i == 0:
            arr = np.moveaxis(arr, 1, 0)
            arr = arr.reshape((k, -1) + arr.shape[3:])[:, :size0]
        else:
            arr = _lse(arr, axis=0)
        lw = grid.log_weights[i][None, :, None] + grid.log_weights[j][None, None, :]
        pair_res[(i, j)] = arr - lw - lz[:, :, None]
    res["pairs"] = pair_res
    if keep_density:
        u = np.moveaxis(out.u[:, :k], 1, 0)                                  # (C, blocks, rows..)
        u = u.reshape((k, -1) + u.shape[3:])[:, :size0]
        res["u"] = u - log_z_raw.reshape((k,) + (1,) * dim)
    return res


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def log_density_at(model: Model, w, n: float, *, beta: float = 1.0,
                   data: Data | None = None) -> jax.Array:
    """Unnormalised log posterior log φ(w) − nβ L_n(w) at points ``w`` (…, d)."""
    w = v.model(model).check_param(w)
    n = v.as_float("n", n, lo=0.0)
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
    flat = w.reshape(-1, model.dim)
    ln = jax.vmap(lambda p: model.empirical_loss(p, data))(flat)
    return (model.log_prior(flat) - n * beta * ln).reshape(w.shape[:-1])


__all__ = ["ExactPosterior", "QuadratureWarning", "exact_posterior", "log_density_at"]
