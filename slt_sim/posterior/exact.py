r"""Exact posterior by grid quadrature (d ≤ 3), float64, for a whole sweep of n in one call.

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

Data models: the sweep uses nested data — the posterior at n conditions on the first n samples of
one data set (sampled from the truth with ``key`` when ``data`` is not given).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from ..models.base import Data, Model
from .grid import QuadratureGrid, default_grid

#: largest block of grid points × n values held at once (floats); None: by backend — 2^20 on
#: CPU (cache-sized, fastest there), 2^24 on accelerators (fewer, larger kernels)
_BLOCK_VALUES: int | None = None
#: default ceilings
MAX_GRID_POINTS = 2_000_000_000
MAX_DENSITY_VALUES = 50_000_000


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


@partial(jax.jit, static_argnames=("energy", "log_prior", "regions", "rows", "blocks",
                                   "keep_density", "pairs"))
def _sweep_chunk(ns, beta, nodes, logw, data, *, energy, log_prior, regions, rows, blocks,
                 keep_density, pairs):
    """Block statistics for one chunk of n values (see ExactPosterior for the meaning).

    Layout: (n values, grid points) so that every reduction runs over the contiguous axis; the
    moments and region sums are one matrix product of the weights with a feature matrix
    [1, w_i, w_i w_j (i ≤ j), region indicators].
    """
    dim = len(nodes)
    size0 = nodes[0].shape[0]
    rest_shape = tuple(x.shape[0] for x in nodes[1:])
    upper = [(i, j) for i in range(dim) for j in range(i, dim)]
    n_reg = len(regions)

    def log_of_sums(x, shift):
        return jnp.where(x > 0, jnp.log(jnp.where(x > 0, x, 1.0)) + shift, -jnp.inf)

    def one_block(b):
        idx = b * rows + jnp.arange(rows)
        valid = idx < size0
        idx = jnp.minimum(idx, size0 - 1)
        axes_nodes = (nodes[0][idx],) + tuple(nodes[1:])
        axes_logw = (jnp.where(valid, logw[0][idx], -jnp.inf),) + tuple(logw[1:])
        mesh = jnp.meshgrid(*axes_nodes, indexing="ij")
        pts = jnp.stack([m.reshape(-1) for m in mesh], axis=-1)            # (B, d)
        lq = sum(jnp.meshgrid(*axes_logw, indexing="ij")).reshape(-1)     # (B,)
        lp = log_prior(pts)                                                 # (B,)
        nl, lmin = energy(pts, ns, data)                                    # (C, B), (C,)
        u = lp[None, :] - beta * nl                                         # log φ − nβL
        a = u + lq[None, :]
        a = jnp.where(jnp.isnan(a), -jnp.inf, a)
        m = jnp.max(a, axis=1)
        m_safe = jnp.where(jnp.isfinite(m), m, 0.0)
        e = jnp.exp(a - m_safe[:, None])                                    # the one exp pass
        feats = [jnp.ones_like(pts[:, :1]), pts] + \
            [(pts[:, i] * pts[:, j])[:, None] for i, j in upper]
        if regions:
            masks = jnp.stack([jnp.broadcast_to(jax.vmap(r)(pts), pts.shape[:1])
                               for r in regions], axis=-1)                          # (B, R)
            feats.append(masks.astype(e.dtype))
        sums = jnp.dot(e, jnp.concatenate(feats, axis=1), precision="highest")    # (C, k)
        s2 = [[None] * dim for _ in range(dim)]
        for col, (i, j) in enumerate(upper):
            s2[i][j] = s2[j][i] = sums[:, 1 + dim + col]
        out = {
            "m": m_safe, "s0": sums[:, 0], "s1": sums[:, 1:1 + dim],
            "s2": jnp.stack([jnp.stack(row, axis=-1) for row in s2], axis=-2),
            "lmin": lmin,
            "prior": jax.scipy.special.logsumexp(lp + lq),
        }
        if regions:
            sreg = sums[:, -n_reg:]                                                 # (C, R)
            # a region whose mass underflows relative to the block maximum (e^-700 and less)
            # gets an exact per-region log-sum-exp instead, so region masses stay finite
            out["lreg"] = jax.lax.cond(
                jnp.any((sreg <= 0) & jnp.any(masks, axis=0)[None, :]),
                lambda: jax.scipy.special.logsumexp(
                    jnp.where(masks.T[None], a[:, None, :], -jnp.inf), axis=2),
                lambda: log_of_sums(sreg, m_safe[:, None]))
        grid_e = e.reshape((-1, rows) + rest_shape)                         # (C, rows, ...)
        shift = m_safe.reshape((-1,) + (1,) * 1)
        out["ax0"] = log_of_sums(jnp.sum(grid_e, axis=tuple(range(2, dim + 1))), shift)
        for i in range(1, dim):
            other = tuple(1 + j for j in range(dim) if j != i)
            out[f"ax{i}"] = log_of_sums(jnp.sum(grid_e, axis=other), shift)
        for i, j in pairs:
            other = tuple(1 + k for k in range(dim) if k not in (i, j))
            out[f"pair{i}{j}"] = (log_of_sums(jnp.sum(grid_e, axis=other),
                                              m_safe.reshape(-1, 1, 1)) if other
                                  else jnp.where(e > 0, a, -jnp.inf).reshape(grid_e.shape))
        if keep_density:
            out["u"] = u.reshape((-1, rows) + rest_shape)
        return out

    return jax.lax.map(one_block, jnp.arange(blocks))


def _potential_energy(potential):
    def energy(pts, ns, data):
        k = jax.vmap(potential)(pts)
        k = jnp.where(jnp.isnan(k), jnp.inf, k)
        return ns[:, None] * k[None, :], jnp.broadcast_to(jnp.min(k), ns.shape)
    return energy


def _data_energy(loss, chunk):
    """n L_n(w) for nested prefixes of the data, by a scan over data chunks."""
    def energy(pts, ns, data):
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


_ENERGY_CACHE: dict = {}


def _energy_for(model: Model, data_chunk: int):
    key = (id(model), data_chunk)
    if key not in _ENERGY_CACHE or _ENERGY_CACHE[key][0] is not model:
        fn = (_potential_energy(model.potential) if model.is_potential
              else _data_energy(model.loss, data_chunk))
        _ENERGY_CACHE[key] = (model, fn)
    return _ENERGY_CACHE[key][1]


def exact_posterior(model: Model, ns, *, beta: float = 1.0, data: Data | None = None,
                    key: jax.Array | None = None, grid: QuadratureGrid | None = None,
                    keep_density: bool | None = None, marginals_2d: bool | None = None,
                    max_points: int = MAX_GRID_POINTS,
                    max_density_values: int = MAX_DENSITY_VALUES) -> ExactPosterior:
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

    Returns:
      :class:`ExactPosterior` with log Z_n, F_n, region masses, mean, covariance, marginals.
    """
    _check_x64()
    if not isinstance(model, Model):
        raise TypeError(f"model must be an slt_sim Model, got {type(model).__name__}")
    if model.dim > 3:
        raise ValueError(
            f"the exact posterior uses grid quadrature and supports dim <= 3; {model.name} has "
            f"{model.dim} parameters: use sample_posterior (NUTS) or estimate_llc (SGLD)")
    ns = v.data_counts("ns", ns)
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
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

    parts = []
    for start in range(0, len(ns), chunk):
        ns_c = ns[start:start + chunk]
        padded = np.concatenate([ns_c, np.full(chunk - len(ns_c), ns_c[-1])])
        out = _sweep_chunk(jnp.asarray(padded), beta, nodes, logw, data_arg, energy=energy,
                           log_prior=model.log_prior, regions=regions, rows=rows, blocks=blocks,
                           keep_density=keep_density, pairs=pairs)
        out = jax.tree_util.tree_map(np.asarray, out)
        parts.append(_combine(out, len(ns_c), grid, pairs, keep_density))
    res = {k: (np.concatenate([p[k] for p in parts], axis=0) if k != "prior" else parts[0][k])
           for k in parts[0] if k not in ("pairs",)}
    pair_out = {pq: np.concatenate([p["pairs"][pq] for p in parts], axis=0) for pq in pairs}

    log_prior_mass = float(res["prior"])
    log_z = res["log_z_raw"] - log_prior_mass
    return ExactPosterior(
        model_name=model.name, ns=ns, beta=beta, grid=grid, log_z=log_z, free_energy=-log_z,
        log_prior_mass=log_prior_mass, region_names=model.region_names,
        region_log_masses=res["reg"].T if model.regions else np.zeros((0, len(ns))),
        mean=res["mean"], cov=res["cov"], log_marginals=tuple(res[f"ax{i}"] for i in
                                                              range(model.dim)),
        log_marginals_2d=pair_out, log_density=res.get("u"), loss_min=res["lmin"],
        data=None if model.is_potential else data, seconds=time.perf_counter() - t0)


