r"""Adaptive cubature of the tempered posterior over cells, for a whole sweep of n at once.

The tensor grid of :mod:`slt_sim.posterior.grid` refines toward axis-parallel lines only; a
zero set of K that is slanted or curved (K = (a+b)²(a−b)², (a²+b²−1)²) or a minimum off the
axes falls between its nodes. This integrator lets the integrand decide where to refine.

The box is split into cells (hyper-rectangles); each cell C carries the tensor Gauss–Legendre
rule of order p (p = 10, 6, 4 for d = 1, 2, 3) and, for every n of the sweep (and n = 0, the
prior mass), the integral Q_n(C) = ∫_C φ(w) e^{−nβL_n(w)} dw in log space. A cell is bisected
along every axis; the difference

    E_n(C) = |Q_n(C) − Σ_children Q_n(child)|

estimates the error of the parent's rule (it over-estimates the error of the children's sum,
which is the value kept). Breadth first, each round evaluates the children of every active cell
and accepts the cells whose errors fit the remaining budget for **every** n: per n, the accepted
errors of a round (smallest first) may use up to half of what is left of tol·Z_n, so that the
sum of all accepted errors stays ≤ tol·Z_n. The other cells' children are the next round's
active cells. A narrow posterior at large n is chased down from the coarse level because the
children of the cell that holds it differ from it by about Z_n itself. The number of evaluated
cells is capped (``max_cells``): past the cap the remaining cells are accepted as they are and
their errors are reported.

Per accepted cell the engine keeps the children's sum (log Q, mean, central second moment,
region fractions) and the parent's, so that the error of every derived quantity is the sum of
per-cell parent − children differences of its own integrand:

    δ log Z_n ≈ Σ_C |ΔQ_n(C)| / Z_n,
    δ mean_n ≈ Σ_C |Δ∫_C (w − mean_n) f| / Z_n,
    δ cov_n ≈ Σ_C |Δ∫_C ((w − mean)(w − mean)ᵀ − cov_n) f| / Z_n,
    δ mass_r ≈ Σ_C |Δ∫_C (1_r − mass_r) f| / Z_n.

Everything is float64 and log-space; the per-cell sums take the exact per-cell maximum, so any
n (1e12 included) stays finite. Point evaluation is one jitted function over padded chunks of
cells (a few shapes), so it runs unchanged on accelerators; only the bookkeeping of the cell
list is NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from itertools import product

import jax
import jax.numpy as jnp
import numpy as np

#: Gauss–Legendre order per cell and initial cells per axis, by dimension
ORDER = {1: 10, 2: 6, 3: 4}
INITIAL = {1: 16, 2: 8, 3: 4}
#: default cap on evaluated cells, by dimension (points = cells × order^d)
MAX_CELLS = {1: 200_000, 2: 400_000, 3: 150_000}
#: a cell is suspected of hiding mass at n when nβ (min_i K_i − min_i (K_i − |∇K_i| r)) exceeds
#: this many nats: its nodes may miss a deeper part of the cell (a narrow ridge between nodes)
HIDDEN_NATS = 5.0
#: a cell narrower than this fraction of the box along every axis is not split further
_MIN_WIDTH = 1e-14
#: point values (cells × points × n) per evaluation call; None: by backend — 2^19 on CPU,
#: 2^23 on accelerators (fewer, larger kernels)
_CHUNK_VALUES: int | None = None


def _chunk_values() -> int:
    return _CHUNK_VALUES or (1 << 19 if jax.default_backend() == "cpu" else 1 << 23)



@dataclass(frozen=True)
class CellRule:
    """Unit-cube tensor Gauss–Legendre rule: nodes (P, d) in [0, 1]^d and log weights (P,)."""

    nodes: np.ndarray
    log_weights: np.ndarray

    @staticmethod
    def make(dim: int, order: int) -> CellRule:
        t, w = np.polynomial.legendre.leggauss(order)
        t, w = 0.5 * (t + 1.0), 0.5 * w
        nodes = np.array(list(product(t, repeat=dim)))
        logw = np.array([np.sum(np.log(c)) for c in product(w, repeat=dim)])
        return CellRule(nodes, logw)


@dataclass(frozen=True)
class CellStats:
    """Per-cell integrals for every n column: log Q (C, N), mean (C, N, d), central second
    moment (C, N, d, d) and region fractions (C, N, R)."""

    log_q: np.ndarray
    mu: np.ndarray
    cen: np.ndarray
    reg: np.ndarray

    def take(self, idx) -> CellStats:
        return CellStats(self.log_q[:, idx], self.mu[:, idx], self.cen[:, idx], self.reg[:, idx])

    @staticmethod
    def concat(parts) -> CellStats:
        return CellStats(*(np.concatenate([getattr(p, f) for p in parts], axis=1)
                           for f in ("log_q", "mu", "cen", "reg")))


@partial(jax.jit, static_argnames=("energy", "log_prior", "regions", "grad"))
def _cell_integrals(lo, width, unit_nodes, unit_logw, ns, beta, data, radius, *, energy,
                    log_prior, regions, grad):
    """Per-cell log Q, mean, central second moment and region fractions for every n, and the
    hidden-minimum test: min K over the nodes, the linear lower bound min_i K_i − |∇K_i|·r
    (r: covering radius of the nodes in the cell) and max log φ over the nodes."""
    n_cells, dim = lo.shape
    pts = lo[:, None, :] + width[:, None, :] * unit_nodes[None]              # (N, P, d)
    flat = pts.reshape(-1, dim)
    lq = unit_logw[None, :] + jnp.sum(jnp.log(width), axis=1)[:, None]       # (N, P)
    lp = log_prior(flat).reshape(lq.shape)
    en, _ = energy(flat, flat.T, ns, data)        # potentials: K (N·P,); data: n L_n (C, N·P)
    if en.ndim == 1:
        k = en.reshape(lq.shape)
        kmin = jnp.min(k, axis=1)
        best = jnp.take_along_axis(pts, jnp.argmin(k, axis=1)[:, None, None], axis=1)[:, 0]
        if grad is not None:
            g = jnp.sqrt(jnp.sum(jax.vmap(grad)(flat) ** 2, axis=-1)).reshape(lq.shape)
            r = radius * jnp.linalg.norm(width, axis=1)                        # (N,)
            low = jnp.where(jnp.isfinite(g), k - g * r[:, None], -jnp.inf)
            klb = jnp.min(jnp.where(jnp.isnan(low), jnp.inf, low), axis=1)
        else:
            klb = kmin
        nbl = (ns * beta)[:, None, None] * jnp.where(ns[:, None, None] > 0, k[None], 0.0)
    else:
        nbl = beta * en.reshape((-1,) + lq.shape)
        kmin = klb = jnp.zeros(lq.shape[:1])
        best = lo
    a = (lp + lq)[None] - nbl                                                  # (C, N, P)
    a = jnp.where(jnp.isnan(a), -jnp.inf, a)
    mx = jnp.max(a, axis=2)
    mx_safe = jnp.where(jnp.isfinite(mx), mx, 0.0)
    e = jnp.exp(a - mx_safe[..., None])
    s0 = jnp.sum(e, axis=2)
    log_q = jnp.where(s0 > 0, mx_safe + jnp.log(jnp.where(s0 > 0, s0, 1.0)), -jnp.inf)
    p = e / jnp.where(s0 > 0, s0, 1.0)[..., None]                              # (C, N, P)
    centre = lo + 0.5 * width                                                  # (N, d)
    x = pts - centre[:, None, :]                # about the cell centre: small, little cancellation
    iu = np.triu_indices(dim)
    feats = [x] + [(x[..., i] * x[..., j])[..., None] for i, j in zip(*iu)]
    if regions:
        masks = jnp.stack([jax.vmap(r)(flat) for r in regions], axis=-1)      # (N·P, R)
        feats.append(masks.reshape(lq.shape + (len(regions),)).astype(e.dtype))
    feats = jnp.concatenate(feats, axis=-1)
    f = jnp.stack([jnp.sum(p * feats[None, :, :, k], axis=2)
                   for k in range(feats.shape[-1])], axis=-1)                  # (C, N, F)
    mu_rel = f[..., :dim]
    second = f[..., dim:dim + len(iu[0])]
    m2 = jnp.zeros(s0.shape + (dim, dim), e.dtype).at[..., iu[0], iu[1]].set(second)
    m2 = m2.at[..., iu[1], iu[0]].set(second)
    cen = m2 - mu_rel[..., :, None] * mu_rel[..., None, :]
    reg = f[..., dim + len(iu[0]):]
    return (log_q, mu_rel + centre[None], cen, reg), (kmin, klb, _max_finite(lp), best)


def _max_finite(lp):
    return jnp.max(jnp.where(jnp.isnan(lp), -jnp.inf, lp), axis=1)




@dataclass(frozen=True)
class AdaptiveResult:
    """What :func:`integrate` returns; arrays have the n columns (prior first) leading."""

    cells_lo: np.ndarray              # accepted leaves (the children kept), (M, d)
    cells_width: np.ndarray
    log_z: np.ndarray                 # (C,) log ∫ φ e^{−nβL}, column 0 is n = 0 (prior mass)
    mean: np.ndarray                  # (C, d)
    cov: np.ndarray                   # (C, d, d)
    reg: np.ndarray                   # (C, R) region masses (fractions)
    err_log_z: np.ndarray             # (C,)
    err_mean: np.ndarray              # (C, d)
    err_cov: np.ndarray               # (C, d, d)
    err_reg: np.ndarray               # (C, R)
    cells_evaluated: int
    capped: bool
    rule: CellRule
    k_min: float = np.inf             # smallest K at any node (potentials), and where
    argmin: np.ndarray | None = None


class _Evaluator:
    def __init__(self, energy, log_prior, regions, grad, ns, beta, data, rule):
        self.kw = dict(energy=energy, log_prior=log_prior, regions=regions, grad=grad)
        self.ns = ns
        self.ns_j = jnp.asarray(ns)
        self.beta = beta
        self.data = data
        self.rule = rule
        self.nodes = jnp.asarray(rule.nodes)
        self.logw = jnp.asarray(rule.log_weights)
        t = np.unique(rule.nodes[:, 0])
        self.radius = float(max(t[0], 1.0 - t[-1], 0.5 * np.max(np.diff(t))))
        per_cell = len(rule.log_weights) * len(ns)
        self.chunk = max(64, 1 << int(np.floor(np.log2(max(1, _chunk_values() // per_cell)))))
        self.evaluated = 0
        self.k_min, self.argmin = np.inf, None

    def __call__(self, lo: np.ndarray, width: np.ndarray):
        """Cell statistics and the log of each cell's hidden-mass bound per n (−inf: none)."""
        n = len(lo)
        self.evaluated += n
        parts, tests = [], []
        for start in range(0, n, self.chunk):
            lo_c, w_c = lo[start:start + self.chunk], width[start:start + self.chunk]
            m = len(lo_c)
            size = self.chunk                                                # one shape
            if size > m:
                lo_c = np.concatenate([lo_c, np.repeat(lo_c[-1:], size - m, axis=0)])
                w_c = np.concatenate([w_c, np.repeat(w_c[-1:], size - m, axis=0)])
            out, test = _cell_integrals(jnp.asarray(lo_c), jnp.asarray(w_c), self.nodes,
                                        self.logw, self.ns_j, self.beta, self.data,
                                        self.radius, **self.kw)
            parts.append(CellStats(*(np.asarray(o)[:, :m] for o in out)))
            tests.append(tuple(np.asarray(t)[:m] for t in test))
        kmin, klb, lpmax, best = (np.concatenate(x) for x in zip(*tests))
        i = int(np.argmin(kmin))
        if kmin[i] < self.k_min:
            self.k_min, self.argmin = float(kmin[i]), best[i]
        nb = (self.ns * self.beta)[:, None]
        gap = nb * (kmin - klb)[None, :]                                        # (C, N)
        log_vol = np.sum(np.log(width), axis=1)
        with np.errstate(invalid="ignore"):
            hidden = np.where(gap > HIDDEN_NATS, log_vol + lpmax - nb * klb[None, :], -np.inf)
        return CellStats.concat(parts), np.where(np.isnan(hidden), -np.inf, hidden)