def _combine(out: dict, k: int, grid: QuadratureGrid, pairs, keep_density: bool) -> dict:
    """Reduce per-block statistics of one n-chunk to per-n results (first k columns).

    Block outputs have shape (blocks, C, ...): C n values, then per-block axes.
    """
    dim = grid.dim
    m = out["m"][:, :k]                                        # (blocks, C)
    s0 = out["s0"][:, :k]
    m_eff = np.where(s0 > 0, m, -np.inf)
    big = np.max(m_eff, axis=0)                                # (C,)
    big = np.where(np.isfinite(big), big, 0.0)
    scale = np.where(s0 > 0, np.exp(m - big), 0.0)            # (blocks, C)
    z = np.sum(s0 * scale, axis=0)
    with np.errstate(divide="ignore"):
        log_z_raw = big + np.log(z)
    mean = np.einsum("bc,bci->ci", scale, out["s1"][:, :k]) / z[:, None]
    second = np.einsum("bc,bcij->cij", scale, out["s2"][:, :k]) / z[:, None, None]
    cov = second - mean[:, :, None] * mean[:, None, :]
    res = {"log_z_raw": log_z_raw, "mean": mean, "cov": cov,
           "lmin": np.min(out["lmin"][:, :k], axis=0),
           "prior": _lse(out["prior"], axis=0)}
    if "lreg" in out:
        res["reg"] = _lse(out["lreg"][:, :k], axis=0) - log_z_raw[:, None]     # (C, R)
    size0 = grid.shape[0]
    lz = log_z_raw[:, None]
    # axis 0: rows are spread over blocks -> concatenate; other axes: log-sum-exp over blocks
    ax0 = np.moveaxis(out["ax0"][:, :k], 1, 0).reshape(k, -1)[:, :size0]     # (C, size0)
    res["ax0"] = ax0 - grid.log_weights[0][None, :] - lz
    for i in range(1, dim):
        axi = _lse(out[f"ax{i}"][:, :k], axis=0)                              # (C, size_i)
        res[f"ax{i}"] = axi - grid.log_weights[i][None, :] - lz
    pair_res = {}
    for i, j in pairs:
        arr = out[f"pair{i}{j}"][:, :k]                                      # (blocks, C, ., .)
        if i == 0:
            arr = np.moveaxis(arr, 1, 0)
            arr = arr.reshape((k, -1) + arr.shape[3:])[:, :size0]
        else:
            arr = _lse(arr, axis=0)
        lw = grid.log_weights[i][None, :, None] + grid.log_weights[j][None, None, :]
        pair_res[(i, j)] = arr - lw - lz[:, :, None]
    res["pairs"] = pair_res
    if keep_density:
        u = np.moveaxis(out["u"][:, :k], 1, 0)                               # (C, blocks, rows..)
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
    w = model.check_param(w)
    n = v.as_float("n", n, lo=0.0)
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
    flat = w.reshape(-1, model.dim)
    ln = jax.vmap(lambda p: model.empirical_loss(p, data))(flat)
    return (model.log_prior(flat) - n * beta * ln).reshape(w.shape[:-1])


__all__ = ["ExactPosterior", "exact_posterior", "log_density_at"]