def _split(lo: np.ndarray, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bisect every cell along every axis: children of cell i are rows i·2^d … (i+1)·2^d − 1."""
    d = lo.shape[1]
    corners = np.array(list(product((0.0, 0.5), repeat=d)))                 # (2^d, d)
    half = 0.5 * width
    kids_lo = lo[:, None, :] + corners[None] * width[:, None, :]
    kids_w = np.broadcast_to(half[:, None, :], kids_lo.shape)
    return kids_lo.reshape(-1, d), np.ascontiguousarray(kids_w).reshape(-1, d)


def _merge(stats: CellStats, groups: int) -> CellStats:
    """Combine consecutive groups of ``groups`` cells (the children of one parent) into one."""
    c, n = stats.log_q.shape
    m = n // groups
    lq = stats.log_q.reshape(c, m, groups)
    top = np.max(lq, axis=2, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    w = np.exp(lq - top)
    s = np.sum(w, axis=2)
    with np.errstate(divide="ignore"):
        log_q = top[..., 0] + np.log(s)
    frac = w / np.where(s > 0, s, 1.0)[..., None]                             # (C, M, G)
    mu_k = stats.mu.reshape(c, m, groups, -1)
    mu = np.einsum("cmg,cmgd->cmd", frac, mu_k)
    dmu = mu_k - mu[:, :, None, :]
    cen_k = stats.cen.reshape(c, m, groups, mu.shape[-1], mu.shape[-1])
    cen = np.einsum("cmg,cmgde->cmde", frac, cen_k + dmu[..., :, None] * dmu[..., None, :])
    reg = np.einsum("cmg,cmgr->cmr", frac, stats.reg.reshape(c, m, groups, -1))
    return CellStats(log_q, mu, cen, reg)


def _log_abs_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log |e^a − e^b| (−inf where equal)."""
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = hi + np.log1p(-np.exp(lo - hi))
    return np.where(np.isfinite(hi), out, -np.inf)


def integrate(energy, log_prior, regions, box, ns, beta, data, *, tol: float, grad=None,
              max_cells: int | None = None, order: int | None = None,
              initial: int | None = None, moment_factor: float = 10.0) -> AdaptiveResult:
    """Adaptive cubature of φ e^{−nβL} over ``box`` for n in ``[0, *ns]`` (see module doc).

    Args:
      energy, log_prior, regions: as the grid engine's (closures keyed for jit reuse).
      box: one (lo, hi) per axis.
      ns: the n values (n = 0, the prior mass, is prepended here).
      beta: inverse temperature.
      data: the data pair for data models, else None.
      tol: target of Σ|errors| / Z_n for every n.
      grad: ∇K for potentials (the hidden-minimum test), or None.
      max_cells: cap on evaluated cells (default by dimension, :data:`MAX_CELLS`).
      moment_factor: a cell's error counts also as its error of the mean (relative to the
        posterior sd) and of the variances (relative to the variance), divided by this factor
        (0: Z only) — so that moments meet moment_factor·tol.
    """
    box = np.asarray(box, dtype=float)
    dim = len(box)
    order = ORDER.get(dim, 4) if order is None else order
    initial = INITIAL.get(dim, 4) if initial is None else initial
    max_cells = MAX_CELLS.get(dim, 150_000) if max_cells is None else max_cells
    rule = CellRule.make(dim, order)
    ns_ext = np.concatenate([[0.0], np.asarray(ns, dtype=float)])
    ev = _Evaluator(energy, log_prior, regions, grad, ns_ext, float(beta), data, rule)
    groups = 1 << dim

    edges = [np.linspace(lo, hi, initial + 1) for lo, hi in box]
    act_lo = np.array(list(product(*[e[:-1] for e in edges])))
    act_w = np.array(list(product(*[np.diff(e) for e in edges])))
    act_stats, _ = ev(act_lo, act_w)
    min_w = _MIN_WIDTH * (box[:, 1] - box[:, 0])

    kept_lo, kept_w, kept_kids, kept_parent, kept_err = [], [], [], [], []
    kept_logz = np.full(len(ns_ext), -np.inf)     # log Σ of the accepted children
    acc_err = np.zeros(len(ns_ext))              # accepted Σ errors / Z (relative, per n)
    capped = False
    while len(act_lo):
        kids_lo, kids_w = _split(act_lo, act_w)
        kid_stats, hidden = ev(kids_lo, kids_w)
        agg = _merge(kid_stats, groups)
        lerr = _log_abs_diff(act_stats.log_q, agg.log_q)                       # (C, A)
        hid = _lse(hidden.reshape(len(ns_ext), -1, groups), axis=2)            # (C, A)
        lerr = np.maximum(lerr, hid)
        log_z = np.logaddexp(kept_logz, _lse(agg.log_q, axis=1))              # (C,)
        ref = np.where(np.isfinite(log_z), log_z, 0.0)[:, None]
        with np.errstate(over="ignore"):
            rel = np.where(np.isfinite(log_z)[:, None], np.exp(lerr - ref), 0.0)  # (C, A)
        if moment_factor:
            rel = np.maximum(rel, _moment_rel(kept_kids + [agg], act_stats, agg, ref, lerr,
                                              act_lo, act_w) / moment_factor)
        budget = 0.5 * np.maximum(tol - acc_err, 0.0)                          # (C,)
        order_idx = np.argsort(rel, axis=1)
        csum = np.cumsum(np.take_along_axis(rel, order_idx, axis=1), axis=1)
        ok = np.zeros(rel.shape, bool)
        np.put_along_axis(ok, order_idx, csum <= budget[:, None], axis=1)
        accept = np.all(ok | (rel == 0.0), axis=0)                             # (A,)
        accept |= np.all(act_w <= 2 * min_w, axis=1)
        if ev.evaluated + groups * int(np.sum(~accept)) > max_cells:
            capped = capped or bool(np.any(~accept))
            accept[:] = True
        idx = np.flatnonzero(accept)
        if idx.size:
            kid_idx = (idx[:, None] * groups + np.arange(groups)).ravel()
            kept_lo.append(kids_lo[kid_idx])
            kept_w.append(kids_w[kid_idx])
            kept_kids.append(agg.take(idx))
            kept_parent.append(act_stats.take(idx))
            kept_err.append(lerr[:, idx])
            kept_logz = np.logaddexp(kept_logz, _lse(agg.log_q[:, idx], axis=1))
            acc_err = acc_err + np.sum(rel[:, idx], axis=1)
        rest = np.flatnonzero(~accept)
        kid_idx = (rest[:, None] * groups + np.arange(groups)).ravel()
        act_lo, act_w = kids_lo[kid_idx], kids_w[kid_idx]
        act_stats = kid_stats.take(kid_idx)

    kids = CellStats.concat(kept_kids)
    parent = CellStats.concat(kept_parent)
    lo, width = np.concatenate(kept_lo), np.concatenate(kept_w)
    out = _summarise(kids, parent, np.concatenate(kept_err, axis=1), lo, width,
                     ev.evaluated, capped, rule)
    return replace(out, k_min=ev.k_min, argmin=ev.argmin)


def _moment_rel(all_stats, parent: CellStats, kids: CellStats, ref, lerr, lo, width):
    """Per active cell and n: |Δ∫(w − mean) f| / (Z sd) and |Δ∫((w − mean)² − var) f| / (Z var),
    the larger over coordinates, with mean and var the current estimates from ``all_stats``."""
    lq = np.concatenate([a.log_q for a in all_stats], axis=1)
    w = np.exp(lq - ref)
    z = np.maximum(np.sum(w, axis=1), 1e-300)
    mu = np.concatenate([a.mu for a in all_stats], axis=1)
    cen = np.concatenate([np.diagonal(a.cen, axis1=2, axis2=3) for a in all_stats], axis=1)
    mean = np.einsum("cm,cmd->cd", w, mu) / z[:, None]
    var = np.einsum("cm,cmd->cd", w, cen + (mu - mean[:, None]) ** 2) / z[:, None]
    var = np.maximum(var, 1e-300)
    wp, wk = np.exp(parent.log_q - ref), np.exp(kids.log_q - ref)            # (C, A)
    dp, dk = parent.mu - mean[:, None], kids.mu - mean[:, None]
    d1 = np.abs(wp[..., None] * dp - wk[..., None] * dk) / np.sqrt(var)[:, None]
    sp = wp[..., None] * (np.diagonal(parent.cen, axis1=2, axis2=3) + dp ** 2)
    sk = wk[..., None] * (np.diagonal(kids.cen, axis1=2, axis2=3) + dk ** 2)
    d2 = np.abs(sp - sk - (wp - wk)[..., None] * var[:, None]) / var[:, None]
    # where the hidden-mass bound is the error, bound the integrands by the cell's extent
    with np.errstate(over="ignore"):
        we = np.exp(lerr - ref)
    extra = np.where(we > np.abs(wp - wk) * (1 + 1e-9), we, 0.0)[..., None]
    far = np.maximum(np.abs(lo[None] - mean[:, None]), np.abs(lo[None] + width[None]
                                                                - mean[:, None]))
    with np.errstate(over="ignore", invalid="ignore"):
        d1 = d1 + extra * far / np.sqrt(var)[:, None]
        d2 = d2 + extra * (far ** 2 + var[:, None]) / var[:, None]
        out = np.max(np.maximum(d1, d2), axis=2) / z[:, None]
    return np.where(np.isfinite(out), out, np.inf)


def _summarise(kids: CellStats, parent: CellStats, lerr, lo, width, evaluated, capped, rule):
    """Totals from the kept children's sums; errors from parent − children per cell, or the
    hidden-mass bound where that is larger (then the moment integrands are bounded by the
    cell's largest |w − mean| and |w − mean|²)."""
    log_z = _lse(kids.log_q, axis=1)                                           # (C,)
    ref = np.where(np.isfinite(log_z), log_z, 0.0)[:, None]
    wk = np.exp(kids.log_q - ref)                                              # (C, M) / Z
    wp = np.exp(parent.log_q - ref)
    we = np.exp(lerr - ref)                                                    # (C, M)
    z = np.sum(wk, axis=1)
    zs = np.where(z > 0, z, 1.0)
    mean = np.einsum("cm,cmd->cd", wk, kids.mu) / zs[:, None]

    def second(w, s):
        dm = s.mu - mean[:, None, :]
        return w[..., None, None] * (s.cen + dm[..., :, None] * dm[..., None, :])

    sk, sp = second(wk, kids), second(wp, parent)
    cov = np.sum(sk, axis=1) / zs[:, None, None]
    reg = np.einsum("cm,cmr->cr", wk, kids.reg) / zs[:, None]
    # parent cells: the kept children come in groups of 2^d
    groups = len(lo) // max(1, wk.shape[1])
    plo = lo[::groups]
    pw = 2.0 * width[::groups]
    far = np.maximum(np.abs(plo[None] - mean[:, None]),
                     np.abs(plo[None] + pw[None] - mean[:, None]))            # (C, M, d)
    dq = wp - wk
    rule_err = np.abs(dq)
    extra = np.where(we > rule_err * (1 + 1e-9), we, 0.0)                      # hidden mass
    err_log_z = np.sum(np.maximum(rule_err, we), axis=1) / zs
    d1 = wp[..., None] * (parent.mu - mean[:, None]) - wk[..., None] * (kids.mu - mean[:, None])
    err_mean = np.sum(np.abs(d1) + extra[..., None] * far, axis=1) / zs[:, None]
    d2 = (sp - sk) - dq[..., None, None] * cov[:, None]
    bound2 = far[..., :, None] * far[..., None, :] + np.abs(cov)[:, None]
    err_cov = np.sum(np.abs(d2) + extra[..., None, None] * bound2, axis=1) / zs[:, None, None]
    dr = wp[..., None] * parent.reg - wk[..., None] * kids.reg - dq[..., None] * reg[:, None]
    err_reg = np.sum(np.abs(dr) + extra[..., None], axis=1) / zs[:, None]
    return AdaptiveResult(lo, width, log_z, mean, cov, reg, err_log_z, err_mean, err_cov,
                          err_reg, evaluated, capped, rule)


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis) + np.log(np.sum(np.exp(a - m), axis=axis))




@partial(jax.jit, static_argnames=("energy", "log_prior", "sizes", "pairs"))
def _binned_chunk(lo, width, unit_nodes, unit_logw, ns, beta, data, log_z, edges, *, energy,
                  log_prior, sizes, pairs):
    """Posterior mass of each cell's points binned onto display cells, per axis and pair."""
    n_cells, dim = lo.shape
    flat = (lo[:, None, :] + width[:, None, :] * unit_nodes[None]).reshape(-1, dim)
    lq = (unit_logw[None, :] + jnp.sum(jnp.log(width), axis=1)[:, None]).reshape(-1)
    lp = log_prior(flat)
    en, _ = energy(flat, flat.T, ns, data)
    nbl = (ns * beta)[:, None] * en[None, :] if en.ndim == 1 else beta * en
    a = (lp + lq)[None, :] - nbl - log_z[:, None]
    e = jnp.where(jnp.isnan(a), 0.0, jnp.exp(a)).T                            # (N·P, C)
    idx = [jnp.clip(jnp.searchsorted(edges[i], flat[:, i], side="right") - 1, 0, sizes[i] - 1)
           for i in range(dim)]
    axes = tuple(jax.ops.segment_sum(e, idx[i], num_segments=sizes[i]) for i in range(dim))
    two = tuple(jax.ops.segment_sum(e, idx[i] * sizes[j] + idx[j],
                                    num_segments=sizes[i] * sizes[j]) for i, j in pairs)
    return axes, two


def binned_masses(res: AdaptiveResult, energy, log_prior, ns, beta, data, edges, pairs):
    """Masses of the posterior (normalised by the adaptive Z_n) in the display cells given by
    ``edges`` (per axis), summed from the accepted cells' points: 1-D (C, n_i) per axis and
    2-D (C, n_i, n_j) per pair. Consistent with the adaptive totals by construction."""
    ns_ext = np.concatenate([[0.0], np.asarray(ns, dtype=float)])
    sizes = tuple(len(e) - 1 for e in edges)
    rule = res.rule
    per_cell = len(rule.log_weights) * (len(ns_ext) + sum(1 for _ in pairs))
    chunk = max(64, 1 << int(np.floor(np.log2(max(1, _chunk_values() // per_cell)))))
    axes = [np.zeros((s, len(ns_ext))) for s in sizes]
    two = [np.zeros((sizes[i] * sizes[j], len(ns_ext))) for i, j in pairs]
    kw = dict(energy=energy, log_prior=log_prior, sizes=sizes, pairs=tuple(pairs))
    lo_all, w_all = res.cells_lo, res.cells_width
    for start in range(0, len(lo_all), chunk):
        lo, w = lo_all[start:start + chunk], w_all[start:start + chunk]
        m = len(lo)
        if m < chunk:                              # pad with zero-volume cells: no mass
            lo = np.concatenate([lo, np.repeat(lo[-1:], chunk - m, axis=0)])
            w = np.concatenate([w, np.full((chunk - m, lo.shape[1]), 1e-300)])
        a, t = _binned_chunk(jnp.asarray(lo), jnp.asarray(w), jnp.asarray(rule.nodes),
                             jnp.asarray(rule.log_weights), jnp.asarray(ns_ext), beta, data,
                             jnp.asarray(res.log_z), tuple(jnp.asarray(e) for e in edges), **kw)
        for acc, val in zip(axes + two, list(a) + list(t)):
            acc += np.asarray(val)
    out_axes = [x.T[1:] for x in axes]
    out_two = {(i, j): x.T[1:].reshape(-1, sizes[i], sizes[j]) for (i, j), x in zip(pairs, two)}
    return out_axes, out_two


__all__ = ["AdaptiveResult", "CellRule", "binned_masses", "integrate"]
